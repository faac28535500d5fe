//! `gws-conform run` against hostile targets: nothing listening, a server that accepts and never
//! answers, slow answers (within and beyond the deadline), bodies that are not JSON, truncated
//! or huge, HTTP 500s, malformed Bayeux replies, a long-poll that never returns.
//!
//! Each test starts a hostile front end (`tests/hostile/`), mostly in front of an in-process
//! reference server so that scenarios get as far as the one kind of request it corrupts, runs
//! the real binary against it with short deadlines and a JSON Lines report, and checks the exit
//! code (3 when the target cannot be reached at all, 1 when it answers badly), the finding that
//! names what went wrong, a wall time bounded by the deadlines (generously: the machine is
//! shared), that every selected scenario still ran to an outcome, and that nothing panicked.
//!
//! Two scenarios run each time: `plain-agent-cannot-monitor`, which makes supervisor requests
//! (`POST /api/v2/users/{id}/channels/chat`, the request the REST corruptions target), and
//! `bayeux-protocol`, which makes none and so must still pass when only those are corrupted.

mod hostile;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hostile::{Hostile, Plan, Request, Upstream, encode, json, raw, refusing_url};
use serde_json::{Value, json as value};

/// Makes supervisor requests, the target of the REST corruptions.
const MONITORING: &str = "plain-agent-cannot-monitor";
/// Makes none.
const BAYEUX: &str = "bayeux-protocol";
/// How long the reference server behind a front end holds a long-poll.
const LONG_POLL: Duration = Duration::from_secs(1);
/// Time allowed for running the two scenarios when nothing goes wrong, on a busy machine.
const SLACK: Duration = Duration::from_secs(20);

/// What one run of the binary left behind.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// The JSON Lines report (empty when the run stopped before writing it).
    events: Vec<Value>,
}

impl Run {
    fn context(&self) -> String {
        format!(
            "exit {:?} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.elapsed, self.stdout, self.stderr
        )
    }

    /// The outcome of each scenario that ran, by name.
    fn outcomes(&self) -> Vec<(String, String)> {
        let mut outcomes: Vec<(String, String)> = self
            .events
            .iter()
            .filter(|e| e["event"] == "scenario_finished")
            .map(|e| {
                let text = |field: &str| e[field].as_str().unwrap_or_default().to_owned();
                (text("scenario"), text("outcome"))
            })
            .collect();
        outcomes.sort();
        outcomes
    }

    /// The FAIL findings of `scenario`, as `[requirement] check: message`.
    fn failures(&self, scenario: &str) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["event"] == "finding" && e["scenario"] == scenario)
            .filter(|e| e["verdict"] == "FAIL")
            .map(|e| {
                let text = |field: &str| e[field].as_str().unwrap_or_default().to_owned();
                format!(
                    "[{}] {}: {}",
                    text("requirement"),
                    text("check"),
                    text("message")
                )
            })
            .collect()
    }

    /// Asserts the common expectations: this exit code, no panic, within `bound`. Prints what
    /// the run said (shown with `--nocapture`).
    #[track_caller]
    fn assert_ended(&self, code: i32, bound: Duration) {
        println!("exit {:?} after {:.1?}", self.code, self.elapsed);
        for line in self.stderr.lines().filter(|l| l.starts_with("error")) {
            println!("  {line}");
        }
        for (scenario, outcome) in self.outcomes() {
            println!("  {scenario}: {outcome}");
            for failure in self.failures(&scenario) {
                println!("    {failure}");
            }
        }
        assert_eq!(self.code, Some(code), "{}", self.context());
        let all = format!("{}{}", self.stdout, self.stderr);
        assert!(!all.contains("panicked"), "{}", self.context());
        assert!(
            self.elapsed < bound,
            "took {:?}, more than {bound:?}\n{}",
            self.elapsed,
            self.context()
        );
    }

    /// Asserts that both scenarios ran to an outcome: `monitoring` for the one making
    /// supervisor requests, `bayeux` for the other.
    #[track_caller]
    fn assert_outcomes(&self, monitoring: &str, bayeux: &str) {
        let expected = vec![
            (BAYEUX.to_owned(), bayeux.to_owned()),
            (MONITORING.to_owned(), monitoring.to_owned()),
        ];
        assert_eq!(self.outcomes(), expected, "{}", self.context());
    }

    /// Asserts that a FAIL finding of `scenario` cites `requirement` and contains every one of
    /// `needles`.
    #[track_caller]
    fn assert_failure(&self, scenario: &str, requirement: &str, needles: &[&str]) {
        let failures = self.failures(scenario);
        let found = failures.iter().any(|f| {
            f.starts_with(&format!("[{requirement}]")) && needles.iter().all(|n| f.contains(n))
        });
        assert!(
            found,
            "no FAIL finding of {scenario} citing {requirement} containing {needles:?}; findings:\n{}\n{}",
            failures.join("\n"),
            self.context()
        );
    }
}

/// Runs `gws-conform run --target URL` with `extra` arguments (deadlines, filters) and a JSON
/// report, on a blocking thread so the hostile servers keep running on the test's runtime.
async fn gws(target: &str, extra: &[&str]) -> Run {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let report: PathBuf =
        std::env::temp_dir().join(format!("gws-hostile-{}-{n}.jsonl", std::process::id()));
    let mut args: Vec<String> = vec!["run".into(), "--target".into(), target.into()];
    args.extend(["--json".into(), report.display().to_string()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_gws-conform"))
            // Runs record their failed scenarios (`--last-failed`): never in the real home.
            .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&args)
            .output()
            .expect("run gws-conform")
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let events = std::fs::read_to_string(&report)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let _ = std::fs::remove_file(&report);
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
        events,
    }
}

/// The two scenarios, with this request deadline.
async fn run_pair(target: &str, request_timeout: &str) -> Run {
    gws(
        target,
        &[
            "--request-timeout",
            request_timeout,
            "--scenario-timeout",
            "30s",
            "--exact",
            MONITORING,
            BAYEUX,
        ],
    )
    .await
}

/// A front end that corrupts only the supervisor requests, the rest forwarded untouched.
async fn corrupting_monitoring(corrupt: fn() -> Plan) -> Hostile {
    Hostile::proxy(LONG_POLL, move |request: &Request| {
        if request.is_monitoring() {
            corrupt()
        } else {
            Plan::Forward
        }
    })
    .await
}

/// Runs the pair against `hostile` (request deadline 1 s): the run ends with exit 1 in time,
/// the monitoring scenario fails with a ROLE-SUPERVISOR finding containing every `needle`,
/// and the Bayeux scenario, which makes no supervisor request, still passes.
async fn assert_only_monitoring_fails(hostile: &Hostile, needles: &[&str]) {
    let run = run_pair(&hostile.url, "1s").await;
    run.assert_ended(1, Duration::from_secs(3) + SLACK);
    run.assert_outcomes("failed", "passed");
    run.assert_failure(MONITORING, "ROLE-SUPERVISOR", needles);
}

/// A front end that answers every Bayeux handshake with `body` (HTTP 200).
async fn corrupting_handshakes(body: &'static str) -> Hostile {
    Hostile::proxy(LONG_POLL, move |request: &Request| {
        if request.is_bayeux("/meta/handshake") {
            Plan::Reply(json(200, body))
        } else {
            Plan::Forward
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_ends_the_whole_suite_at_once_with_exit_3() {
    let url = refusing_url().await;
    let run = gws(&url, &["--request-timeout", "2s"]).await;
    run.assert_ended(3, Duration::from_secs(5));
    assert!(
        run.stderr
            .contains(&format!("cannot reach the target {url}"))
            && run.stderr.contains("cannot connect"),
        "{}",
        run.context()
    );
    assert!(run.events.is_empty(), "nothing ran: {}", run.context());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_accepts_and_never_answers_ends_the_suite_with_exit_3() {
    let hostile = Hostile::alone(|_| Plan::Hang).await;
    let run = gws(&hostile.url, &["--request-timeout", "1s"]).await;
    run.assert_ended(3, Duration::from_secs(3) + Duration::from_secs(5));
    assert!(
        run.stderr
            .contains("timed out after 1 s waiting for the response"),
        "{}",
        run.context()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_goes_away_mid_run_ends_it_with_exit_3_and_the_rest_not_run() {
    // Answers until the plain agent's monitoring request (not the clean-up's cancellations
    // before the run), then never again (every request, the reachability probe included,
    // hangs).
    let gone = Arc::new(AtomicBool::new(false));
    let hostile = {
        let gone = gone.clone();
        Hostile::proxy(LONG_POLL, move |request: &Request| {
            if request.is_monitoring() && !request.body_text().contains("Cancel") {
                gone.store(true, Ordering::SeqCst);
            }
            if gone.load(Ordering::SeqCst) {
                Plan::Hang
            } else {
                Plan::Forward
            }
        })
        .await
    };
    let later = "switch-after-switch";
    let run = gws(
        &hostile.url,
        &[
            "--request-timeout",
            "1s",
            "--scenario-timeout",
            "30s",
            "--exact",
            BAYEUX,
            MONITORING,
            later,
        ],
    )
    .await;
    run.assert_ended(3, SLACK);
    assert!(
        run.stderr.contains(&format!(
            "the target {} stopped answering during scenario {MONITORING} (step ",
            hostile.url
        )) && run
            .stderr
            .contains(&format!("scenarios/{MONITORING}.yaml:")),
        "names the scenario and the step: {}",
        run.context()
    );
    assert!(
        run.stdout.contains(&format!("test {later} ... not run")),
        "{}",
        run.context()
    );
    assert_eq!(
        run.outcomes(),
        vec![(BAYEUX.to_owned(), "passed".to_owned())],
        "only the scenario before the target went away has a verdict: {}",
        run.context()
    );
    let summary = run.events.last().expect("a summary");
    assert_eq!(summary["event"], "summary", "{}", run.context());
    assert_eq!(
        (
            &summary["passed"],
            &summary["failed"],
            &summary["errored"],
            &summary["not_run"]
        ),
        (&value!(1), &value!(0), &value!(1), &value!(1)),
        "{}",
        run.context()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_within_the_deadline_pass() {
    let hostile = Hostile::proxy(LONG_POLL, |_| Plan::Delay(Duration::from_millis(300))).await;
    let run = run_pair(&hostile.url, "2s").await;
    run.assert_ended(0, SLACK + Duration::from_secs(10));
    run.assert_outcomes("passed", "passed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_slower_than_the_deadline_is_a_finding() {
    let hostile = corrupting_monitoring(|| Plan::Delay(Duration::from_secs(4))).await;
    assert_only_monitoring_fails(
        &hostile,
        &[
            "POST http://",
            "/channels/chat: timed out after 1 s waiting for the response",
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_a_finding() {
    let hostile = corrupting_monitoring(|| {
        Plan::Rewrite(Box::new(|upstream: Upstream| {
            let body = b"<html><body>Forbidden</body></html>";
            raw(upstream.status, &[], body, body.len())
        }))
    })
    .await;
    assert_only_monitoring_fails(
        &hostile,
        &["response is not JSON (expected value at line 1 column 1)"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_is_a_finding() {
    let hostile = corrupting_monitoring(|| {
        Plan::Rewrite(Box::new(|upstream: Upstream| {
            // Claims more than it sends, then closes the connection.
            let claimed = upstream.body.len() + 100;
            raw(upstream.status, &upstream.headers, &upstream.body, claimed)
        }))
    })
    .await;
    assert_only_monitoring_fails(&hostile, &["response body truncated or unreadable"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_500_is_a_finding() {
    let hostile = corrupting_monitoring(|| {
        Plan::Rewrite(Box::new(|upstream: Upstream| {
            encode(Upstream {
                status: 500,
                ..upstream
            })
        }))
    })
    .await;
    assert_only_monitoring_fails(&hostile, &["expected a refusal", "got HTTP 500"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_is_cut_off_and_is_a_finding() {
    let hostile = corrupting_monitoring(|| {
        Plan::Rewrite(Box::new(|upstream: Upstream| {
            let padding = "x".repeat(gws_conform::driver::http::MAX_BODY_BYTES * 2);
            let body = format!(r#"{{"statusCode":5,"statusMessage":"{padding}"}}"#);
            raw(
                upstream.status,
                &upstream.headers,
                body.as_bytes(),
                body.len(),
            )
        }))
    })
    .await;
    assert_only_monitoring_fails(
        &hostile,
        &["response body larger than 1048576 bytes; not read further"],
    )
    .await;
}

/// Every scenario logs in, so a corrupted handshake fails both, each with a finding citing
/// BAYEUX-REPLY that says what was wrong with the reply.
async fn assert_malformed_handshake(body: &'static str, needle: &str) {
    let hostile = corrupting_handshakes(body).await;
    let run = run_pair(&hostile.url, "1s").await;
    run.assert_ended(1, Duration::from_secs(3) + SLACK);
    run.assert_outcomes("failed", "failed");
    for scenario in [MONITORING, BAYEUX] {
        run.assert_failure(
            scenario,
            "BAYEUX-REPLY",
            &[
                "agent: CometD handshake failed: /meta/handshake failed: malformed Bayeux reply: ",
                needle,
            ],
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bayeux_reply_that_is_not_an_array_is_a_finding() {
    assert_malformed_handshake(
        r#"{"channel":"/meta/handshake","successful":true,"clientId":"c1"}"#,
        r#"not a JSON array of messages: {"channel":"/meta/handshake""#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bayeux_reply_without_successful_is_a_finding() {
    assert_malformed_handshake(
        r#"[{"channel":"/meta/handshake","clientId":"c1","version":"1.0"}]"#,
        "the /meta/handshake reply has no boolean `successful`",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bayeux_reply_on_the_wrong_channel_is_a_finding() {
    assert_malformed_handshake(
        r#"[{"channel":"/meta/connect","successful":true,"clientId":"c1"}]"#,
        "no /meta/handshake reply to message 1; received: /meta/connect",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bayeux_handshake_with_a_garbage_client_id_is_a_finding() {
    assert_malformed_handshake(
        r#"[{"channel":"/meta/handshake","successful":true,"clientId":{"not":"an id"},"version":"1.0"}]"#,
        r#"clientId is {"not":"an id"} (expected a non-empty string)"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_bayeux_reply_is_refused_and_is_a_finding() {
    let hostile = Hostile::proxy(LONG_POLL, |request: &Request| {
        if request.is_bayeux("/meta/handshake") {
            let padding = "x".repeat(gws_conform::driver::bayeux::MAX_REPLY_BYTES + 1);
            let body = format!(r#"[{{"channel":"/meta/handshake","ext":"{padding}"}}]"#);
            Plan::Reply(json(200, &body))
        } else {
            Plan::Forward
        }
    })
    .await;
    let run = run_pair(&hostile.url, "2s").await;
    run.assert_ended(1, Duration::from_secs(6) + SLACK);
    run.assert_outcomes("failed", "failed");
    run.assert_failure(
        BAYEUX,
        "BAYEUX-REPLY",
        &["/meta/handshake failed: reply larger than 16777216 bytes; not read further"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_that_never_returns_hits_its_deadline_and_is_a_finding() {
    // The first connect of a session asks not to be held (`"timeout":0`) and is answered; every
    // later one (held for the advised 1 s by a conforming server) is never answered.
    let hostile = Hostile::proxy(LONG_POLL, |request: &Request| {
        let first = request.body_text().contains(r#""advice":{"timeout":0}"#);
        if request.is_bayeux("/meta/connect") && !first {
            Plan::Hang
        } else {
            Plan::Forward
        }
    })
    .await;
    let run = gws(
        &hostile.url,
        &[
            "--request-timeout",
            "1s",
            "--scenario-timeout",
            "30s",
            "--exact",
            MONITORING,
        ],
    )
    .await;
    // Deadline of a held connect: the advised 1 s plus the 1 s margin.
    run.assert_ended(1, Duration::from_secs(2) * 3 + SLACK);
    let deadline = "/meta/connect failed: timed out after 2 s waiting for the reply (the server may hold it 1 s, plus a margin of 1 s)";
    run.assert_failure(
        MONITORING,
        "BAYEUX-REPLY",
        &["agent: the CometD session failed: ", deadline],
    );
    run.assert_failure(
        MONITORING,
        "BASE-CHAT",
        &[
            "agent: no notification matching",
            "the CometD session ended first",
            deadline,
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_that_outlasts_its_deadline_is_a_finding() {
    // Each answer within the request deadline, but a login alone takes four of them.
    let hostile = Hostile::proxy(LONG_POLL, |_| Plan::Delay(Duration::from_millis(700))).await;
    let run = gws(
        &hostile.url,
        &[
            "--request-timeout",
            "1s",
            "--scenario-timeout",
            "2s",
            "--exact",
            MONITORING,
        ],
    )
    .await;
    // The scenario's 2 s, then a clean-up bounded by twice the request deadline.
    run.assert_ended(1, Duration::from_secs(4) * 3 + SLACK);
    run.assert_failure(
        MONITORING,
        "BASE-CHAT",
        &["scenario.deadline: the scenario did not finish within 2 s"],
    );
}

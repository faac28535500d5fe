//! Golden tests of `gws-conform run` as a user sees it: a passing run, a failing run that names
//! the broken requirement, malformed scenarios (every problem located, exit 2), an unreachable
//! target (exit 3), `--list`, and runs and replays against a served target (CSRF protection
//! included). Expected output lives in `tests/golden/`; set
//! `GOLDEN_UPDATE=1` to rewrite it after an intended change.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gws(args: &[&str]) -> Output {
    gws_in(&repo(), args)
}

fn gws_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        // Runs record their failed scenarios (`--last-failed`): never in the real home.
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run gws-conform")
}

/// A scenarios directory holding the catalogue and the given golden scenario files.
fn scenario_dir(name: &str, files: &[&str]) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gws-conform-golden-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        repo().join("scenarios/requirements.yaml"),
        dir.join("requirements.yaml"),
    )
    .unwrap();
    for file in files {
        std::fs::copy(repo().join("tests/golden").join(file), dir.join(file)).unwrap();
    }
    dir
}

/// Replaces what changes from run to run: the temporary directory, timings (the quiet-window
/// calibration among them), and the tail of long notification dumps.
fn normalise(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "[DIR]")
        .lines()
        .map(|line| {
            let line = match line.find("finished in ") {
                Some(at) => format!("{}finished in [..]s", &line[..at]),
                None => line.to_owned(),
            };
            // The quiet-window calibration comes from the latencies this run measured.
            if line.starts_with("quiet windows: ") {
                return "quiet windows: [..]".to_owned();
            }
            // A trial's duration: `... FAILED (1.04s) CAP-MONITOR`.
            let line = match (line.find(" ... "), line.find("s) ")) {
                (Some(_), Some(end)) => match line[..end].rfind(" (") {
                    Some(start) => format!("{} ([..]{}", &line[..start], &line[end..]),
                    None => line,
                },
                _ => line,
            };
            if line.starts_with("    {") {
                return "    {[..]}".to_owned();
            }
            match line.find(" — {") {
                Some(at) => format!("{} — {{[..]}}", &line[..at]),
                None => line,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn assert_golden(actual: &str, golden: &str) {
    let path = repo().join("tests/golden").join(golden);
    if std::env::var_os("GOLDEN_UPDATE").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "output differs from tests/golden/{golden} (GOLDEN_UPDATE=1 rewrites it)\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn a_passing_run_exits_0() {
    let out = gws(&["run", "agent-accepts-under-monitoring", "--exact"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("test agent-accepts-under-monitoring ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test result: ok. 1 passed; 0 failed"),
        "{stdout}"
    );
}

#[test]
fn a_failing_run_names_the_requirement_and_exits_1() {
    let dir = scenario_dir("fail", &["wrong-mode.yaml"]);
    let out = gws(&["run", "--scenarios", dir.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_golden(
        &normalise(&String::from_utf8_lossy(&out.stdout), &dir),
        "wrong-mode.stdout",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn malformed_scenarios_are_all_reported_with_locations_and_exit_2() {
    let dir = scenario_dir("broken", &["broken.yaml"]);
    let out = gws(&["run", "--scenarios", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing runs");
    assert_golden(
        &normalise(&String::from_utf8_lossy(&out.stderr), &dir),
        "broken.stderr",
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unreachable_target_exits_3_quickly() {
    let started = Instant::now();
    let out = gws(&[
        "run",
        "--target",
        "http://127.0.0.1:9",
        "agent-accepts-under-monitoring",
        "--exact",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    // Checked once before any scenario runs (tests/hostile_targets.rs has the other cases).
    assert!(
        stderr.contains("cannot reach the target http://127.0.0.1:9")
            && stderr.contains("cannot connect"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "nothing runs");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn list_names_the_scenarios() {
    let out = gws(&["run", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|line| line == "agent-accepts-under-monitoring"),
        "{stdout}"
    );
}

#[test]
fn the_suite_runs_against_serve_with_only_target_and_passes_twice() {
    let (mut server, url) = support::spawn_serve(&[]);
    // A representative subset keeps CI fast; the whole suite is run the same way by hand
    // (docs/benchmarks.md).
    let subset = [
        "switch-",
        "chat-completed",
        "cancel-monitoring",
        "monitor-next-chat",
    ];
    for round in 1..=2 {
        let mut args = vec!["run", "--target", url.as_str()];
        args.extend(subset);
        let out = gws(&args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if out.status.code() != Some(0) {
            let _ = server.kill();
        }
        assert_eq!(out.status.code(), Some(0), "round {round}:\n{stdout}");
        assert!(
            stdout.contains("12 passed; 0 failed"),
            "round {round}:\n{stdout}"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn runs_and_replays_follow_csrf_protection() {
    // Every POST needs the token a GET gave (GWS's optional CSRF protection): without it each
    // login's StartContactCenterSession is refused with 403.
    let (mut server, url) = support::spawn_serve(&["--csrf"]);
    let dir = std::env::temp_dir().join(format!("gws-conform-csrf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let har = dir.join("csrf.har");
    let har = har.to_str().unwrap();
    let subset = ["switch-monitor", "cancel-monitoring", "monitor-next-chat"];
    let mut args = vec!["run", "--target", url.as_str(), "--record", har];
    args.extend(subset);
    let run = gws(&args);
    let replay = gws(&[
        "replay",
        har,
        "--target",
        url.as_str(),
        "--as-fast-as-possible",
    ]);
    let _ = server.kill();
    let _ = server.wait();
    let text = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();
    let (run, replay) = (text(&run), text(&replay));
    assert!(run.contains("4 passed; 0 failed"), "{run}");
    assert!(replay.contains("4 passed; 0 failed"), "{replay}");
    let recorded = std::fs::read_to_string(har).unwrap();
    assert!(
        recorded.to_ascii_lowercase().contains("x-csrf-token"),
        "the token is sent"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_docs_accepts_the_fixtures_and_explains_the_errata() {
    let out = gws(&["check-docs"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("explained by erratum E5"), "{stdout}");
    assert!(stdout.contains("E5   NON-STRICT"), "{stdout}");
    assert!(
        stdout.contains("ok   each declares draft 2020-12, its $id, a title and a description"),
        "{stdout}"
    );
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[test]
fn check_docs_fails_on_a_stale_erratum_and_a_schema_without_its_id() {
    let base = std::env::temp_dir().join(format!("gws-conform-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    for dir in ["fixtures", "schemas"] {
        std::fs::create_dir_all(base.join(dir)).unwrap();
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let entry = entry.unwrap();
            if entry.path().is_file() {
                std::fs::copy(entry.path(), base.join(dir).join(entry.file_name())).unwrap();
            }
        }
    }
    // The example follows the table: E5's failure goes away, so the erratum is stale.
    let fixture = base.join("fixtures/chat-started-status-change.json");
    let fixed = std::fs::read_to_string(&fixture)
        .unwrap()
        .replace("\"SwitchBargeIn\"", "\"SwitchToBargeIn\"");
    std::fs::write(&fixture, fixed).unwrap();
    let schema = base.join("schemas/version-response.schema.json");
    let renamed = std::fs::read_to_string(&schema).unwrap().replace(
        "schemas/version-response.schema.json",
        "schemas/version.schema.json",
    );
    std::fs::write(&schema, renamed).unwrap();
    let out = gws(&[
        "check-docs",
        "--fixtures",
        base.join("fixtures").to_str().unwrap(),
        "--schemas",
        base.join("schemas").to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL version-response.schema.json: $id is not https://gws-conform.dev/schemas/version-response.schema.json"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL E5: expects chat-started-status-change.json to fail its schema at /chat/capabilities/13, but it does not"),
        "{stdout}"
    );
    std::fs::remove_dir_all(base).unwrap();
}

#[test]
fn check_docs_fails_on_an_unexplained_fixture_error() {
    let dir = std::env::temp_dir().join(format!("gws-conform-fixtures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(repo().join("fixtures")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let broken = std::fs::read_to_string(dir.join("chat-completed-status-change-revoked.json"))
        .unwrap()
        .replace("\"Revoked\"", "\"Gone\"");
    std::fs::write(
        dir.join("chat-completed-status-change-revoked.json"),
        broken,
    )
    .unwrap();
    let out = gws(&["check-docs", "--fixtures", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("FAIL chat-completed-status-change-revoked.json /chat/state"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn coverage_requirements_and_check_docs_work_outside_a_checkout_from_the_built_in_suite() {
    let dir = std::env::temp_dir().join(format!("gws-conform-outside-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let coverage = gws_in(&dir, &["coverage"]);
    let inside = gws(&["coverage"]);
    let text = |out: &Output| String::from_utf8_lossy(&out.stdout).into_owned();
    let shown = |out: &Output| format!("{}{}", text(out), String::from_utf8_lossy(&out.stderr));
    assert_eq!(coverage.status.code(), Some(0), "{}", shown(&coverage));
    assert_eq!(
        text(&coverage),
        text(&inside),
        "the built-in suite is the checkout's"
    );
    let listed = gws_in(&dir, &["requirements"]);
    assert_eq!(listed.status.code(), Some(0), "{}", shown(&listed));
    let catalogue = std::fs::read_to_string(repo().join("scenarios/requirements.yaml")).unwrap();
    let ids = catalogue
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- id: "));
    for id in ids {
        assert!(text(&listed).contains(id), "{id} is not listed");
    }
    let checked = gws_in(&dir, &["check-docs"]);
    assert_eq!(checked.status.code(), Some(0), "{}", shown(&checked));
    let checked_here = gws(&["check-docs"]);
    let body = |out: &Output| text(out).lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(text(&checked).starts_with("Schema files (") && text(&checked).contains("built-in"));
    assert_eq!(
        body(&checked),
        body(&checked_here),
        "the built-in material is the checkout's"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_writes_the_built_in_suite_to_extend_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("gws-conform-init-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let written = gws(&["init", dir.to_str().unwrap()]);
    assert_eq!(written.status.code(), Some(0), "{:?}", written);
    for (sub, file) in [
        ("scenarios", "requirements.yaml"),
        ("scenarios", "one-supervisor-two-agents.yaml"),
        ("schemas", "notification.schema.json"),
        ("fixtures", "errata.json"),
        ("fixtures", "ERRATA.md"),
    ] {
        let copy = std::fs::read(dir.join(sub).join(file)).unwrap();
        assert_eq!(
            copy,
            std::fs::read(repo().join(sub).join(file)).unwrap(),
            "{sub}/{file}"
        );
    }
    // Run from there, the copies are what is read, and they are whole.
    let listed = gws_in(&dir, &["run", "--list"]);
    let inside = gws(&["run", "--list"]);
    assert_eq!(listed.stdout, inside.stdout);
    assert_eq!(gws_in(&dir, &["check-docs"]).status.code(), Some(0));
    let extended = dir.join("scenarios/my-own.yaml");
    std::fs::copy(
        repo().join("scenarios/one-supervisor-two-agents.yaml"),
        &extended,
    )
    .unwrap();
    let text = std::fs::read_to_string(&extended).unwrap();
    let renamed = text.replacen("name: one-supervisor-two-agents", "name: my-own", 1);
    std::fs::write(&extended, renamed).unwrap();
    let listed = gws_in(&dir, &["run", "--list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("my-own"));
    // A second init changes nothing and says why.
    let again = gws(&["init", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists; nothing was written"));
    assert!(extended.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn coverage_lists_every_requirement_and_fails_on_an_uncovered_one() {
    let out = gws(&["coverage"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 uncovered"), "{stdout}");
    let dir = scenario_dir("coverage", &["wrong-mode.yaml"]);
    let out = gws(&["coverage", "--scenarios", dir.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("CAP-MONITOR") && stdout.contains("UNCOVERED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CAP-COACH                MUST   wrong-mode"),
        "{stdout}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_built_in_suite_runs_from_any_directory() {
    let out = gws_in(
        &std::env::temp_dir(),
        &[
            "run",
            "chat-completed-revokes-supervisor",
            "--exact",
            "-j",
            "1",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("test chat-completed-revokes-supervisor ... ok"),
        "{stdout}"
    );
    // A finding of a built-in scenario names it as built in: there is no scenarios/ here.
    let out = gws_in(
        &std::env::temp_dir(),
        &[
            "run",
            "one-supervisor-two-agents",
            "--exact",
            "--fault",
            "monitor-mode-unknown",
            "--test-threads",
            "1",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("builtin:scenarios/one-supervisor-two-agents.yaml:"),
        "{stdout}"
    );
}

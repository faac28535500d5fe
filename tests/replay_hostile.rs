//! `gws-conform replay` on captures that are odd or hostile, and on targets that misbehave:
//! every replay ends, with a verdict and a note saying what it changed.
//!
//! - an entry dated years after the others is replayed after `--max-gap`, with a note;
//! - lone UTF-16 surrogate escapes (as browsers export text cut inside a character) are read
//!   as U+FFFD, with a note;
//! - a capture its recorder marked `interrupted` replays what it holds and says so (INFO);
//! - a target that accepts connections and never answers halts the group at its deadline
//!   (`--group-timeout`), with a `replay.deadline` finding;
//! - Ctrl-C stops a replay waiting out a long recorded gap: exit 130, the group NOT RUN;
//! - requests the recording saw refused as unauthenticated (401) are refused again: sent with
//!   credentials no target accepts, or with none, as recorded; an actor that only made such
//!   requests needs no profile user.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::har::{interrupt, scratch, wait_exit};
use support::{gws, json_lines, output_text};

/// The recorded `run --record` capture every case starts from.
fn recorded() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/replay-captures/run-record.har");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Writes `text` as `name` in a scratch directory of its own.
fn capture(name: &str, text: &str) -> PathBuf {
    let path = scratch(&format!("replay-hostile-{name}")).join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// `run-record.har` with its latest request dated ten years later.
fn with_an_entry_far_in_the_future() -> PathBuf {
    let mut har = recorded();
    let entries = har["log"]["entries"].as_array_mut().unwrap();
    let latest = entries
        .iter_mut()
        .max_by_key(|e| e["startedDateTime"].as_str().unwrap().to_owned())
        .unwrap();
    latest["startedDateTime"] = "2036-01-01T00:00:00.000Z".into();
    capture("future.har", &har.to_string())
}

/// The findings of a JSON Lines report with check `check`.
fn findings(report: &Path, check: &str) -> Vec<Value> {
    json_lines(report)
        .into_iter()
        .filter(|e| e["event"] == "finding" && e["check"] == check)
        .collect()
}

#[test]
fn a_long_recorded_gap_is_cut_to_max_gap_with_a_note() {
    let file = with_an_entry_far_in_the_future();
    let output = gws(&["replay", file.to_str().unwrap(), "--max-gap", "1s"]);
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let note = text
        .lines()
        .find(|line| line.contains("the recording is silent for"))
        .unwrap_or_else(|| panic!("the cut is noted: {text}"));
    assert!(
        note.contains(" d ") && note.ends_with("; replayed as 1 s"),
        "years, in days: {note}"
    );
}

#[test]
fn lone_surrogates_are_read_as_the_replacement_character_with_a_note() {
    let mut har = recorded();
    har["log"]["comment"] = "PLACEHOLDER".into();
    // A lone high surrogate, and a lone low one inside a request body's text.
    let text = har
        .to_string()
        .replace("\"PLACEHOLDER\"", r#""cut \ud83d here \udc00""#);
    let file = capture("surrogates.har", &text);
    let output = gws(&["replay", file.to_str().unwrap(), "--as-fast-as-possible"]);
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 lone UTF-16 surrogate escape(s)"),
        "noted: {text}"
    );
}

#[test]
fn an_interrupted_capture_replays_what_it_holds_and_says_so() {
    let mut har = recorded();
    har["log"]["_gwsStatus"] = "interrupted".into();
    har["log"]["comment"] =
        "recording interrupted: requests still in flight then are not included".into();
    let file = capture("interrupted.har", &har.to_string());
    let report = file.with_extension("jsonl");
    let output = gws(&[
        "replay",
        file.to_str().unwrap(),
        "--as-fast-as-possible",
        "--json",
        report.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let noted = findings(&report, "replay.capture");
    assert_eq!(noted.len(), 1, "{noted:#?}");
    assert_eq!(noted[0]["verdict"], "INFO");
    let message = noted[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`interrupted`") && message.contains("requests still in flight"),
        "the cut and its reason: {message}"
    );
}

#[test]
fn a_target_that_never_answers_halts_the_group_at_its_deadline() {
    // Accepts every connection (the kernel's backlog does) and never reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("http://{}", silent.local_addr().unwrap());
    let file = capture("silent.har", &recorded().to_string());
    let report = file.with_extension("jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        .args(["replay", file.to_str().unwrap(), "--target", &target])
        .args(["--group-timeout", "1s", "--json", report.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A hang guard, not a speed claim: without the deadline this waits for ever.
    let status = wait_exit(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(3), "nothing answered: could not run");
    let halted = findings(&report, "replay.deadline");
    assert_eq!(halted.len(), 1, "{halted:#?}");
    assert!(
        halted[0]["message"]
            .as_str()
            .unwrap()
            .contains("--group-timeout")
    );
    drop(silent);
}

#[test]
fn ctrl_c_stops_a_replay_waiting_out_a_recorded_gap() {
    let file = with_an_entry_far_in_the_future();
    let report = file.with_extension("jsonl");
    let console = file.with_extension("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        .args(["replay", file.to_str().unwrap(), "--max-gap", "1h"])
        .args(["--json", report.to_str().unwrap()])
        .stdout(std::fs::File::create(&console).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Once the replay has started its group, it waits out the gap.
    support::har::eventually(Duration::from_secs(60), "the group to start", || {
        std::fs::read_to_string(&console)
            .ok()
            .filter(|text| text.contains("running 1 group"))
    });
    interrupt(&child);
    let status = wait_exit(&mut child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(130));
    let stopped = findings(&report, "replay.stopped");
    assert_eq!(stopped.len(), 1, "{stopped:#?}");
    assert!(
        stopped[0]["message"]
            .as_str()
            .unwrap()
            .contains("interrupted")
    );
}

#[test]
fn requests_refused_as_unauthenticated_are_replayed_as_such() {
    let mut har = recorded();
    let entries = har["log"]["entries"].as_array_mut().unwrap();
    let me = entries
        .iter()
        .find(|e| {
            e["_gwsActor"] == "agent"
                && e["request"]["method"] == "GET"
                && e["request"]["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/api/v2/me")
        })
        .unwrap()
        .clone();
    let refused = |actor: &str, seq: u64, authorization: bool| {
        let mut entry = me.clone();
        entry["_gwsActor"] = actor.into();
        entry["_gwsSeq"] = (seq * 1000).into();
        if !authorization {
            entry["request"]["headers"] = json!([]);
        }
        entry["response"]["status"] = 401.into();
        entry["response"]["statusText"] = "Unauthorized".into();
        entry["response"]["content"] = json!({"size": 0, "mimeType": "text/plain"});
        entry
    };
    // The agent once gave a wrong password; a stranger (no profile user) tried without any.
    entries.push(refused("agent", 1001, true));
    entries.push(refused("stranger", 1002, false));
    let file = capture("unauthenticated.har", &har.to_string());
    let output = gws(&["replay", file.to_str().unwrap(), "--as-fast-as-possible"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}

//! `run --repeat N`: every repetition is a trial on the terminal, the reports hold one trial
//! per scenario with how its repetitions went, and any failed repetition fails the run.

mod support;

use std::path::Path;

use support::gws_in;

/// The JSON lines of `file` with `"event": event`.
fn events(file: &Path, event: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|value| value["event"] == event)
        .collect()
}

#[test]
fn a_repeated_passing_scenario_passes_with_its_repetitions_counted() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("events.jsonl");
    let out = gws_in(
        dir.path(),
        &["run", "cancel-monitoring", "--exact", "--repeat", "3"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for run in 1..=3 {
        assert!(
            stdout.contains(&format!("test cancel-monitoring (run {run}/3) ... ok")),
            "{stdout}"
        );
    }
    assert!(
        stdout.contains("1 passed; 0 failed (0 of them flaky);"),
        "{stdout}"
    );
    let out = gws_in(
        dir.path(),
        &[
            "run",
            "cancel-monitoring",
            "--exact",
            "--repeat",
            "2",
            "--json",
            json.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    let finished = events(&json, "scenario_finished");
    assert_eq!(finished.len(), 1, "{finished:?}");
    assert_eq!(
        finished[0]["repetitions"],
        serde_json::json!({"runs": 2, "failed": 0})
    );
    assert_eq!(events(&json, "summary")[0]["flaky"], 0);
}

#[test]
fn a_repeated_failure_fails_in_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir(&scenarios).unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        repo.join("tests/golden/wrong-mode.yaml"),
        scenarios.join("wrong-mode.yaml"),
    )
    .unwrap();
    let (json, junit) = (dir.path().join("e.jsonl"), dir.path().join("r.xml"));
    let out = gws_in(
        dir.path(),
        &[
            "run",
            "--repeat",
            "2",
            "--json",
            json.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("0 passed; 1 failed (0 of them flaky);"),
        "{stdout}"
    );
    assert!(!stdout.contains("FLAKY"), "failed every time: {stdout}");
    let finished = events(&json, "scenario_finished");
    assert_eq!(finished[0]["outcome"], "failed");
    assert_eq!(
        finished[0]["repetitions"],
        serde_json::json!({"runs": 2, "failed": 2})
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("failed 2 of 2 runs: [CAP-"), "{xml}");
}

#[test]
fn a_repeat_count_outside_1_to_100000_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["0", "many", "1.5", "100001"] {
        let out = gws_in(dir.path(), &["run", "--list", "--repeat", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--repeat"));
    }
}

//! Accepted deviations through the binary (`--baseline FILE`, `--baseline-update`), against
//! the embedded reference server with seeded faults:
//!
//! - a run with a fault writes its deviations with `--baseline-update` (exit 0); the same run
//!   with `--baseline` passes and reports them as KNOWN (terminal, JSON, JUnit); a run with
//!   another fault fails on the new deviation and lists the entry that no longer occurs; a
//!   clean run passes and lists it too; an update then drops it;
//! - `--strict` still fails on a new NON-STRICT deviation, not on a known one;
//! - a run of other scenarios neither calls an entry stale nor drops it on update;
//! - `replay` takes the same flags;
//! - a missing or malformed baseline is bad input (exit 2), nothing run;
//! - the file `--baseline-update` writes is an output like the reports: checked before
//!   anything runs, `-` is standard output, and the terminal report (known deviations
//!   included) goes to stderr when an output is `-`.
//!
//! Every file is written in a fresh temporary directory per test.

mod support;

use std::path::{Path, PathBuf};

use gws_conform::check::Verdict;
use gws_conform::verdict::baseline::Baseline;
use serde_json::Value;
use support::har::scratch;
use support::json_lines;

/// The scenario the runs use: short, and caught by every fault below.
const SCENARIO: &str = "agent-accepts-under-monitoring";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the binary did.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    /// Both streams, for assertion messages.
    fn shown(&self) -> String {
        format!("{}\n--- stderr ---\n{}", self.stdout, self.stderr)
    }
}

/// Runs the binary in the repository's directory, to the end.
fn gws(args: &[&str]) -> Ran {
    let output = support::gws(args);
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `run --exact SCENARIO` with each of `faults` seeded, and `extra` arguments.
fn run(faults: &[&str], extra: &[&str]) -> Ran {
    let mut args = vec!["run", "--exact", SCENARIO];
    for fault in faults {
        args.extend(["--fault", fault]);
    }
    args.extend(extra);
    gws(&args)
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn summary(events: &[Value]) -> &Value {
    let last = events.last().unwrap();
    assert_eq!(last["event"], "summary");
    last
}

#[test]
fn a_recorded_deviation_is_known_until_it_changes_or_goes_away() {
    let dir = scratch("baseline-lifecycle");
    let file = dir.join("accepted.yaml");
    let (json, junit) = (dir.join("events.jsonl"), dir.join("report.xml"));
    let fault = "status-change-misnamed";

    // Recorded: the run passes, and says what it wrote.
    let update = run(&[fault], &["--baseline", text(&file), "--baseline-update"]);
    assert_eq!(update.code, Some(0), "{}", update.shown());
    assert!(
        update
            .stderr
            .contains(&format!("baseline: wrote 1 entry to {}", file.display())),
        "{}",
        update.shown()
    );
    let written = std::fs::read_to_string(&file).unwrap();
    let baseline = Baseline::load(&file).unwrap();
    assert_eq!(baseline.entries().len(), 1, "{written}");
    let entry = &baseline.entries()[0];
    assert_eq!(
        (entry.requirement.as_str(), entry.check.as_str()),
        ("NOTIF-SCHEMA", "schema")
    );
    assert_eq!(
        entry.signature,
        "NOTIF-SCHEMA schema: agent notification ##: unknown notificationType \"StatusChanged\" for \"ChatStateChangeMessage\"",
        "ids and numbers are masked: {written}"
    );
    assert_eq!(entry.verdict, Some(Verdict::Fail));
    assert_eq!(entry.scenarios, [SCENARIO]);
    assert!(written.starts_with("# Deviations accepted"), "{written}");
    assert!(
        !dir.read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")),
        "written atomically: no temporary file left"
    );

    // Judged against it: the same deviation is KNOWN and fails nothing.
    let known = run(
        &[fault],
        &[
            "--baseline",
            text(&file),
            "--json",
            text(&json),
            "--junit",
            text(&junit),
        ],
    );
    let shown = known.shown();
    assert_eq!(known.code, Some(0), "{shown}");
    assert!(
        known.stdout.contains(&format!("test {SCENARIO} ... ok (")),
        "{shown}"
    );
    assert!(known.stdout.contains(") known: NOTIF-SCHEMA\n"), "{shown}");
    assert!(
        known.stdout.contains(&format!(
            "known deviations (accepted by the baseline {}):\nKNOWN [NOTIF-SCHEMA] schema: agent notification #",
        file.display()
        )),
        "{shown}"
    );
    assert!(!known.stdout.contains("root causes:"), "{shown}");
    assert!(known.stdout.contains("requirements: 1 KNOWN"), "{shown}");
    assert!(known.stdout.contains("test result: ok."), "{shown}");
    assert!(!known.stdout.contains("no longer occur"), "{shown}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        written,
        "judging never rewrites the file"
    );
    let stream = json_lines(&json);
    let failures: Vec<&Value> = stream
        .iter()
        .filter(|e| e["event"] == "finding" && e["verdict"] == "FAIL")
        .collect();
    assert!(
        failures.iter().any(|f| f["requirement"] == "NOTIF-SCHEMA"),
        "the deviation is still found: {failures:?}"
    );
    assert!(
        failures.iter().all(|f| f["known"] == true),
        "every failure is known, consequences included: {failures:#?}"
    );
    let requirement = stream
        .iter()
        .find(|e| e["event"] == "requirement" && e["requirement"] == "NOTIF-SCHEMA")
        .unwrap();
    assert_eq!(requirement["status"], "KNOWN");
    assert_eq!(requirement["root_causes"][0]["known"], true);
    let totals = summary(&stream);
    assert_eq!(totals["known"], 1);
    assert_eq!(totals["passed"], 1);
    assert_eq!(totals["failed"], 0);
    assert_eq!(totals["requirements"]["KNOWN"], 1);
    assert_eq!(totals["stale_baseline_entries"], serde_json::json!([]));
    assert_eq!(totals["baseline"], text(&file));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(xml.contains("FAIL (known) [NOTIF-SCHEMA] schema:"), "{xml}");
    assert!(
        xml.contains("known: every deviation found is accepted by the baseline"),
        "{xml}"
    );

    // Another fault: a new failure (exit 1), and the recorded deviation no longer occurs.
    let changed = run(
        &["timestamp-in-seconds"],
        &["--baseline", text(&file), "--json", text(&json)],
    );
    let shown = changed.shown();
    assert_eq!(changed.code, Some(1), "{shown}");
    assert!(
        changed
            .stdout
            .contains(&format!("test {SCENARIO} ... FAILED (")),
        "{shown}"
    );
    assert!(
        changed.stdout.contains("FAIL [NOTIF-SCHEMA] schema:"),
        "{shown}"
    );
    assert!(changed.stdout.contains("timestampSeconds"), "{shown}");
    assert!(changed.stdout.contains("test result: FAILED."), "{shown}");
    let stale = format!(
        "baseline: 1 entry no longer occurs (prune it, or rewrite {} with --baseline-update):\n    \
         [NOTIF-SCHEMA] schema: agent notification ##: unknown notificationType \"StatusChanged\" for \"ChatStateChangeMessage\"\n",
        file.display()
    );
    assert!(changed.stdout.contains(&stale), "{shown}");
    let stream = json_lines(&json);
    let totals = summary(&stream);
    assert_eq!(totals["known"], 0);
    assert_eq!(totals["failed"], 1);
    assert_eq!(
        totals["stale_baseline_entries"][0]["signature"].as_str(),
        Some(entry.signature.as_str())
    );
    assert!(
        stream
            .iter()
            .filter(|e| e["event"] == "finding")
            .all(|f| f.get("known").is_none()),
        "nothing of another fault is known"
    );

    // Fixed: the run passes and says the entry can go.
    let clean = run(&[], &["--baseline", text(&file)]);
    assert_eq!(clean.code, Some(0), "{}", clean.shown());
    assert!(
        clean.stdout.contains("test result: ok."),
        "{}",
        clean.shown()
    );
    assert!(clean.stdout.contains(&stale), "{}", clean.shown());

    // And an update drops it.
    let pruned = run(&[], &["--baseline", text(&file), "--baseline-update"]);
    assert_eq!(pruned.code, Some(0), "{}", pruned.shown());
    assert!(
        pruned.stderr.contains("wrote 0 entries")
            && pruned.stderr.contains("1 no longer occurring dropped"),
        "{}",
        pruned.shown()
    );
    assert!(Baseline::load(&file).unwrap().entries().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn strict_still_fails_on_new_non_strict_deviations() {
    let dir = scratch("baseline-strict");
    let (empty, recorded) = (dir.join("empty.yaml"), dir.join("recorded.yaml"));
    std::fs::write(&empty, "format_version: 1\nentries: []\n").unwrap();
    // JOIN-ORDER is a SHOULD: the swapped order is NON-STRICT, failing only under --strict.
    let fault = "join-order-swapped";
    let plain = run(&[fault], &["--baseline", text(&empty)]);
    assert_eq!(plain.code, Some(0), "{}", plain.shown());
    let strict = run(&[fault], &["--strict", "--baseline", text(&empty)]);
    assert_eq!(strict.code, Some(1), "{}", strict.shown());
    assert!(
        strict.stdout.contains("FAIL (strict) [JOIN-ORDER]"),
        "{}",
        strict.shown()
    );

    let update = run(
        &[fault],
        &[
            "--strict",
            "--baseline",
            text(&recorded),
            "--baseline-update",
        ],
    );
    assert_eq!(update.code, Some(0), "{}", update.shown());
    let entries = Baseline::load(&recorded).unwrap().entries().to_vec();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].requirement, "JOIN-ORDER");
    assert_eq!(entries[0].verdict, Some(Verdict::NonStrict));
    let known = run(&[fault], &["--strict", "--baseline", text(&recorded)]);
    assert_eq!(known.code, Some(0), "{}", known.shown());
    assert!(
        known.stdout.contains("KNOWN [JOIN-ORDER] expect.order:"),
        "{}",
        known.shown()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_partial_run_neither_prunes_nor_judges_entries_of_other_scenarios() {
    let dir = scratch("baseline-partial");
    let file = dir.join("accepted.yaml");
    let other = "format_version: 1\nentries:\n\
        - requirement: CAP-MONITOR\n  check: schema\n  signature: 'CAP-MONITOR schema: capabilities'\n  scenarios: [join-monitor-mode]\n";
    std::fs::write(&file, other).unwrap();
    let judged = run(&[], &["--baseline", text(&file)]);
    assert_eq!(judged.code, Some(0), "{}", judged.shown());
    assert!(
        judged.stdout.contains(
            "baseline: 1 entry not checked (none of the scenarios it lists ran to a verdict)"
        ),
        "{}",
        judged.shown()
    );
    assert!(
        !judged.stdout.contains("no longer occur"),
        "{}",
        judged.shown()
    );
    let update = run(&[], &["--baseline", text(&file), "--baseline-update"]);
    assert_eq!(update.code, Some(0), "{}", update.shown());
    assert!(
        update.stderr.contains("wrote 1 entry to")
            && update
                .stderr
                .contains("1 kept from scenarios that did not run"),
        "{}",
        update.shown()
    );
    let kept = Baseline::load(&file).unwrap();
    assert_eq!(kept.entries()[0].scenarios, ["join-monitor-mode"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn replay_takes_the_baseline_too() {
    let dir = scratch("baseline-replay");
    let file = dir.join("accepted.yaml");
    let capture = repo().join("tests/replay-captures/run-record.har");
    let replay = |fault: Option<&str>, extra: &[&str]| {
        let mut args = vec!["replay", text(&capture), "--as-fast-as-possible"];
        if let Some(fault) = fault {
            args.extend(["--fault", fault]);
        }
        args.extend(extra);
        gws(&args)
    };
    let fault = Some("reference-id-wrong");
    let plain = replay(fault, &[]);
    assert_eq!(plain.code, Some(1), "{}", plain.shown());
    let update = replay(fault, &["--baseline", text(&file), "--baseline-update"]);
    assert_eq!(update.code, Some(0), "{}", update.shown());
    let recorded = Baseline::load(&file).unwrap().entries().len();
    assert!(recorded > 0);
    let known = replay(fault, &["--baseline", text(&file)]);
    assert_eq!(known.code, Some(0), "{}", known.shown());
    assert!(
        known
            .stdout
            .contains("KNOWN [REPLAY-DIFF] replay.notification:"),
        "{}",
        known.shown()
    );
    let clean = replay(None, &["--baseline", text(&file)]);
    assert_eq!(clean.code, Some(0), "{}", clean.shown());
    assert!(
        clean
            .stdout
            .contains(&format!("baseline: {recorded} entries no longer occur")),
        "{}",
        clean.shown()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_or_malformed_baseline_is_bad_input() {
    let dir = scratch("baseline-bad");
    let missing = dir.join("missing.yaml");
    let ran = run(&[], &["--baseline", text(&missing)]);
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert!(
        ran.stderr
            .contains("missing.yaml: the baseline file does not exist"),
        "{}",
        ran.shown()
    );
    assert!(ran.stderr.contains("nothing was run"), "{}", ran.shown());
    assert!(!ran.stdout.contains("running"), "{}", ran.shown());

    let bad = dir.join("bad.yaml");
    let malformed = "format_version: 1\nentries:\n- requirement: MON-MODE\n  chek: expect\n";
    std::fs::write(&bad, malformed).unwrap();
    let ran = run(&[], &["--baseline", text(&bad)]);
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert!(ran.stderr.contains("bad.yaml:4:3"), "{}", ran.shown());
    assert!(
        ran.stderr.contains("unknown field `chek`"),
        "{}",
        ran.shown()
    );
    assert!(!ran.stdout.contains("running"), "{}", ran.shown());
    // An update reads the file too (it keeps entries of scenarios not run): it refuses a
    // malformed one rather than overwrite it.
    let ran = run(&[], &["--baseline", text(&bad), "--baseline-update"]);
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), malformed);

    std::fs::write(&bad, "format_version: 7\nentries: []\n").unwrap();
    let ran = run(&[], &["--baseline", text(&bad)]);
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert!(ran.stderr.contains("bad.yaml:1:17"), "{}", ran.shown());
    assert!(
        ran.stderr.contains("format_version 7 is not supported"),
        "{}",
        ran.shown()
    );

    // The flags' combinations: an update needs its file, and --fail-fast would leave
    // deviations out of it.
    let ran = run(&[], &["--baseline-update"]);
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    let ran = run(
        &[],
        &[
            "--baseline",
            text(&missing),
            "--baseline-update",
            "--fail-fast",
        ],
    );
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert!(!missing.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_baseline_is_an_output_like_the_reports() {
    let dir = scratch("baseline-output");
    let file = dir.join("accepted.yaml");
    let fault = "status-change-misnamed";

    // The file --baseline-update will write is checked before anything runs, with the reports.
    let nowhere = dir.join("missing-dir").join("accepted.yaml");
    let ran = run(
        &[fault],
        &["--baseline", text(&nowhere), "--baseline-update"],
    );
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert!(ran.stderr.contains("error: --baseline "), "{}", ran.shown());
    assert!(ran.stderr.contains("does not exist"), "{}", ran.shown());
    assert!(!ran.stdout.contains("running"), "{}", ran.shown());
    let shared = dir.join("shared");
    let ran = run(
        &[fault],
        &[
            "--json",
            text(&shared),
            "--baseline",
            text(&shared),
            "--baseline-update",
        ],
    );
    assert_eq!(ran.code, Some(2), "{}", ran.shown());
    assert!(
        ran.stderr.contains("--json writes there too"),
        "{}",
        ran.shown()
    );
    assert!(!shared.exists());

    // Written to standard output: the YAML alone there, the terminal report on stderr.
    let update = run(&[fault], &["--baseline", "-", "--baseline-update"]);
    assert_eq!(update.code, Some(0), "{}", update.shown());
    assert!(
        update.stdout.starts_with("# Deviations accepted"),
        "{}",
        update.shown()
    );
    assert!(
        update.stderr.contains("test result: ok."),
        "{}",
        update.shown()
    );
    assert!(
        update
            .stderr
            .contains("baseline: wrote 1 entry to standard output"),
        "{}",
        update.shown()
    );
    std::fs::write(&file, &update.stdout).unwrap();
    assert_eq!(Baseline::load(&file).unwrap().entries().len(), 1);

    // With the JSON report on standard output, the known deviations go to stderr with the
    // rest of the terminal report.
    let known = run(&[fault], &["--baseline", text(&file), "--json", "-"]);
    assert_eq!(known.code, Some(0), "{}", known.shown());
    assert!(
        known.stderr.contains("KNOWN [NOTIF-SCHEMA] schema:")
            && known.stderr.contains(") known: NOTIF-SCHEMA\n"),
        "{}",
        known.shown()
    );
    for line in known.stdout.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line}\n{}", known.shown()));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

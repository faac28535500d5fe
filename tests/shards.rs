//! Scale out: the shards of one run (`run --partition K/N`) or of one replay (`replay
//! --partition K/N`), each with its own JSON Lines stream as on its own machine, merged by
//! `gws-conform report`, make the report of the whole run: the same exit code, the same
//! requirement matrix (the HTML page's), the same JUnit test cases and the same counts.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;

use scraper::{Html, Selector};
use support::{gws_in, output_text};

/// How many machines the runs are spread over.
const SHARDS: usize = 3;

/// What a report says, apart from times: the exit code, the matrix rows (requirement, level,
/// verdict, scenarios), the JUnit test cases (name, and whether they failed) and the result
/// line's counts.
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    code: Option<i32>,
    matrix: Vec<String>,
    cases: Vec<(String, bool)>,
    counts: String,
}

/// The verdict of `report streams` (an HTML page and a JUnit file written beside them).
fn reported(dir: &Path, name: &str, streams: &[PathBuf]) -> Verdict {
    let (html, junit) = (
        dir.join(format!("{name}.html")),
        dir.join(format!("{name}.xml")),
    );
    let mut args = vec!["report".to_owned()];
    args.extend(streams.iter().map(|s| s.display().to_string()));
    args.extend(
        [
            "--html",
            html.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ]
        .map(String::from),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = gws_in(dir, &args);
    let page = Html::parse_document(&std::fs::read_to_string(&html).unwrap());
    let rows = Selector::parse("#matrix tr.requirement").unwrap();
    let matrix = page
        .select(&rows)
        .map(|row| {
            let text = row.text().collect::<Vec<_>>().join(" ");
            idless(&text.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .collect();
    let junit = std::fs::read_to_string(&junit).unwrap();
    let mut cases: Vec<(String, bool)> = junit
        .split("<testcase ")
        .skip(1)
        .map(|case| {
            let name = case
                .split("name=\"")
                .nth(1)
                .and_then(|n| n.split('"').next());
            let body = case.split("</testcase>").next().unwrap_or_default();
            (
                name.unwrap_or_default().to_owned(),
                body.contains("<failure"),
            )
        })
        .collect();
    cases.sort();
    let text = output_text(&out);
    let counts = text
        .lines()
        .find(|line| line.starts_with("test result:"))
        .map(|line| {
            line.split("; finished in")
                .next()
                .unwrap_or(line)
                .to_owned()
        })
        .unwrap_or_else(|| panic!("no result line: {text}"));
    Verdict {
        code: out.status.code(),
        matrix,
        cases,
        counts,
    }
}

/// `text` with the ids the server handed out in a run (quoted, 12 or more hex digits and
/// dashes) as `<id>`: two runs of one scenario get other ids.
fn idless(text: &str) -> String {
    let quoted = text.split('"').enumerate().map(|(i, part)| {
        let id = part.len() >= 12 && part.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
        if i % 2 == 1 && id { "<id>" } else { part }
    });
    quoted.collect::<Vec<_>>().join("\"")
}

/// Runs `gws-conform args --json stream` in `dir`, and returns the stream and what was printed.
fn streamed(dir: &Path, args: &[&str], stream: &str) -> (PathBuf, Output) {
    let path = dir.join(stream);
    let mut all = args.to_vec();
    all.extend(["--json", path.to_str().unwrap()]);
    let out = gws_in(dir, &all);
    assert!(
        path.exists(),
        "{args:?} wrote no stream: {}",
        output_text(&out)
    );
    (path, out)
}

/// The whole run's verdict and the merged shards' verdict of `args` (a `run` or a `replay`).
fn whole_and_merged(dir: &Path, args: &[&str]) -> (Verdict, Verdict) {
    let (whole, whole_out) = streamed(dir, args, "whole.jsonl");
    let shards: Vec<PathBuf> = (1..=SHARDS)
        .map(|shard| {
            let partition = format!("{shard}/{SHARDS}");
            let mut sharded = args.to_vec();
            sharded.extend(["--partition", &partition]);
            let (stream, out) = streamed(dir, &sharded, &format!("shard-{shard}.jsonl"));
            assert_ne!(out.status.code(), Some(2), "{}", output_text(&out));
            stream
        })
        .collect();
    let merged = reported(dir, "merged", &shards);
    let whole_report = reported(dir, "whole", &[whole]);
    assert_eq!(
        whole_report.code,
        whole_out.status.code(),
        "the report of the whole stream agrees with its run: {}",
        output_text(&whole_out)
    );
    (whole_report, merged)
}

#[test]
fn merged_shards_of_a_run_report_what_the_whole_run_does() {
    let dir = tempfile::tempdir().unwrap();
    // A run with failures (a seeded fault) and requirements each shard leaves not run.
    let args = [
        "run",
        "switch",
        "--skip",
        "switch-after-switch",
        "--fault",
        "switch-to-coach-ignored",
    ];
    let (whole, merged) = whole_and_merged(dir.path(), &args);
    assert_eq!(whole.code, Some(1), "the fault fails the run: {whole:?}");
    assert!(whole.cases.iter().any(|(_, failed)| *failed));
    assert!(whole.counts.contains("filtered out"), "{}", whole.counts);
    assert_eq!(merged, whole);
}

#[test]
fn merged_shards_of_a_replay_report_what_the_whole_replay_does() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("capture.har");
    let recorded = gws_in(
        dir.path(),
        &["run", "switch-", "--record", capture.to_str().unwrap()],
    );
    assert_eq!(
        recorded.status.code(),
        Some(0),
        "{}",
        output_text(&recorded)
    );
    let args = [
        "replay",
        capture.to_str().unwrap(),
        "--as-fast-as-possible",
        "--fault",
        "switch-to-bargein-unannounced",
    ];
    let (whole, merged) = whole_and_merged(dir.path(), &args);
    assert_eq!(
        whole.code,
        Some(1),
        "the fault shows in the replay: {whole:?}"
    );
    assert_eq!(merged, whole);
}

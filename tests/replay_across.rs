//! Captures cross between implementations that differ only where the documents allow: the
//! whole suite recorded against the reference server with legal variants on replays with no
//! difference against the default server, and the default recording against the variants.
//!
//! Each variant is one choice of docs/rulings.md that two conforming servers may make
//! differently; [`CROSSING`] lists those replay tolerates, all switched on at once (a server
//! makes all its choices together), so one recording and two replays cover every one of them
//! and their combinations: every variant the reference server has.

mod support;

use std::path::Path;

use support::har::scratch;
use support::{gws, output_text};

/// The legal variants a capture crosses, both ways: all of `gws-conform serve --list-variants`.
const CROSSING: &[&str] = &[
    "own-chat-ids",
    "refusals-400",
    "other-origin",
    "context-path",
    "indexes-skip",
    "extra-fields",
    "transfer-revokes-initiator",
    "repeated-cancel-succeeds",
    "batched-logs",
    "split-deliveries",
    "cometd-advice",
    "keys-reversed",
    "reference-ids-as-documented",
    "other-time-zone",
    "log-before-participants",
    "routing-newest-ready",
    "uuid-ids",
    "supervisor-leave-left-chat",
    "ready-on-me-only",
    "set-in-focus-notifies",
    "agents-start-ready",
    "merged-join",
    "switch-logged-as-join",
];

/// `--variant NAME` for each of `variants`.
fn variant_args<'a>(variants: &[&'a str]) -> Vec<&'a str> {
    variants.iter().flat_map(|v| ["--variant", *v]).collect()
}

/// Records the whole suite (with `variants` on) into `path`.
fn record(path: &Path, variants: &[&str]) {
    let mut args = vec!["run", "--record", path.to_str().unwrap()];
    args.extend(variant_args(variants));
    let output = gws(&args);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}

/// Replays `path` against the embedded server (with `variants` on); the output when it found
/// differences.
fn replay_differences(path: &Path, variants: &[&str]) -> Option<String> {
    let mut args = vec!["replay", path.to_str().unwrap(), "--as-fast-as-possible"];
    args.extend(variant_args(variants));
    let output = gws(&args);
    (output.status.code() != Some(0)).then(|| output_text(&output))
}

#[test]
fn captures_cross_between_legal_variants_both_ways() {
    let dir = scratch("replay-across");
    let (default, varied) = (dir.join("default.har"), dir.join("variants.har"));
    record(&default, &[]);
    record(&varied, CROSSING);
    let mut failures = Vec::new();
    if let Some(text) = replay_differences(&varied, &[]) {
        failures.push(format!(
            "recorded with {CROSSING:?}, replayed on default:\n{text}"
        ));
    }
    if let Some(text) = replay_differences(&default, CROSSING) {
        failures.push(format!(
            "recorded on default, replayed with {CROSSING:?}:\n{text}"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_legal_variant_crosses() {
    let output = gws(&["serve", "--list-variants"]);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
    let listed: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("#choice-"))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(!listed.is_empty(), "{}", output_text(&output));
    let missing: Vec<&String> = listed
        .iter()
        .filter(|name| !CROSSING.contains(&name.as_str()))
        .collect();
    assert!(missing.is_empty(), "variants not in CROSSING: {missing:?}");
}

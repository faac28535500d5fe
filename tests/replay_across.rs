//! Captures cross between implementations that differ only where the documents allow: the
//! whole suite recorded against the reference server with legal variants on replays with no
//! difference against the default server, and the default recording against the variants.
//!
//! Each variant is one choice of docs/rulings.md that two conforming servers may make
//! differently; [`CROSSING`] lists those replay tolerates, all switched on at once (a server
//! makes all its choices together). docs/replay.md, "Across implementations", names the
//! variants a capture does not cross yet.

mod support;

use std::path::Path;

use support::har::scratch;
use support::{gws, output_text};

/// The legal variants a capture crosses, both ways.
const CROSSING: &[&str] = &["own-chat-ids"];

/// Records the whole suite (with `variant` on, if any) into `path`.
fn record(path: &Path, variant: Option<&str>) {
    let mut args = vec!["run", "--record", path.to_str().unwrap()];
    args.extend(variant.map(|v| ["--variant", v]).into_iter().flatten());
    let output = gws(&args);
    assert_eq!(output.status.code(), Some(0), "{}", output_text(&output));
}

/// Replays `path` against the embedded server (with `variant` on, if any); the output when
/// it found differences.
fn replay_differences(path: &Path, variant: Option<&str>) -> Option<String> {
    let mut args = vec!["replay", path.to_str().unwrap(), "--as-fast-as-possible"];
    args.extend(variant.map(|v| ["--variant", v]).into_iter().flatten());
    let output = gws(&args);
    (output.status.code() != Some(0)).then(|| output_text(&output))
}

#[test]
fn captures_cross_between_legal_variants_both_ways() {
    let dir = scratch("replay-across");
    let default = dir.join("default.har");
    record(&default, None);
    let mut failures = Vec::new();
    for &variant in CROSSING {
        let recorded = dir.join(format!("{variant}.har"));
        record(&recorded, Some(variant));
        if let Some(text) = replay_differences(&recorded, None) {
            failures.push(format!(
                "recorded with {variant}, replayed on default:\n{text}"
            ));
        }
        if let Some(text) = replay_differences(&default, Some(variant)) {
            failures.push(format!(
                "recorded on default, replayed with {variant}:\n{text}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

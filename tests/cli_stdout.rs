//! Every command that prints on standard output survives a reader that closed the pipe early
//! (`gws-conform run --list | head -1`): no panic message, and the command's own exit code.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `gws-conform args` in `dir` with standard output a pipe whose reader is already gone,
/// so every write fails with a broken pipe; returns the exit code and standard error.
fn into_closed_pipe_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        // Runs record their failed scenarios (`--last-failed`): never in the real home.
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .expect("run gws-conform");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn listings_into_a_closed_pipe_end_quietly_with_their_own_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let commands: [&[&str]; 8] = [
        &["run", "--list"],
        &["coverage"],
        &["requirements"],
        &["check-docs"],
        &["completions", "bash"],
        &["man"],
        &["serve", "--list-faults"],
        &["serve", "--list-variants"],
    ];
    for args in commands {
        // From an empty directory: the built-in suite, whatever the checkout holds.
        let (code, stderr) = into_closed_pipe_in(dir.path(), args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_failing_listing_into_a_closed_pipe_keeps_its_failure_code() {
    // The catalogue with one scenario: most requirements are uncovered, so coverage exits 1.
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for (from, to) in [
        ("scenarios/requirements.yaml", "requirements.yaml"),
        ("tests/golden/wrong-mode.yaml", "wrong-mode.yaml"),
    ] {
        std::fs::copy(repo.join(from), dir.path().join(to)).unwrap();
    }
    let scenarios = dir.path().to_str().unwrap();
    let (code, stderr) = into_closed_pipe_in(dir.path(), &["coverage", "--scenarios", scenarios]);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(code, Some(1), "{stderr}");
}

#[test]
fn a_listing_read_to_the_end_is_whole() {
    let out = Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        // Runs record their failed scenarios (`--last-failed`): never in the real home.
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .args(["run", "--list", "cancel-monitoring", "--exact"])
        .output()
        .expect("run gws-conform");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "cancel-monitoring\n");
}

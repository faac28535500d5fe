//! What an installed `gws-conform` brings along: shell completion scripts
//! (`completions SHELL`, clap_complete) and man pages (`man [DIR]`, clap_mangen), both
//! generated from the command-line definitions.

use std::path::PathBuf;
use std::process::{Command, Output};

fn gws(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        .args(args)
        .output()
        .expect("run gws-conform")
}

/// Standard output of a command that must succeed.
fn stdout_of(args: &[&str]) -> String {
    let out = gws(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The subcommands every completion script and the main man page name.
const SUBCOMMANDS: [&str; 12] = [
    "run",
    "explore",
    "serve",
    "proxy",
    "replay",
    "report",
    "check-docs",
    "coverage",
    "requirements",
    "init",
    "completions",
    "man",
];

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell}: no `{sub}` in\n{script}");
        }
    }
    let bash = stdout_of(&["completions", "bash"]);
    assert!(bash.contains("complete ") && bash.contains("gws-conform"));
    assert!(bash.contains("replay") && bash.contains("--wait-for-target"));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = gws(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("possible values"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn the_man_page_is_roff_naming_the_subcommands() {
    for command in ["man", "man-page"] {
        let page = stdout_of(&[command]);
        assert!(page.contains(".TH gws-conform 1"), "{page}");
        assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
        for sub in SUBCOMMANDS {
            assert!(
                page.contains(&format!("gws\\-conform\\-{}(1)", sub.replace('-', "\\-"))),
                "no `{sub}` in\n{page}"
            );
        }
    }
}

#[test]
fn man_dir_writes_one_page_per_subcommand() {
    let dir = std::env::temp_dir().join(format!("gws-conform-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let listed = stdout_of(&["man", dir.to_str().unwrap()]);
    let mut expected: Vec<PathBuf> = vec![dir.join("gws-conform.1")];
    expected.extend(SUBCOMMANDS.map(|sub| dir.join(format!("gws-conform-{sub}.1"))));
    for page in &expected {
        let text = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{page:?}: {e}"));
        assert!(text.contains(".TH "), "{page:?}");
        assert!(listed.contains(&page.display().to_string()), "{listed}");
    }
    let run = std::fs::read_to_string(dir.join("gws-conform-run.1")).unwrap();
    assert!(run.contains("wait\\-for\\-target"), "{run}");
    assert!(run.contains("GWS_CONFORM_TARGET"), "{run}");
    // `help` has no page: it is not a command of its own here.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), expected.len());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn man_into_a_missing_directory_is_bad_input() {
    let missing = std::env::temp_dir().join(format!("gws-conform-no-man-{}", std::process::id()));
    let out = gws(&["man", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a directory"));
}

//! The bad-files corpus (`tests/bad_files/`, format in its README.md): the real binary rejects
//! every malformed scenario and profile with exit code 2 and the expected diagnostic, without
//! panicking, running anything, hanging or blowing up its memory. One trial per corpus file,
//! found by listing the corpus, so a new file is a new case.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

/// The binary must have answered by then (a debug build answers in well under a second).
const DEADLINE: Duration = Duration::from_secs(20);
/// Peak resident memory allowed to the binary (it needs about 35 MiB; an unbounded alias bomb
/// needs gigabytes).
const MAX_PEAK_KIB: u64 = 256 * 1024;
/// The corpus is meant to cover every category of mistake; fewer files means some went missing.
const MIN_CORPUS_FILES: usize = 24;

#[derive(Clone, Copy)]
enum Kind {
    /// Run as the only file of `run --scenarios DIR`.
    Scenario,
    /// Run as `run --list --profile FILE` with the built-in suite (`--list`: a profile that
    /// unexpectedly loads must not start a run against its `base_url`).
    Profile,
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/bad_files")
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    let mut cases = 0;
    for (dir, kind) in [("scenarios", Kind::Scenario), ("profiles", Kind::Profile)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(corpus().join(dir))
            .unwrap_or_else(|e| panic!("tests/bad_files/{dir} is listable: {e}"))
            .map(|entry| entry.expect("directory entry").path())
            .collect();
        files.sort();
        for file in files {
            let name = format!("{dir}/{}", file_name(&file));
            let trial = match file.extension().and_then(|e| e.to_str()) {
                Some("yaml") => {
                    cases += 1;
                    Trial::test(name, move || check(kind, &file))
                }
                Some("expected") if file.with_extension("yaml").exists() => continue,
                Some("expected") => Trial::test(name, || Err("no .yaml beside it".into())),
                _ => Trial::test(
                    name,
                    || Err("not a corpus file (.yaml or .expected)".into()),
                ),
            };
            trials.push(trial);
        }
    }
    trials.push(Trial::test("corpus_has_enough_files", move || {
        if cases >= MIN_CORPUS_FILES {
            Ok(())
        } else {
            Err(format!("{cases} corpus files, expected at least {MIN_CORPUS_FILES}").into())
        }
    }));
    libtest_mimic::run(&args, trials).exit();
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The lines `NAME.expected` requires in the output: every line but blanks and `#` comments.
fn expected_lines(file: &Path) -> Result<Vec<String>, Failed> {
    let expected = file.with_extension("expected");
    let text = std::fs::read_to_string(&expected)
        .map_err(|e| format!("{} is missing or unreadable: {e}", file_name(&expected)))?;
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if lines.is_empty() {
        return Err(format!("{} states no diagnostic", file_name(&expected)).into());
    }
    Ok(lines)
}

/// Every `NAME:LINE:COL` in `text`.
fn locations(text: &str, name: &str) -> Vec<String> {
    let prefix = format!("{name}:");
    text.match_indices(&prefix)
        .filter_map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let line_len = rest.find(|c: char| !c.is_ascii_digit())?;
            let column = rest[line_len..].strip_prefix(':')?;
            let column_len = column
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(column.len());
            (line_len > 0 && column_len > 0)
                .then(|| format!("{prefix}{}:{}", &rest[..line_len], &column[..column_len]))
        })
        .collect()
}

/// The high-water mark of the child's resident memory so far (Linux; elsewhere unknown).
fn peak_kib(child: &Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Output and exit code of the binary run in `dir`, or a failure if it outlives the deadline.
fn run_bounded(dir: &Path, args: &[&str]) -> Result<(Option<i32>, String, String, u64), Failed> {
    // Files, not pipes: a long snippet line cannot fill a pipe and stall the child.
    let stdout = File::create(dir.join("stdout.txt")).map_err(|e| e.to_string())?;
    let stderr = File::create(dir.join("stderr.txt")).map_err(|e| e.to_string())?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gws-conform"))
        // Runs record their failed scenarios (`--last-failed`): never in the real home.
        .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start gws-conform: {e}"))?;
    let started = Instant::now();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_kib(&child).unwrap_or(0));
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {DEADLINE:?}; killed").into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |name: &str| {
        String::from_utf8_lossy(&std::fs::read(dir.join(name)).unwrap_or_default()).into_owned()
    };
    Ok((status.code(), read("stdout.txt"), read("stderr.txt"), peak))
}

fn check(kind: Kind, file: &Path) -> Result<(), Failed> {
    let expected = expected_lines(file)?;
    let name = file_name(file);
    let group = match kind {
        Kind::Scenario => "scenario",
        Kind::Profile => "profile",
    };
    // An empty working directory: no ./scenarios, ./schemas or ./fixtures, so the binary
    // uses its built-in ones and only the corpus file is under test.
    let dir = std::env::temp_dir().join(format!(
        "gws-conform-bad-files-{}-{group}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let profile = file.to_string_lossy();
    let args: Vec<&str> = match kind {
        Kind::Scenario => {
            let scenarios = dir.join("scenarios");
            std::fs::create_dir(&scenarios)
                .and_then(|()| std::fs::copy(file, scenarios.join(&name)))
                .map_err(|e| e.to_string())?;
            vec!["run", "--scenarios", "scenarios"]
        }
        Kind::Profile => vec!["run", "--list", "--profile", profile.as_ref()],
    };
    let outcome = run_bounded(&dir, &args);
    let _ = std::fs::remove_dir_all(&dir);
    let (code, stdout, stderr, peak) = outcome?;

    let mut problems = Vec::new();
    if code != Some(2) {
        problems.push(format!("exit code {code:?}, expected 2"));
    }
    if !stdout.is_empty() {
        problems.push("something ran: stdout is not empty".to_owned());
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("the binary panicked".to_owned());
    }
    if peak > MAX_PEAK_KIB {
        problems.push(format!("peak memory {peak} KiB > {MAX_PEAK_KIB} KiB"));
    }
    for line in &expected {
        if !stderr.contains(line.as_str()) {
            problems.push(format!("missing expected line: {line}"));
        }
    }
    // Where the output locates the problem, the .expected file must pin that location.
    let shown = locations(&stderr, &name);
    if !shown.is_empty()
        && !expected
            .iter()
            .any(|line| !locations(line, &name).is_empty())
    {
        problems.push(format!(
            "the output locates the problem at {}; put the location in the .expected file",
            shown[0]
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            problems.join("\n")
        )
        .into())
    }
}

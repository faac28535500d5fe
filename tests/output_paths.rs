//! Output files never harm what is at their path (src/output.rs), through the real binary:
//!
//! - `--json`, `--junit` and `--record` of `run` each go to standard output for `-` (no file
//!   named `-`, and nothing else on standard output: the terminal report then goes to standard
//!   error, for `replay` too), through a FIFO (still a FIFO), a character device (still one), a symlink to a
//!   FIFO (still a symlink), a symlink to a regular file (still a symlink, the file replaced),
//!   and replace a regular file atomically (a new inode), leaving no temporary file;
//! - `proxy --out` streams to a FIFO and through a symlink to one;
//! - a directory, a missing parent, a parent that is a file, a read-only place, or two outputs
//!   naming one file are exit 2 before anything runs, with nothing left behind;
//! - a recording whose writes fail (a /dev/full twin, a file size limit) is never marked
//!   `complete`: the loss is warned about as it happens and counted at the end, exit 3;
//! - `replay` warns about a capture marked `incomplete` or `interrupted`.
//!
//! Every file, FIFO and device node is made inside the test's own temporary directory: no test
//! writes to the machine's `/dev`. Device nodes need root (`mknod`); without it those cases are
//! skipped, saying so.

mod support;

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{FileTypeExt, MetadataExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use gws_conform::har::Har;
use serde_json::Value;
use support::har::{interrupt, spawn_blocking_exit};

/// A scenario that runs in well under a second against the embedded server, and records a
/// dozen exchanges.
const SCENARIO: &str = "bayeux-protocol";

/// The longest any command here may take.
const LIMIT: Duration = Duration::from_secs(60);

/// A fresh temporary directory, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "gws-conform-output-paths-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// The names in the directory, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Asserts no temporary file and no file named `-` was left.
    #[track_caller]
    fn assert_clean(&self) {
        let names = self.names();
        assert!(
            !names.iter().any(|n| n == "-" || n.ends_with(".tmp")),
            "left behind: {names:?}"
        );
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Runs the binary in `dir` with `args`, killing it after [`LIMIT`].
fn gws(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    // Runs record their failed scenarios (`--last-failed`): never in the real home.
    command.env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null");
    gws_command(command, dir, args)
}

fn gws_command(mut command: Command, dir: &Path, args: &[&str]) -> Output {
    let child = command
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the binary");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(LIMIT) {
        Ok(output) => output.expect("the binary's output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("gws-conform {args:?} did not finish within {LIMIT:?}");
        }
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Makes a character device `major:minor` at `path`; `false` when not permitted (not root).
fn mknod(path: &Path, major: u32, minor: u32) -> bool {
    Command::new("mknod")
        .arg(path)
        .args(["c", &major.to_string(), &minor.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_fifo(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A thread reading a FIFO to its end.
struct FifoReader {
    path: PathBuf,
    thread: JoinHandle<String>,
}

impl FifoReader {
    fn start(path: &Path) -> Self {
        let fifo = path.to_owned();
        Self {
            path: path.to_owned(),
            thread: std::thread::spawn(move || fs::read_to_string(fifo).unwrap_or_default()),
        }
    }

    /// What was read once the writer closed. A reader still waiting for a writer (the command
    /// never opened the FIFO) is released, and gets nothing.
    fn text(self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if !self.thread.is_finished() {
            // Opening the write end lets a reader blocked in `open` through; it then reads EOF.
            drop(OpenOptions::new().write(true).open(&self.path));
        }
        self.thread.join().unwrap()
    }
}

/// What an output path is, for the cases of every flag.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Stdout,
    Fifo,
    Device,
    LinkToFifo,
    LinkToFile,
    File,
}

/// One output of one run: the argument given and what to check afterwards.
struct Case {
    flag: &'static str,
    kind: Kind,
    arg: PathBuf,
    /// The FIFO or file the content lands in.
    target: PathBuf,
    reader: Option<FifoReader>,
    /// The regular file's inode before the run.
    inode: Option<u64>,
}

impl Case {
    /// Makes what `kind` needs in `dir`; `None` when it cannot be made here (a device node
    /// without root).
    fn prepare(dir: &Scratch, flag: &'static str, kind: Kind) -> Option<Self> {
        let name = flag.trim_start_matches('-');
        let fifo = dir.join(&format!("{name}.fifo"));
        let file = dir.join(&format!("{name}.file"));
        let link = dir.join(&format!("{name}.link"));
        let (arg, target) = match kind {
            Kind::Stdout => (PathBuf::from("-"), PathBuf::from("-")),
            Kind::Fifo => {
                mkfifo(&fifo);
                (fifo.clone(), fifo)
            }
            Kind::Device => {
                let null = dir.join(&format!("{name}.null"));
                if !mknod(&null, 1, 3) {
                    eprintln!("skipped: {flag} to a device node (mknod needs root)");
                    return None;
                }
                (null.clone(), null)
            }
            Kind::LinkToFifo => {
                mkfifo(&fifo);
                symlink(&fifo, &link).unwrap();
                (link, fifo)
            }
            Kind::LinkToFile => {
                fs::write(&file, "old").unwrap();
                symlink(file.file_name().unwrap(), &link).unwrap();
                (link, file)
            }
            Kind::File => {
                fs::write(&file, "old").unwrap();
                (file.clone(), file)
            }
        };
        let reader =
            matches!(kind, Kind::Fifo | Kind::LinkToFifo).then(|| FifoReader::start(&target));
        let inode = fs::metadata(&target)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.ino());
        Some(Self {
            flag,
            kind,
            arg,
            target,
            reader,
            inode,
        })
    }

    /// Checks the output landed where it should and the path is what it was.
    fn check(self, output: &Output) {
        let what = format!("{} to {:?}", self.flag, self.kind);
        match self.kind {
            // The terminal report went to standard error: the output is all there is.
            Kind::Stdout => assert_whole(self.flag, &stdout(output), &what),
            Kind::Fifo | Kind::LinkToFifo => {
                let text = self.reader.expect("a FIFO reader").text();
                assert_whole(self.flag, &text, &what);
                assert!(is_fifo(&self.target), "{what}: no longer a FIFO");
            }
            Kind::Device => {
                let meta = fs::metadata(&self.target).unwrap();
                assert!(
                    meta.file_type().is_char_device(),
                    "{what}: no longer a device"
                );
                assert_eq!(meta.rdev(), fs::metadata(&self.arg).unwrap().rdev());
            }
            Kind::LinkToFile | Kind::File => {
                assert_whole(self.flag, &fs::read_to_string(&self.target).unwrap(), &what);
                let inode = fs::metadata(&self.target).unwrap().ino();
                assert_ne!(Some(inode), self.inode, "{what}: replaced by a rename");
            }
        }
        if matches!(self.kind, Kind::LinkToFifo | Kind::LinkToFile) {
            assert!(is_symlink(&self.arg), "{what}: the symlink is gone");
        }
    }
}

/// Asserts `text` is exactly the output of `flag`.
#[track_caller]
fn assert_whole(flag: &str, text: &str, what: &str) {
    match flag {
        "--json" => {
            let events: Vec<Value> = text
                .lines()
                .map(|line| {
                    serde_json::from_str(line).unwrap_or_else(|e| panic!("{what}: {e}: {line}"))
                })
                .collect();
            assert_eq!(
                events.last().map(|e| &e["event"]),
                Some(&Value::from("summary")),
                "{what}"
            );
        }
        "--junit" => {
            assert!(text.starts_with("<?xml"), "{what}: {text}");
            assert!(
                text.contains("<testsuites") && text.contains(SCENARIO),
                "{what}: {text}"
            );
        }
        _ => {
            let har = Har::from_slice(text.as_bytes(), what).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(har.log.gws_status.as_deref(), Some("complete"), "{what}");
            assert!(!har.log.entries.is_empty(), "{what}: no entries");
        }
    }
}

/// Asserts the terminal report (a trial's line, the verdict) is on standard error and not on
/// standard output, as when an output is `-`.
#[track_caller]
fn assert_report_on_stderr(output: &Output, line: &str, verdict: &str) {
    let (out, err) = (stdout(output), stderr(output));
    assert!(
        err.lines().any(|l| l.starts_with(line)),
        "no {line:?} on standard error:\n{err}"
    );
    assert!(
        err.lines().any(|l| l.starts_with(verdict)),
        "no {verdict:?} on standard error:\n{err}"
    );
    assert!(
        !out.contains("test result:") && !out.contains("\nrunning "),
        "the terminal report is on standard output too:\n{out}"
    );
}

const FLAGS: [&str; 3] = ["--json", "--junit", "--record"];

/// Runs the scenario three times, each flag going to each of `kinds` once.
fn every_flag_to_each_of(name: &str, kinds: [Kind; 3]) {
    for shift in 0..3 {
        let dir = Scratch::new(&format!("{name}-{shift}"));
        let cases: Vec<Case> = FLAGS
            .iter()
            .enumerate()
            .filter_map(|(i, flag)| Case::prepare(&dir, flag, kinds[(i + shift) % 3]))
            .collect();
        let mut args = vec!["run", SCENARIO];
        for case in &cases {
            args.extend([case.flag, text(&case.arg)]);
        }
        let output = gws(&dir.0, &args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}\n{}",
            stderr(&output)
        );
        let test_line = format!("test {SCENARIO} ... ok");
        if cases.iter().any(|case| matches!(case.kind, Kind::Stdout)) {
            assert_report_on_stderr(&output, &test_line, "test result: ok.");
        } else {
            // Nothing on standard output: the terminal report stays there.
            let out = stdout(&output);
            assert!(out.contains(&test_line), "{args:?}: {out}");
            assert!(out.contains("test result: ok."), "{args:?}: {out}");
        }
        for case in cases {
            case.check(&output);
        }
        dir.assert_clean();
    }
}

#[test]
fn stdout_fifos_and_devices_are_written_through() {
    every_flag_to_each_of("through", [Kind::Stdout, Kind::Fifo, Kind::Device]);
}

#[test]
fn symlinks_stay_and_regular_files_are_replaced_atomically() {
    every_flag_to_each_of("links", [Kind::LinkToFifo, Kind::LinkToFile, Kind::File]);
}

#[test]
fn with_an_output_on_standard_output_the_terminal_report_goes_to_standard_error() {
    let dir = Scratch::new("report-on-stderr");
    let scenario = "agent-accepts-under-monitoring";
    let output = gws(&dir.0, &["run", "--exact", scenario, "--json", "-"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // Standard output is JSON Lines and nothing else, ending with the summary.
    let out = stdout(&output);
    let events: Vec<Value> = out
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not JSON Lines only ({e}): {line:?} in\n{out}"))
        })
        .collect();
    assert_eq!(
        events.last().map(|e| &e["event"]),
        Some(&Value::from("summary")),
        "{out}"
    );
    assert!(
        events.iter().any(|e| e["scenario"] == scenario),
        "the scenario's events: {out}"
    );
    assert_report_on_stderr(
        &output,
        &format!("test {scenario} ... ok"),
        "test result: ok. 1 passed; 0 failed",
    );

    // `replay` shares the report flags, and the rule.
    let capture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/replay-captures/run-record.har");
    let output = gws(
        &dir.0,
        &[
            "replay",
            text(&capture),
            "--as-fast-as-possible",
            "--junit",
            "-",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("<?xml"), "JUnit XML only: {out}");
    assert!(
        out.trim_end().ends_with("</testsuites>"),
        "JUnit XML only: {out}"
    );
    assert_report_on_stderr(
        &output,
        "test switch-monitor-to-bargein ... ok",
        "test result: ok. 1 passed",
    );
    dir.assert_clean();
}

/// A directory nobody may create files in, root included: `chmod 555` stops other users,
/// the immutable attribute (`chattr +i`) stops root. Cleared on drop.
struct ReadOnly(PathBuf);

impl ReadOnly {
    /// `None` when this machine lets neither stop this process (then the case is skipped).
    fn make(dir: &Path) -> Option<Self> {
        use std::os::unix::fs::PermissionsExt;
        fs::create_dir_all(dir).unwrap();
        fs::set_permissions(dir, fs::Permissions::from_mode(0o555)).unwrap();
        let guard = Self(dir.to_owned());
        let probe = dir.join("probe");
        if fs::write(&probe, "").is_ok() {
            let _ = fs::remove_file(&probe);
            let _ = Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .stderr(Stdio::null())
                .status();
            if fs::write(&probe, "").is_ok() {
                let _ = fs::remove_file(&probe);
                eprintln!("skipped: no way to make a read-only directory here");
                return None;
            }
        }
        Some(guard)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .stderr(Stdio::null())
            .status();
        let _ = fs::set_permissions(&self.0, fs::Permissions::from_mode(0o755));
    }
}

/// Asserts a command refused an output before doing anything: exit 2, one line naming the
/// flag and the path, nothing on standard output (no scenario ran), nothing left in `dir`.
#[track_caller]
fn assert_refused(output: &Output, flag: &str, path: &str, problem: &str, started: Instant) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{flag} {path}: {err}");
    let line = err.trim_end();
    assert!(!line.contains('\n'), "one line: {err}");
    assert!(
        line.starts_with(&format!("error: {flag} {path}: ")),
        "{err}"
    );
    assert!(line.contains(problem), "{problem:?} not in {err}");
    assert!(
        stdout(output).is_empty(),
        "something ran: {}",
        stdout(output)
    );
    assert!(started.elapsed() < Duration::from_secs(10), "refused late");
}

#[test]
fn a_bad_output_path_is_bad_input_before_anything_runs() {
    let dir = Scratch::new("bad");
    fs::write(dir.join("plain"), "").unwrap();
    let read_only = ReadOnly::make(&dir.join("read-only"));
    let mut bad = vec![
        (dir.0.clone(), ": is a directory"),
        (dir.join("missing/out"), "does not exist"),
        (dir.join("plain/out"), "plain is not a directory"),
    ];
    if read_only.is_some() {
        bad.push((dir.join("read-only/out"), "cannot create a file in"));
    }
    let before = dir.names();
    for flag in FLAGS {
        for (path, problem) in &bad {
            let started = Instant::now();
            let output = gws(&dir.0, &["run", SCENARIO, flag, text(path)]);
            assert_refused(&output, flag, text(path), problem, started);
            assert_eq!(dir.names(), before);
        }
    }
    // Two outputs naming one file, even through a symlink.
    let report = dir.join("report");
    symlink("report", dir.join("link")).unwrap();
    fs::write(&report, "old").unwrap();
    let before = dir.names();
    let started = Instant::now();
    let output = gws(
        &dir.0,
        &[
            "run",
            SCENARIO,
            "--json",
            text(&report),
            "--record",
            text(&dir.join("link")),
        ],
    );
    assert_refused(
        &output,
        "--record",
        text(&dir.join("link")),
        "--json writes there too",
        started,
    );
    assert_eq!(fs::read_to_string(&report).unwrap(), "old");
    let started = Instant::now();
    let output = gws(&dir.0, &["run", SCENARIO, "--json", "-", "--junit", "-"]);
    assert_refused(&output, "--junit", "-", "--json writes there too", started);
    assert_eq!(dir.names(), before);

    // `replay` and `proxy` check theirs the same way, before reading the capture or listening.
    let capture = dir.join("never-read.har");
    let started = Instant::now();
    let output = gws(
        &dir.0,
        &[
            "replay",
            text(&capture),
            "--junit",
            text(&dir.join("missing/r.xml")),
        ],
    );
    assert_refused(
        &output,
        "--junit",
        text(&dir.join("missing/r.xml")),
        "does not exist",
        started,
    );
    let started = Instant::now();
    let output = gws(
        &dir.0,
        &[
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "http://127.0.0.1:9",
            "--out",
            text(&dir.0),
        ],
    );
    assert_refused(&output, "--out", text(&dir.0), "is a directory", started);
    drop(read_only);
}

/// The number in `text` just before `marker`.
fn count_before(text: &str, marker: &str) -> u64 {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("{marker:?} not in {text}"));
    let digits: String = text[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count before {marker:?} in {text}"))
}

/// Asserts the run said, once while it ran and again at the end, that exchanges were lost;
/// returns how many.
#[track_caller]
fn assert_loss_reported(output: &Output) -> u64 {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    let warnings = err
        .lines()
        .filter(|l| l.starts_with("warning:") && l.contains("could not be recorded"))
        .count();
    assert_eq!(
        warnings, 1,
        "one warning when writes started failing: {err}"
    );
    let lost = count_before(&err, " exchange(s) could not be recorded,");
    assert!(lost > 0, "{err}");
    lost
}

#[test]
fn a_recording_to_a_full_device_reports_the_lost_exchanges() {
    let dir = Scratch::new("full");
    let full = dir.join("full");
    if !mknod(&full, 1, 7) {
        eprintln!("skipped: a /dev/full twin needs root (mknod)");
        return;
    }
    let output = gws(&dir.0, &["run", SCENARIO, "--record", text(&full)]);
    assert_loss_reported(&output);
    // Not even the end could be written: the device took nothing.
    assert!(
        stderr(&output).contains("nor could it be closed"),
        "{}",
        stderr(&output)
    );
    assert!(fs::metadata(&full).unwrap().file_type().is_char_device());
    dir.assert_clean();
}

#[test]
fn a_recording_cut_short_by_a_file_size_limit_is_marked_incomplete() {
    let dir = Scratch::new("fsize");
    // The shell ignores SIGXFSZ (kept across exec) and sets the limit for the binary alone:
    // 16 blocks of 512 bytes hold the file's start and a few entries, not all of them.
    let mut shell = Command::new("sh");
    shell.args([
        "-c",
        r#"trap '' XFSZ; ulimit -f 16 && exec "$0" "$@""#,
        env!("CARGO_BIN_EXE_gws-conform"),
    ]);
    let output = gws_command(shell, &dir.0, &["run", SCENARIO, "--record", "out.har"]);
    let lost = assert_loss_reported(&output);
    assert!(
        stderr(&output).contains("it is marked incomplete"),
        "{}",
        stderr(&output)
    );
    let har = Har::read(&dir.join("out.har")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(har.log.gws_status.as_deref(), Some("incomplete"));
    let comment = har.log.comment.unwrap_or_default();
    assert!(
        comment.contains(&format!("{lost} exchange(s) could not be written")),
        "{comment}"
    );
    assert!(
        !har.log.entries.is_empty(),
        "the entries that fitted are kept"
    );
    dir.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_streams_to_a_fifo_and_through_a_symlink_to_one() {
    let server = support::server().await;
    for through_link in [false, true] {
        let dir = Scratch::new(&format!("proxy-{through_link}"));
        let fifo = dir.join("capture.fifo");
        mkfifo(&fifo);
        let out = if through_link {
            let link = dir.join("capture.har");
            symlink(&fifo, &link).unwrap();
            link
        } else {
            fifo.clone()
        };
        let reader = FifoReader::start(&fifo);
        let args: Vec<String> = [
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            &server.base_url(),
            "--out",
            text(&out),
        ]
        .map(str::to_owned)
        .to_vec();
        let (child, base) = support::spawn_listening_async(args).await;
        let http = reqwest::Client::new();
        for _ in 0..2 {
            let me = http
                .get(format!("{base}/api/v2/me"))
                .basic_auth("agent1", Some("password"))
                .send()
                .await
                .unwrap();
            assert_eq!(me.status(), 200);
        }
        interrupt(&child);
        let status = spawn_blocking_exit(child, Duration::from_secs(20)).await;
        assert_eq!(status.code(), Some(0));
        let text = tokio::task::spawn_blocking(move || reader.text())
            .await
            .unwrap();
        let har = Har::from_slice(text.as_bytes(), "fifo").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(har.log.gws_status.as_deref(), Some("stopped"));
        assert_eq!(har.log.entries.len(), 2);
        assert!(is_fifo(&fifo), "still a FIFO");
        if through_link {
            assert!(is_symlink(&out), "still a symlink");
        }
        dir.assert_clean();
    }
    server.shutdown().await;
}

#[test]
fn replay_warns_about_a_capture_that_is_not_complete() {
    let dir = Scratch::new("replay-caution");
    let capture =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/replay-captures/run-record.har");
    let mut har: Value = serde_json::from_str(&fs::read_to_string(capture).unwrap()).unwrap();
    for (status, comment) in [
        (
            "incomplete",
            "recording incomplete: 3 exchange(s) could not be written",
        ),
        ("interrupted", "recording interrupted"),
    ] {
        har["log"]["_gwsStatus"] = Value::from(status);
        har["log"]["comment"] = Value::from(comment);
        let path = dir.join(&format!("{status}.har"));
        fs::write(&path, har.to_string()).unwrap();
        let output = gws(&dir.0, &["replay", text(&path), "--list"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let warning = format!(
            "warning: {} is marked `{status}` ({comment})",
            path.display()
        );
        assert!(stderr(&output).contains(&warning), "{}", stderr(&output));
    }
}

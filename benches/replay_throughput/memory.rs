//! The large capture (`--entries N`): the contact centre's shift recorded again and again on one
//! server until the capture holds N entries (one group, as a recording proxy left running
//! through many shifts writes it, or with `--groups` a group per shift, as `run --record` labels
//! scenarios), written to a HAR file, then read by the `gws-conform` binary itself, under GNU
//! `time` for its peak resident set size: once only planned (`replay FILE --list`), once
//! replayed as fast as possible against its embedded reference server. Its built-in users are
//! `agent1..3` and `supervisor1..2`, so the centre must fit them (30 chats at most, 10 per
//! agent).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::centre::{Centre, shift};
use crate::recorder::Recorder;

/// GNU time, which reports a child's peak resident set size.
const TIME: &str = "/usr/bin/time";
/// Marks GNU time's line among the binary's own messages on standard error.
const MARK: &str = "GWS-BENCH-TIME";
/// The built-in users of the binary's embedded server.
const BUILTIN_AGENTS: usize = 3;
const BUILTIN_SUPERVISORS: usize = 2;

/// What the large capture is, and where it is kept.
pub struct Large {
    /// Entries to record at least.
    pub entries: usize,
    /// Keep the capture there (else a temporary file, removed at the end).
    pub keep: Option<PathBuf>,
    /// Each shift its own group (`_gwsScenario`), as `run --record` labels its scenarios;
    /// else the whole capture is one group, as a recording proxy's is.
    pub groups: bool,
}

/// What one run of the binary took.
struct Measured {
    peak_kib: u64,
    wall_s: f64,
    cpu_s: f64,
}

/// Runs `gws-conform replay FILE args…` under GNU time; exits the benchmark if it fails.
fn measure(path: &Path, args: &[&str], what: &str) -> Measured {
    let output = Command::new(TIME)
        .arg("-f")
        .arg(format!("{MARK} %M %e %U %S"))
        .arg(env!("CARGO_BIN_EXE_gws-conform"))
        .arg("replay")
        .arg(path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            eprintln!("error: cannot run {TIME} (GNU time, package `time`): {e}");
            std::process::exit(2);
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        eprintln!(
            "error: {what} failed ({}):\n{stdout}\n{stderr}",
            output.status
        );
        std::process::exit(1);
    }
    let fields: Vec<f64> = stderr
        .lines()
        .find_map(|line| line.strip_prefix(MARK))
        .map(|rest| {
            rest.split_whitespace()
                .filter_map(|f| f.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let [peak_kib, wall_s, user_s, system_s] = fields[..] else {
        eprintln!("error: {TIME} gave no figures for {what}:\n{stderr}");
        std::process::exit(2);
    };
    Measured {
        peak_kib: peak_kib as u64,
        wall_s,
        cpu_s: user_s + system_s,
    }
}

/// Records the large capture and measures the binary planning and replaying it.
pub fn run(
    runtime: &tokio::runtime::Runtime,
    centre: Centre,
    (messages, millis): (usize, bool),
    large: &Large,
) {
    if centre.agents() > BUILTIN_AGENTS || centre.supervisors() > BUILTIN_SUPERVISORS {
        eprintln!(
            "error: the binary's embedded server knows agent1..{BUILTIN_AGENTS} and \
             supervisor1..{BUILTIN_SUPERVISORS}: --entries needs --chats at most \
             {BUILTIN_AGENTS} × --chats-per-agent"
        );
        std::process::exit(2);
    }
    let started = Instant::now();
    let (har, shifts) = runtime.block_on(async {
        let recorder = Recorder::start_with(centre.config(), millis).await;
        // Where each shift's entries end: the last long-polls are answered as their clients
        // disconnect, so a moment after the shift.
        let mut ends = Vec::new();
        while recorder.entries() < large.entries {
            shift(
                &recorder.base_url(),
                centre,
                messages,
                ends.len() * centre.chats + 1,
            )
            .await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            ends.push(recorder.entries());
        }
        let mut har = recorder.har();
        recorder.stop();
        if large.groups {
            let mut start = 0;
            for (shift, &end) in ends.iter().enumerate() {
                for entry in &mut har.log.entries[start..end] {
                    entry.gws_scenario = Some(format!("shift {:04}", shift + 1));
                }
                start = end;
            }
        }
        (har, ends.len())
    });
    let entries = har.log.entries.len();
    let recorded_in = started.elapsed();
    let path = large.keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("replay-bench-{}.har", std::process::id()))
    });
    let write = || -> std::io::Result<()> {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        serde_json::to_writer(&mut file, &har)?;
        file.flush()
    };
    if let Err(e) = write() {
        eprintln!("error: cannot write {}: {e}", path.display());
        std::process::exit(2);
    }
    drop(har);
    let bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let megabytes = bytes as f64 / 1e6;
    println!(
        "large capture: {entries} entries in {shifts} shifts of {} chats ({}), {megabytes:.1} MB, \
         recorded in {:.1} s ({})",
        centre.chats,
        if large.groups {
            "a group each"
        } else {
            "one group"
        },
        recorded_in.as_secs_f64(),
        path.display()
    );
    let planned = measure(&path, &["--list"], "planning (replay --list)");
    println!(
        "planning (replay FILE --list): peak RSS {:.1} MiB, {:.1} s wall, {:.1} s CPU",
        planned.peak_kib as f64 / 1024.0,
        planned.wall_s,
        planned.cpu_s
    );
    let replay_args = ["--as-fast-as-possible", "--group-timeout", "1h", "-q"];
    let replayed = measure(&path, &replay_args, "the replay");
    println!(
        "replay (replay FILE --as-fast-as-possible, embedded server): peak RSS {:.1} MiB, \
         {:.1} s wall, {:.1} s CPU",
        replayed.peak_kib as f64 / 1024.0,
        replayed.wall_s,
        replayed.cpu_s
    );
    if large.keep.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    println!(
        "RESULT {}",
        json!({"entries": entries, "shifts": shifts, "groups": large.groups,
               "chats_per_shift": centre.chats, "chats_per_agent": centre.per_agent,
               "messages": messages,
               "file_mb": (megabytes * 10.0).round() / 10.0,
               "plan_peak_rss_kib": planned.peak_kib, "plan_wall_s": planned.wall_s,
               "replay_peak_rss_kib": replayed.peak_kib, "replay_wall_s": replayed.wall_s,
               "replay_cpu_s": replayed.cpu_s})
    );
}

//! The server under test as a child process, and what `/proc` says about it and the machine.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{Args, Context, PASSWORD, Result, STARTUP_DEADLINE};

/// A scratch directory removed on drop (no tempfile crate: no new dependencies).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let path =
            std::env::temp_dir().join(format!("gws-notify-bench-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&path).context(|| format!("create {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The server child process; killed and reaped on drop, so no exit path leaves it running.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    stderr_path: PathBuf,
}

impl ServerProcess {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `binary serve` with `users_file`, logging to `dir`, and waits for its address.
    pub fn start(binary: &Path, users_file: &Path, long_poll_ms: u64, dir: &Path) -> Result<Self> {
        let stderr_path = dir.join("server.stderr");
        let stderr = fs::File::create(&stderr_path).context(|| "create the server log".into())?;
        let mut child = Command::new(binary)
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--users")
            .arg(users_file)
            .arg("--long-poll-timeout")
            .arg(long_poll_ms.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .context(|| format!("start {}", binary.display()))?;
        let stdout = child.stdout.take();
        // From here on the guard owns the child, so an early return below still kills it.
        let mut server = Self {
            child,
            base: String::new(),
            stderr_path,
        };
        let stdout = stdout.context(|| "the server's stdout is not piped".into())?;
        // A thread reads stdout (blocking) and keeps draining it, so the server never blocks on
        // a full pipe; the first line carries the address.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::result::Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let line = rx.recv_timeout(STARTUP_DEADLINE).map_err(|e| {
            let log = fs::read_to_string(&server.stderr_path).unwrap_or_default();
            format!(
                "the server printed no address within {STARTUP_DEADLINE:?} ({e}); stderr: {log}"
            )
        })?;
        let (_, base) = line
            .split_once("listening on ")
            .context(|| format!("unexpected first line from the server: {line:?}"))?;
        server.base = base.trim().to_owned();
        if !server.base.starts_with("http://127.0.0.1:") {
            return Err(format!("the server is not on 127.0.0.1: {}", server.base).into());
        }
        Ok(server)
    }

    /// Warnings the server logged (queue overflows and the like).
    pub fn warnings(&self) -> Vec<String> {
        fs::read_to_string(&self.stderr_path)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the `gws-conform` binary is: `--server`, else the one cargo built for this bench.
pub fn server_binary(args: &Args) -> Result<PathBuf> {
    let path = args
        .server
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_gws-conform")));
    if !path.is_file() {
        return Err(format!(
            "{} does not exist; run through `cargo bench --bench notify_throughput` (which builds \
             it) or pass --server",
            path.display()
        )
        .into());
    }
    Ok(path)
}

/// A `/proc/PID/status` field in KiB (`VmHWM`, `VmRSS`).
fn status_kib(pid: &str, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `VmHWM` (peak resident set) of a process, in KiB.
pub fn peak_rss_kib(pid: &str) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// `VmRSS` (current resident set) of a process, in KiB.
pub fn rss_kib(pid: &str) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

/// User plus system CPU time of a whole process (all threads), in seconds.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces; the fields after its closing parenthesis do not.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 here (0-based,
    // counted from the state field); USER_HZ is 100 on Linux.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Busy CPU time of the whole machine (all cores, every process), in seconds.
pub fn machine_busy_seconds() -> Option<f64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal ...: busy is all but idle and iowait.
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some((total - idle) as f64 / 100.0)
}

/// The kernel's softirq threads (`ksoftirqd/N`): under heavy loopback traffic, part of the
/// network processing moves there, so it is charged to neither process.
pub fn ksoftirqd_pids() -> Vec<String> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|pid| pid.bytes().all(|b| b.is_ascii_digit()))
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.starts_with("ksoftirqd"))
        })
        .collect()
}

/// The users file: `agents` agents and `supervisors` supervisors, all with [`PASSWORD`].
pub fn users_yaml(agents: usize, supervisors: usize) -> String {
    let mut text = String::from("contactCenterId: default\nusers:\n");
    for n in 1..=agents {
        text.push_str(&format!(
            "  - {{userName: agent{n}, password: {PASSWORD}, roles: [agent]}}\n"
        ));
    }
    for n in 1..=supervisors {
        text.push_str(&format!(
            "  - {{userName: supervisor{n}, password: {PASSWORD}, roles: [agent, supervisor]}}\n"
        ));
    }
    text
}

//! Running node and npm for the CometD interoperability tests: the pinned packages of an interop
//! directory installed with `npm ci` on first use, and processes bounded by a deadline so that a
//! wedged node can never hang `cargo test`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// `npm ci` downloads a few small packages; generous for a slow registry.
const NPM_DEADLINE: Duration = Duration::from_secs(240);

/// `tests/interop/{name}`.
pub fn interop_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/interop")
        .join(name)
}

/// The command name of `name` (`node`, `npm`) on this platform.
pub fn program(name: &str) -> String {
    // npm is a batch script on Windows, which Command does not resolve by bare name.
    if cfg!(windows) && name == "npm" {
        "npm.cmd".to_owned()
    } else {
        name.to_owned()
    }
}

/// A process that ran to its end (or was killed at its deadline).
pub struct Finished {
    /// How it exited.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

/// Runs `command` to completion or kills it at `deadline`. Err carries a description of what
/// went wrong including whatever the process printed.
pub fn run_with_deadline(
    mut command: Command,
    what: &str,
    deadline: Duration,
) -> Result<Finished, String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start {what}: {e} (is it installed and on PATH?)"))?;

    // Drain both pipes on threads so a chatty child cannot block on a full pipe; the channel
    // lets us stop waiting for them if a grandchild we cannot kill keeps a pipe open.
    let (tx, rx) = mpsc::channel();
    let spawn_reader = |mut pipe: Box<dyn Read + Send>, is_stdout: bool| {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((is_stdout, String::from_utf8_lossy(&buf).into_owned()));
        });
    };
    spawn_reader(
        Box::new(child.stdout.take().expect("stdout is piped")),
        true,
    );
    spawn_reader(
        Box::new(child.stderr.take().expect("stderr is piped")),
        false,
    );
    drop(tx);

    let started = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child
            .try_wait()
            .map_err(|e| format!("waiting for {what}: {e}"))?
        {
            break (status, false);
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            break (
                child.wait().map_err(|e| format!("reaping {what}: {e}"))?,
                true,
            );
        }
        thread::sleep(Duration::from_millis(50));
    };

    let (mut stdout, mut stderr) = (String::new(), String::new());
    for _ in 0..2 {
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok((true, text)) => stdout = text,
            Ok((false, text)) => stderr = text,
            Err(_) => break,
        }
    }
    if timed_out {
        return Err(format!(
            "{what} did not finish within {deadline:?} and was killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        ));
    }
    Ok(Finished {
        status,
        stdout,
        stderr,
    })
}

/// Installs the pinned packages of `dir` unless every one of `packages` is already there;
/// panics with what the test needs when that fails.
pub fn ensure_node_modules(dir: &Path, packages: &[&str]) {
    let installed = packages.iter().all(|package| {
        dir.join("node_modules")
            .join(package)
            .join("package.json")
            .is_file()
    });
    if installed {
        return;
    }
    // `npm ci` installs exactly what the lock file pins; without one, fall back to a resolve.
    let subcommand = if dir.join("package-lock.json").is_file() {
        "ci"
    } else {
        "install"
    };
    let mut npm = Command::new(program("npm"));
    npm.args([subcommand, "--no-audit", "--no-fund"])
        .current_dir(dir);
    let what = format!("`npm {subcommand}` in {}", dir.display());
    let needs = "this interop test needs node and npm with access to the npm registry";
    match run_with_deadline(npm, &what, NPM_DEADLINE) {
        Ok(done) if done.status.success() => {}
        Ok(done) => panic!(
            "{what} failed ({}); {needs}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            done.status, done.stdout, done.stderr
        ),
        Err(e) => panic!("{e}\n{needs}"),
    }
}

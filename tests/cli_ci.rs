//! What a CI job leans on: the GWS_CONFORM_* environment twins of the options it sets once
//! (each honoured, each overridden by its flag), and `--wait-for-target` for a server under
//! test that is still starting (waited for; or given up on with exit 3 within the wait).

mod support;

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every environment twin: none leaks in from the environment the tests run in.
const TWINS: [&str; 11] = [
    "GWS_CONFORM_TARGET",
    "GWS_CONFORM_PROFILE",
    "GWS_CONFORM_JUNIT",
    "GWS_CONFORM_JSON",
    "GWS_CONFORM_HTML",
    "GWS_CONFORM_BASELINE",
    "GWS_CONFORM_WAIT_FOR_TARGET",
    "GWS_CONFORM_PARTITION",
    "GWS_CONFORM_CACERT",
    "GWS_CONFORM_QUIET_SCALE",
    "GWS_CONFORM_QUIET_MIN",
];

/// The binary with `env` set and every other twin unset.
fn gws(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    // Runs record their failed scenarios (`--last-failed`): never in the real home.
    command.env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null");
    command.args(args);
    for name in TWINS {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command
}

fn output(args: &[&str], env: &[(&str, &str)]) -> Output {
    gws(args, env).output().expect("run gws-conform")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A loopback address nothing listens on (taken from the OS, then let go).
fn closed_address() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// A fresh temporary directory of this test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gws-conform-ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_target_comes_from_the_environment_and_the_flag_wins() {
    let (from_env, from_flag) = (closed_address(), closed_address());
    let env_url = format!("http://{from_env}");
    let flag_url = format!("http://{from_flag}");
    let env = [("GWS_CONFORM_TARGET", env_url.as_str())];
    let out = output(&["run", "cancel-monitoring"], &env);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("cannot reach the target {env_url}")),
        "{}",
        stderr(&out)
    );
    let out = output(&["run", "cancel-monitoring", "--target", &flag_url], &env);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains(&flag_url), "{}", stderr(&out));
    assert!(!stderr(&out).contains(&env_url), "{}", stderr(&out));
}

#[test]
fn the_profile_comes_from_the_environment_and_the_flag_wins() {
    let dir = temp_dir("profile");
    let (from_env, from_flag) = (dir.join("env.yaml"), dir.join("flag.yaml"));
    let (from_env, from_flag) = (from_env.to_str().unwrap(), from_flag.to_str().unwrap());
    let env = [("GWS_CONFORM_PROFILE", from_env)];
    // Neither file exists: which one the error names is which one was read.
    let out = output(&["run", "--list"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(from_env), "{}", stderr(&out));
    let out = output(&["run", "--list", "--profile", from_flag], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(from_flag), "{}", stderr(&out));
    assert!(!stderr(&out).contains(from_env), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_files_and_the_baseline_come_from_the_environment_and_flags_win() {
    let dir = temp_dir("reports");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let missing_baseline = path("missing-baseline.yaml");
    let env = [
        ("GWS_CONFORM_JUNIT", path("env.xml")),
        ("GWS_CONFORM_JSON", path("events.jsonl")),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let flag_junit = path("flag.xml");
    let out = output(&["run", "cancel-monitoring", "--junit", &flag_junit], &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json = std::fs::read_to_string(path("events.jsonl")).expect("the JSON report");
    assert!(json.contains("cancel-monitoring"), "{json}");
    let junit = std::fs::read_to_string(&flag_junit).expect("the JUnit report");
    assert!(junit.contains("<testsuite"), "{junit}");
    assert!(
        !dir.join("env.xml").exists(),
        "--junit wins over GWS_CONFORM_JUNIT"
    );
    // A baseline named by the environment is read (and this one does not exist).
    let mut with_baseline = env.clone();
    with_baseline.push(("GWS_CONFORM_BASELINE", &missing_baseline));
    let out = output(&["run", "cancel-monitoring"], &with_baseline);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&missing_baseline), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `args` and returns its output and how long it took.
fn timed(args: &[&str], env: &[(&str, &str)]) -> (Output, Duration) {
    let started = Instant::now();
    let out = output(args, env);
    (out, started.elapsed())
}

#[test]
fn a_target_that_never_answers_is_given_up_on_within_the_wait() {
    let refused = format!("http://{}", closed_address());
    // Accepts connections (the kernel does, into the backlog) and never answers a request.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent = format!("http://{}", silent.local_addr().unwrap());
    for target in [&refused, &silent] {
        let args = ["run", "cancel-monitoring", "--target", target];
        let (out, took) = timed(&args, &[("GWS_CONFORM_WAIT_FOR_TARGET", "1s")]);
        assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
        let expected = format!("the target {target} did not answer within 1 s");
        assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
        assert!(stderr(&out).contains("nothing was run"), "{}", stderr(&out));
        assert!(
            (Duration::from_secs(1)..Duration::from_secs(8)).contains(&took),
            "{target}: took {took:?}"
        );
    }
    // The flag wins over the variable: 250ms, not 1 minute.
    let args = [
        "run",
        "cancel-monitoring",
        "--target",
        &refused,
        "--wait-for-target",
        "250ms",
    ];
    let (out, took) = timed(&args, &[("GWS_CONFORM_WAIT_FOR_TARGET", "1m")]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("within 250 ms"), "{}", stderr(&out));
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn replay_waits_for_its_target_too() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/replay-captures/run-record.har"
    );
    let refused = format!("http://{}", closed_address());
    let args = [
        "replay",
        capture,
        "--target",
        &refused,
        "--wait-for-target",
        "500ms",
    ];
    let (out, took) = timed(&args, &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let expected = format!("the target {refused} did not answer within 500 ms");
    assert!(stderr(&out).contains(&expected), "{}", stderr(&out));
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn waiting_needs_a_target() {
    let capture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/replay-captures/run-record.har"
    );
    for args in [
        &["run", "cancel-monitoring", "--wait-for-target", "1s"][..],
        &["replay", capture, "--wait-for-target", "1s"][..],
    ] {
        let out = output(args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--wait-for-target applies to a --target"),
            "{}",
            stderr(&out)
        );
    }
    for bad in ["0s", "soon", "-1s"] {
        let out = output(
            &["run", "--target", "http://h", "--wait-for-target", bad],
            &[],
        );
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
    }
}

#[test]
fn a_target_that_starts_late_is_waited_for() {
    let address = closed_address();
    let url = format!("http://{address}");
    let run = gws(
        &[
            "run",
            "cancel-monitoring",
            "--target",
            &url,
            "--wait-for-target",
            "30s",
        ],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start the run");
    // The server under test comes up only after the run has started waiting for it.
    std::thread::sleep(Duration::from_millis(1500));
    let listen = address.to_string();
    let (mut server, served) = support::spawn_listening(&["serve", "--listen", &listen]);
    let out = run.wait_with_output().expect("the run ends");
    let _ = server.kill();
    let _ = server.wait();
    assert!(served.ends_with(&listen), "{served}");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed; 0 failed"), "{stdout}");
    assert!(
        stderr.contains(&format!("note: the target {url} answered after")),
        "{stderr}"
    );
}

#[test]
fn the_partition_comes_from_the_environment_and_the_flag_wins() {
    let listed = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["run", "--list"];
        all.extend_from_slice(args);
        let out = output(&all, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (first, second) = (
        listed(&["--partition", "1/2"], &[]),
        listed(&["--partition", "2/2"], &[]),
    );
    let env = [("GWS_CONFORM_PARTITION", "1/2")];
    assert_eq!(listed(&[], &env), first, "the environment's shard");
    assert_eq!(
        listed(&["--partition", "2/2"], &env),
        second,
        "the flag wins"
    );
    let bad = output(&["run", "--list"], &[("GWS_CONFORM_PARTITION", "3/2")]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a bad shard from the environment is bad input"
    );
}

#[test]
fn the_quiet_window_policy_comes_from_the_environment_and_the_summary_reports_it() {
    let dir = temp_dir("quiet");
    let json = dir.join("run.jsonl");
    let calibration = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec![
            "run",
            "switch-monitor-to-coach",
            "-q",
            "--json",
            json.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let out = output(&all, env);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = std::fs::read_to_string(&json).unwrap();
        let summary: serde_json::Value =
            serde_json::from_str(text.lines().last().unwrap()).unwrap();
        summary["quiet_calibration"].clone()
    };
    let env = [
        ("GWS_CONFORM_QUIET_SCALE", "3"),
        ("GWS_CONFORM_QUIET_MIN", "35ms"),
    ];
    let from_env = calibration(&[], &env);
    assert_eq!(from_env["scale"], 3.0, "{from_env}");
    assert_eq!(from_env["floor_ms"], 35.0, "{from_env}");
    assert!(from_env["samples"].as_u64().unwrap() > 0, "{from_env}");
    let flagged = calibration(&["--quiet-scale", "5", "--quiet-min", "50"], &env);
    assert_eq!(flagged["scale"], 5.0, "the flag wins: {flagged}");
    assert_eq!(flagged["floor_ms"], 50.0, "the flag wins: {flagged}");
    let bad = output(&["run", "--list"], &[("GWS_CONFORM_QUIET_SCALE", "0")]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_lab_certificate_comes_from_the_environment() {
    let dir = temp_dir("cacert");
    let pem = dir.join("lab.pem");
    std::fs::write(&pem, "not a certificate\n").unwrap();
    let target = format!("https://{}", closed_address());
    let out = output(
        &["run", "--target", &target, "cancel-monitoring"],
        &[("GWS_CONFORM_CACERT", pem.to_str().unwrap())],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "the file is read: {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("lab.pem"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

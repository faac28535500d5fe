//! `gws-conform serve` as a user runs it: it prints where it listens and serves; a bad users
//! file or an address in use give a clear message and the documented exit codes; `--help`
//! lists the limits, and the limit flags take effect; Ctrl-C and SIGTERM stop it cleanly.

mod support;

use std::process::Command;
use std::time::Duration;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    // Runs record their failed scenarios (`--last-failed`): never in the real home.
    command.env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null");
    command
}

#[test]
fn a_bad_users_file_exits_2_naming_the_file_and_the_problem() {
    let dir = std::env::temp_dir().join(format!("gws-conform-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("users.yaml");
    std::fs::write(
        &file,
        "users:\n  - userName: a\n    password: p\n    roles: [wizard]\n",
    )
    .unwrap();
    let output = binary()
        .args(["serve", "--users"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("users.yaml") && stderr.contains("wizard"),
        "{stderr}"
    );
    let missing = binary()
        .args(["serve", "--users", "/no/such/file.yaml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        ["--long-poll-timeout", "soon"],
        ["--max-open-chats", "0"],
        ["--max-body-bytes", "-1"],
    ] {
        let output = binary().arg("serve").args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn help_lists_the_limits_with_their_defaults() {
    let output = binary().args(["serve", "--help"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let help = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "--max-body-bytes (default 65536)",
        "--max-clients-per-user (default 64)",
        "--max-open-chats (default 10000)",
        "HTTP sessions per user: 32",
    ] {
        assert!(
            help.contains(expected),
            "{expected:?} missing from:\n{help}"
        );
    }
}

#[test]
fn limits_given_on_the_command_line_apply() {
    let (mut child, url) =
        support::spawn_serve(&["--max-open-chats", "1", "--max-body-bytes", "100"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let statuses: Vec<u16> = runtime.block_on(async {
        let http = reqwest::Client::new();
        let mut statuses = Vec::new();
        for nickname in ["first", "second", &"x".repeat(200)] {
            let response = http
                .post(format!("{url}/api/v2/chats"))
                .header("ContactCenterId", "default")
                .json(&serde_json::json!({"operationName": "RequestChat", "nickname": nickname}))
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [200, 503, 413]);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn serve_prints_its_address_and_answers_requests() {
    let (mut child, url) = support::spawn_serve(&["--long-poll-timeout", "1000"]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/api/v2/diagnostics/version"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["statusCode"], 0);
    // The same address again cannot be bound: exit code 3.
    let addr = url.trim_start_matches("http://");
    let second = binary().args(["serve", "--listen", addr]).output().unwrap();
    assert_eq!(
        second.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn ctrl_c_and_sigterm_stop_it_with_exit_code_0() {
    for name in ["INT", "TERM"] {
        let (mut child, _) = support::spawn_serve(&[]);
        support::har::signal(&child, name);
        let status = support::har::wait_exit(&mut child, Duration::from_secs(20));
        assert_eq!(status.code(), Some(0), "after SIG{name}");
    }
}

/// Starts `serve` with `log` (or no `--log`), makes one request with a token in its query,
/// stops it; returns what it wrote on standard error.
fn serve_log(log: Option<&str>) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let dir = std::env::temp_dir().join(format!(
        "gws-conform-serve-log-{}-{}",
        std::process::id(),
        log.unwrap_or("none")
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let stderr = dir.join("stderr.txt");
    let mut command = binary();
    command.args(["serve", "--listen", "127.0.0.1:0"]);
    command.args(log.map(|level| ["--log", level]).into_iter().flatten());
    let mut child = command
        .env_remove("GWS_CONFORM_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line.trim().rsplit("//").next().unwrap().to_owned();
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = "GET /api/v2/diagnostics/version?access_token=S3CRET HTTP/1.1\r\n\
                   Host: x\r\nConnection: close\r\n\r\n";
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    // The line is written as the response goes out; give it a moment to reach the file.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(&stderr).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    text
}

#[test]
fn serve_logs_a_line_per_request_at_info_and_nothing_by_default() {
    let logged = serve_log(Some("info"));
    assert!(
        logged.contains("GET /api/v2/diagnostics/version 200"),
        "{logged}"
    );
    assert!(
        !logged.contains("S3CRET"),
        "the query is not logged: {logged}"
    );
    let quiet = serve_log(None);
    assert!(!quiet.contains("/api/v2/diagnostics/version"), "{quiet}");
}

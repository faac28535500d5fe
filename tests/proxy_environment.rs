//! The proxy environment as `run` honours it: a loopback target is reached directly whatever
//! `HTTP_PROXY` says; any other target goes through the proxy the environment names (unless
//! `NO_PROXY` lists it); `--proxy` is taken even for a loopback target; and an error of a
//! request sent through a proxy names the proxy, not only the target.
//!
//! No network is used: the proxies are closed ports on this machine, and the non-loopback
//! target (`gws.invalid`, a reserved name) is never resolved when a proxy is taken.

mod support;

use std::net::TcpListener;
use std::process::{Command, Output};

/// A URL on this machine where nothing listens (connections are refused).
fn refusing_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// `gws-conform run` with `args`, the proxy variables replaced by `env`.
fn run_with(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gws-conform"));
    // Runs record their failed scenarios (`--last-failed`): never in the real home.
    command.env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null");
    command.current_dir(env!("CARGO_MANIFEST_DIR")).arg("run");
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.args(args).output().expect("run gws-conform")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs against `http://gws.invalid:8090` (a name that never resolves) with `env`, which must
/// end with exit 3; returns stderr.
fn unreachable_invalid_target(env: &[(&str, &str)]) -> String {
    let output = run_with(
        env,
        &[
            "--target",
            "http://gws.invalid:8090",
            "--request-timeout",
            "5s",
        ],
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    text
}

#[test]
fn a_loopback_target_is_reached_directly_whatever_the_environment_says() {
    let (server, url) = support::spawn_serve(&[]);
    let mut server = server;
    let proxy = refusing_url();
    let output = run_with(
        &[("HTTP_PROXY", &proxy), ("ALL_PROXY", &proxy)],
        &["--target", &url, "--exact", "plain-agent-cannot-monitor"],
    );
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("through the proxy"));
}

#[test]
fn another_target_goes_through_the_environment_proxy_and_its_failure_names_it() {
    let proxy = refusing_url();
    let text = unreachable_invalid_target(&[("HTTP_PROXY", &proxy)]);
    assert!(
        text.contains(&format!(
            "note: requests to http://gws.invalid:8090 go (through the proxy {proxy}, from HTTP_PROXY)"
        )),
        "{text}"
    );
    assert!(
        text.contains("cannot reach the target http://gws.invalid:8090")
            && text.contains(&format!("(through the proxy {proxy}, from HTTP_PROXY)")),
        "the error names the proxy: {text}"
    );
}

#[test]
fn no_proxy_sends_a_listed_target_directly() {
    let proxy = refusing_url();
    let text =
        unreachable_invalid_target(&[("HTTP_PROXY", &proxy), ("NO_PROXY", "localhost,.invalid")]);
    assert!(
        text.contains("cannot reach the target http://gws.invalid:8090"),
        "{text}"
    );
    assert!(!text.contains("through the proxy"), "{text}");
}

#[test]
fn an_explicit_proxy_is_taken_even_for_a_loopback_target_and_named_with_its_credentials_hidden() {
    let proxy = refusing_url();
    let with_credentials = proxy.replace("http://", "http://me:secret@");
    let target = refusing_url();
    let output = run_with(&[], &["--target", &target, "--proxy", &with_credentials]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(
        text.contains(&format!("(through the proxy {proxy}, from --proxy)")),
        "{text}"
    );
    assert!(!text.contains("secret"), "no credentials repeated: {text}");
}

#[test]
fn a_bad_proxy_or_one_without_a_target_is_bad_input() {
    for args in [
        &["--proxy", "http://127.0.0.1:3128"][..],
        &[
            "--target",
            "http://127.0.0.1:1",
            "--proxy",
            "127.0.0.1:3128",
        ],
        &[
            "--target",
            "http://127.0.0.1:1",
            "--proxy",
            "socks5://127.0.0.1:1080",
        ],
    ] {
        let output = run_with(&[], args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains("--proxy"), "{}", stderr(&output));
    }
}

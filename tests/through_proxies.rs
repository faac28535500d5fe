//! Proxies are normal: the whole suite, `gws-conform run --target` through a proxy in front of
//! a conforming reference server, passes, under `--strict`. Behind a proxy the server names
//! itself by its own origin, which is not the URL the harness used, so this proves the checks
//! compare URIs by their path and follow what the server hands out. Two proxies: the recording
//! proxy (`gws-conform proxy`, in process, writing a HAR beside), and a plain forwarding proxy
//! that passes bodies untouched (`tests/hostile`'s front end, forwarding everything).

mod hostile;
mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use gws_conform::har::{Ending, HarWriter};
use gws_conform::proxy::{ProxyConfig, start};
use gws_conform::server::ServerConfig;
use hostile::{Hostile, Plan};
use support::har::scratch;

/// The longest a held connect waits; short, so the clean-up of each scenario is quick.
const LONG_POLL: Duration = Duration::from_secs(2);

/// Runs the whole suite against `target` on a blocking thread, `--strict`; returns the exit
/// code and what it printed.
async fn suite_against(target: String) -> (Option<i32>, String) {
    tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_gws-conform"))
            // Runs record their failed scenarios (`--last-failed`): never in the real home.
            .env("GWS_CONFORM_LAST_FAILED_FILE", "/dev/null")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["run", "-q", "--strict", "--target", &target])
            .output()
            .expect("run gws-conform");
        (output.status.code(), support::output_text(&output))
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_suite_passes_through_the_recording_proxy_and_a_plain_forwarding_proxy() {
    let dir = scratch("through-proxies");
    let server = support::server_with(ServerConfig {
        long_poll_timeout: LONG_POLL,
        ..ServerConfig::default()
    })
    .await;
    let writer = Arc::new(HarWriter::create(&dir.join("suite.har"), "test").unwrap());
    let recording = start(
        ProxyConfig::new(server.base_url()),
        "127.0.0.1:0".parse().unwrap(),
        writer.clone(),
    )
    .await
    .unwrap();
    let forwarding = Hostile::proxy(LONG_POLL, |_| Plan::Forward).await;

    let (through_recording, through_forwarding) = tokio::join!(
        suite_against(recording.base_url()),
        suite_against(forwarding.url.clone()),
    );
    assert_eq!(
        through_recording.0,
        Some(0),
        "through gws-conform proxy:\n{}",
        through_recording.1
    );
    assert_eq!(
        through_forwarding.0,
        Some(0),
        "through a forwarding proxy:\n{}",
        through_forwarding.1
    );
    assert!(
        through_recording.1.contains("passed; 0 failed"),
        "{}",
        through_recording.1
    );
    // The recording proxy saw the whole suite.
    let entries = writer.finish(Ending::Stopped).unwrap();
    assert!(entries > 500, "only {entries} exchanges recorded");
    server.shutdown().await;
}

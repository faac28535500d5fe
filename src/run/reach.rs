//! Whether a target can be reached at all, checked once before a run: an unreachable target
//! ends the run at once (exit 3) with one clear message, instead of every scenario failing on
//! its own after waiting out its deadlines. Or, for a target still starting (a CI job that has
//! just launched it), waited for until it answers or a deadline passes.

use std::time::{Duration, Instant};

use super::requests;
use crate::driver::format_duration;
use crate::driver::http::{Auth, HttpActor};
use crate::driver::route::Route;
use crate::driver::trust::refused_certificate;

/// The request the check makes: harmless, answered by any GWS server (with 401 without
/// credentials), and part of every scenario's login anyway.
const PROBE_PATH: &str = requests::ME;

/// The pause between two probes of a target that is not answering yet: short next to a
/// server's start-up, long enough not to spin on a refused connection.
const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// `Ok` when the target at `base_url` answers an HTTP request with any status within
/// `timeout`; otherwise what went wrong (connection refused, nothing answered in time, ...).
/// What the answer says does not matter here: a target that answers badly is reachable, and
/// its misbehaviour is for the scenarios to report.
pub async fn check_reachable(
    base_url: &str,
    timeout: Duration,
    route: &Route,
) -> Result<(), String> {
    probe(&client(base_url, timeout, route)?).await
}

/// Probes the target at `base_url` until it answers (as [`check_reachable`] judges it) or
/// `within` has passed, each probe taking at most `probe_timeout` and never past that
/// deadline. `Ok` with how long it took; otherwise a message naming the target, how long it
/// was waited for, and what the last probe met; at once when the target's TLS certificate is
/// refused.
pub async fn wait_until_reachable(
    base_url: &str,
    within: Duration,
    probe_timeout: Duration,
    route: &Route,
) -> Result<Duration, String> {
    let started = Instant::now();
    let deadline = started + within;
    // One client for every probe: building one per probe would redo its TLS set-up each time.
    let http = client(base_url, probe_timeout, route)?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let last = match tokio::time::timeout(left, probe(&http)).await {
            Ok(Ok(())) => return Ok(started.elapsed()),
            // A certificate refused will not be accepted on the next probe: stop waiting.
            Ok(Err(why)) if refused_certificate(&why) => {
                return Err(format!("the target {base_url} cannot be trusted: {why}"));
            }
            Ok(Err(why)) => why,
            Err(_) => format!("GET {base_url}{PROBE_PATH}: no answer before the deadline"),
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "the target {base_url} did not answer within {} (waited {}); last: {last}",
                format_duration(within),
                format_duration(started.elapsed()),
            ));
        }
        tokio::time::sleep(POLL_INTERVAL.min(left)).await;
    }
}

/// The anonymous client the probes use.
fn client(base_url: &str, timeout: Duration, route: &Route) -> Result<HttpActor, String> {
    HttpActor::new(base_url, Auth::Anonymous, timeout, route)
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// One probe: any HTTP status is an answer.
async fn probe(http: &HttpActor) -> Result<(), String> {
    let exchange = http.send("GET", PROBE_PATH, None, &[]).await;
    match (exchange.status, exchange.error) {
        (Some(_), _) => Ok(()),
        (None, error) => Err(format!(
            "GET {}: {}",
            exchange.url,
            error.unwrap_or_else(|| "no response".to_owned())
        )),
    }
}

//! Whether a target can be reached at all, checked once before a run: an unreachable target
//! ends the run at once (exit 3) with one clear message, instead of every scenario failing on
//! its own after waiting out its deadlines.

use std::time::Duration;

use super::requests;
use crate::driver::http::{Auth, HttpActor};
use crate::driver::route::Route;

/// The request the check makes: harmless, answered by any GWS server (with 401 without
/// credentials), and part of every scenario's login anyway.
const PROBE_PATH: &str = requests::ME;

/// `Ok` when the target at `base_url` answers an HTTP request with any status within
/// `timeout`; otherwise what went wrong (connection refused, nothing answered in time, ...).
/// What the answer says does not matter here: a target that answers badly is reachable, and
/// its misbehaviour is for the scenarios to report.
pub async fn check_reachable(
    base_url: &str,
    timeout: Duration,
    route: &Route,
) -> Result<(), String> {
    let http = HttpActor::new(base_url, Auth::Anonymous, timeout, route)
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
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

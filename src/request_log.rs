//! One line per request that `serve` and `proxy` handle, logged at `info` (shown with
//! `--log info`; the default shows warnings only): method, path, status and time taken. The
//! query string is left out, as recordings leave secrets out: a token may travel in it.

use std::time::Instant;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// `router` with [`log_request`] around it, if request lines are logged at all. The log filter
/// is set once, at start-up; leaving the middleware out spares every request its cost.
pub fn logged<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    if tracing::enabled!(target: "gws_conform::requests", tracing::Level::INFO) {
        router.layer(axum::middleware::from_fn(log_request))
    } else {
        router
    }
}

/// The middleware: passes the request on and logs how it went.
pub async fn log_request(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "gws_conform::requests",
        "{method} {path} {} {} ms",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    response
}

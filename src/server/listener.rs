//! Serving the reference server's router on a TCP listener, with bounds on what a connection
//! can hold: at most [`ConnectionLimits::max_connections`] open at once (more are closed as
//! soon as they are accepted), and a request's head must arrive within
//! [`ConnectionLimits::header_read_timeout`] (an idle keep-alive connection is closed after
//! that long too).
//!
//! Why not `axum::serve`: it gives hyper no timer, so hyper's header-read timeout never fires
//! and a client that trickles its headers (slow-loris) holds a connection and its task for
//! ever; and it has no connection cap. Held long-polls are not affected by either bound: their
//! head has arrived, and the body-reading and the hold have their own deadlines.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, oneshot};

/// Bounds on the server's TCP connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once; one accepted beyond it is closed at once.
    pub max_connections: usize,
    /// Time a client has to send a request's head (and an idle keep-alive connection stays
    /// open).
    pub header_read_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

/// How long shutdown waits for open connections to finish their current request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` fires (or its sender is dropped), then lets
/// open connections finish their current request, for at most [`SHUTDOWN_GRACE`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(
                max = limits.max_connections,
                "connection limit reached; connection closed"
            );
            continue;
        };
        // Replies are written whole; waiting for Nagle's ACK would add latency to each.
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // A client that goes away or sends garbage ends its own connection only.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await;
}

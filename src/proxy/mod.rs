//! The recording reverse proxy (`gws-conform proxy`): real clients (an agent or supervisor
//! desktop, a customer chat widget) point at it instead of the GWS server; it forwards every
//! request to the upstream and the response back, and records each exchange, redacted, to a
//! HAR file as soon as it completes (docs/recording.md).
//!
//! Long-polls pass through untouched: the proxy waits as long as the upstream holds them, up to
//! a generous, configurable `hold_limit`. Nothing is kept after an exchange is recorded except
//! a bounded map of session cookies to user names (`actors.rs`), so memory stays flat however
//! long the capture runs.

mod actors;
mod forward;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::driver::trust::Trust;
use crate::har::CaptureSink;
use crate::har::redact::{NoRandomKey, UserNames};
use crate::profile::Profile;

/// How the proxy behaves.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// The server to forward to: `http(s)://host[:port]`, optionally with a path prefix.
    pub upstream: String,
    /// Longest wait for the upstream's whole response (and for a client's request body).
    /// Long-polls are held by the upstream for its advised timeout (GWS: tens of seconds); this
    /// only catches a peer that never finishes, so it is generous.
    pub hold_limit: Duration,
    /// Deadline for connecting to the upstream.
    pub connect_timeout: Duration,
    /// Largest request or response body forwarded (and recorded); larger ones are refused.
    pub max_body_bytes: usize,
    /// The Basic user names the recording may show; any other is fingerprinted
    /// ([`UserNames`]).
    pub known_users: BTreeSet<String>,
    /// The certificates an `https://` upstream is checked against.
    pub trust: Trust,
}

impl ProxyConfig {
    /// The defaults for `upstream`: hold limit 300 s, connect timeout 10 s, bodies up to 16 MiB,
    /// the reference server's built-in users known.
    pub fn new(upstream: impl Into<String>) -> Self {
        Self {
            upstream: upstream.into(),
            hold_limit: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 16 << 20,
            known_users: Profile::builtin().login_names().collect(),
            trust: Trust::default(),
        }
    }
}

/// Why the proxy cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// The upstream is not an `http://` or `https://` URL.
    #[error("invalid upstream URL {url}: {reason}")]
    Upstream {
        /// What was given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client for the upstream could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The key fingerprinting unknown user names could not be drawn.
    #[error(transparent)]
    Randomness(#[from] NoRandomKey),
    /// The listening address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// What every request handler shares.
struct Proxy {
    /// The upstream URL without a trailing `/`; a request's path and query are appended.
    upstream: String,
    client: reqwest::Client,
    config: ProxyConfig,
    sink: Arc<dyn CaptureSink>,
    names: actors::Names,
    /// The proxy's own address, for recorded URLs of requests without a `Host` header.
    listen: SocketAddr,
}

/// The upstream URL, checked, without a trailing `/`.
fn upstream_base(url: &str) -> Result<String, ProxyError> {
    let invalid = |reason: &str| ProxyError::Upstream {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid(
            "no query or fragment: request paths are appended to it",
        ));
    }
    // Credentials here would end up in messages and recordings; clients send their own.
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "no user name or password: the clients authenticate themselves",
        ));
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// A proxy serving on a local port.
#[derive(Debug)]
pub struct RunningProxy {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningProxy {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and gives requests in flight up to `grace` to complete
    /// (long-polls held longer are left unrecorded). Do not call after
    /// [`stopped`](Self::stopped) returned.
    pub async fn shutdown(mut self, grace: Duration) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(grace, &mut self.task).await.is_err() {
            self.task.abort();
        }
    }

    /// Waits until the proxy stops by itself (it only does on an I/O error).
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.map_err(std::io::Error::other)?
    }
}

/// Binds `listen` (port 0 picks a free port) and proxies to `config.upstream`, handing every
/// exchange to `sink`.
pub async fn start(
    config: ProxyConfig,
    listen: SocketAddr,
    sink: Arc<dyn CaptureSink>,
) -> Result<RunningProxy, ProxyError> {
    let upstream = upstream_base(&config.upstream)?;
    // One proxy writes one recording: its fingerprints are keyed for it alone.
    let users = UserNames::new(config.known_users.iter().cloned())?;
    let client = config
        .trust
        .apply(
            reqwest::Client::builder()
                // Redirects, cookies and compression belong to the real client, not the proxy.
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.connect_timeout),
        )?
        .build()?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ProxyError::Listen {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ProxyError::Listen {
        addr: listen,
        source,
    })?;
    let proxy = Arc::new(Proxy {
        upstream,
        client,
        config,
        sink,
        names: actors::Names::new(users),
        listen: addr,
    });
    let router = Router::new()
        .fallback(forward::forward)
        .layer(axum::middleware::from_fn(crate::request_log::log_request))
        .with_state(proxy);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningProxy {
        addr,
        shutdown: Some(tx),
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upstream_must_be_an_http_base_url() {
        assert_eq!(
            upstream_base("http://gws:8090/").unwrap(),
            "http://gws:8090"
        );
        assert_eq!(
            upstream_base("https://gws/base/").unwrap(),
            "https://gws/base"
        );
        for bad in [
            "gws:8090",
            "ftp://gws",
            "http://gws/?x=1",
            "",
            "http://",
            "http://u:pw@gws",
        ] {
            assert!(upstream_base(bad).is_err(), "{bad} accepted");
        }
    }
}

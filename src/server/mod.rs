//! The embedded reference server: an in-memory implementation of the documented GWS chat and
//! supervisor-monitoring behaviour, served with axum. [`app`] returns the router for
//! in-process use; [`start`] binds a port and serves it.

pub mod api_error;
pub mod bayeux;
pub mod clock;
pub mod directory;
pub mod faults;
mod http;
pub mod ids;
mod listener;
mod params;
pub mod seeded;
pub mod variants;
pub mod world;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use bayeux::HubConfig;
pub use directory::Directory;
pub use faults::{Fault, Faults};
pub use http::SESSIONS_PER_USER;
pub use listener::ConnectionLimits;
pub use variants::{Variant, Variants};

use bayeux::Hub;
use http::{AppState, HttpSettings};
use ids::IdGen;
use world::World;

/// How a reference server behaves.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The users; `None` is the built-in directory.
    pub directory: Option<Directory>,
    /// How long a Bayeux connect is held when nothing is queued.
    pub long_poll_timeout: Duration,
    /// How long a Bayeux client may go without polling before it is forgotten.
    pub client_max_interval: Duration,
    /// Messages queued for one Bayeux client beyond which it is expelled.
    pub max_queue: usize,
    /// Bayeux clients one user may hold at once (a handshake beyond it drops an older one).
    pub max_clients_per_user: usize,
    /// Chats requested and not yet over that may exist at once (RequestChat gets 503 beyond).
    pub max_open_chats: usize,
    /// Require CSRF tokens on state-changing requests.
    pub csrf: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The base URL rendered into `uri` fields (a server behind a proxy is reached at another
    /// URL than the one it names itself by); [`start`] fills it from the bound address, or with
    /// [`variants::OTHER_ORIGIN`] under that variant.
    pub public_url: Option<String>,
    /// Bounds on TCP connections (count, time to send a request's head).
    pub connections: ConnectionLimits,
    /// Deliberate non-conformances to switch on (none by default).
    pub faults: Faults,
    /// Legal variants of the server's choices to switch on (none by default).
    pub variants: Variants,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            directory: None,
            long_poll_timeout: Duration::from_secs(30),
            client_max_interval: Duration::from_secs(10),
            max_queue: 1_000,
            max_clients_per_user: HubConfig::default().max_clients_per_user,
            max_open_chats: world::DEFAULT_MAX_OPEN_CHATS,
            csrf: false,
            max_body_bytes: 64 * 1024,
            public_url: None,
            connections: ConnectionLimits::default(),
            faults: Faults::NONE,
            variants: Variants::NONE,
        }
    }
}

/// The axum app of a reference server. When called inside a tokio runtime it also starts the
/// task that expires idle Bayeux clients (the task ends when the app is dropped).
pub fn app(config: ServerConfig) -> Router {
    build(config).0
}

/// Counts of what hostile or careless clients could otherwise grow without end; each is
/// bounded (docs/ARCHITECTURE.md, "Invariants").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    /// Live Bayeux clients (handshaken, not yet disconnected, expelled or expired).
    pub bayeux_clients: usize,
    /// Live HTTP sessions (`JSESSIONID`s).
    pub http_sessions: usize,
    /// Chats requested and not yet over.
    pub open_chats: usize,
}

fn build(config: ServerConfig) -> (Router, Arc<AppState>) {
    let ids = Arc::new(IdGen::new().with_uuids(config.variants.has(Variant::UuidIds)));
    let directory = config.directory.unwrap_or_else(|| Directory::builtin(&ids));
    let base = config
        .public_url
        .unwrap_or_else(|| "http://localhost".to_owned());
    let world = World::new(Arc::new(directory), ids.clone(), &base)
        .with_faults(config.faults)
        .with_variants(config.variants)
        .with_max_open_chats(config.max_open_chats);
    let hub = Hub::new(HubConfig {
        long_poll_timeout: config.long_poll_timeout,
        max_interval: config.client_max_interval,
        max_queue: config.max_queue,
        max_clients_per_user: config.max_clients_per_user,
        faults: config.faults,
        variants: config.variants,
        ..HubConfig::default()
    });
    Hub::spawn_expiry(&hub);
    let settings = HttpSettings {
        csrf: config.csrf,
        max_body_bytes: config.max_body_bytes,
        variants: config.variants,
    };
    let state = Arc::new(AppState::new(world, hub, ids, settings));
    (http::router(state.clone()), state)
}

/// A reference server serving on a local port.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the server holds now (cheap: three counts under their own locks).
    pub fn stats(&self) -> ServerStats {
        self.state.stats()
    }

    /// Stops accepting, answers held long-polls at once, and waits for the server to finish.
    pub async fn shutdown(mut self) {
        self.state.hub().close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops by itself (it only does if its task panicked: failed
    /// accepts are retried). Do not call [`RunningServer::shutdown`] after this returned.
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.map_err(std::io::Error::other)
    }
}

/// Binds `addr` (port 0 picks a free port) and serves a reference server on it.
pub async fn start(mut config: ServerConfig, addr: SocketAddr) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    if config.public_url.is_none() {
        let origin = if config.variants.has(Variant::OtherOrigin) {
            variants::OTHER_ORIGIN.to_owned()
        } else {
            format!("http://{addr}")
        };
        let context = if config.variants.has(Variant::ContextPath) {
            variants::CONTEXT_PATH
        } else {
            ""
        };
        config.public_url = Some(format!("{origin}{context}"));
    }
    let limits = config.connections;
    let (router, state) = build(config);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(listener::serve(listener, router, limits, rx));
    Ok(RunningServer {
        addr,
        state,
        shutdown: Some(tx),
        task,
    })
}

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
mod params;
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
    /// Require CSRF tokens on state-changing requests.
    pub csrf: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The base URL rendered into `uri` fields; [`start`] fills it from the bound address.
    pub public_url: Option<String>,
    /// Deliberate non-conformances to switch on (none by default).
    pub faults: Faults,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            directory: None,
            long_poll_timeout: Duration::from_secs(30),
            client_max_interval: Duration::from_secs(10),
            max_queue: 1_000,
            csrf: false,
            max_body_bytes: 64 * 1024,
            public_url: None,
            faults: Faults::NONE,
        }
    }
}

/// The axum app of a reference server. When called inside a tokio runtime it also starts the
/// task that expires idle Bayeux clients (the task ends when the app is dropped).
pub fn app(config: ServerConfig) -> Router {
    build(config).0
}

fn build(config: ServerConfig) -> (Router, Arc<Hub>) {
    let ids = Arc::new(IdGen::new());
    let directory = config.directory.unwrap_or_else(|| Directory::builtin(&ids));
    let base = config
        .public_url
        .unwrap_or_else(|| "http://localhost".to_owned());
    let world = World::new(Arc::new(directory), ids.clone(), &base).with_faults(config.faults);
    let hub = Hub::new(HubConfig {
        long_poll_timeout: config.long_poll_timeout,
        max_interval: config.client_max_interval,
        max_queue: config.max_queue,
        faults: config.faults,
        ..HubConfig::default()
    });
    Hub::spawn_expiry(&hub);
    let settings = HttpSettings {
        csrf: config.csrf,
        max_body_bytes: config.max_body_bytes,
    };
    let state = Arc::new(AppState::new(world, hub.clone(), ids, settings));
    (http::router(state), hub)
}

/// A reference server serving on a local port.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    hub: Arc<Hub>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
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

    /// Stops accepting, answers held long-polls at once, and waits for the server to finish.
    pub async fn shutdown(mut self) {
        self.hub.close();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server stops by itself (it only does on an I/O error). Do not call
    /// [`RunningServer::shutdown`] after this returned.
    pub async fn stopped(&mut self) -> std::io::Result<()> {
        (&mut self.task).await.map_err(std::io::Error::other)?
    }
}

/// Binds `addr` (port 0 picks a free port) and serves a reference server on it.
pub async fn start(mut config: ServerConfig, addr: SocketAddr) -> std::io::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    if config.public_url.is_none() {
        config.public_url = Some(format!("http://{addr}"));
    }
    let (router, hub) = build(config);
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        hub,
        shutdown: Some(tx),
        task,
    })
}

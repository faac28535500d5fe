//! The reference server's HTTP surface: routes, shared state, and the glue that runs a world
//! operation and publishes the notifications it caused.

mod agent;
mod auth;
mod body;
mod customer;
mod notifications;
mod users;
mod wire_variants;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

pub use auth::{SESSIONS_PER_USER, SessionStore};

use super::api_error::ApiError;
use super::bayeux::Hub;
use super::faults::Faults;
use super::ids::IdGen;
use super::world::World;

/// Settings the HTTP layer itself enforces.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Require the CSRF token on POST/PUT/DELETE (opt-in GWS feature).
    pub csrf: bool,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Legal variants of the server's choices (the wire-form ones are applied here).
    pub variants: crate::server::Variants,
}

/// Everything a request handler may touch.
#[derive(Debug)]
pub struct AppState {
    /// The users, read without the world lock (it never changes while serving).
    directory: Arc<super::directory::Directory>,
    world: Mutex<World>,
    hub: Arc<Hub>,
    sessions: SessionStore,
    ids: Arc<IdGen>,
    settings: HttpSettings,
}

impl AppState {
    /// Shared state for one server.
    pub fn new(world: World, hub: Arc<Hub>, ids: Arc<IdGen>, settings: HttpSettings) -> Self {
        Self {
            directory: world.directory_handle(),
            world: Mutex::new(world),
            hub,
            sessions: SessionStore::default(),
            ids,
            settings,
        }
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `operation` on the world and publishes the notifications it caused before the
    /// lock is released, so each recipient gets them in the order they happened.
    fn with_world<T>(
        &self,
        operation: impl FnOnce(&mut World) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut world = self.world();
        let result = operation(&mut world);
        self.hub.publish(world.take_outbox());
        let late = world.take_late();
        if !late.is_empty()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let hub = self.hub.clone();
            runtime.spawn(async move {
                tokio::time::sleep(Faults::LATE_COPY_DELAY).await;
                hub.publish(late);
            });
        }
        result
    }

    /// The Bayeux hub.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Counts of live clients, sessions and open chats.
    pub fn stats(&self) -> super::ServerStats {
        super::ServerStats {
            bayeux_clients: self.hub.len(),
            http_sessions: self.sessions.len(),
            open_chats: self.read_world(World::open_chats),
        }
    }

    /// Reads the world without changing it.
    fn read_world<T>(&self, read: impl FnOnce(&World) -> T) -> T {
        read(&self.world())
    }
}

/// `{"statusCode": 0, ...fields}`.
fn success(fields: Value) -> axum::Json<Value> {
    let mut body = json!({"statusCode": 0});
    if let (Value::Object(target), Value::Object(extra)) = (&mut body, fields) {
        target.extend(extra);
    }
    axum::Json(body)
}

async fn not_found() -> ApiError {
    ApiError::not_found("No such resource")
}

async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

async fn version() -> axum::Json<Value> {
    success(json!({"version": concat!("gws-conform-reference ", env!("CARGO_PKG_VERSION"))}))
}

/// The router of a reference server.
pub fn router(state: Arc<AppState>) -> Router {
    let authenticated = Router::new()
        .route("/api/v2/me", get(agent::get_me).post(agent::post_me))
        .route("/api/v2/me/channels", get(agent::get_channels))
        .route("/api/v2/me/channels/chat", post(agent::post_chat_channel))
        .route("/api/v2/me/chats", get(agent::get_chats))
        .route(
            "/api/v2/me/chats/{chat_id}",
            get(agent::get_chat).post(agent::post_chat),
        )
        .route("/api/v2/users", get(users::list))
        .route("/api/v2/users/{user_id}", get(users::get_one))
        .route(
            "/api/v2/users/{user_id}/channels/chat",
            post(users::supervise),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_user,
        ));
    // The CometD endpoint authenticates its callers itself (see `notifications`).
    let bayeux = Router::new()
        .route(crate::bayeux::ENDPOINT, post(notifications::post))
        // CometD clients append `/` (or `/handshake`, `/connect`) to the configured URL.
        .route("/api/v2/notifications/", post(notifications::post))
        .route("/api/v2/notifications/{*rest}", post(notifications::post));
    let public = Router::new()
        .route("/api/v2/diagnostics/version", get(version))
        .route("/api/v2/chats", post(customer::request_chat))
        .route(
            "/api/v2/chats/{chat_id}",
            get(customer::get_chat).post(customer::post_chat),
        )
        .route(
            "/api/v2/chats/{chat_id}/messages",
            get(customer::get_messages),
        );
    let router = crate::request_log::logged(
        authenticated
            .merge(bayeux)
            .merge(public)
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed),
    );
    if !state.settings.variants.rewrites_bodies() {
        return router.with_state(state);
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            wire_variants::rewrite_json_bodies,
        ))
        .with_state(state)
}

//! `POST /api/v2/notifications[/...]`: the CometD endpoint. The official CometD clients append
//! the message type to the URL (`/handshake`, `/connect`), so every sub-path is accepted.
//!
//! The handler authenticates the caller itself rather than behind the router's authentication
//! middleware: every long-poll passes here, and the middleware's wrapping costs a share of
//! each one.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::{authenticate, finish};
use super::body::read_limited;
use crate::server::api_error::ApiError;
use crate::server::bayeux::handle_request;

/// Handles one Bayeux request.
pub async fn post(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let caller = match authenticate(&state, &request) {
        Ok(caller) => caller,
        Err(refusal) => return refusal.into_response(),
    };
    let method = request.method().clone();
    let mut response = answer(&state, caller.user_id(), request).await;
    finish(&state, &caller, &method, &mut response);
    response
}

async fn answer(state: &AppState, user_id: &str, request: Request) -> Response {
    let body = match read_limited(request, state.settings.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    match handle_request(&state.hub, &state.ids, user_id, &body).await {
        Ok(reply) => ([(CONTENT_TYPE, "application/json")], reply).into_response(),
        Err(e) => ApiError::invalid(e.to_string()).into_response(),
    }
}

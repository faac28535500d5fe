//! `POST /api/v2/notifications[/...]`: the CometD endpoint. The official CometD clients append
//! the message type to the URL (`/handshake`, `/connect`), so every sub-path is accepted.

use std::sync::Arc;

use axum::extract::{Extension, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::Caller;
use super::body::read_limited;
use crate::server::api_error::ApiError;
use crate::server::bayeux::handle_request;

/// Handles one Bayeux request.
pub async fn post(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Response {
    let body = match read_limited(request, state.settings.max_body_bytes).await {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let reply = match handle_request(&state.hub, &state.ids, &caller.user_id, &body).await {
        Ok(reply) => reply,
        Err(e) => return ApiError::invalid(e.to_string()).into_response(),
    };
    ([(CONTENT_TYPE, "application/json")], reply).into_response()
}

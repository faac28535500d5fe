//! The REST side of the wire-form variants ([`crate::server::variants`]): a layer that
//! rewrites every JSON response body (extra fields, reversed keys) on its way out, so that
//! each handler keeps building the server's default form. The Bayeux endpoint is left alone:
//! its replies are rewritten by the protocol handler, message by message.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

use super::AppState;

/// Largest body rewritten; a larger one (a very long chat list) is passed on as it is.
const MAX_REWRITTEN: usize = 16 << 20;

/// Rewrites the JSON body of every non-Bayeux response as the server's variants say.
pub async fn rewrite_json_bodies(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let bayeux = request.uri().path().starts_with(crate::bayeux::ENDPOINT);
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|t| t.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if bayeux || !json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REWRITTEN).await else {
        parts.headers.remove(CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    state.settings.variants.rewrite_body(&mut value);
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(value.to_string()))
}

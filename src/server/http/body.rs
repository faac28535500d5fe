//! Request-body and query extraction that always fails with a GWS error body: oversized
//! bodies get 413, malformed JSON and non-object bodies 400 with statusCode 10.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, Query, Request};
use serde_json::{Map, Value};

use super::AppState;
use crate::server::api_error::ApiError;

/// Reads a request body up to the server's limit.
pub async fn read_limited(request: Request, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// A JSON object request body (every GWS operation body is one).
#[derive(Debug)]
pub struct JsonObject(pub Map<String, Value>);

impl FromRequest<Arc<AppState>> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let bytes = read_limited(request, state.settings.max_body_bytes).await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(ApiError::invalid("The request body must be a JSON object")),
            Err(e) => Err(ApiError::invalid(format!("Malformed JSON body: {e}"))),
        }
    }
}

/// Query parameters, or a 400 GWS error when the query string is malformed.
pub fn query_params(
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<HashMap<String, String>, ApiError> {
    query
        .map(|Query(params)| params)
        .map_err(|e| ApiError::invalid(format!("Malformed query string: {e}")))
}

/// A path parameter, or a 400 GWS error when it cannot be decoded.
pub fn path_param(
    path: Result<axum::extract::Path<String>, axum::extract::rejection::PathRejection>,
) -> Result<String, ApiError> {
    path.map(|axum::extract::Path(value)| value)
        .map_err(|e| ApiError::invalid(format!("Malformed path: {e}")))
}

//! The error every API request can end in: an HTTP status plus the GWS body
//! `{"statusCode": N, "statusMessage": "..."}` (Return Values page; no other attributes on error).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// GWS `statusCode` values used by the reference server (Return Values page, 8.5.2/8.6.0).
pub mod status_code {
    /// A required parameter is missing.
    pub const MISSING_PARAMETER: u32 = 1;
    /// A parameter is not valid for the current state.
    pub const INVALID_STATE: u32 = 2;
    /// The operation is forbidden.
    pub const FORBIDDEN: u32 = 3;
    /// The user lacks the permission (role) for the operation.
    pub const NO_PERMISSION: u32 = 5;
    /// The resource was not found.
    pub const NOT_FOUND: u32 = 6;
    /// Input validation failed (malformed body, value out of range, unknown operation).
    pub const INVALID_INPUT: u32 = 10;
    /// The resource could not be created.
    pub const UNABLE_TO_CREATE: u32 = 13;
    /// The user is not authenticated.
    pub const NOT_AUTHENTICATED: u32 = 20;
}

/// A refused or failed request. A failed request changes no state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("HTTP {http} statusCode {code}: {message}")]
pub struct ApiError {
    /// The HTTP status of the response.
    pub http: StatusCode,
    /// The GWS `statusCode`.
    pub code: u32,
    /// The `statusMessage`.
    pub message: String,
}

impl ApiError {
    fn new(http: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            http,
            code,
            message: message.into(),
        }
    }

    /// 400, statusCode 1: a required parameter is missing.
    pub fn missing(parameter: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            status_code::MISSING_PARAMETER,
            format!("Missing required parameter '{parameter}'"),
        )
    }

    /// 400, statusCode 10: the input is malformed or a value is out of range.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, status_code::INVALID_INPUT, message)
    }

    /// 400, statusCode 2: valid input that the current state does not allow.
    pub fn wrong_state(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, status_code::INVALID_STATE, message)
    }

    /// 403, statusCode 3: the operation is forbidden (outside the chat's capabilities, or on
    /// somebody else's chat).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, status_code::FORBIDDEN, message)
    }

    /// 403, statusCode 5: the user's roles do not allow the operation.
    pub fn no_permission(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, status_code::NO_PERMISSION, message)
    }

    /// 404, statusCode 6: the resource does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, status_code::NOT_FOUND, message)
    }

    /// 401, statusCode 20: missing or wrong credentials.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            status_code::NOT_AUTHENTICATED,
            "Access denied: missing or invalid credentials",
        )
    }

    /// 413, statusCode 10: the body is larger than the server accepts.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            status_code::INVALID_INPUT,
            format!("Request body larger than {limit} bytes"),
        )
    }

    /// 503, statusCode 13: a server limit refuses a new resource for now (the open-chat
    /// cap).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            status_code::UNABLE_TO_CREATE,
            message,
        )
    }

    /// 405, statusCode 10: the path exists but not with this method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            status_code::INVALID_INPUT,
            "Method not allowed on this resource",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"statusCode": self.code, "statusMessage": self.message});
        (self.http, axum::Json(body)).into_response()
    }
}

//! Reading typed parameters out of a GWS operation body (`{"operationName": ..., ...}`), with
//! the documented errors: a missing parameter is statusCode 1, a mistyped one statusCode 10.

use serde_json::{Map, Value};

use super::api_error::ApiError;

/// An optional string parameter; present but not a string is an error.
pub fn optional_string(body: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid(format!(
            "Parameter '{name}' must be a string"
        ))),
    }
}

/// A required, non-empty string parameter.
pub fn required_string(body: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match optional_string(body, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => Err(ApiError::missing(name)),
    }
}

/// The `operationName`.
pub fn operation_name(body: &Map<String, Value>) -> Result<String, ApiError> {
    required_string(body, "operationName")
}

/// An error for an `operationName` the resource does not implement.
pub fn unknown_operation(name: &str) -> ApiError {
    ApiError::invalid(format!("Unknown operationName '{name}'"))
}

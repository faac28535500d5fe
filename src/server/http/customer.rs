//! The customer chat API (`/api/v2/chats`): no credentials, a `ContactCenterId` header on
//! every request, polling instead of notifications.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value, json};

use super::body::{JsonObject, path_param, query_params};
use super::{AppState, success};
use crate::server::api_error::ApiError;
use crate::server::params::{operation_name, optional_string, required_string, unknown_operation};
use crate::server::world::CustomerOp;

/// The header that names the contact centre on customer requests.
pub const CONTACT_CENTER_HEADER: &str = "ContactCenterId";

/// The contact centre a customer request names, if the directory knows it.
fn check_contact_center(state: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let sent = headers
        .get(CONTACT_CENTER_HEADER)
        .ok_or_else(|| ApiError::missing(CONTACT_CENTER_HEADER))?;
    let sent = sent.to_str().unwrap_or_default();
    if !state.read_world(|world| world.directory().serves(sent)) {
        return Err(ApiError::not_found("Unknown ContactCenterId"));
    }
    Ok(sent.to_owned())
}

/// `POST /api/v2/chats` with `RequestChat`.
pub async fn request_chat(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    JsonObject(body): JsonObject,
) -> Result<axum::Json<Value>, ApiError> {
    let contact_center = check_contact_center(&state, &headers)?;
    let name = operation_name(&body)?;
    if name != "RequestChat" {
        return Err(unknown_operation(&name));
    }
    let nickname = required_string(&body, "nickname")?;
    let subject = optional_string(&body, "subject")?.unwrap_or_default();
    let user_data = match body.get("userData") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(ApiError::invalid("Parameter 'userData' must be an object")),
    };
    let id = state
        .with_world(|world| world.request_chat(contact_center, nickname, subject, user_data))?;
    Ok(success(
        json!({"id": id, "path": format!("/api/v2/chats/{id}")}),
    ))
}

/// `GET /api/v2/chats/{id}`.
pub async fn get_chat(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    check_contact_center(&state, &headers)?;
    let id = path_param(path)?;
    let chat = state.read_world(|world| world.customer_view(&id))?;
    Ok(success(json!({"chat": chat})))
}

/// `POST /api/v2/chats/{id}`: SendMessage, typing notifications, Complete.
pub async fn post_chat(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    JsonObject(body): JsonObject,
) -> Result<axum::Json<Value>, ApiError> {
    check_contact_center(&state, &headers)?;
    let id = path_param(path)?;
    let op = CustomerOp::parse(&body)?;
    state.with_world(|world| world.customer_operation(&id, op))?;
    Ok(success(json!({})))
}

/// `GET /api/v2/chats/{id}/messages[?index=N]`.
pub async fn get_messages(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    check_contact_center(&state, &headers)?;
    let id = path_param(path)?;
    let from = match query_params(query)?.get("index") {
        None => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApiError::invalid(format!("index '{text}' is not a non-negative integer"))
        })?),
    };
    let messages = state.with_world(|world| world.customer_messages(&id, from))?;
    Ok(success(json!({"messages": messages})))
}

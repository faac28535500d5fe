//! Agent and supervisor resources under `/api/v2/me`: the user, its contact-centre session and
//! channel state, and its chats with their operations.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{Caller, expired_session_cookie};
use super::body::{JsonObject, path_param, query_params};
use super::users::user_resource;
use super::{AppState, success};
use crate::server::api_error::ApiError;
use crate::server::params::{operation_name, unknown_operation};
use crate::server::variants::Variant;
use crate::server::world::ChatOp;

/// `GET /api/v2/me[?subresources=*]`.
pub async fn get_me(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let params = query_params(query)?;
    state.read_world(|world| {
        let user = world
            .directory()
            .by_id(&caller.user_id)
            .ok_or_else(ApiError::unauthenticated)?;
        let mut resource = user_resource(world.renderer(), user);
        if params.contains_key("subresources") {
            resource["chats"] = Value::Array(world.chats_of(&caller.user_id));
            resource["channels"] = world.channels_of(&caller.user_id);
        }
        Ok(success(json!({"user": resource})))
    })
}

/// `POST /api/v2/me`: StartContactCenterSession, EndContactCenterSession, Ready, NotReady.
pub async fn post_me(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let user = &*caller.user_id;
    match operation_name(&body)?.as_str() {
        "StartContactCenterSession" => {
            let channels = match body.get("channels") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|c| c.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        ApiError::invalid("Parameter 'channels' must be an array of strings")
                    })?,
                None | Some(Value::Null) => return Err(ApiError::missing("channels")),
                Some(_) => {
                    return Err(ApiError::invalid(
                        "Parameter 'channels' must be an array of strings",
                    ));
                }
            };
            state.with_world(|world| world.start_session(user, &channels))?;
        }
        "EndContactCenterSession" => {
            state.with_world(|world| {
                world.end_session(user);
                Ok(())
            })?;
            // The documented effect: the client's HTTP session is invalidated too.
            state.sessions.end(&caller.session_id);
            let mut response = success(json!({})).into_response();
            response
                .headers_mut()
                .insert(SET_COOKIE, expired_session_cookie());
            return Ok(response);
        }
        "Ready" => state.with_world(|world| world.set_ready(user, true))?,
        "NotReady" => state.with_world(|world| world.set_ready(user, false))?,
        other => return Err(unknown_operation(other)),
    }
    Ok(success(json!({})).into_response())
}

/// `GET /api/v2/me/channels`.
pub async fn get_channels(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> axum::Json<Value> {
    success(json!({"channels": state.read_world(|world| world.channels_of(&caller.user_id))}))
}

/// `POST /api/v2/me/channels/chat`: Ready, NotReady.
pub async fn post_chat_channel(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    JsonObject(body): JsonObject,
) -> Result<axum::Json<Value>, ApiError> {
    if state.settings.variants.has(Variant::ReadyOnMeOnly) {
        return Err(ApiError::not_found("No such resource"));
    }
    let ready = match operation_name(&body)?.as_str() {
        "Ready" => true,
        "NotReady" => false,
        other => return Err(unknown_operation(other)),
    };
    state.with_world(|world| world.set_ready(&caller.user_id, ready))?;
    Ok(success(json!({})))
}

/// `GET /api/v2/me/chats[?fields=*]`: `chats` with `fields`, else their `uris`.
pub async fn get_chats(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let params = query_params(query)?;
    let chats = state.read_world(|world| world.chats_of(&caller.user_id));
    if params.contains_key("fields") {
        return Ok(success(json!({"chats": chats})));
    }
    let uris: Vec<Value> = chats.iter().filter_map(|c| c.get("uri").cloned()).collect();
    Ok(success(json!({"uris": uris})))
}

/// `GET /api/v2/me/chats/{id}`.
pub async fn get_chat(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let chat_id = path_param(path)?;
    let chat = state.read_world(|world| world.chat_of(&caller.user_id, &chat_id))?;
    Ok(success(json!({"chat": chat})))
}

/// `POST /api/v2/me/chats/{id}`: every chat operation. The response carries the
/// `referenceId` that the notifications it caused to the caller carry.
pub async fn post_chat(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    JsonObject(body): JsonObject,
) -> Result<axum::Json<Value>, ApiError> {
    let chat_id = path_param(path)?;
    let op = ChatOp::parse(&body)?;
    // Invite and Consult are the operations documented to answer with a referenceId.
    let documented = matches!(op, ChatOp::Invite { .. } | ChatOp::Consult { .. });
    let reference =
        state.with_world(|world| world.chat_operation(&caller.user_id, &chat_id, op))?;
    if !documented
        && state
            .settings
            .variants
            .has(Variant::ReferenceIdsAsDocumented)
    {
        return Ok(success(json!({})));
    }
    Ok(success(json!({"referenceId": reference})))
}

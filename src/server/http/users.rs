//! User resources (`/api/v2/users`) and supervisor monitoring requests on an agent's chat
//! channel (`POST /api/v2/users/{id}/channels/chat`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use serde_json::{Value, json};

use super::auth::Caller;
use super::body::{JsonObject, path_param, query_params};
use super::{AppState, success};
use crate::server::api_error::ApiError;
use crate::server::directory::User;
use crate::server::params::{operation_name, optional_string, unknown_operation};
use crate::server::world::Scope;
use crate::server::world::model::Mode;
use crate::server::world::render::Renderer;

/// The user resource as GWS prints it.
pub fn user_resource(render: &Renderer, user: &User) -> Value {
    json!({
        "id": user.id,
        "userName": user.user_name,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "roles": user.roles.iter().map(|r| r.wire_name()).collect::<Vec<_>>(),
        "enabled": true,
        "changePasswordOnFirstLogin": false,
        "uri": render.user_uri(&user.id),
        "path": format!("/users/{}", user.id),
    })
}

/// `GET /api/v2/users[?userName=NAME]`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let params = query_params(query)?;
    let wanted = params.get("userName");
    let users: Vec<Value> = state.read_world(|world| {
        world
            .directory()
            .users()
            .iter()
            .filter(|u| wanted.is_none_or(|name| &u.user_name == name))
            .map(|u| user_resource(world.renderer(), u))
            .collect()
    });
    Ok(success(json!({"users": users})))
}

/// `GET /api/v2/users/{id}`.
pub async fn get_one(
    State(state): State<Arc<AppState>>,
    path: Result<Path<String>, PathRejection>,
) -> Result<axum::Json<Value>, ApiError> {
    let user_id = path_param(path)?;
    let user = state.read_world(|world| {
        world
            .directory()
            .by_id(&user_id)
            .map(|u| user_resource(world.renderer(), u))
    });
    let user = user.ok_or_else(|| ApiError::not_found(format!("User {user_id} not found")))?;
    Ok(success(json!({"user": user})))
}

/// `POST /api/v2/users/{agent}/channels/chat`: Monitor, Coach, BargeIn (with
/// `supervisorMonitoringMode` NextChat or AllChats, default AllChats, and optional
/// `nickname`), or CancelSupervisorMonitoring. Requires the supervisor role.
pub async fn supervise(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    JsonObject(body): JsonObject,
) -> Result<axum::Json<Value>, ApiError> {
    let agent = path_param(path)?;
    let name = operation_name(&body)?;
    let supervisor = &*caller.user_id;
    let mode = match name.as_str() {
        "Monitor" => Mode::Monitor,
        "Coach" => Mode::Coach,
        "BargeIn" => Mode::BargeIn,
        "CancelSupervisorMonitoring" => {
            state.with_world(|world| world.cancel_monitoring(supervisor, &agent))?;
            return Ok(success(json!({})));
        }
        other => return Err(unknown_operation(other)),
    };
    let scope = match optional_string(&body, "supervisorMonitoringMode")? {
        None => Scope::AllChats,
        Some(s) => Scope::parse(&s).ok_or_else(|| {
            ApiError::invalid(format!(
                "supervisorMonitoringMode '{s}' is not NextChat or AllChats"
            ))
        })?,
    };
    let nickname = optional_string(&body, "nickname")?.filter(|n| !n.is_empty());
    state.with_world(|world| world.start_monitoring(supervisor, &agent, mode, scope, nickname))?;
    Ok(success(json!({})))
}

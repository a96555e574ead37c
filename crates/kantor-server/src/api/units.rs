//! The unit tree (Dinas → Bidang → Seksi, Company → Division → Squad) and unit leaders.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kantor_core::event::Audience;
use kantor_core::ids::{OrgId, UnitId, UserId};
use kantor_core::policy::Action;
use kantor_core::validate;
use kantor_store::orgs::{self, Unit};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_id, parse_unit};
use crate::auth::{actor, require, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct UnitDto {
    pub id: String,
    #[schema(required = true)]
    pub parent_id: Option<String>,
    pub name: String,
    #[schema(required = true)]
    pub leader_user_id: Option<String>,
    #[schema(required = true)]
    pub leader_name: Option<String>,
    /// Members directly in this unit (not in sub-units), deactivated excluded.
    pub member_count: i64,
}

impl From<&Unit> for UnitDto {
    fn from(u: &Unit) -> Self {
        UnitDto {
            id: u.id.to_string(),
            parent_id: u.parent_id.map(|p| p.to_string()),
            name: u.name.clone(),
            leader_user_id: u.leader_user_id.map(|l| l.to_string()),
            leader_name: u.leader_name.clone(),
            member_count: u.member_count,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub name: Option<String>,
    /// Empty or absent: a top-level unit.
    pub parent_id: Option<String>,
    /// Empty: no leader.
    pub leader_user_id: Option<String>,
}

/// All units of the organisation (the client builds the tree from `parent_id`).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/units", operation_id = "list_units", tag = "orgs", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<UnitDto>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<UnitDto>>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ReadUnits)?;
    Ok(axum::Json(
        state
            .store
            .units(org_id)
            .await?
            .iter()
            .map(UnitDto::from)
            .collect(),
    ))
}

async fn check_leader(
    tx: &mut kantor_store::Tx,
    org_id: OrgId,
    leader: Option<&str>,
) -> ApiResult<Option<UserId>> {
    match leader.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            let id: UserId = s.parse().map_err(|_| {
                ApiError::invalid("leader_user_id", "validation.invalid", "not a member id")
            })?;
            orgs::membership(tx, org_id, id).await.map_err(|_| {
                ApiError::invalid(
                    "leader_user_id",
                    "validation.invalid",
                    "the leader must be a member",
                )
            })?;
            Ok(Some(id))
        }
    }
}

/// Creates a unit.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/units", operation_id = "create_unit", tag = "orgs", params(("org_id" = String, Path)), request_body = UnitInput,
    responses((status = 201, body = UnitDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<UnitInput>,
) -> ApiResult<Response> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ManageUnits)?;
    let name = validate::name("name", req.name.as_deref().unwrap_or(""))?;
    let parent = parse_unit("parent_id", req.parent_id.as_deref())?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if let Some(p) = parent {
        orgs::unit(&mut tx, org_id, p)
            .await
            .map_err(|_| ApiError::invalid("parent_id", "validation.invalid", "no such unit"))?;
    }
    let leader = check_leader(&mut tx, org_id, req.leader_user_id.as_deref()).await?;
    let id = orgs::insert_unit(&mut tx, org_id, parent, &name, leader, now).await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "unit.create",
        Some(id.to_string()),
        serde_json::json!({"name": name}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "unit.created",
        serde_json::json!({"unit_id": id}),
        now,
    )
    .await?;
    let unit = orgs::unit(&mut tx, org_id, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(UnitDto::from(&unit))).into_response())
}

/// Renames, moves or sets the leader of a unit.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/units/{unit_id}", operation_id = "patch_unit", tag = "orgs", params(("org_id" = String, Path), ("unit_id" = String, Path)), request_body = UnitInput,
    responses((status = 200, body = UnitDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, unit_id)): Path<(String, String)>,
    Json(req): Json<UnitInput>,
) -> ApiResult<axum::Json<UnitDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let unit_id: UnitId = parse_id(&unit_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ManageUnits)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let all = orgs::units(&mut tx, org_id).await?;
    let cur = all
        .iter()
        .find(|u| u.id == unit_id)
        .ok_or_else(ApiError::not_found)?;
    let name = match req.name.as_deref() {
        Some(n) => validate::name("name", n)?,
        None => cur.name.clone(),
    };
    let parent = match req.parent_id.as_deref() {
        None => cur.parent_id,
        Some(p) => {
            let p = parse_unit("parent_id", Some(p))?;
            if let Some(p) = p {
                if !all.iter().any(|u| u.id == p) {
                    return Err(ApiError::invalid(
                        "parent_id",
                        "validation.invalid",
                        "no such unit",
                    ));
                }
                // Walk up from the new parent: meeting this unit means a cycle.
                let mut at = Some(p);
                while let Some(x) = at {
                    if x == unit_id {
                        return Err(ApiError::conflict(
                            "unit.cycle",
                            "a unit cannot move under itself or its sub-units",
                        ));
                    }
                    at = all.iter().find(|u| u.id == x).and_then(|u| u.parent_id);
                }
            }
            p
        }
    };
    let leader = match req.leader_user_id.as_deref() {
        None => cur.leader_user_id,
        Some(l) => check_leader(&mut tx, org_id, Some(l)).await?,
    };
    orgs::update_unit(&mut tx, org_id, unit_id, parent, &name, leader, now).await?;
    super::audit(&mut tx, org_id, Some(caller.user_id), "unit.update", Some(unit_id.to_string()),
        serde_json::json!({"name": name, "parent_id": parent.map(|p| p.to_string()), "leader_user_id": leader.map(|l| l.to_string())}), now).await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "unit.updated",
        serde_json::json!({"unit_id": unit_id}),
        now,
    )
    .await?;
    let unit = orgs::unit(&mut tx, org_id, unit_id).await?;
    tx.commit().await?;
    for changed in [cur.leader_user_id, leader].into_iter().flatten() {
        if cur.leader_user_id != leader {
            state.membership_changed(changed).await;
        }
    }
    Ok(axum::Json((&unit).into()))
}

/// Deletes an empty unit (no sub-units, no members).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/units/{unit_id}", operation_id = "delete_unit", tag = "orgs", params(("org_id" = String, Path), ("unit_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, unit_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let org_id: OrgId = parse_id(&org_id)?;
    let unit_id: UnitId = parse_id(&unit_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ManageUnits)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let all = orgs::units(&mut tx, org_id).await?;
    let unit = all
        .iter()
        .find(|u| u.id == unit_id)
        .ok_or_else(ApiError::not_found)?;
    let has_children = all.iter().any(|u| u.parent_id == Some(unit_id));
    let anyone = orgs::count_unit_memberships(&mut tx, org_id, unit_id).await?;
    if has_children || anyone > 0 {
        return Err(ApiError::conflict(
            "unit.not_empty",
            "move its sub-units and members first",
        ));
    }
    orgs::clear_invites_unit(&mut tx, org_id, unit_id).await?;
    orgs::delete_unit(&mut tx, org_id, unit_id).await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "unit.delete",
        Some(unit_id.to_string()),
        serde_json::json!({"name": unit.name}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "unit.deleted",
        serde_json::json!({"unit_id": unit_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

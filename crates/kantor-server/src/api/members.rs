//! An organisation, its members, their roles and offboarding, and the audit log.

use axum::extract::{Path, State};
use kantor_core::event::Audience;
use kantor_core::ids::{AuditId, OrgId, UserId};
use kantor_core::policy::Action;
use kantor_core::role::{MemberStatus, Role};
use kantor_core::validate;
use kantor_store::orgs::{self, MemberQuery, MembershipPatch};
use kantor_store::{accounts, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{parse_id, parse_unit, MemberDto, OrgDto, RoleDto};
use crate::auth::{actor, require, Caller};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::secrets;
use crate::state::AppState;

/// The organisation.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)),
    responses((status = 200, body = OrgDto), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<OrgDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ReadOrg)?;
    let mut org = OrgDto::from(&state.store.org(org_id).await?);
    org.member_count = Some(state.store.count_members(org_id).await?);
    Ok(axum::Json(org))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub default_time_zone: Option<String>,
    pub require_2fa_for_admins: Option<bool>,
}

/// Updates the organisation's settings.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}", tag = "orgs", params(("org_id" = String, Path)), request_body = OrgPatch,
    responses((status = 200, body = OrgDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_org(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<OrgPatch>,
) -> ApiResult<axum::Json<OrgDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::UpdateOrg)?;
    let name = req
        .name
        .as_deref()
        .map(|n| validate::name("name", n))
        .transpose()?;
    let tz = req
        .default_time_zone
        .as_deref()
        .map(|z| validate::time_zone("default_time_zone", z))
        .transpose()?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let cur = orgs::org_by_id(&mut tx, org_id).await?;
    let org = orgs::update_org(
        &mut tx,
        org_id,
        name.as_deref().unwrap_or(&cur.name),
        tz.as_deref().unwrap_or(&cur.default_time_zone),
        req.require_2fa_for_admins
            .unwrap_or(cur.require_2fa_for_admins),
        now,
    )
    .await?;
    super::audit(&mut tx, org_id, Some(caller.user_id), "org.update", Some(org_id.to_string()), serde_json::json!({"name": org.name, "default_time_zone": org.default_time_zone, "require_2fa_for_admins": org.require_2fa_for_admins}), now).await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "org.updated",
        serde_json::json!({"org_id": org_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json((&org).into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberListParams {
    /// Search in name, email and employee number.
    pub q: Option<String>,
    pub unit_id: Option<String>,
    #[param(value_type = Option<super::RoleDto>)]
    pub role: Option<String>,
    #[param(value_type = Option<super::StatusDto>)]
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    pub items: Vec<MemberDto>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// Members of the organisation, searchable, by cursor.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/members", operation_id = "list_members", tag = "orgs", params(("org_id" = String, Path), MemberListParams),
    responses((status = 200, body = MemberPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(p): Query<MemberListParams>,
) -> ApiResult<axum::Json<MemberPage>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ListMembers)?;
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let query =
        MemberQuery {
            q: p.q.clone(),
            unit_id: parse_unit("unit_id", p.unit_id.as_deref())?,
            role: match p.role.as_deref().filter(|r| !r.is_empty()) {
                None => None,
                Some(r) => Some(Role::parse(r).ok_or_else(|| {
                    ApiError::invalid("role", "validation.invalid", "unknown role")
                })?),
            },
            status: match p.status.as_deref().filter(|r| !r.is_empty()) {
                None => None,
                Some(s) => Some(MemberStatus::parse(s).ok_or_else(|| {
                    ApiError::invalid("status", "validation.invalid", "unknown status")
                })?),
            },
            after: match p.cursor.as_deref().filter(|c| !c.is_empty()) {
                None => None,
                Some(c) => Some(c.parse().map_err(|_| {
                    ApiError::invalid("cursor", "validation.invalid", "bad cursor")
                })?),
            },
            limit: limit + 1,
        };
    let mut members = state.store.members(org_id, &query).await?;
    let next_cursor = if members.len() as i64 > limit {
        members.truncate(limit as usize);
        members.last().map(|m| m.user.id.to_string())
    } else {
        None
    };
    Ok(axum::Json(MemberPage {
        items: members.iter().map(MemberDto::from).collect(),
        next_cursor,
    }))
}

/// One member.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "orgs", params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = MemberDto), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<MemberDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let user_id: UserId = parse_id(&user_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ReadMember)?;
    Ok(axum::Json(
        (&state.store.member(org_id, user_id).await?).into(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub role: Option<RoleDto>,
    /// Empty string removes the member from their unit.
    pub unit_id: Option<String>,
    pub position: Option<String>,
    pub employee_number: Option<String>,
}

/// Changes a member's role, unit, position or employee number.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/members/{user_id}", tag = "orgs", params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = MemberPatch,
    responses((status = 200, body = MemberDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
    Json(req): Json<MemberPatch>,
) -> ApiResult<axum::Json<MemberDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let user_id: UserId = parse_id(&user_id)?;
    let a = actor(&state, &caller, org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let cur = orgs::membership(&mut tx, org_id, user_id).await?;
    let mut patch = MembershipPatch::default();
    if let Some(role) = req.role.map(Role::from).filter(|r| *r != cur.role) {
        require(
            &a,
            Action::ChangeRole {
                current: cur.role,
                new: role,
            },
        )?;
        if cur.role == Role::Owner && orgs::count_active_owners(&mut tx, org_id).await? <= 1 {
            return Err(ApiError::conflict(
                "member.last_owner",
                "an organisation needs at least one owner",
            ));
        }
        patch.role = Some(role);
    }
    if req.unit_id.is_some() || req.position.is_some() || req.employee_number.is_some() {
        require(&a, Action::UpdateMemberProfile)?;
    }
    if let Some(u) = req.unit_id.as_deref() {
        let unit = parse_unit("unit_id", Some(u))?;
        if let Some(unit) = unit {
            orgs::unit(&mut tx, org_id, unit)
                .await
                .map_err(|_| ApiError::invalid("unit_id", "validation.invalid", "no such unit"))?;
        }
        patch.unit_id = Some(unit);
    }
    if let Some(p) = req.position.as_deref() {
        patch.position = Some(validate::optional_text("position", Some(p), 120)?);
    }
    if let Some(n) = req.employee_number.as_deref() {
        patch.employee_number = Some(validate::optional_text("employee_number", Some(n), 64)?);
    }
    let updated = orgs::update_membership(&mut tx, org_id, user_id, &patch, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict(
                "member.employee_number_taken",
                "another member has this employee number",
            )
            .with_field("employee_number"),
            other => other.into(),
        })?;
    let detail = serde_json::json!({
        "role": patch.role.map(|r| r.as_str()),
        "from_role": patch.role.map(|_| cur.role.as_str()),
        "unit_id": patch.unit_id.map(|u| u.map(|u| u.to_string())),
        "position": patch.position,
        "employee_number": patch.employee_number,
    });
    if patch.role.is_some() {
        // Becoming a guest leaves the org-wide groups; leaving guest joins them.
        super::chat::groups::follow_org(&mut tx, org_id, user_id, now).await?;
    }
    let action = if patch.role.is_some() {
        "member.role_change"
    } else {
        "member.update"
    };
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        action,
        Some(user_id.to_string()),
        detail,
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "member.updated",
        serde_json::json!({"user_id": user_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    if updated.role != cur.role {
        state.membership_changed(user_id).await;
    }
    Ok(axum::Json(
        (&state.store.member(org_id, user_id).await?).into(),
    ))
}

/// Offboards a member: their membership is deactivated and, if this was their last
/// organisation, every session, API token and socket of theirs ends at once.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/members/{user_id}/deactivate", operation_id = "deactivate_member", tag = "orgs", params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = MemberDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<MemberDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let user_id: UserId = parse_id(&user_id)?;
    let a = actor(&state, &caller, org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let cur = orgs::membership(&mut tx, org_id, user_id).await?;
    require(
        &a,
        Action::Deactivate {
            target_role: cur.role,
        },
    )?;
    if user_id == caller.user_id {
        return Err(ApiError::conflict(
            "member.self_deactivate",
            "you cannot deactivate yourself",
        ));
    }
    if cur.role == Role::Owner && orgs::count_active_owners(&mut tx, org_id).await? <= 1 {
        return Err(ApiError::conflict(
            "member.last_owner",
            "an organisation needs at least one owner",
        ));
    }
    orgs::update_membership(
        &mut tx,
        org_id,
        user_id,
        &MembershipPatch {
            status: Some(MemberStatus::Deactivated),
            ..Default::default()
        },
        now,
    )
    .await?;
    super::chat::groups::follow_org(&mut tx, org_id, user_id, now).await?;
    let user = accounts::user_by_id(&mut tx, user_id).await?;
    orgs::revoke_invites_for_email(&mut tx, org_id, &user.email, now).await?;
    let others_active = orgs::active_memberships_elsewhere(&mut tx, user_id, org_id).await? > 0;
    let mut ended = Vec::new();
    if !others_active {
        ended.extend(accounts::delete_sessions(&mut tx, user_id, None).await?);
        ended.extend(accounts::revoke_all_tokens(&mut tx, user_id, now).await?);
    }
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "member.deactivate",
        Some(user_id.to_string()),
        serde_json::json!({"sessions_ended": !others_active}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "member.deactivated",
        serde_json::json!({"user_id": user_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    // Sockets close either way: with no organisation left the session ended (4001); otherwise
    // they reconnect (4002) and see only what is still theirs.
    if others_active {
        state.membership_changed(user_id).await;
    } else {
        state.revoke(Some(user_id), ended, true).await;
    }
    Ok(axum::Json(
        (&state.store.member(org_id, user_id).await?).into(),
    ))
}

/// Brings a deactivated member back (they sign in again with their password or a reset link).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/members/{user_id}/reactivate", operation_id = "reactivate_member", tag = "orgs", params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = MemberDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reactivate(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<MemberDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let user_id: UserId = parse_id(&user_id)?;
    let a = actor(&state, &caller, org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let cur = orgs::membership(&mut tx, org_id, user_id).await?;
    require(
        &a,
        Action::Deactivate {
            target_role: cur.role,
        },
    )?;
    let status = if accounts::has_password(&mut tx, user_id).await? {
        MemberStatus::Active
    } else {
        MemberStatus::Invited
    };
    orgs::update_membership(
        &mut tx,
        org_id,
        user_id,
        &MembershipPatch {
            status: Some(status),
            ..Default::default()
        },
        now,
    )
    .await?;
    super::chat::groups::follow_org(&mut tx, org_id, user_id, now).await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "member.reactivate",
        Some(user_id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "member.updated",
        serde_json::json!({"user_id": user_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(
        (&state.store.member(org_id, user_id).await?).into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct ResetLink {
    pub url: String,
    pub expires_at: String,
}

/// Issues a password-reset link for a member, for an admin to pass on (or email).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/members/{user_id}/password-reset", operation_id = "create_password_reset", tag = "orgs", params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = ResetLink), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn password_reset(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<ResetLink>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let user_id: UserId = parse_id(&user_id)?;
    let a = actor(&state, &caller, org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let cur = orgs::membership(&mut tx, org_id, user_id).await?;
    require(
        &a,
        Action::IssuePasswordReset {
            target_role: cur.role,
        },
    )?;
    if cur.status == MemberStatus::Deactivated {
        return Err(ApiError::conflict(
            "member.deactivated",
            "reactivate the member first",
        ));
    }
    let (url, expires_at) =
        issue_reset(&state, &mut tx, user_id, Some(caller.user_id), now).await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "member.password_reset",
        Some(user_id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(ResetLink {
        url,
        expires_at: rfc3339(expires_at),
    }))
}

/// Creates a reset link valid for 24 hours (emailed when SMTP is configured); returns it and
/// its expiry.
pub async fn issue_reset(
    state: &AppState,
    tx: &mut kantor_store::Tx,
    user_id: UserId,
    by: Option<UserId>,
    now: i64,
) -> ApiResult<(String, i64)> {
    let token = secrets::new_token("kr_");
    let expires = now + 24 * 3_600_000;
    accounts::insert_password_reset(tx, user_id, &secrets::token_hash(&token), by, now, expires)
        .await?;
    let url = format!("{}/reset/{token}", state.base_url);
    let to = accounts::user_by_id(tx, user_id).await?.email;
    let (subject, body) = crate::email::password_reset(&url);
    crate::email::queue(state, tx, &crate::email::Email { to, subject, body }, now).await?;
    Ok((url, expires))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: String,
    pub at: String,
    #[schema(required = true)]
    pub actor_id: Option<String>,
    #[schema(required = true)]
    pub actor_name: Option<String>,
    pub action: String,
    #[schema(required = true)]
    pub target: Option<String>,
    /// Action-specific details (any JSON value).
    pub detail: serde_json::Value,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryDto>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/audit", operation_id = "list_audit", tag = "orgs", params(("org_id" = String, Path), AuditParams),
    responses((status = 200, body = AuditPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(p): Query<AuditParams>,
) -> ApiResult<axum::Json<AuditPage>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ReadAudit)?;
    let limit = p.limit.unwrap_or(50).clamp(1, 200);
    let before: Option<AuditId> = match p.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            c.parse()
                .map_err(|_| ApiError::invalid("cursor", "validation.invalid", "bad cursor"))?,
        ),
    };
    let mut entries = state.store.audit(org_id, before, limit + 1).await?;
    let next_cursor = if entries.len() as i64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id.to_string())
    } else {
        None
    };
    Ok(axum::Json(AuditPage {
        items: entries
            .into_iter()
            .map(|e| AuditEntryDto {
                id: e.id.to_string(),
                at: rfc3339(e.at),
                actor_id: e.actor_user_id.map(|u| u.to_string()),
                actor_name: e.actor_name,
                action: e.action,
                target: e.target,
                detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            })
            .collect(),
        next_cursor,
    }))
}

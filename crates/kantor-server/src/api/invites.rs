//! Invite links (created by admins, accepted by the invited person) and password-reset links.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kantor_core::event::Audience;
use kantor_core::ids::{InviteId, OrgId};
use kantor_core::policy::Action;
use kantor_core::role::{MemberStatus, Role};
use kantor_core::validate;
use kantor_store::orgs::{self, Invite, NewInvite};
use kantor_store::{accounts, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::session::{ip_of, start_session};
use super::{parse_id, parse_unit, RoleDto};
use crate::auth::{actor, require, Caller};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::secrets;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct InviteDto {
    pub id: String,
    #[schema(required = true)]
    pub email: Option<String>,
    pub role: RoleDto,
    #[schema(required = true)]
    pub unit_id: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub state: InviteState,
    /// The link to send; only in the response that created it.
    #[schema(required = true)]
    pub url: Option<String>,
}

/// Where an invite stands.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    Open,
    Used,
    Revoked,
    Expired,
}

fn invite_state(i: &Invite, now: i64) -> InviteState {
    if i.revoked_at.is_some() {
        InviteState::Revoked
    } else if i.used_at.is_some() {
        InviteState::Used
    } else if i.expires_at <= now {
        InviteState::Expired
    } else {
        InviteState::Open
    }
}

fn invite_dto(i: &Invite, now: i64, url: Option<String>) -> InviteDto {
    InviteDto {
        id: i.id.to_string(),
        email: i.email.clone(),
        role: i.role.into(),
        unit_id: i.unit_id.map(|u| u.to_string()),
        created_at: rfc3339(i.created_at),
        expires_at: rfc3339(i.expires_at),
        state: invite_state(i, now),
        url,
    }
}

/// Invites of the organisation, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/invites", operation_id = "list_invites", tag = "orgs", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<InviteDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<InviteDto>>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ManageInvites)?;
    let now = state.clock.now_ms();
    Ok(axum::Json(
        state
            .store
            .invites(org_id, 500)
            .await?
            .iter()
            .map(|i| invite_dto(i, now, None))
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInviteRequest {
    /// When set, only this email can accept.
    pub email: Option<String>,
    pub role: RoleDto,
    pub unit_id: Option<String>,
    /// Default 168 (7 days), at most 720.
    pub expires_in_hours: Option<u32>,
}

/// Creates an invite link.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/invites", operation_id = "create_invite", tag = "orgs", params(("org_id" = String, Path)), request_body = NewInviteRequest,
    responses((status = 201, body = InviteDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<NewInviteRequest>,
) -> ApiResult<Response> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ManageInvites)?;
    let role = Role::from(req.role);
    require(&a, Action::InviteRole { role })?;
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(validate::email)
        .transpose()?;
    let unit = parse_unit("unit_id", req.unit_id.as_deref())?;
    let hours = req.expires_in_hours.unwrap_or(168);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::invalid(
            "expires_in_hours",
            "validation.invalid",
            "between 1 and 720 hours",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if let Some(u) = unit {
        orgs::unit(&mut tx, org_id, u)
            .await
            .map_err(|_| ApiError::invalid("unit_id", "validation.invalid", "no such unit"))?;
    }
    if let Some(e) = &email {
        if let Some(uid) = accounts::user_id_by_email(&mut tx, e).await? {
            if orgs::membership(&mut tx, org_id, uid).await.is_ok() {
                return Err(ApiError::conflict(
                    "member.email_taken",
                    "this email is already a member",
                )
                .with_field("email"));
            }
        }
    }
    let token = secrets::new_token("ki_");
    let invite = orgs::insert_invite(
        &mut tx,
        &NewInvite {
            org_id,
            token_hash: &secrets::token_hash(&token),
            email: email.as_deref(),
            role,
            unit_id: unit,
            created_by: Some(caller.user_id),
            expires_at: now + hours as i64 * 3_600_000,
        },
        now,
    )
    .await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "invite.create",
        Some(invite.id.to_string()),
        serde_json::json!({"email": email, "role": role.as_str()}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::OrgAdmins { org_id },
        "invite.created",
        serde_json::json!({"invite_id": invite.id}),
        now,
    )
    .await?;
    let url = format!("{}/invite/{token}", state.base_url);
    if let Some(to) = &email {
        let org = orgs::org_by_id(&mut tx, org_id).await?;
        let (subject, body) = crate::email::invite(&org.name, &url);
        crate::email::queue(
            &state,
            &mut tx,
            &crate::email::Email {
                to: to.clone(),
                subject,
                body,
            },
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(invite_dto(&invite, now, Some(url))),
    )
        .into_response())
}

/// Revokes an invite link.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/invites/{invite_id}", operation_id = "revoke_invite", tag = "orgs", params(("org_id" = String, Path), ("invite_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, invite_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let org_id: OrgId = parse_id(&org_id)?;
    let invite_id: InviteId = parse_id(&invite_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ManageInvites)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    orgs::revoke_invite(&mut tx, org_id, invite_id, now).await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "invite.revoke",
        Some(invite_id.to_string()),
        serde_json::json!({}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::OrgAdmins { org_id },
        "invite.revoked",
        serde_json::json!({"invite_id": invite_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PublicInvite {
    pub org_name: String,
    #[schema(required = true)]
    pub email: Option<String>,
    pub role: RoleDto,
    pub expires_at: String,
    /// The email already has an account: accepting asks for its existing password.
    pub existing_account: bool,
}

/// Finds an invite by token and answers 404/410 for unusable ones.
async fn usable_invite(conn: &mut kantor_store::Conn, token: &str, now: i64) -> ApiResult<Invite> {
    let invite = orgs::invite_by_hash(conn, &secrets::token_hash(token)).await?;
    match invite_state(&invite, now) {
        InviteState::Open => Ok(invite),
        InviteState::Used => Err(ApiError::gone(
            "invite.used",
            "this invite link was already used",
        )),
        InviteState::Revoked => Err(ApiError::gone(
            "invite.revoked",
            "this invite link was revoked",
        )),
        InviteState::Expired => Err(ApiError::gone(
            "invite.expired",
            "this invite link has expired; ask for a new one",
        )),
    }
}

/// What an invite link is for (public).
#[utoipa::path(get, path = "/api/v1/invites/{token}", operation_id = "get_invite", security(()), tag = "auth", params(("token" = String, Path)),
    responses((status = 200, body = PublicInvite), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn show_public(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<PublicInvite>> {
    let mut conn = state.store.read_conn().await?;
    let invite = usable_invite(&mut conn, &token, state.clock.now_ms()).await?;
    let org = orgs::org_by_id(&mut conn, invite.org_id).await?;
    let existing = match &invite.email {
        Some(e) => state
            .store
            .credentials_by_email(e)
            .await?
            .is_some_and(|c| c.password_hash.is_some()),
        None => false,
    };
    Ok(axum::Json(PublicInvite {
        org_name: org.name,
        email: invite.email.clone(),
        role: invite.role.into(),
        expires_at: rfc3339(invite.expires_at),
        existing_account: existing,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    pub name: String,
    /// Required when the invite has no email.
    pub email: Option<String>,
    /// A new password, or the existing account's password.
    pub password: String,
    pub time_zone: String,
    #[schema(value_type = super::Language)]
    pub language: String,
}

/// Accepts an invite: creates (or joins with) the account and signs in.
#[utoipa::path(post, path = "/api/v1/invites/{token}/accept", operation_id = "accept_invite", security(()), tag = "auth", params(("token" = String, Path)), request_body = AcceptInvite,
    responses((status = 200, body = super::MeDto), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Json(req): Json<AcceptInvite>,
) -> ApiResult<Response> {
    let now = state.clock.now_ms();
    let invite = {
        let mut conn = state.store.read_conn().await?;
        usable_invite(&mut conn, &token, now).await?
    };
    let name = validate::name("name", &req.name)?;
    let email = match (&invite.email, req.email.as_deref()) {
        (Some(e), _) => e.clone(),
        (None, Some(e)) => validate::email(e)?,
        (None, None) => {
            return Err(ApiError::invalid(
                "email",
                "request.missing_field",
                "email is required",
            ))
        }
    };
    validate::password("password", &req.password)?;
    let time_zone = validate::time_zone("time_zone", &req.time_zone)?;
    let language = validate::language(&req.language)?;
    let existing = state.store.credentials_by_email(&email).await?;
    // A link without an email proves nothing about the address typed: it must not claim an
    // account that has no password yet (an imported person's); their own link or a reset does.
    if invite.email.is_none() && existing.as_ref().is_some_and(|c| c.password_hash.is_none()) {
        return Err(ApiError::conflict(
            "member.email_taken",
            "this email was invited with its own link; use that one",
        )
        .with_field("email"));
    }
    let password = req.password.clone();
    let existing_hash = existing.as_ref().and_then(|c| c.password_hash.clone());
    // Checking an existing account's password here is a login attempt: the same limits apply,
    // or an open invite link would be a way around them.
    let ip = Some(ip_of(&state, &headers, peer));
    if existing_hash.is_some() && !state.limiter.attempt(&state.store, &email, ip, now).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            "too many attempts; wait a few minutes",
        ));
    }
    // An existing account proves itself with its password; a new one gets this password.
    let new_hash = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<String>> {
        match existing_hash {
            Some(h) => Ok(secrets::verify_password(&password, &h).then_some(String::new())),
            None => secrets::hash_password(&password).map(Some),
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!(e))??
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.invalid_credentials",
            "this email has an account: enter its password",
        )
        .with_field("password")
    })?;

    let mut tx = state.store.begin().await?;
    // Claim the invite first: a racing accept (a double click) waits on its row (PostgreSQL)
    // or the writer (SQLite) and then finds it used, instead of colliding on the account.
    orgs::use_invite(&mut tx, invite.id, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::gone("invite.used", "this invite link was already used")
            }
            other => other.into(),
        })?;
    let user_id = match &existing {
        Some(c) => {
            if c.password_hash.is_none() {
                accounts::set_password(&mut tx, c.user.id, &new_hash, now).await?;
                let patch = accounts::UserPatch {
                    name: Some(name.clone()),
                    time_zone: Some(time_zone.clone()),
                    language: Some(language.clone()),
                    ..Default::default()
                };
                accounts::update_user(&mut tx, c.user.id, &patch, now).await?;
            }
            c.user.id
        }
        None => {
            accounts::insert_user(
                &mut tx,
                &accounts::NewUser {
                    email: &email,
                    name: &name,
                    phone: None,
                    password_hash: Some(&new_hash),
                    language: &language,
                    time_zone: &time_zone,
                },
                now,
            )
            .await?
            .id
        }
    };
    match orgs::membership(&mut tx, invite.org_id, user_id).await {
        Ok(m) if m.status == MemberStatus::Invited => {
            let patch = orgs::MembershipPatch {
                status: Some(MemberStatus::Active),
                ..Default::default()
            };
            orgs::update_membership(&mut tx, invite.org_id, user_id, &patch, now).await?;
        }
        Ok(m) if m.status == MemberStatus::Active => {
            return Err(ApiError::conflict(
                "member.email_taken",
                "you are already a member; sign in instead",
            ));
        }
        Ok(_) => {
            return Err(ApiError::gone(
                "invite.revoked",
                "this invite link was revoked",
            ))
        }
        Err(StoreError::NotFound) => {
            orgs::insert_membership(
                &mut tx,
                &orgs::NewMembership {
                    org_id: invite.org_id,
                    user_id,
                    role: invite.role,
                    status: MemberStatus::Active,
                    unit_id: invite.unit_id,
                    position: None,
                    employee_number: None,
                },
                now,
            )
            .await?;
        }
        Err(e) => return Err(e.into()),
    }
    orgs::set_invite_user(&mut tx, invite.id, user_id).await?;
    super::chat::groups::follow_org(&mut tx, invite.org_id, user_id, now).await?;
    super::audit(
        &mut tx,
        invite.org_id,
        Some(user_id),
        "invite.accept",
        Some(invite.id.to_string()),
        serde_json::json!({"email": email}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org {
            org_id: invite.org_id,
        },
        "member.joined",
        serde_json::json!({"user_id": user_id}),
        now,
    )
    .await?;
    let response =
        start_session(&state, tx, user_id, &headers, ip_of(&state, &headers, peer)).await?;
    state.membership_changed(user_id).await;
    Ok(response)
}

#[derive(Serialize, ToSchema)]
pub struct ResetInfo {
    pub email: String,
}

async fn usable_reset(
    state: &AppState,
    conn: &mut kantor_store::Conn,
    token: &str,
) -> ApiResult<accounts::PasswordReset> {
    let reset = accounts::password_reset_by_hash(conn, &secrets::token_hash(token)).await?;
    if reset.used_at.is_some() {
        return Err(ApiError::gone(
            "reset.used",
            "this reset link was already used",
        ));
    }
    if reset.expires_at <= state.clock.now_ms() {
        return Err(ApiError::gone(
            "reset.expired",
            "this reset link has expired",
        ));
    }
    Ok(reset)
}

/// Whose password a reset link is for (public).
#[utoipa::path(get, path = "/api/v1/password-resets/{token}", operation_id = "get_password_reset", security(()), tag = "auth", params(("token" = String, Path)),
    responses((status = 200, body = ResetInfo), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn show_reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<axum::Json<ResetInfo>> {
    let mut conn = state.store.read_conn().await?;
    let reset = usable_reset(&state, &mut conn, &token).await?;
    let user = accounts::user_by_id(&mut conn, reset.user_id).await?;
    Ok(axum::Json(ResetInfo { email: user.email }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    pub password: String,
}

/// Sets a new password with a reset link; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/password-resets/{token}", operation_id = "complete_password_reset", security(()), tag = "auth", params(("token" = String, Path)), request_body = NewPassword,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Json(req): Json<NewPassword>,
) -> ApiResult<StatusCode> {
    validate::password("password", &req.password)?;
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| anyhow::anyhow!(e))??;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let reset = usable_reset(&state, &mut tx, &token).await?;
    // Claim the link first: a racing use waits on its row (PostgreSQL) and then finds it used.
    accounts::use_password_reset(&mut tx, &reset.id, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::gone("reset.used", "this reset link was already used")
            }
            other => other.into(),
        })?;
    accounts::set_password(&mut tx, reset.user_id, &hash, now).await?;
    // An imported person who never accepted their invite becomes active by setting a password.
    for (org, m) in state.store.memberships_of(reset.user_id).await? {
        if m.status == MemberStatus::Invited {
            let patch = orgs::MembershipPatch {
                status: Some(MemberStatus::Active),
                ..Default::default()
            };
            orgs::update_membership(&mut tx, org.id, reset.user_id, &patch, now).await?;
            super::chat::groups::follow_org(&mut tx, org.id, reset.user_id, now).await?;
        }
    }
    let ended = accounts::delete_sessions(&mut tx, reset.user_id, None).await?;
    tx.commit().await?;
    state.revoke(Some(reset.user_id), ended, true).await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::InviteState;

    #[test]
    fn invite_states_are_the_documented_strings() {
        let states = [
            InviteState::Open,
            InviteState::Used,
            InviteState::Revoked,
            InviteState::Expired,
        ];
        assert_eq!(
            serde_json::to_value(states).expect("serialises"),
            serde_json::json!(["open", "used", "revoked", "expired"])
        );
    }
}

//! The signed-in person: profile, avatar, password, sessions, two-factor login, API tokens.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kantor_core::ids::{FileId, SessionId, TokenId};
use kantor_core::validate;
use kantor_store::accounts::{self, UserPatch};
use kantor_store::files::{self, FileMeta};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{build_me, parse_id, MeDto};
use crate::auth::{Caller, Via};
use crate::blobs::sniff_image;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::secrets;
use crate::state::AppState;

pub(crate) fn csrf_of(caller: &Caller) -> Option<String> {
    match &caller.via {
        Via::Session { csrf_token, .. } => Some(csrf_token.clone()),
        Via::Token { .. } => None,
    }
}

/// Tells the person's other tabs and devices (and every node's `Me` cache) that their account
/// changed.
pub(crate) async fn user_updated(
    tx: &mut kantor_store::Tx,
    user_id: kantor_core::ids::UserId,
    now: i64,
) -> ApiResult<()> {
    super::emit(
        tx,
        kantor_core::event::Audience::User { user_id },
        "user.updated",
        serde_json::json!({"user_id": user_id}),
        now,
    )
    .await
}

/// The caller's account and memberships.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", responses((status = 200, body = MeDto), (status = 401, body = ErrorBody)))]
pub async fn get_me(State(state): State<AppState>, caller: Caller) -> ApiResult<axum::Json<MeDto>> {
    Ok(axum::Json(
        build_me(&state, caller.user_id, csrf_of(&caller)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    pub name: Option<String>,
    /// Empty string clears it.
    pub phone: Option<String>,
    #[schema(value_type = Option<super::Language>)]
    pub language: Option<String>,
    /// IANA zone, e.g. `Asia/Makassar`.
    pub time_zone: Option<String>,
}

/// Updates the caller's profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = MePatch,
    responses((status = 200, body = MeDto), (status = 422, body = ErrorBody)))]
pub async fn patch_me(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<MePatch>,
) -> ApiResult<axum::Json<MeDto>> {
    let patch = UserPatch {
        name: req
            .name
            .as_deref()
            .map(|n| validate::name("name", n))
            .transpose()?,
        phone: match req.phone.as_deref() {
            None => None,
            Some(p) => Some(validate::phone(Some(p))?),
        },
        language: req
            .language
            .as_deref()
            .map(validate::language)
            .transpose()?,
        time_zone: req
            .time_zone
            .as_deref()
            .map(|z| validate::time_zone("time_zone", z))
            .transpose()?,
        avatar_file_id: None,
    };
    let mut tx = state.store.begin().await?;
    accounts::update_user(&mut tx, caller.user_id, &patch, state.clock.now_ms()).await?;
    user_updated(&mut tx, caller.user_id, state.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(axum::Json(
        build_me(&state, caller.user_id, csrf_of(&caller)).await?,
    ))
}

/// Replaces the caller's avatar. Send the image bytes as the body (PNG, JPEG or WebP).
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "me",
    request_body(description = "The image file", content(("image/png"), ("image/jpeg"), ("image/webp"))),
    responses((status = 200, body = MeDto), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_avatar(
    State(state): State<AppState>,
    caller: Caller,
    req: axum::extract::Request,
) -> ApiResult<axum::Json<MeDto>> {
    let limit = state.config.max_avatar_bytes;
    let bytes: Bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::too_large(
                "file.too_large",
                format!("images may be at most {limit} bytes"),
            )
        })?;
    let content_type = sniff_image(&bytes).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file.unsupported_type",
            "send a PNG, JPEG or WebP image",
        )
    })?;
    let size = imagesize::blob_size(&bytes).map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file.unsupported_type",
            "the image cannot be read",
        )
    })?;
    if (size.width as u64) * (size.height as u64) > state.config.max_avatar_pixels {
        return Err(ApiError::invalid(
            "avatar",
            "file.too_many_pixels",
            "the image has too many pixels",
        ));
    }
    let now = state.clock.now_ms();
    let id = FileId(kantor_store::new_id());
    state
        .blobs
        .put(id, &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("storing avatar: {e}"))?;
    let mut tx = state.store.begin().await?;
    files::insert_file(
        &mut tx,
        &FileMeta {
            id,
            org_id: None,
            owner_user_id: Some(caller.user_id),
            purpose: "avatar".into(),
            content_type: content_type.into(),
            size_bytes: bytes.len() as i64,
            sha256: secrets::token_hash_bytes(&bytes),
            created_at: now,
        },
    )
    .await?;
    accounts::update_user(
        &mut tx,
        caller.user_id,
        &UserPatch {
            avatar_file_id: Some(id.to_string()),
            ..Default::default()
        },
        now,
    )
    .await?;
    user_updated(&mut tx, caller.user_id, state.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(axum::Json(
        build_me(&state, caller.user_id, csrf_of(&caller)).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password; every other session of the caller ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", request_body = PasswordChange,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    validate::password("new_password", &req.new_password)?;
    let creds = state.store.credentials(caller.user_id).await?;
    let (current, new) = (req.current_password.clone(), req.new_password.clone());
    let hash = creds.password_hash.clone().unwrap_or_default();
    let new_hash = tokio::task::spawn_blocking(move || {
        if secrets::verify_password(&current, &hash) {
            secrets::hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!(e))??
    .ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.invalid_credentials",
            "the current password is wrong",
        )
        .with_field("current_password")
    })?;
    let mut tx = state.store.begin().await?;
    accounts::set_password(&mut tx, caller.user_id, &new_hash, state.clock.now_ms()).await?;
    let ended = accounts::delete_sessions(&mut tx, caller.user_id, caller.session_id()).await?;
    tx.commit().await?;
    state.revoke(None, ended, true).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct SessionDto {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    #[schema(required = true)]
    pub ip: Option<String>,
    /// The session making this request.
    pub current: bool,
}

/// The caller's signed-in sessions.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "me", responses((status = 200, body = Vec<SessionDto>), (status = 401, body = ErrorBody)))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<SessionDto>>> {
    let current = caller.session_id();
    let sessions = state
        .store
        .sessions_of(caller.user_id, state.clock.now_ms())
        .await?;
    Ok(axum::Json(
        sessions
            .iter()
            .map(|s| SessionDto {
                id: s.id.to_string(),
                created_at: rfc3339(s.created_at),
                last_seen_at: rfc3339(s.last_seen_at),
                user_agent: s.user_agent.clone(),
                ip: s.ip.clone(),
                current: Some(s.id) == current,
            })
            .collect(),
    ))
}

/// Ends one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{session_id}", tag = "me", params(("session_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(session_id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: SessionId = parse_id(&session_id)?;
    let mut tx = state.store.begin().await?;
    let hash = accounts::delete_session(&mut tx, caller.user_id, id).await?;
    tx.commit().await?;
    state.revoke(None, vec![hash], true).await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TotpSetup {
    /// Base32 secret to type into an authenticator app.
    pub secret: String,
    pub otpauth_url: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

/// Starts two-factor setup: a new secret, not yet required at login.
#[utoipa::path(post, path = "/api/v1/me/totp/setup", tag = "me", responses((status = 200, body = TotpSetup), (status = 409, body = ErrorBody)))]
pub async fn totp_setup(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<TotpSetup>> {
    let user = state.store.user(caller.user_id).await?;
    if user.totp_enabled {
        return Err(ApiError::conflict(
            "totp.already_enabled",
            "two-factor login is already on; turn it off first",
        ));
    }
    let secret = secrets::totp::new_secret();
    let mut tx = state.store.begin().await?;
    accounts::set_totp(
        &mut tx,
        caller.user_id,
        Some(&secret),
        false,
        state.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    let otpauth_url = secrets::totp::otpauth_url(&secret, &user.email);
    Ok(axum::Json(TotpSetup {
        secret,
        otpauth_url,
    }))
}

async fn totp_switch(state: &AppState, caller: &Caller, code: &str, enable: bool) -> ApiResult<()> {
    let creds = state.store.credentials(caller.user_id).await?;
    let secret = creds
        .totp_secret
        .as_deref()
        .ok_or_else(|| ApiError::conflict("totp.not_set_up", "set up two-factor login first"))?;
    if creds.user.totp_enabled == enable {
        return Err(ApiError::conflict(
            if enable {
                "totp.already_enabled"
            } else {
                "totp.not_enabled"
            },
            "nothing to change",
        ));
    }
    if !secrets::totp::check(secret, code, state.clock.now_ms()) {
        return Err(ApiError::invalid(
            "code",
            "auth.totp_invalid",
            "that code is not valid",
        ));
    }
    let mut tx = state.store.begin().await?;
    let keep = if enable { Some(secret) } else { None };
    accounts::set_totp(&mut tx, caller.user_id, keep, enable, state.clock.now_ms()).await?;
    user_updated(&mut tx, caller.user_id, state.clock.now_ms()).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns two-factor login on, proving the app shows the right code.
#[utoipa::path(post, path = "/api/v1/me/totp/enable", tag = "me", request_body = TotpCode,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_enable(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<TotpCode>,
) -> ApiResult<StatusCode> {
    totp_switch(&state, &caller, &req.code, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns two-factor login off (needs a current code).
#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "me", request_body = TotpCode,
    responses((status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_disable(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<TotpCode>,
) -> ApiResult<StatusCode> {
    totp_switch(&state, &caller, &req.code, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    pub id: String,
    pub name: String,
    pub created_at: String,
    #[schema(required = true)]
    pub last_used_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewTokenDto {
    pub id: String,
    pub name: String,
    /// Shown once; use as `Authorization: Bearer <token>`.
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
}

/// The caller's API tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "me", responses((status = 200, body = Vec<TokenDto>), (status = 401, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<axum::Json<Vec<TokenDto>>> {
    let tokens = state.store.tokens_of(caller.user_id).await?;
    Ok(axum::Json(
        tokens
            .iter()
            .map(|t| TokenDto {
                id: t.id.to_string(),
                name: t.name.clone(),
                created_at: rfc3339(t.created_at),
                last_used_at: t.last_used_at.map(rfc3339),
            })
            .collect(),
    ))
}

/// Creates a personal API token; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "me", request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenDto), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<NewTokenRequest>,
) -> ApiResult<Response> {
    let name = validate::text("name", &req.name, 100)?;
    let orgs: Vec<_> = state
        .store
        .memberships_of(caller.user_id)
        .await?
        .iter()
        .map(|(o, _)| o.id)
        .collect();
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (t, secret) = issue_token(
        &mut tx,
        caller.user_id,
        &name,
        &orgs,
        Some(caller.user_id),
        "api",
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(NewTokenDto {
            id: t.id.to_string(),
            name: t.name,
            token: secret,
        }),
    )
        .into_response())
}

/// Issues a personal API token for `user_id` inside `tx` and returns it with its secret (the
/// only time the secret exists in clear). Tokens are personal; the issue is audited in each of
/// `orgs` (the user's organisations), so their admins see it. Used by the API and by `kantor
/// admin token issue` / `admin bootstrap --print-token` (`actor` is `None` and `via` "cli").
pub async fn issue_token(
    tx: &mut kantor_store::Tx,
    user_id: kantor_core::ids::UserId,
    name: &str,
    orgs: &[kantor_core::ids::OrgId],
    actor: Option<kantor_core::ids::UserId>,
    via: &str,
    now: i64,
) -> Result<(accounts::ApiToken, String), kantor_store::StoreError> {
    let secret = secrets::new_token("kt_");
    let t = accounts::insert_token(tx, user_id, name, &secrets::token_hash(&secret), now).await?;
    for org in orgs {
        kantor_store::audit::record(
            tx,
            *org,
            actor,
            "token.issue",
            Some(&t.id.to_string()),
            &serde_json::json!({"name": name, "via": via}),
            now,
        )
        .await?;
    }
    Ok((t, secret))
}

/// Revokes one of the caller's tokens, effective at once.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{token_id}", tag = "me", params(("token_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(token_id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: TokenId = parse_id(&token_id)?;
    let mut tx = state.store.begin().await?;
    let hash = accounts::token_hash_of(&mut tx, id).await?;
    accounts::revoke_token(&mut tx, caller.user_id, id, state.clock.now_ms()).await?;
    tx.commit().await?;
    state.revoke(None, vec![hash], true).await;
    Ok(StatusCode::NO_CONTENT)
}

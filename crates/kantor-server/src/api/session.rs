//! Login and logout.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kantor_core::ids::UserId;
use kantor_core::validate;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{build_me, clear_cookie, session_cookie, user_agent, MeDto};
use crate::auth::{client_ip, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::secrets;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// Required when the account has two-factor login.
    pub totp_code: Option<String>,
}

/// Creates a session for `user_id` in `tx` and answers with the cookie and `Me`.
pub async fn start_session(
    state: &AppState,
    mut tx: kantor_store::Tx,
    user_id: UserId,
    headers: &HeaderMap,
    ip: IpAddr,
) -> ApiResult<Response> {
    let now = state.clock.now_ms();
    let token = secrets::new_token("ks_");
    let csrf = secrets::new_token("");
    let expires = now + state.config.session_ttl_days as i64 * 86_400_000;
    kantor_store::accounts::insert_session(
        &mut tx,
        user_id,
        &secrets::token_hash(&token),
        &csrf,
        user_agent(headers).as_deref(),
        Some(&ip.to_string()),
        now,
        expires,
    )
    .await?;
    tx.commit().await?;
    let me = build_me(state, user_id, Some(csrf)).await?;
    Ok((
        [(header::SET_COOKIE, session_cookie(state, &token))],
        axum::Json(me),
    )
        .into_response())
}

pub fn ip_of(state: &AppState, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
    client_ip(headers, peer.ip(), &state.config.trusted_proxies)
}

/// Signs in with email and password (and a TOTP code when the account has 2FA).
#[utoipa::path(post, path = "/api/v1/auth/login", security(()), tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = MeDto), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let now = state.clock.now_ms();
    let ip = ip_of(&state, &headers, peer);
    // The limit applies to the email string as typed (normalised), known or not.
    let email = req.email.trim().to_lowercase();
    if !state
        .limiter
        .attempt(&state.store, &email, Some(ip), now)
        .await?
    {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "auth.rate_limited",
            "too many login attempts; wait a few minutes",
        ));
    }
    let wrong = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "auth.invalid_credentials",
            "wrong email or password",
        )
    };
    let creds = match validate::email(&email) {
        Ok(e) => state.store.credentials_by_email(&e).await?,
        Err(_) => None,
    };
    // Unknown emails cost one hash verification too, so timing does not reveal accounts.
    let password = req.password.clone();
    let hash = creds.as_ref().and_then(|c| c.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => secrets::verify_password(&password, &h),
        None => {
            secrets::verify_password(&password, secrets::dummy_hash());
            false
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!(e))?;
    let creds = match (ok, creds) {
        (true, Some(c)) => c,
        _ => return Err(wrong()),
    };
    // Only people with at least one usable membership may sign in.
    let active = state
        .store
        .memberships_of(creds.user.id)
        .await?
        .iter()
        .any(|(_, m)| m.status == kantor_core::role::MemberStatus::Active);
    if !active {
        return Err(wrong());
    }
    if creds.user.totp_enabled {
        let secret = creds.totp_secret.as_deref().unwrap_or("");
        match req
            .totp_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "auth.totp_required",
                    "enter the code from your authenticator app",
                ))
            }
            Some(code) if !secrets::totp::check(secret, code, now) => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "auth.totp_invalid",
                    "that code is not valid",
                ))
            }
            Some(_) => {}
        }
    }
    state.limiter.succeeded(&state.store, &email).await?;
    let tx = state.store.begin().await?;
    start_session(&state, tx, creds.user.id, &headers, ip).await
}

/// Ends this session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    if let Some(id) = caller.session_id() {
        let mut tx = state.store.begin().await?;
        let hash = kantor_store::accounts::delete_session(&mut tx, caller.user_id, id).await?;
        tx.commit().await?;
        state.revoke(None, vec![hash], true).await;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie())],
    )
        .into_response())
}

/// Ends every session and closes every socket of the caller (API tokens stay).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout_all(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let mut tx = state.store.begin().await?;
    let hashes = kantor_store::accounts::delete_sessions(&mut tx, caller.user_id, None).await?;
    tx.commit().await?;
    state.revoke(Some(caller.user_id), hashes, true).await;
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_cookie())],
    )
        .into_response())
}

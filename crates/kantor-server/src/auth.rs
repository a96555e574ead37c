//! Who is calling: session cookies and API tokens, CSRF, the auth cache, login rate limits,
//! and the step from "a signed-in user" to "a member acting in one organisation".

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use dashmap::DashMap;
use kantor_core::ids::{OrgId, SessionId, TokenId, UserId};
use kantor_core::policy::{self, Action, Actor};
use kantor_core::role::MemberStatus;
use kantor_store::orgs;

use crate::error::ApiError;
use crate::secrets;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "kantor_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request authenticated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Session {
        id: SessionId,
        csrf_token: String,
        last_seen_at: i64,
    },
    Token {
        id: TokenId,
    },
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: UserId,
    pub via: Via,
    /// The hash of the credential used, to drop it from caches on revocation.
    pub credential_hash: String,
}

impl Caller {
    pub fn session_id(&self) -> Option<SessionId> {
        match &self.via {
            Via::Session { id, .. } => Some(*id),
            Via::Token { .. } => None,
        }
    }
}

/// Credentials looked up recently. Entries live a few seconds; revocation on this node drops
/// them at once, and other nodes drop them when the bus tells them (or when the entry expires,
/// should that message be lost).
#[derive(Default)]
pub struct AuthCache {
    entries: DashMap<String, (Caller, i64)>,
}

const AUTH_CACHE_MS: i64 = 5_000;

impl AuthCache {
    pub fn forget(&self, credential_hash: &str) {
        self.entries.remove(credential_hash);
    }
    pub fn forget_user(&self, user_id: UserId) {
        self.entries.retain(|_, (c, _)| c.user_id != user_id);
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(str::trim)
}

pub fn cookie<'a>(parts: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    parts
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';').find_map(|kv| {
                let (k, v) = kv.trim().split_once('=')?;
                (k == name).then_some(v)
            })
        })
}

/// Resolves the credential of a request, without the CSRF check.
pub async fn authenticate(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    auth_header: Option<&str>,
) -> Result<Caller, ApiError> {
    let now = state.clock.now_ms();
    let (token, is_bearer) = match auth_header {
        Some(t) => (t, true),
        None => match cookie(headers, SESSION_COOKIE) {
            Some(t) => (t, false),
            None => return Err(ApiError::unauthenticated()),
        },
    };
    let hash = secrets::token_hash(token);
    if let Some(entry) = state.auth_cache.entries.get(&hash) {
        let (caller, at) = entry.value();
        if now - at < AUTH_CACHE_MS {
            return Ok(caller.clone());
        }
    }
    let caller = if is_bearer {
        let t = state
            .store
            .token_by_hash(&hash)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Caller {
            user_id: t.user_id,
            via: Via::Token { id: t.id },
            credential_hash: hash.clone(),
        }
    } else {
        let s = state
            .store
            .session_by_hash(&hash, now)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Caller {
            user_id: s.user_id,
            via: Via::Session {
                id: s.id,
                csrf_token: s.csrf_token,
                last_seen_at: s.last_seen_at,
            },
            credential_hash: hash.clone(),
        }
    };
    state.auth_cache.entries.insert(hash, (caller.clone(), now));
    Ok(caller)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = authenticate(state, &parts.headers, bearer(parts)).await?;
        if let Via::Session {
            csrf_token,
            id,
            last_seen_at,
        } = &caller.via
        {
            let unsafe_method =
                !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if unsafe_method {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !secrets::constant_time_eq(sent, csrf_token) {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "auth.csrf_invalid",
                        "missing or wrong X-CSRF-Token header",
                    ));
                }
            }
            // "Last seen" is for the session list; a few minutes of precision is enough, and
            // it keeps reads from turning into writes.
            let now = state.clock.now_ms();
            if now - last_seen_at > 5 * 60_000 {
                let (store, id) = (state.store.clone(), *id);
                tokio::spawn(async move {
                    if let Err(e) = store.touch_session(id, now).await {
                        tracing::warn!(error = %e, "could not record session use");
                    }
                });
            }
        }
        Ok(caller)
    }
}

/// The caller as a member of `org_id`. Not a member (or another organisation's id) → 404;
/// a deactivated member is treated the same.
pub async fn actor(state: &AppState, caller: &Caller, org_id: OrgId) -> Result<Actor, ApiError> {
    let mut conn = state.store.read_conn().await?;
    let m = match orgs::membership(&mut conn, org_id, caller.user_id).await {
        Ok(m) => m,
        Err(kantor_store::StoreError::NotFound) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if m.status != MemberStatus::Active {
        return Err(ApiError::not_found());
    }
    let leads_units = orgs::units_led_by(&mut conn, org_id, caller.user_id).await?;
    let second_factor_missing = m.role.is_admin()
        && orgs::org_by_id(&mut conn, org_id)
            .await?
            .require_2fa_for_admins
        && !kantor_store::accounts::user_by_id(&mut conn, caller.user_id)
            .await?
            .totp_enabled;
    Ok(Actor {
        user_id: caller.user_id,
        org_id,
        role: m.role,
        status: m.status,
        leads_units,
        second_factor_missing,
    })
}

/// 403 unless the policy allows it.
pub fn require(actor: &Actor, action: Action) -> Result<(), ApiError> {
    match policy::check(actor, action) {
        Ok(()) => Ok(()),
        Err(policy::Denied::Forbidden) => Err(ApiError::forbidden()),
        Err(policy::Denied::SecondFactorRequired) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "auth.totp_setup_required",
            "this organisation requires two-factor login for admins: turn it on under Security",
        )),
    }
}

/// Sliding-window limits on login attempts, per email string and per client IP, counted in the
/// database so that every node enforces the same limit.
pub struct LoginLimiter {
    per_email: u32,
    per_ip: u32,
    window_ms: i64,
}

impl LoginLimiter {
    pub fn new(per_email: u32, per_ip: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_email,
            per_ip,
            window_ms: window.as_millis() as i64,
        }
    }

    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    /// Counts an attempt; `false` when either limit is already reached.
    pub async fn attempt(
        &self,
        store: &kantor_store::Store,
        email: &str,
        ip: Option<IpAddr>,
        now: i64,
    ) -> Result<bool, ApiError> {
        let mut keys = vec![(format!("e:{email}"), self.per_email)];
        if let Some(ip) = ip {
            keys.push((format!("i:{ip}"), self.per_ip));
        }
        Ok(store.login_attempt(&keys, now, self.window_ms).await?)
    }

    /// A successful login clears the email's count (not the IP's).
    pub async fn succeeded(
        &self,
        store: &kantor_store::Store,
        email: &str,
    ) -> Result<(), ApiError> {
        Ok(store.clear_login_attempts(&format!("e:{email}")).await?)
    }
}

/// The client's address: the peer, or — when the peer is a trusted proxy — the last address in
/// `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(headers: &axum::http::HeaderMap, peer: IpAddr, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    forwarded
        .split(',')
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mut h = axum::http::HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "1.2.3.4, 10.0.0.9".parse().expect("header"),
        );
        let proxy: IpAddr = "10.0.0.9".parse().expect("ip");
        let peer: IpAddr = "127.0.0.1".parse().expect("ip");
        assert_eq!(client_ip(&h, peer, &[]), peer);
        assert_eq!(
            client_ip(&h, peer, &[peer, proxy]),
            "1.2.3.4".parse::<IpAddr>().expect("ip")
        );
    }
}

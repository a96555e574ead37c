//! Web Push subscriptions of the signed-in person: the server's public VAPID key (the
//! browser's `applicationServerKey`), and adding or removing this browser's subscription.
//! Sending lives in [`crate::push`].

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use kantor_push::SubscriptionKeys;
use kantor_store::push as subs;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PushKeyDto {
    /// The server's VAPID public key, base64url (uncompressed P-256 point): pass it as
    /// `applicationServerKey` to `pushManager.subscribe`.
    pub public_key: String,
}

/// The server's VAPID public key.
#[utoipa::path(get, path = "/api/v1/push/key", operation_id = "get_push_key", tag = "me",
    responses((status = 200, body = PushKeyDto), (status = 401, body = ErrorBody)))]
pub async fn key(
    State(state): State<AppState>,
    _caller: Caller,
) -> ApiResult<axum::Json<PushKeyDto>> {
    let key = crate::push::vapid_key(&state.store).await.map_err(|e| {
        tracing::error!(error = %format!("{e:#}"), "cannot load the VAPID key");
        ApiError::internal()
    })?;
    Ok(axum::Json(PushKeyDto {
        public_key: key.public_key_b64url(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushKeysInput {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// The browser's 16-byte auth secret, base64url.
    pub auth: String,
}

/// What `PushSubscription.toJSON()` gives (its `expirationTime` is accepted and ignored).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSubscriptionInput {
    /// The push service URL (https).
    pub endpoint: String,
    pub keys: PushKeysInput,
    #[serde(default, rename = "expirationTime")]
    #[schema(value_type = Option<f64>)]
    pub expiration_time: Option<serde_json::Value>,
}

/// Adds this browser's push subscription (idempotent by endpoint; at most 10 per person).
#[utoipa::path(post, path = "/api/v1/me/push-subscriptions", operation_id = "add_push_subscription", tag = "me",
    request_body = PushSubscriptionInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(req): Json<PushSubscriptionInput>,
) -> ApiResult<StatusCode> {
    let endpoint = req.endpoint.trim();
    let keys = SubscriptionKeys {
        p256dh: req.keys.p256dh.trim().to_string(),
        auth: req.keys.auth.trim().to_string(),
    };
    match crate::push::check_subscription(&state, endpoint, &keys) {
        Ok(()) => {}
        Err("keys") => {
            return Err(ApiError::invalid(
                "keys",
                "push.bad_keys",
                "keys must be a P-256 public key and a 16-byte auth secret, base64url",
            ))
        }
        Err(_) => {
            return Err(ApiError::invalid(
                "endpoint",
                "push.bad_endpoint",
                "the endpoint must be an https URL",
            ))
        }
    }
    let user_agent = super::user_agent(&headers).unwrap_or_default();
    let user_agent: String = user_agent.chars().take(300).collect();
    let mut tx = state.store.begin().await?;
    if subs::count_other(&mut tx, caller.user_id, endpoint).await? >= subs::MAX_PER_USER {
        return Err(ApiError::invalid(
            "endpoint",
            "push.too_many_subscriptions",
            "at most 10 browsers per person receive notifications: turn one off first",
        ));
    }
    subs::upsert(
        &mut tx,
        &subs::NewSubscription {
            user_id: caller.user_id,
            endpoint,
            p256dh: &keys.p256dh,
            auth: &keys.auth,
            user_agent: &user_agent,
        },
        state.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushUnsubscribeInput {
    pub endpoint: String,
}

/// Removes this browser's push subscription (204 also when there was none).
#[utoipa::path(delete, path = "/api/v1/me/push-subscriptions", operation_id = "delete_push_subscription", tag = "me",
    request_body = PushUnsubscribeInput,
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<PushUnsubscribeInput>,
) -> ApiResult<StatusCode> {
    let mut tx = state.store.begin().await?;
    subs::delete_mine(&mut tx, caller.user_id, req.endpoint.trim()).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

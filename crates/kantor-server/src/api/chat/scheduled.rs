//! Scheduled messages: written now, posted by the job runner at `send_at` (so they survive
//! restarts and run once across nodes). The post uses the client key `scheduled:{id}`, so a
//! job that runs twice still posts once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kantor_core::chat;
use kantor_core::event::Audience;
use kantor_core::ids::{ConversationId, ScheduledId, UserId};
use kantor_core::role::MemberStatus;
use kantor_store::chat::{self as store, Scheduled};
use kantor_store::jobs::NewJob;
use kantor_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::messages::PostInput;
use super::{chat_caller, visible, ChatCaller};
use crate::api::parse_id;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// The job kind that posts a scheduled message.
pub const SEND_SCHEDULED: &str = "chat.send_scheduled";
/// How far ahead a message may be scheduled.
const MAX_AHEAD_MS: i64 = 366 * 86_400_000;

#[derive(Serialize, ToSchema)]
pub struct ScheduledMessageDto {
    pub id: String,
    pub conversation_id: String,
    pub body: String,
    #[schema(required = true)]
    pub thread_root_id: Option<String>,
    pub send_at: String,
    pub created_at: String,
}

fn dto(s: &Scheduled) -> ScheduledMessageDto {
    ScheduledMessageDto {
        id: s.id.to_string(),
        conversation_id: s.conversation_id.to_string(),
        body: s.body.clone(),
        thread_root_id: s.thread_root_id.map(|t| t.to_string()),
        send_at: rfc3339(s.send_at),
        created_at: rfc3339(s.created_at),
    }
}

async fn changed(tx: &mut Tx, user_id: UserId, now: i64) -> ApiResult<()> {
    crate::api::emit(
        tx,
        Audience::User { user_id },
        "chat.scheduled.updated",
        serde_json::json!({}),
        now,
    )
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub body: String,
    /// RFC 3339 instant, in the future (at most a year ahead).
    pub send_at: String,
    pub thread_root_id: Option<String>,
}

/// Schedules a message to be sent later.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/scheduled", operation_id = "schedule_message", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = ScheduleInput,
    responses((status = 201, body = ScheduledMessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<ScheduleInput>,
) -> ApiResult<Response> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    super::writable(&c, me.as_ref())?;
    let body = chat::body(&req.body, false).map_err(|e| match e {
        chat::BodyError::Empty => {
            ApiError::invalid("body", "chat.empty_message", "write something")
        }
        chat::BodyError::TooLong => {
            ApiError::too_large("chat.message_too_long", "the message is too long")
        }
    })?;
    let now = state.clock.now_ms();
    let send_at = req
        .send_at
        .parse::<jiff::Timestamp>()
        .map_err(|_| ApiError::invalid("send_at", "validation.invalid", "not an RFC 3339 instant"))?
        .as_millisecond();
    if send_at <= now || send_at > now + MAX_AHEAD_MS {
        return Err(ApiError::invalid(
            "send_at",
            "chat.send_at_range",
            "pick a time in the future, within a year",
        ));
    }
    let thread_root_id = super::thread_root(&mut tx, cid, req.thread_root_id.as_deref()).await?;
    let s = Scheduled {
        id: store::new_scheduled_id(),
        org_id: who.org_id,
        conversation_id: cid,
        author_id: who.user_id,
        body,
        thread_root_id,
        send_at,
        created_at: now,
        status: "pending".into(),
    };
    store::insert_scheduled(&mut tx, &s).await?;
    kantor_store::jobs::schedule(
        &mut tx,
        &NewJob {
            kind: SEND_SCHEDULED,
            payload: &serde_json::json!({"scheduled_id": s.id}),
            run_at: send_at,
            max_attempts: 5,
            dedupe_key: None,
        },
        now,
    )
    .await?;
    changed(&mut tx, who.user_id, now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(dto(&s))).into_response())
}

/// The caller's messages waiting to be sent, soonest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/scheduled", operation_id = "list_scheduled", tag = "chat", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<ScheduledMessageDto>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<ScheduledMessageDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    Ok(axum::Json(
        store::pending_scheduled(&mut conn, who.org_id, who.user_id)
            .await?
            .iter()
            .map(dto)
            .collect(),
    ))
}

/// Cancels a scheduled message.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/scheduled/{scheduled_id}", operation_id = "cancel_scheduled", tag = "chat", params(("org_id" = String, Path), ("scheduled_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let id: ScheduledId = parse_id(&id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let s = store::scheduled(&mut tx, id).await?;
    if s.org_id != who.org_id || s.author_id != who.user_id {
        return Err(ApiError::not_found());
    }
    if !store::finish_scheduled(&mut tx, id, "cancelled").await? {
        return Err(ApiError::conflict(
            "chat.scheduled_done",
            "the message was already sent or cancelled",
        ));
    }
    changed(&mut tx, who.user_id, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The job: posts a scheduled message as its author, unless it was cancelled or the author
/// can no longer post there (then it is marked failed and the author's list updates).
pub async fn run(state: &AppState, payload: &str) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Payload {
        scheduled_id: ScheduledId,
    }
    let p: Payload = serde_json::from_str(payload)?;
    let s = {
        let mut conn = state.store.read_conn().await?;
        store::scheduled(&mut conn, p.scheduled_id).await?
    };
    // Claim it first, so a cancel from now on answers 409 instead of racing the send. A job
    // that died after claiming finds it `sending` and posts again (same client key: once).
    match s.status.as_str() {
        "pending" => {
            let mut tx = state.store.begin().await?;
            let claimed = store::move_scheduled(&mut tx, s.id, "pending", "sending").await?;
            tx.commit().await?;
            if !claimed {
                return Ok(());
            }
        }
        "sending" => {}
        _ => return Ok(()),
    }
    let member = state
        .store
        .membership(s.org_id, s.author_id)
        .await
        .ok()
        .filter(|m| m.status == MemberStatus::Active);
    let outcome = match member {
        None => Err(None),
        Some(m) => {
            let who = ChatCaller {
                user_id: s.author_id,
                org_id: s.org_id,
                role: m.role,
            };
            let req = PostInput {
                thread_root_id: s.thread_root_id.map(|t| t.to_string()),
                ..PostInput::text(format!("scheduled:{}", s.id), s.body.clone())
            };
            super::messages::post_message(state, &who, s.conversation_id, &req)
                .await
                .map_err(Some)
        }
    };
    let status = match outcome {
        Ok(_) => "sent",
        // Refused for good (left the channel, archived, deactivated): do not retry.
        Err(None) => "failed",
        Err(Some(e)) if e.status.is_client_error() => {
            tracing::info!(scheduled = %s.id, code = e.code, "scheduled message could not be sent");
            "failed"
        }
        Err(Some(e)) => anyhow::bail!("posting scheduled message: {}", e.code),
    };
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if store::move_scheduled(&mut tx, s.id, "sending", status).await? {
        crate::api::emit(
            &mut tx,
            Audience::User {
                user_id: s.author_id,
            },
            "chat.scheduled.updated",
            serde_json::json!({"status": status}),
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    }
    tx.commit().await?;
    Ok(())
}

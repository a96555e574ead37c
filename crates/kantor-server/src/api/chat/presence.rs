//! Presence (online, away, offline), status text with emoji and expiry, and do-not-disturb
//! hours kept in the person's own time zone.

use axum::extract::{Path, State};
use kantor_core::chat;
use kantor_core::event::Audience;
use kantor_core::ids::UserId;
use kantor_core::role::MemberStatus;
use kantor_store::chat::{self as store, UserStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::chat_caller;
use crate::api::me::{csrf_of, user_updated};
use crate::api::{build_me, MeDto};
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::gateway::presence::State as Presence;
use crate::state::AppState;

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PresenceState {
    Online,
    Away,
    Offline,
}

impl From<Presence> for PresenceState {
    fn from(p: Presence) -> Self {
        match p {
            Presence::Online => PresenceState::Online,
            Presence::Away => PresenceState::Away,
            Presence::Offline => PresenceState::Offline,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PresenceDto {
    pub user_id: String,
    pub state: PresenceState,
    pub status_text: String,
    pub status_emoji: String,
    #[schema(required = true)]
    pub status_expires_at: Option<String>,
    /// Inside their do-not-disturb hours right now.
    pub dnd: bool,
}

/// A person's status as shown (an expired status is no status).
#[derive(Serialize, ToSchema, Clone, Default)]
pub struct ChatStatusDto {
    pub text: String,
    pub emoji: String,
    #[schema(required = true)]
    pub expires_at: Option<String>,
    /// "HH:MM" in the person's time zone, both or neither.
    #[schema(required = true)]
    pub dnd_start: Option<String>,
    #[schema(required = true)]
    pub dnd_end: Option<String>,
}

pub fn effective(s: &UserStatus, now: i64) -> UserStatus {
    let mut s = s.clone();
    if s.status_expires_at.is_some_and(|t| t <= now) {
        s.status_text.clear();
        s.status_emoji.clear();
        s.status_expires_at = None;
    }
    s
}

pub fn status_dto(s: &UserStatus, now: i64) -> ChatStatusDto {
    let s = effective(s, now);
    ChatStatusDto {
        text: s.status_text,
        emoji: s.status_emoji,
        expires_at: s.status_expires_at.map(rfc3339),
        dnd_start: s.dnd_start.map(chat::format_clock),
        dnd_end: s.dnd_end.map(chat::format_clock),
    }
}

/// Whether `now` falls in the person's do-not-disturb hours, in their zone.
pub fn in_dnd(s: &UserStatus, time_zone: &str, now: i64) -> bool {
    let (Some(start), Some(end)) = (s.dnd_start, s.dnd_end) else {
        return false;
    };
    let Ok(tz) = jiff::tz::TimeZone::get(time_zone) else {
        return false;
    };
    let Ok(ts) = jiff::Timestamp::from_millisecond(now) else {
        return false;
    };
    let local = ts.to_zoned(tz);
    chat::in_dnd(start, end, local.hour() as i64 * 60 + local.minute() as i64)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PresenceQuery {
    /// Comma-separated user ids (at most 1,000): only these people.
    pub user_ids: Option<String>,
}

/// Who is online or away, with status and do-not-disturb state (of everyone present or with
/// a status, or of the people asked for).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/presence", operation_id = "list_presence", tag = "chat", params(("org_id" = String, Path), PresenceQuery),
    responses((status = 200, body = Vec<PresenceDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<PresenceQuery>,
) -> ApiResult<axum::Json<Vec<PresenceDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let only: Option<std::collections::HashSet<UserId>> = match q.user_ids.as_deref() {
        None | Some("") => None,
        Some(list) => {
            let ids = list
                .split(',')
                .take(1_001)
                .map(|s| s.trim().parse::<UserId>())
                .collect::<Result<std::collections::HashSet<_>, _>>()
                .map_err(|_| {
                    ApiError::invalid("user_ids", "validation.invalid", "not a list of user ids")
                })?;
            if ids.len() > 1_000 {
                return Err(ApiError::invalid(
                    "user_ids",
                    "validation.invalid",
                    "at most 1,000 people",
                ));
            }
            Some(ids)
        }
    };
    let now = state.clock.now_ms();
    let mut conn = state.store.read_conn().await?;
    let statuses = store::org_statuses(&mut conn, who.org_id).await?;
    let present = state.hub.presence.present_in(who.org_id);
    let mut out: std::collections::HashMap<UserId, PresenceDto> = present
        .into_iter()
        .map(|(u, p)| {
            (
                u,
                PresenceDto {
                    user_id: u.to_string(),
                    state: p.into(),
                    status_text: String::new(),
                    status_emoji: String::new(),
                    status_expires_at: None,
                    dnd: false,
                },
            )
        })
        .collect();
    for (u, s, tz) in statuses {
        let e = effective(&s, now);
        let dnd = in_dnd(&e, &tz, now);
        if e.status_text.is_empty() && e.status_emoji.is_empty() && !dnd && !out.contains_key(&u) {
            continue;
        }
        let d = out.entry(u).or_insert_with(|| PresenceDto {
            user_id: u.to_string(),
            state: PresenceState::Offline,
            status_text: String::new(),
            status_emoji: String::new(),
            status_expires_at: None,
            dnd: false,
        });
        d.status_text = e.status_text;
        d.status_emoji = e.status_emoji;
        d.status_expires_at = e.status_expires_at.map(rfc3339);
        d.dnd = dnd;
    }
    if let Some(only) = &only {
        out.retain(|u, _| only.contains(u));
        for u in only {
            out.entry(*u).or_insert_with(|| PresenceDto {
                user_id: u.to_string(),
                state: PresenceState::Offline,
                status_text: String::new(),
                status_emoji: String::new(),
                status_expires_at: None,
                dnd: false,
            });
        }
    }
    let mut out: Vec<PresenceDto> = out.into_values().collect();
    out.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    Ok(axum::Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusInput {
    /// Up to 100 characters ("WFH", "Rapat", "Di lapangan"); empty clears.
    pub text: String,
    /// One emoji or `:short_name:`; empty for none.
    #[serde(default)]
    pub emoji: String,
    /// RFC 3339; the status clears itself then. Null: until changed.
    pub expires_at: Option<String>,
}

async fn save(
    state: &AppState,
    caller: &Caller,
    f: impl FnOnce(&mut UserStatus),
) -> ApiResult<axum::Json<MeDto>> {
    let now = state.clock.now_ms();
    let memberships = state.store.memberships_of(caller.user_id).await?;
    let mut tx = state.store.begin().await?;
    let mut s = store::user_status(&mut tx, caller.user_id).await?;
    f(&mut s);
    store::put_user_status(&mut tx, caller.user_id, &s, now).await?;
    user_updated(&mut tx, caller.user_id, now).await?;
    // Everyone who shares an organisation sees the new status.
    // Others see the status, not the hours someone keeps free (the presence list says only
    // whether they are inside them).
    let shown = status_dto(&s, now);
    let payload = serde_json::json!({"user_id": caller.user_id, "status": {
        "text": shown.text, "emoji": shown.emoji, "expires_at": shown.expires_at,
    }});
    for (org, m) in memberships {
        if m.status == MemberStatus::Active {
            crate::api::emit(
                &mut tx,
                Audience::Org { org_id: org.id },
                "chat.status.updated",
                payload.clone(),
                now,
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(axum::Json(
        build_me(state, caller.user_id, csrf_of(caller)).await?,
    ))
}

/// Sets (or clears) the caller's status.
#[utoipa::path(put, path = "/api/v1/me/status", tag = "me", request_body = StatusInput,
    responses((status = 200, body = MeDto), (status = 422, body = ErrorBody)))]
pub async fn put_status(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<StatusInput>,
) -> ApiResult<axum::Json<MeDto>> {
    let text =
        kantor_core::validate::optional_text("text", Some(&req.text), 100)?.unwrap_or_default();
    let emoji = if req.emoji.trim().is_empty() {
        String::new()
    } else {
        chat::emoji(&req.emoji)?
    };
    let now = state.clock.now_ms();
    let expires_at = match req
        .expires_at
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => {
            let t = s
                .parse::<jiff::Timestamp>()
                .map_err(|_| {
                    ApiError::invalid(
                        "expires_at",
                        "validation.invalid",
                        "not an RFC 3339 instant",
                    )
                })?
                .as_millisecond();
            if t <= now {
                return Err(ApiError::invalid(
                    "expires_at",
                    "validation.invalid",
                    "the expiry is in the past",
                ));
            }
            Some(t)
        }
    };
    let clear = text.is_empty() && emoji.is_empty();
    save(&state, &caller, |s| {
        s.status_text = text;
        s.status_emoji = emoji;
        s.status_expires_at = if clear { None } else { expires_at };
    })
    .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DndInput {
    /// "HH:MM" in the caller's time zone; both null turns do-not-disturb off.
    pub start: Option<String>,
    pub end: Option<String>,
}

/// Sets the caller's daily do-not-disturb hours (e.g. 22:00 to 07:00).
#[utoipa::path(put, path = "/api/v1/me/dnd", tag = "me", request_body = DndInput,
    responses((status = 200, body = MeDto), (status = 422, body = ErrorBody)))]
pub async fn put_dnd(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<DndInput>,
) -> ApiResult<axum::Json<MeDto>> {
    let (start, end) = match (req.start.as_deref(), req.end.as_deref()) {
        (None, None) => (None, None),
        (Some(a), Some(b)) => {
            let (a, b) = (chat::parse_clock("start", a)?, chat::parse_clock("end", b)?);
            if a == b {
                return Err(ApiError::invalid(
                    "end",
                    "validation.invalid",
                    "start and end must differ",
                ));
            }
            (Some(a), Some(b))
        }
        _ => {
            return Err(ApiError::invalid(
                "end",
                "validation.required",
                "give both start and end, or neither",
            ))
        }
    };
    save(&state, &caller, |s| {
        s.dnd_start = start;
        s.dnd_end = end;
    })
    .await
}

//! The public join: number and passcode in, a participant token and ICE servers out.
//!
//! The order of checks is part of the contract: the number's form (422), the caller's IP limit
//! across meetings (429), the meeting (404), the meeting's limits (429), the passcode (401),
//! then where the person lands (`kantor_core::meet::admission`: 410, 403) and, for guests,
//! their name (422). Limits are checked **before** the passcode, so once reached they also stop
//! a right guess. Counting, checking and recording a wrong passcode happen in one transaction
//! that holds the IP's and the meeting's locks (see `kantor_store::meet::passcode_failures`).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use kantor_core::meet::{self as rules, JoinRefused, JoinSettings, Joiner, ParticipantState};
use kantor_core::role::MemberStatus;
use kantor_core::validate;
use kantor_store::meet::{self as store, Meeting, NewParticipant, Participant};
use kantor_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ended, participant_dto, public_dto, MeetingPublicDto, ParticipantDto};
use crate::api::session::ip_of;
use crate::auth::{self, Caller, Via};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::meet::{ice_servers, IceServer, RoomCommand};
use crate::secrets;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// Digits; spaces and dashes are ignored.
    pub number: String,
    pub passcode: String,
    /// Required for guests; members are named from their profile.
    pub name: Option<String>,
    /// Guests: a random string the browser keeps per meeting, so a rejoin is the same
    /// participant (and a removed guest stays out).
    pub device_key: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JoinResponse {
    pub meeting: MeetingPublicDto,
    pub participant: ParticipantDto,
    /// Opens the meeting WebSocket (`{"t":"hello","token":…}`); replaced by the next join.
    pub token: String,
    /// TURN servers with a credential for this participant (`[]` when none is configured).
    pub ice_servers: Vec<IceServer>,
    /// Waiting because the meeting's host is not in yet (a personal room or a scheduled
    /// meeting): they are let in when the host arrives, no one needs to admit them.
    pub waiting_for_host: bool,
}

fn meeting_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "meeting.not_found",
        "no meeting has this number",
    )
}

fn too_many_attempts() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "meeting.too_many_attempts",
        "too many wrong passcodes; wait a few minutes",
    )
}

fn refused(r: JoinRefused) -> ApiError {
    match r {
        JoinRefused::Ended => ended(),
        JoinRefused::GuestsNotAllowed => ApiError::new(
            StatusCode::FORBIDDEN,
            "meeting.guests_not_allowed",
            "this meeting is for members of the organisation only",
        ),
        JoinRefused::Removed => ApiError::new(
            StatusCode::FORBIDDEN,
            "meeting.removed",
            "you were removed from this meeting",
        ),
        JoinRefused::Locked => ApiError::new(
            StatusCode::FORBIDDEN,
            "meeting.locked",
            "the host has locked this meeting",
        ),
    }
}

/// Joins a meeting by number and passcode, as a member (signed in, in the meeting's
/// organisation) or as a guest.
#[utoipa::path(post, path = "/api/v1/meet/join", operation_id = "join_meeting", security((), ("session" = []), ("token" = [])), tag = "meetings", request_body = JoinRequest,
    responses((status = 200, body = JoinResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn join(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<JoinRequest>,
) -> ApiResult<axum::Json<JoinResponse>> {
    let now = state.clock.now_ms();
    let ip = ip_of(&state, &headers, peer).to_string();
    let number = rules::parse_number(&req.number)?;
    let device_key_hash = match req.device_key.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) if k.chars().count() > rules::MAX_DEVICE_KEY_CHARS => {
            return Err(ApiError::invalid(
                "device_key",
                "validation.too_long",
                format!(
                    "device_key is longer than {} characters",
                    rules::MAX_DEVICE_KEY_CHARS
                ),
            ))
        }
        Some(k) => Some(secrets::token_hash(k)),
    };
    let caller = optional_caller(&state, &headers).await?;

    let since = now - rules::PASSCODE_WINDOW_MS;
    let backend = state.store.backend();
    let mut tx = state.store.begin().await?;
    let counts = store::passcode_failures(&mut tx, backend, None, &ip, since).await?;
    if counts.ip >= rules::MAX_FAILURES_PER_IP {
        return Err(too_many_attempts());
    }
    let m = match store::meeting_by_number(&mut tx, &number).await {
        Ok(m) => m,
        Err(StoreError::NotFound) => return Err(meeting_not_found()),
        Err(e) => return Err(e.into()),
    };
    let counts = store::passcode_failures(&mut tx, backend, Some(m.id), &ip, since).await?;
    if rules::passcode_limit_reached(counts.meeting_ip, counts.meeting, counts.ip) {
        tracing::warn!(meeting_id = %m.id, "meeting join refused: too many wrong passcodes");
        return Err(too_many_attempts());
    }
    if !rules::passcode_matches(&m.passcode, &req.passcode) {
        store::record_passcode_failure(&mut tx, m.id, &ip, now).await?;
        tx.commit().await?;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "meeting.passcode_invalid",
            "wrong passcode",
        ));
    }
    store::clear_passcode_failures(&mut tx, m.id, &ip).await?;

    // Who is joining: a member of the meeting's organisation, or a guest.
    let member = match &caller {
        Some(c) => match kantor_store::orgs::membership(&mut tx, m.org_id, c.user_id).await {
            Ok(ms) if ms.status == MemberStatus::Active => Some(c.user_id),
            Ok(_) | Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let existing = match (member, device_key_hash.as_deref()) {
        (Some(user_id), _) => store::participant_by_user(&mut tx, m.id, user_id).await?,
        (None, Some(hash)) => store::participant_by_device(&mut tx, m.id, hash).await?,
        (None, None) => None,
    };
    let lobby = m.kind.reusable() && !store::runner_present(&mut tx, m.id).await?;
    let (role, landing) = rules::admission(
        JoinSettings {
            host_absent_lobby: lobby,
            ..settings(&m)
        },
        Joiner {
            member: member.is_some(),
            is_host: member == Some(m.host_id),
            existing: existing.as_ref().map(|p| (p.role, p.state)),
        },
    )
    .map_err(refused)?;
    let name = match member {
        Some(user_id) => {
            kantor_store::accounts::user_by_id(&mut tx, user_id)
                .await?
                .name
        }
        None => guest_name(&state, req.name.as_deref(), caller.as_ref()).await?,
    };

    let token = secrets::new_token("km_");
    let token_hash = secrets::token_hash(&token);
    let participant: Participant = match existing {
        Some(p) => {
            store::rejoin(&mut tx, p.id, &name, role, landing, &token_hash, now).await?;
            store::participant(&mut tx, m.id, p.id).await?
        }
        None => {
            store::insert_participant(
                &mut tx,
                &NewParticipant {
                    meeting_id: m.id,
                    org_id: m.org_id,
                    user_id: member,
                    device_key_hash: if member.is_none() {
                        device_key_hash.as_deref()
                    } else {
                        None
                    },
                    name: &name,
                    role,
                    state: landing,
                    token_hash: Some(&token_hash),
                },
                now,
            )
            .await?
        }
    };
    if let (Some(user_id), ParticipantState::Admitted) = (member, participant.state) {
        super::chat::join(&mut tx, &m, user_id, now).await?;
    }
    if lobby && role.runs_meeting() {
        // The host (or a cohost) arrived: the lobby goes in, unless the waiting room holds them.
        for user_id in store::admit_lobby(&mut tx, m.id, m.waiting_room, now).await? {
            super::chat::join(&mut tx, &m, user_id, now).await?;
        }
    }
    let m = store::meeting(&mut tx, m.org_id, m.id).await?;
    tx.commit().await?;
    tracing::info!(meeting_id = %m.id, participant_id = %participant.id, guest = participant.guest,
        state = %participant.state, "joined a meeting");
    state.rooms.command(m.id, RoomCommand::Sync);
    Ok(axum::Json(JoinResponse {
        meeting: public_dto(&m),
        participant: participant_dto(&participant),
        waiting_for_host: lobby && participant.state == ParticipantState::Waiting,
        token,
        ice_servers: ice_servers(&state, participant.id),
    }))
}

fn settings(m: &Meeting) -> JoinSettings {
    JoinSettings {
        status: m.status,
        locked: m.locked,
        waiting_room: m.waiting_room,
        allow_guests: m.allow_guests,
        host_absent_lobby: false,
    }
}

/// A guest's name: as given; a signed-in person from another organisation may leave it out and
/// is named from their profile. Missing → 422 `validation.failed`.
async fn guest_name(
    state: &AppState,
    given: Option<&str>,
    caller: Option<&Caller>,
) -> ApiResult<String> {
    if let Some(n) = given.filter(|n| !n.trim().is_empty()) {
        return Ok(validate::text("name", n, rules::MAX_NAME_CHARS)?);
    }
    if let Some(c) = caller {
        let name = state.store.user(c.user_id).await?.name;
        return Ok(name.chars().take(rules::MAX_NAME_CHARS).collect());
    }
    Err(ApiError::invalid(
        "name",
        "validation.failed",
        "guests give a name to join",
    ))
}

/// The caller when the request carries a session cookie or an API token: a stale cookie makes
/// the caller a guest, a wrong token is 401, and a cookie-authenticated join needs the CSRF
/// header like any other write made with the cookie.
async fn optional_caller(state: &AppState, headers: &HeaderMap) -> ApiResult<Option<Caller>> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if bearer.is_none() && auth::cookie(headers, auth::SESSION_COOKIE).is_none() {
        return Ok(None);
    }
    let caller = match auth::authenticate(state, headers, bearer).await {
        Ok(c) => c,
        Err(e) if bearer.is_none() && e.status == StatusCode::UNAUTHORIZED => return Ok(None),
        Err(e) => return Err(e),
    };
    if let Via::Session { csrf_token, .. } = &caller.via {
        let sent = headers
            .get(auth::CSRF_HEADER)
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
    Ok(Some(caller))
}

//! Meetings (REST): creating and listing meetings, the public join, and host controls. The
//! contract is docs/meet-protocol.md.
//!
//! Everything under `/orgs/{org_id}/meetings` needs an active membership (another
//! organisation's meeting is not found, 404). Who may run a meeting is the meeting's business,
//! not the organisation's: its host, and the cohosts the host names ([`meeting_role`],
//! `kantor_core::meet::may_run` / `may_act`). After each committed change the handler tells the
//! room on this node ([`crate::meet::Rooms::command`]); rooms on other nodes read the store
//! again when their sockets say hello.
//!
//! Layout: this file holds the shapes, access helpers and meeting-wide handlers; [`join`] the
//! public join with its passcode limits; [`actions`] the actions on one participant;
//! [`attendance`] the attendance report and its XLSX/CSV exports.

pub mod actions;
pub mod attendance;
pub mod chat;
pub mod join;
pub mod schedule;
pub mod schedule_dto;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kantor_core::ids::{MeetingId, OrgId, UserId};
use kantor_core::meet::{
    self as rules, HostDenied, MeetingAction, MeetingKind, MeetingRole, ParticipantState, Status,
    WaitingRoom,
};
use kantor_core::policy::Action;
use kantor_core::role::{MemberStatus, Role};
use kantor_core::validate;
use kantor_store::meet::{self as store, Meeting, MeetingPatch, NewMeeting, Participant};
use kantor_store::Conn;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::meet::RoomCommand;
use crate::state::AppState;

/// Ended meetings listed after the live ones.
const RECENT_ENDED: i64 = 50;

// --- shapes ------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatusDto {
    Live,
    Ended,
}

impl From<Status> for MeetingStatusDto {
    fn from(s: Status) -> Self {
        match s {
            Status::Live => MeetingStatusDto::Live,
            Status::Ended => MeetingStatusDto::Ended,
        }
    }
}

/// Who waits in the waiting room: nobody, guests (people who are not signed-in members of the
/// organisation), or everyone but hosts and cohosts.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum WaitingRoomDto {
    Off,
    Guests,
    Everyone,
}

impl From<WaitingRoom> for WaitingRoomDto {
    fn from(w: WaitingRoom) -> Self {
        match w {
            WaitingRoom::Off => WaitingRoomDto::Off,
            WaitingRoom::Guests => WaitingRoomDto::Guests,
            WaitingRoom::Everyone => WaitingRoomDto::Everyone,
        }
    }
}

impl From<WaitingRoomDto> for WaitingRoom {
    fn from(w: WaitingRoomDto) -> Self {
        match w {
            WaitingRoomDto::Off => WaitingRoom::Off,
            WaitingRoomDto::Guests => WaitingRoom::Guests,
            WaitingRoomDto::Everyone => WaitingRoom::Everyone,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum MeetingRoleDto {
    Host,
    Cohost,
    Participant,
}

impl From<MeetingRole> for MeetingRoleDto {
    fn from(r: MeetingRole) -> Self {
        match r {
            MeetingRole::Host => MeetingRoleDto::Host,
            MeetingRole::Cohost => MeetingRoleDto::Cohost,
            MeetingRole::Participant => MeetingRoleDto::Participant,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum ParticipantStateDto {
    Waiting,
    Admitted,
    Denied,
    Removed,
    Left,
}

impl From<ParticipantState> for ParticipantStateDto {
    fn from(s: ParticipantState) -> Self {
        match s {
            ParticipantState::Waiting => ParticipantStateDto::Waiting,
            ParticipantState::Admitted => ParticipantStateDto::Admitted,
            ParticipantState::Denied => ParticipantStateDto::Denied,
            ParticipantState::Removed => ParticipantStateDto::Removed,
            ParticipantState::Left => ParticipantStateDto::Left,
        }
    }
}

/// What anyone with the number and passcode sees of a meeting (no passcode).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct MeetingPublicDto {
    pub id: String,
    pub org_id: String,
    /// The bare digits (10 or 11), as in join links.
    pub number: String,
    /// The number grouped for people: `812 3456 7890`.
    pub number_display: String,
    pub title: String,
    pub host_name: String,
    pub locked: bool,
    pub status: MeetingStatusDto,
}

/// A meeting as members of its organisation see it.
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct MeetingDto {
    pub id: String,
    pub org_id: String,
    /// The bare digits (10 or 11), as in join links.
    pub number: String,
    /// The number grouped for people: `812 3456 7890`.
    pub number_display: String,
    pub title: String,
    pub host_name: String,
    pub locked: bool,
    pub status: MeetingStatusDto,
    /// Only for the host and cohosts; null for everyone else.
    #[schema(required = true)]
    pub passcode: Option<String>,
    pub host_id: String,
    pub waiting_room: WaitingRoomDto,
    pub allow_guests: bool,
    /// The spotlighted participant's id.
    #[schema(required = true)]
    pub spotlight: Option<String>,
    pub created_at: String,
    #[schema(required = true)]
    pub ended_at: Option<String>,
    /// `{base}/meet/{number}?pwd={passcode}` for the host and cohosts; without `pwd` for others.
    pub join_url: String,
    /// Participants admitted right now.
    pub participant_count: i64,
    /// The meeting's chat conversation (its members are the organisation's people admitted to
    /// the meeting); null for meetings made before meeting chat.
    #[schema(required = true)]
    pub conversation_id: Option<String>,
    pub kind: MeetingKindDto,
    pub agenda: String,
    /// Scheduled meetings: the series.
    #[schema(required = true)]
    pub schedule: Option<schedule_dto::ScheduleDto>,
    /// Scheduled meetings: the occurrence going on or next (none once the series is over).
    #[schema(required = true)]
    pub next_occurrence: Option<schedule_dto::OccurrenceDto>,
    /// A cancelled scheduled series.
    pub cancelled: bool,
    /// Scheduled meetings: the invitation as iCalendar.
    #[schema(required = true)]
    pub ics_url: Option<String>,
}

/// `instant`: started now, ended for good. `scheduled`: a series with a time and invitees.
/// `personal`: a person's own room. Scheduled meetings and personal rooms are used again; until
/// their host (or a cohost) is in, everyone else waits in the lobby.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKindDto {
    Instant,
    Scheduled,
    Personal,
}

impl From<MeetingKind> for MeetingKindDto {
    fn from(k: MeetingKind) -> Self {
        match k {
            MeetingKind::Instant => MeetingKindDto::Instant,
            MeetingKind::Scheduled => MeetingKindDto::Scheduled,
            MeetingKind::Personal => MeetingKindDto::Personal,
        }
    }
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ParticipantDto {
    pub id: String,
    pub meeting_id: String,
    /// Null for guests.
    #[schema(required = true)]
    pub user_id: Option<String>,
    pub name: String,
    pub role: MeetingRoleDto,
    pub state: ParticipantStateDto,
    /// Not a signed-in member of the meeting's organisation.
    pub guest: bool,
}

#[derive(Serialize, ToSchema)]
pub struct MeetingList {
    pub meetings: Vec<MeetingDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ParticipantList {
    pub participants: Vec<ParticipantDto>,
}

pub fn public_dto(m: &Meeting) -> MeetingPublicDto {
    MeetingPublicDto {
        id: m.id.to_string(),
        org_id: m.org_id.to_string(),
        number: m.number.clone(),
        number_display: rules::format_number(&m.number),
        title: m.title.clone(),
        host_name: m.host_name.clone(),
        locked: m.locked,
        status: m.status.into(),
    }
}

/// The meeting for a member; `runs` (host or cohost) shows the passcode.
pub fn meeting_dto(state: &AppState, m: &Meeting, runs: bool) -> MeetingDto {
    let join_url = if runs {
        format!("{}/meet/{}?pwd={}", state.base_url, m.number, m.passcode)
    } else {
        format!("{}/meet/{}", state.base_url, m.number)
    };
    MeetingDto {
        id: m.id.to_string(),
        org_id: m.org_id.to_string(),
        number: m.number.clone(),
        number_display: rules::format_number(&m.number),
        title: m.title.clone(),
        host_name: m.host_name.clone(),
        locked: m.locked,
        status: m.status.into(),
        passcode: runs.then(|| m.passcode.clone()),
        host_id: m.host_id.to_string(),
        waiting_room: m.waiting_room.into(),
        allow_guests: m.allow_guests,
        spotlight: m.spotlight.map(|p| p.to_string()),
        created_at: rfc3339(m.created_at),
        ended_at: m.ended_at.map(rfc3339),
        join_url,
        participant_count: m.participant_count,
        conversation_id: m.conversation_id.map(|c| c.to_string()),
        kind: m.kind.into(),
        agenda: m.agenda.clone(),
        schedule: None,
        next_occurrence: None,
        cancelled: m.cancelled_at.is_some(),
        ics_url: None,
    }
}

pub fn participant_dto(p: &Participant) -> ParticipantDto {
    ParticipantDto {
        id: p.id.to_string(),
        meeting_id: p.meeting_id.to_string(),
        user_id: p.user_id.map(|u| u.to_string()),
        name: p.name.clone(),
        role: p.role.into(),
        state: p.state.into(),
        guest: p.guest,
    }
}

// --- errors ------------------------------------------------------------------------------------

pub fn ended() -> ApiError {
    ApiError::gone("meeting.ended", "the meeting has ended")
}

pub(super) fn not_host() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "meeting.not_host",
        "only the meeting's host or a cohost may do this",
    )
}

fn host_denied(d: HostDenied) -> ApiError {
    match d {
        HostDenied::NotHost => not_host(),
        HostDenied::Forbidden => ApiError::new(
            StatusCode::FORBIDDEN,
            "meeting.forbidden",
            "the host cannot be removed, muted or demoted",
        ),
        HostDenied::NotInMeeting => ApiError::conflict(
            "meeting.not_in_meeting",
            "that participant is not in the meeting",
        ),
    }
}

// --- access ------------------------------------------------------------------------------------

/// The caller as an active member of the organisation; 404 otherwise.
#[derive(Clone, Copy)]
pub struct MeetCaller {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
}

pub async fn member_of(state: &AppState, caller: &Caller, org_id: &str) -> ApiResult<MeetCaller> {
    let org_id: OrgId = parse_id(org_id)?;
    match state.store.membership(org_id, caller.user_id).await {
        Ok(m) if m.status == MemberStatus::Active => Ok(MeetCaller {
            user_id: caller.user_id,
            org_id,
            role: m.role,
        }),
        Ok(_) | Err(kantor_store::StoreError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// The caller's role in a meeting: `host` for its host, `cohost` for a cohost who was not sent
/// away, `participant` for anyone else with a row, none without one.
pub fn meeting_role(m: &Meeting, user_id: UserId, me: Option<&Participant>) -> Option<MeetingRole> {
    match me {
        _ if user_id == m.host_id => Some(MeetingRole::Host),
        Some(p)
            if p.role == MeetingRole::Cohost
                && !matches!(
                    p.state,
                    ParticipantState::Removed | ParticipantState::Denied
                ) =>
        {
            Some(MeetingRole::Cohost)
        }
        Some(_) => Some(MeetingRole::Participant),
        None => None,
    }
}

/// A meeting of the caller's organisation with the caller's own row. Members see every meeting
/// of their organisation; organisation guests only those they host or have joined (else 404).
pub async fn load(
    conn: &mut Conn,
    who: &MeetCaller,
    meeting_id: &str,
) -> ApiResult<(Meeting, Option<Participant>)> {
    let id: MeetingId = parse_id(meeting_id)?;
    let m = store::meeting(conn, who.org_id, id).await?;
    let me = store::participant_by_user(conn, m.id, who.user_id).await?;
    if who.role == Role::Guest && me.is_none() && m.host_id != who.user_id {
        return Err(ApiError::not_found());
    }
    Ok((m, me))
}

/// A meeting the caller wants to change: live (else 410) and run by the caller as `action`
/// allows (else 403). Returns the caller's own row (the host's exists from creation).
async fn load_for(
    conn: &mut Conn,
    who: &MeetCaller,
    meeting_id: &str,
    action: MeetingAction,
) -> ApiResult<(Meeting, Participant)> {
    let (m, me) = load(conn, who, meeting_id).await?;
    if m.status == Status::Ended && action != MeetingAction::ListParticipants {
        return Err(ended());
    }
    rules::may_run(meeting_role(&m, who.user_id, me.as_ref()), action).map_err(host_denied)?;
    let me = me.ok_or_else(|| {
        tracing::error!(meeting_id = %m.id, "the host of a meeting has no participant row");
        ApiError::internal()
    })?;
    Ok((m, me))
}

// --- handlers ----------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeetingInput {
    /// Default: "Rapat {name}" (or "{name}'s meeting" for English speakers).
    pub title: Option<String>,
    /// 4–10 letters and digits. Default: 6 random digits.
    pub passcode: Option<String>,
    /// Default `guests`.
    pub waiting_room: Option<WaitingRoomDto>,
    /// Default true.
    pub allow_guests: Option<bool>,
    /// Scheduled meetings: what it is about.
    pub agenda: Option<String>,
    /// Makes a scheduled meeting (a series) instead of starting one now.
    pub schedule: Option<schedule_dto::SeriesInput>,
    /// Scheduled meetings: who is invited.
    pub invitees: Option<schedule_dto::InviteesInput>,
}

/// Starts an instant meeting hosted by the caller, or schedules one (`schedule`).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/meetings", operation_id = "create_meeting", tag = "meetings", params(("org_id" = String, Path)), request_body = NewMeetingInput,
    responses((status = 201, body = MeetingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<NewMeetingInput>,
) -> ApiResult<Response> {
    let who = member_of(&state, &caller, &org_id).await?;
    let actor = crate::auth::actor(&state, &caller, who.org_id).await?;
    crate::auth::require(&actor, Action::HostMeeting)?;
    let user = state.store.user(who.user_id).await?;
    let title =
        match validate::optional_text("title", req.title.as_deref(), rules::MAX_TITLE_CHARS)? {
            Some(t) => t,
            None => default_title(&user.name, &user.language),
        };
    let passcode = match req.passcode.as_deref() {
        Some(p) => rules::passcode(p)?,
        None => rules::generate_passcode(&mut rand::thread_rng()),
    };
    let waiting_room = req.waiting_room.map_or(WaitingRoom::Guests, Into::into);
    if let Some(s) = &req.schedule {
        let m = schedule::create(
            &state,
            &who,
            &user.name,
            &user.time_zone,
            schedule::NewScheduled {
                title: &title,
                agenda: req.agenda.as_deref(),
                passcode: &passcode,
                waiting_room,
                allow_guests: req.allow_guests.unwrap_or(true),
                schedule: s,
                invitees: req.invitees.as_ref(),
            },
        )
        .await?;
        let mut conn = state.store.read_conn().await?;
        let mut pairs = [(meeting_dto(&state, &m, true), &m)];
        schedule::decorate_all(&state, &mut conn, &mut pairs, who.org_id, who.user_id).await?;
        let [(dto, _)] = pairs;
        return Ok((StatusCode::CREATED, axum::Json(dto)).into_response());
    }
    if req.agenda.is_some() || req.invitees.is_some() {
        return Err(ApiError::invalid(
            "schedule",
            "meeting.not_scheduled",
            "an agenda and invitees belong to a scheduled meeting: give `schedule` too",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let id = store::insert_meeting(
        &mut tx,
        &NewMeeting::instant(
            who.org_id,
            who.user_id,
            &user.name,
            &title,
            &passcode,
            waiting_room,
            req.allow_guests.unwrap_or(true),
        ),
        || rules::generate_number(&mut rand::thread_rng()),
        now,
    )
    .await?;
    let m = store::meeting(&mut tx, who.org_id, id).await?;
    chat::create(&mut tx, &m, now).await?;
    let m = store::meeting(&mut tx, who.org_id, id).await?;
    tx.commit().await?;
    tracing::info!(meeting_id = %m.id, org_id = %m.org_id, "meeting started");
    Ok((
        StatusCode::CREATED,
        axum::Json(meeting_dto(&state, &m, true)),
    )
        .into_response())
}

fn default_title(name: &str, language: &str) -> String {
    let title = if language == "en" {
        format!("{name}'s meeting")
    } else {
        format!("Rapat {name}")
    };
    title.chars().take(rules::MAX_TITLE_CHARS).collect()
}

/// The caller's personal room: one per person per organisation, made on first use with a stable
/// number and its own passcode (changed with `PATCH`). Others who join while its owner is not
/// in wait in the lobby and are let in when the owner arrives.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/personal", operation_id = "personal_meeting", tag = "meetings", params(("org_id" = String, Path)),
    responses((status = 200, body = MeetingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn personal(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<MeetingDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let actor = crate::auth::actor(&state, &caller, who.org_id).await?;
    crate::auth::require(&actor, Action::HostMeeting)?;
    let found = store::personal_meeting(
        &mut *state.store.read_conn().await?,
        who.org_id,
        who.user_id,
    )
    .await?;
    if let Some(m) = found {
        return Ok(axum::Json(meeting_dto(&state, &m, true)));
    }
    let user = state.store.user(who.user_id).await?;
    let title = if user.language == "en" {
        format!("{}'s personal room", user.name)
    } else {
        format!("Ruang pribadi {}", user.name)
    };
    let title: String = title.chars().take(rules::MAX_TITLE_CHARS).collect();
    let passcode = rules::generate_passcode(&mut rand::thread_rng());
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let made = store::insert_meeting(
        &mut tx,
        &NewMeeting {
            kind: MeetingKind::Personal,
            ..NewMeeting::instant(
                who.org_id,
                who.user_id,
                &user.name,
                &title,
                &passcode,
                WaitingRoom::Guests,
                true,
            )
        },
        || rules::generate_number(&mut rand::thread_rng()),
        now,
    )
    .await;
    let id = match made {
        Ok(id) => id,
        // Made by a concurrent request (the unique personal-room index): use that one.
        Err(kantor_store::StoreError::Conflict(_)) => {
            drop(tx);
            let m = store::personal_meeting(
                &mut *state.store.read_conn().await?,
                who.org_id,
                who.user_id,
            )
            .await?
            .ok_or_else(ApiError::not_found)?;
            return Ok(axum::Json(meeting_dto(&state, &m, true)));
        }
        Err(e) => return Err(e.into()),
    };
    let m = store::meeting(&mut tx, who.org_id, id).await?;
    chat::create(&mut tx, &m, now).await?;
    let m = store::meeting(&mut tx, who.org_id, id).await?;
    tx.commit().await?;
    Ok(axum::Json(meeting_dto(&state, &m, true)))
}

/// The caller's meetings: live ones they host or are in, then their 50 most recently ended.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings", operation_id = "list_meetings", tag = "meetings", params(("org_id" = String, Path)),
    responses((status = 200, body = MeetingList), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<MeetingList>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let meetings = store::meetings_of(&mut conn, who.org_id, who.user_id, RECENT_ENDED).await?;
    let cohosted = store::cohosted_by(&mut conn, who.org_id, who.user_id).await?;
    let mut pairs: Vec<(MeetingDto, &Meeting)> = meetings
        .iter()
        .map(|m| {
            let runs = m.host_id == who.user_id || cohosted.contains(&m.id);
            (meeting_dto(&state, m, runs), m)
        })
        .collect();
    schedule::decorate_all(&state, &mut conn, &mut pairs, who.org_id, who.user_id).await?;
    Ok(axum::Json(MeetingList {
        meetings: pairs.into_iter().map(|(d, _)| d).collect(),
    }))
}

/// One meeting of the organisation (the passcode only for its host and cohosts).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}", operation_id = "get_meeting", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 200, body = MeetingDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<MeetingDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let (m, me) = load(&mut conn, &who, &meeting_id).await?;
    let runs = meeting_role(&m, who.user_id, me.as_ref()).is_some_and(MeetingRole::runs_meeting);
    let mut pairs = [(meeting_dto(&state, &m, runs), &m)];
    schedule::decorate_all(&state, &mut conn, &mut pairs, who.org_id, who.user_id).await?;
    let [(dto, _)] = pairs;
    Ok(axum::Json(dto))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingPatchInput {
    pub title: Option<String>,
    pub locked: Option<bool>,
    pub waiting_room: Option<WaitingRoomDto>,
    pub allow_guests: Option<bool>,
    /// 4–10 letters and digits; old join links stop working.
    pub passcode: Option<String>,
    /// Scheduled meetings: the agenda, the series (replacing its exceptions) and the invitees
    /// (replacing them); invitees are told.
    pub agenda: Option<String>,
    pub schedule: Option<schedule_dto::SeriesInput>,
    pub invitees: Option<schedule_dto::InviteesInput>,
}

/// Changes a live meeting's settings (host or cohost).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}", operation_id = "update_meeting", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)), request_body = MeetingPatchInput,
    responses((status = 200, body = MeetingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
    Json(req): Json<MeetingPatchInput>,
) -> ApiResult<axum::Json<MeetingDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let title = req
        .title
        .as_deref()
        .map(|t| validate::text("title", t, rules::MAX_TITLE_CHARS))
        .transpose()?;
    let passcode = req.passcode.as_deref().map(rules::passcode).transpose()?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (m, _) = load_for(&mut tx, &who, &meeting_id, MeetingAction::Update).await?;
    if let Some(title) = title.as_deref().filter(|t| *t != m.title) {
        chat::retitle(&mut tx, &m, title, now).await?;
    }
    store::update_meeting(
        &mut tx,
        m.id,
        &MeetingPatch {
            title: title.as_deref(),
            locked: req.locked,
            waiting_room: req.waiting_room.map(Into::into),
            allow_guests: req.allow_guests,
            passcode: passcode.as_deref(),
            spotlight: None,
        },
    )
    .await?;
    if req.agenda.is_some() || req.schedule.is_some() || req.invitees.is_some() {
        let title = title.clone().unwrap_or_else(|| m.title.clone());
        schedule::update(
            &mut tx,
            &m,
            &title,
            req.agenda.as_deref(),
            req.schedule.as_ref(),
            req.invitees.as_ref(),
            now,
        )
        .await?;
    }
    let m = store::meeting(&mut tx, who.org_id, m.id).await?;
    tx.commit().await?;
    state.rooms.command(m.id, RoomCommand::Sync);
    let mut conn = state.store.read_conn().await?;
    let mut pairs = [(meeting_dto(&state, &m, true), &m)];
    schedule::decorate_all(&state, &mut conn, &mut pairs, who.org_id, who.user_id).await?;
    let [(dto, _)] = pairs;
    Ok(axum::Json(dto))
}

/// Ends the meeting for everyone (host only); the room closes every socket with `ended`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/end", operation_id = "end_meeting", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = member_of(&state, &caller, &org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (m, _) = load_for(&mut tx, &who, &meeting_id, MeetingAction::End).await?;
    if m.kind.reusable() {
        // A scheduled meeting or a personal room ends this session; the room stays.
        store::end_session(&mut tx, m.id, now).await?;
        tx.commit().await?;
        tracing::info!(meeting_id = %m.id, "meeting session ended");
        state.rooms.command(m.id, RoomCommand::EndSession);
        return Ok(StatusCode::NO_CONTENT);
    }
    if !store::end_meeting(&mut tx, m.id, now).await? {
        // Ended by a concurrent request since we read it.
        return Err(ended());
    }
    tx.commit().await?;
    tracing::info!(meeting_id = %m.id, "meeting ended");
    state.rooms.command(m.id, RoomCommand::Sync);
    Ok(StatusCode::NO_CONTENT)
}

/// Everyone who has joined, in every state (host or cohost).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants", operation_id = "list_meeting_participants", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 200, body = ParticipantList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn participants(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<ParticipantList>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let (m, _) = load_for(
        &mut conn,
        &who,
        &meeting_id,
        MeetingAction::ListParticipants,
    )
    .await?;
    let all = store::participants(&mut conn, m.id).await?;
    Ok(axum::Json(ParticipantList {
        participants: all.iter().map(participant_dto).collect(),
    }))
}

/// Mutes everyone but the host and cohosts (host or cohost). They unmute themselves.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/mute-all", operation_id = "mute_all_participants", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn mute_all(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = member_of(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let (m, me) = load_for(&mut conn, &who, &meeting_id, MeetingAction::MuteAll).await?;
    state
        .rooms
        .command(m.id, RoomCommand::MuteAll { by: me.id });
    Ok(StatusCode::NO_CONTENT)
}

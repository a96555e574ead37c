//! Host actions on one participant: admit, deny, remove, mute, ask to unmute, stop video,
//! spotlight, make cohost or participant, rename. Who may do what to whom is
//! `kantor_core::meet::may_act`; state changes are written here and the room is told after the
//! commit (`Sync`), media actions go to the room only (`Mute`, `AskUnmute`, `StopVideo`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kantor_core::ids::ParticipantId;
use kantor_core::meet::{self as rules, MeetingRole, ParticipantAction, ParticipantState};
use kantor_core::validate;
use kantor_store::meet::{self as store, MeetingPatch, ParticipantPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ended, host_denied, load, meeting_role, member_of, not_host};
use crate::api::parse_id;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::meet::RoomCommand;
use crate::state::AppState;

/// An action on one participant (`rename` has its own path, with a body).
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "kebab-case")]
pub enum ParticipantActionDto {
    Admit,
    Deny,
    Remove,
    Mute,
    AskUnmute,
    StopVideo,
    Spotlight,
    Unspotlight,
    MakeCohost,
    MakeParticipant,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameInput {
    pub name: String,
}

/// Acts on a participant (host or cohost; `make-cohost` and `make-participant` host only). The
/// host cannot be removed, muted or demoted by a cohost.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants/{participant_id}/{action}", operation_id = "act_on_participant", tag = "meetings",
    params(("org_id" = String, Path), ("meeting_id" = String, Path), ("participant_id" = String, Path), ("action" = ParticipantActionDto, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id, participant_id, action)): Path<(String, String, String, String)>,
) -> ApiResult<StatusCode> {
    let action = match ParticipantAction::parse(&action) {
        Some(ParticipantAction::Rename) | None => return Err(ApiError::not_found()),
        Some(a) => a,
    };
    apply(
        &state,
        &caller,
        &org_id,
        &meeting_id,
        &participant_id,
        action,
        None,
    )
    .await
}

/// Renames a participant (host or cohost).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/participants/{participant_id}/rename", operation_id = "rename_participant", tag = "meetings",
    params(("org_id" = String, Path), ("meeting_id" = String, Path), ("participant_id" = String, Path)), request_body = RenameInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id, participant_id)): Path<(String, String, String)>,
    Json(req): Json<RenameInput>,
) -> ApiResult<StatusCode> {
    let name = validate::text("name", &req.name, rules::MAX_NAME_CHARS)?;
    apply(
        &state,
        &caller,
        &org_id,
        &meeting_id,
        &participant_id,
        ParticipantAction::Rename,
        Some(&name),
    )
    .await
}

async fn apply(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    meeting_id: &str,
    participant_id: &str,
    action: ParticipantAction,
    name: Option<&str>,
) -> ApiResult<StatusCode> {
    let who = member_of(state, caller, org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (m, me) = load(&mut tx, &who, meeting_id).await?;
    if m.status == rules::Status::Ended {
        return Err(ended());
    }
    let actor = meeting_role(&m, who.user_id, me.as_ref());
    let me = match me {
        Some(me) if actor.is_some_and(MeetingRole::runs_meeting) => me,
        _ => return Err(not_host()),
    };
    let target_id: ParticipantId = parse_id(participant_id)?;
    let target = store::participant(&mut tx, m.id, target_id).await?;
    rules::may_act(
        actor,
        action,
        (target.role, target.state),
        target.user_id == Some(m.host_id),
    )
    .map_err(host_denied)?;

    let (participant_patch, spotlight, room) = match action {
        ParticipantAction::Admit => (
            (target.state == ParticipantState::Waiting).then(|| ParticipantPatch {
                state: Some(ParticipantState::Admitted),
                ..Default::default()
            }),
            None,
            RoomCommand::Sync,
        ),
        ParticipantAction::Deny => (
            Some(ParticipantPatch {
                state: Some(ParticipantState::Denied),
                ..Default::default()
            }),
            None,
            RoomCommand::Sync,
        ),
        ParticipantAction::Remove => (
            Some(ParticipantPatch {
                state: Some(ParticipantState::Removed),
                ..Default::default()
            }),
            (m.spotlight == Some(target.id)).then_some(None),
            RoomCommand::Sync,
        ),
        ParticipantAction::MakeCohost => (
            Some(ParticipantPatch {
                role: Some(MeetingRole::Cohost),
                ..Default::default()
            }),
            None,
            RoomCommand::Sync,
        ),
        ParticipantAction::MakeParticipant => (
            Some(ParticipantPatch {
                role: Some(MeetingRole::Participant),
                ..Default::default()
            }),
            None,
            RoomCommand::Sync,
        ),
        ParticipantAction::Rename => (None, None, RoomCommand::Sync),
        ParticipantAction::Spotlight => (None, Some(Some(target.id)), RoomCommand::Sync),
        ParticipantAction::Unspotlight => (
            None,
            (m.spotlight == Some(target.id)).then_some(None),
            RoomCommand::Sync,
        ),
        ParticipantAction::Mute => (
            None,
            None,
            RoomCommand::Mute {
                target: target.id,
                by: me.id,
            },
        ),
        ParticipantAction::AskUnmute => (
            None,
            None,
            RoomCommand::AskUnmute {
                target: target.id,
                by: me.id,
            },
        ),
        ParticipantAction::StopVideo => (
            None,
            None,
            RoomCommand::StopVideo {
                target: target.id,
                by: me.id,
            },
        ),
    };
    if let Some(patch) = participant_patch {
        store::update_participant(&mut tx, target.id, &patch, now).await?;
        if let Some(user_id) = target.user_id {
            match patch.state {
                Some(ParticipantState::Admitted) => {
                    super::chat::join(&mut tx, &m, user_id, now).await?
                }
                Some(ParticipantState::Removed) => {
                    super::chat::leave(&mut tx, &m, user_id, now).await?
                }
                _ => {}
            }
        }
    }
    if let Some(new_name) = name {
        store::update_participant(
            &mut tx,
            target.id,
            &ParticipantPatch {
                name: Some(new_name),
                ..Default::default()
            },
            now,
        )
        .await?;
    }
    if let Some(spotlight) = spotlight {
        store::update_meeting(
            &mut tx,
            m.id,
            &MeetingPatch {
                spotlight: Some(spotlight),
                ..Default::default()
            },
        )
        .await?;
    }
    tx.commit().await?;
    tracing::info!(meeting_id = %m.id, participant_id = %target.id, by = %me.id,
        action = action.as_str(), "host action");
    state.rooms.command(m.id, room);
    Ok(StatusCode::NO_CONTENT)
}

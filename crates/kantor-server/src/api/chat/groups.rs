//! Large groups ("super groups"): an organisation-wide group whose membership follows the
//! organisation, announcement mode with named posters, slow mode and mention limits, and read
//! status per announcement — counts pushed live to the people who may see them, the list of
//! who has not read it (by unit, with the units under it), and "remind the unread".
//!
//! Read status is counted from members' read positions (`last_read_seq`), among the people who
//! were members when the message was posted, so nothing is written per reader per message. A
//! read in a large group marks the conversation dirty on the node that took it; once a second
//! [`ReadStatusPush`] recounts the group's recent announcements and sends the figures to their
//! authors and the group's owners and posters (an ephemeral signal over the bus, so every node's
//! sockets get it).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kantor_core::chat::{self, PostRefused};
use kantor_core::event::{Audience, MAX_USERS_PER_EVENT};
use kantor_core::ids::{ConversationId, MessageId, OrgId, UnitId, UserId};
use kantor_core::role::{MemberStatus, Role};
use kantor_store::chat::{self as store, Conversation, MemberState, Message, ReadersFilter};
use kantor_store::{orgs, Conn, Tx};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{chat_caller, emit_membership, visible, ChatCaller, ChatRole, UserRefDto};
use crate::api::parse_id;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::gateway::MEMBERS_RESET;
use crate::state::AppState;

/// How far back the live push recounts a group's announcements.
const PUSH_WINDOW_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Announcements per group the live push recounts.
const PUSH_MESSAGES: i64 = 20;
/// Messages one read-status request may ask about.
const MAX_STATUS_MESSAGES: usize = 50;

// --- membership that follows the organisation --------------------------------------------------

/// Adds every active member of the organisation (not guests) to `c`, in one statement, and
/// tells the gateway and clients once (not one event per person).
pub async fn add_everyone(tx: &mut Tx, c: &Conversation, now: i64) -> ApiResult<u64> {
    let added = store::add_org_members(&mut *tx, c.org_id, c.id, now).await?;
    crate::api::emit(
        tx,
        Audience::Org { org_id: c.org_id },
        MEMBERS_RESET,
        serde_json::json!({"conversation_id": c.id}),
        now,
    )
    .await?;
    Ok(added)
}

/// Puts a person in, or takes them out of, the organisation's org-wide groups to match their
/// membership: active members who are not guests belong; deactivated people, guests and
/// people still invited do not. Call after every change to a membership.
pub async fn follow_org(tx: &mut Tx, org_id: OrgId, user_id: UserId, now: i64) -> ApiResult<()> {
    let groups = store::org_wide_conversations(&mut *tx, org_id).await?;
    if groups.is_empty() {
        return Ok(());
    }
    let m = orgs::membership(&mut *tx, org_id, user_id).await?;
    let belongs = m.status == MemberStatus::Active && m.role != Role::Guest;
    for c in groups {
        let changed = if belongs {
            !store::add_members(&mut *tx, org_id, c.id, &[user_id], "member", now)
                .await?
                .is_empty()
        } else {
            store::remove_member(&mut *tx, c.id, user_id).await?
        };
        if changed {
            emit_membership(tx, &c, user_id, belongs, now).await?;
        }
    }
    Ok(())
}

/// Everyone active in the organisation joins its org-wide groups (after an import).
pub async fn follow_org_all(tx: &mut Tx, org_id: OrgId, now: i64) -> ApiResult<()> {
    for c in store::org_wide_conversations(&mut *tx, org_id).await? {
        add_everyone(tx, &c, now).await?;
    }
    Ok(())
}

// --- posting rules -----------------------------------------------------------------------------

/// Owners and posters of the conversation and admins of the organisation: the posting rules
/// do not bind them, and they see read status.
pub fn speaker(who: &ChatCaller, me: Option<&MemberState>) -> bool {
    who.is_admin() || me.is_some_and(|m| m.role == "owner" || m.role == "poster")
}

/// Applies the conversation's posting rules to a post (inside its transaction).
pub async fn check_post(
    conn: &mut Conn,
    who: &ChatCaller,
    c: &Conversation,
    me: Option<&MemberState>,
    thread_reply: bool,
    mentions: usize,
    now: i64,
) -> ApiResult<()> {
    let rules = c.rules;
    if rules == chat::PostingRules::default() {
        return Ok(());
    }
    let speaker = speaker(who, me);
    let last_post_at = if rules.slow_mode_secs > 0 && !speaker {
        store::last_post_at(&mut *conn, c.id, who.user_id).await?
    } else {
        None
    };
    chat::may_post(
        rules,
        chat::Post {
            speaker,
            thread_reply,
            last_post_at,
            mentions,
            now,
        },
    )
    .map_err(refused)
}

fn refused(r: PostRefused) -> ApiError {
    match r {
        PostRefused::AnnouncementOnly => ApiError::new(
            StatusCode::FORBIDDEN,
            "chat.announcement_only",
            "only admins and named posters start messages here; reply in a thread or react",
        ),
        PostRefused::SlowMode { wait_ms } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "chat.slow_mode",
            format!(
                "slow mode: you can post again in {} s",
                (wait_ms + 999) / 1000
            ),
        ),
        PostRefused::TooManyMentions { limit } => ApiError::invalid(
            "body",
            "chat.too_many_mentions",
            format!("mention at most {limit} people in one message here"),
        ),
    }
}

// --- roles -------------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRoleInput {
    /// `owner`, `poster` (may start messages in announcement mode) or `member`.
    pub role: ChatRole,
}

/// Sets a channel member's role (channel owner or admin).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members/{user_id}/role", operation_id = "set_conversation_member_role", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("user_id" = String, Path)), request_body = MemberRoleInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, user_id)): Path<(String, String, String)>,
    Json(req): Json<MemberRoleInput>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let target: UserId = parse_id(&user_id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let c =
        super::managed_channel(&mut tx, &who, cid, "only channels have owners and posters").await?;
    let role = match req.role {
        ChatRole::Owner => "owner",
        ChatRole::Poster => "poster",
        ChatRole::Member => "member",
    };
    if !store::set_member_role(&mut tx, cid, target, role).await? {
        return Err(ApiError::not_found());
    }
    crate::api::emit(
        &mut tx,
        super::audience(&c),
        "chat.member.role",
        serde_json::json!({"conversation_id": cid, "user_id": target, "role": role}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

// --- read status -------------------------------------------------------------------------------

/// A message whose read status the caller may see: its author, the conversation's owners and
/// posters, and admins. Others get 403 (the message itself they can read).
async fn status_message(
    conn: &mut Conn,
    who: &ChatCaller,
    cid: ConversationId,
    mid: &str,
) -> ApiResult<(Conversation, Message)> {
    let (c, me) = visible(&mut *conn, who, cid).await?;
    let mid: MessageId = parse_id(mid)?;
    let m = store::message(&mut *conn, cid, mid).await?;
    if m.deleted_at.is_some() {
        return Err(ApiError::not_found());
    }
    if m.author.id != who.user_id && !speaker(who, me.as_ref()) {
        return Err(ApiError::forbidden());
    }
    Ok((c, m))
}

#[derive(Serialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadCountDto {
    /// Members (when it was posted) whose read position reached the message.
    pub read: i64,
    /// Members when it was posted.
    pub total: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ReadStatusDto {
    pub message_id: String,
    #[serde(flatten)]
    pub count: ReadCountDto,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadStatusQuery {
    /// Comma-separated message ids (at most 50).
    #[serde(default)]
    pub message_ids: String,
}

/// Read counts of messages the caller may see the status of (others are left out).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/read-status", operation_id = "read_status", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ReadStatusQuery),
    responses((status = 200, body = Vec<ReadStatusDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn read_status(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Query(q): Query<ReadStatusQuery>,
) -> ApiResult<axum::Json<Vec<ReadStatusDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let ids: Vec<&str> = q.message_ids.split(',').filter(|s| !s.is_empty()).collect();
    if ids.len() > MAX_STATUS_MESSAGES {
        return Err(ApiError::invalid(
            "message_ids",
            "validation.invalid",
            "ask about at most 50 messages at a time",
        ));
    }
    let mut conn = state.store.read_conn().await?;
    // The conversation must be visible, however many ids are asked about.
    visible(&mut conn, &who, cid).await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match status_message(&mut conn, &who, cid, id).await {
            Ok((_, m)) => {
                let s = store::read_status(&mut conn, cid, m.seq).await?;
                out.push(ReadStatusDto {
                    message_id: m.id.to_string(),
                    count: ReadCountDto {
                        read: s.read,
                        total: s.total,
                    },
                });
            }
            // Not theirs to see, gone, or not a message id: left out.
            Err(e)
                if e.status == StatusCode::FORBIDDEN
                    || e.status == StatusCode::NOT_FOUND
                    || e.status == StatusCode::UNPROCESSABLE_ENTITY => {}
            Err(e) => return Err(e),
        }
    }
    Ok(axum::Json(out))
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Default, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderState {
    #[default]
    Unread,
    Read,
    All,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReadersQuery {
    /// `unread` (default), `read` or `all`.
    #[param(inline)]
    pub state: Option<ReaderState>,
    /// Only people in this unit or the units under it.
    pub unit_id: Option<String>,
    /// Part of a name.
    pub q: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct UnitRefDto {
    pub id: String,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReaderDto {
    pub user: UserRefDto,
    #[schema(required = true)]
    pub unit: Option<UnitRefDto>,
    pub read: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ReadersDto {
    pub message_id: String,
    #[serde(flatten)]
    pub count: ReadCountDto,
    /// People matching the filter, by name.
    pub people: Vec<ReaderDto>,
    /// How many match the filter in all.
    pub matching: i64,
    /// When the unread were last reminded of this message.
    #[schema(required = true)]
    pub reminded_at: Option<String>,
}

/// Who has (not) read a message, filterable by unit and name (its author, the conversation's
/// owners and posters, admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/readers", operation_id = "message_readers", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path), ReadersQuery),
    responses((status = 200, body = ReadersDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn readers(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
    Query(q): Query<ReadersQuery>,
) -> ApiResult<axum::Json<ReadersDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mut conn = state.store.read_conn().await?;
    let (_, m) = status_message(&mut conn, &who, cid, &mid).await?;
    let units = match q.unit_id.as_deref().filter(|u| !u.is_empty()) {
        None => Vec::new(),
        Some(u) => {
            let unit: UnitId = u.parse().map_err(|_| unknown_unit())?;
            let all = orgs::units(&mut conn, who.org_id).await?;
            let tree: Vec<(UnitId, Option<UnitId>)> =
                all.iter().map(|u| (u.id, u.parent_id)).collect();
            if !tree.iter().any(|(id, _)| *id == unit) {
                return Err(unknown_unit());
            }
            subtree(&tree, unit)
        }
    };
    let name = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100) {
        return Err(ApiError::invalid(
            "q",
            "validation.too_long",
            "at most 100 characters",
        ));
    }
    let filter = ReadersFilter {
        read: match q.state.unwrap_or_default() {
            ReaderState::Unread => Some(false),
            ReaderState::Read => Some(true),
            ReaderState::All => None,
        },
        units: &units,
        name,
        limit: q.limit.unwrap_or(50).clamp(1, 200),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let (people, matching) = store::readers(&mut conn, cid, m.seq, &filter).await?;
    let s = store::read_status(&mut conn, cid, m.seq).await?;
    let reminded_at = store::reminded_at(&mut conn, m.id).await?;
    Ok(axum::Json(ReadersDto {
        message_id: m.id.to_string(),
        count: ReadCountDto {
            read: s.read,
            total: s.total,
        },
        people: people
            .iter()
            .map(|r| ReaderDto {
                user: (&r.user).into(),
                unit: r.unit_id.map(|id| UnitRefDto {
                    id: id.to_string(),
                    name: r.unit_name.clone().unwrap_or_default(),
                }),
                read: r.read,
            })
            .collect(),
        matching,
        reminded_at: reminded_at.map(crate::clock::rfc3339),
    }))
}

fn unknown_unit() -> ApiError {
    ApiError::invalid("unit_id", "validation.invalid", "no such unit")
}

/// `root` and every unit under it.
fn subtree(tree: &[(UnitId, Option<UnitId>)], root: UnitId) -> Vec<UnitId> {
    let mut children: HashMap<UnitId, Vec<UnitId>> = HashMap::new();
    for (id, parent) in tree {
        if let Some(p) = parent {
            children.entry(*p).or_default().push(*id);
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(&out[i]) {
            out.extend(
                c.iter()
                    .copied()
                    .filter(|u| !out.contains(u))
                    .collect::<Vec<_>>(),
            );
        }
        i += 1;
    }
    out
}

#[derive(Serialize, ToSchema)]
pub struct RemindedDto {
    /// People reminded (members who had not read it, the author left out).
    pub reminded: usize,
}

/// Reminds everyone who has not read a message (the DingTalk "Ding"): each gets a
/// `chat.reminder` event. At most once per message per 10 minutes.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/remind", operation_id = "remind_unread", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = RemindedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn remind(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<RemindedDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, m) = status_message(&mut tx, &who, cid, &mid).await?;
    if !store::claim_reminder(&mut tx, m.id, who.user_id, now, chat::REMIND_EVERY_MS).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "chat.remind_too_soon",
            "the unread were reminded of this message less than 10 minutes ago",
        ));
    }
    let mut unread = store::unread_member_ids(&mut tx, cid, m.seq).await?;
    unread.retain(|u| *u != m.author.id);
    let by = store::user_ref(&mut tx, who.user_id).await?;
    let excerpt: String = m.body.chars().take(140).collect();
    for chunk in unread.chunks(MAX_USERS_PER_EVENT) {
        crate::api::emit(
            &mut tx,
            Audience::Users {
                org_id: c.org_id,
                user_ids: chunk.to_vec(),
            },
            "chat.reminder",
            serde_json::json!({
                "conversation_id": cid,
                "message_id": m.id,
                "seq": m.seq,
                "by": UserRefDto::from(&by),
                "excerpt": excerpt,
            }),
            now,
        )
        .await?;
    }
    crate::api::audit(
        &mut tx,
        c.org_id,
        Some(who.user_id),
        "chat.remind_unread",
        Some(m.id.to_string()),
        serde_json::json!({"conversation_id": cid, "reminded": unread.len()}),
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(conversation_id = %cid, message_id = %m.id, reminded = unread.len(), "reminded the unread");
    Ok(axum::Json(RemindedDto {
        reminded: unread.len(),
    }))
}

// --- live read counts --------------------------------------------------------------------------

/// Large groups read since the last push, on this node.
#[derive(Default)]
pub struct ReadStatusPush {
    dirty: Mutex<HashSet<ConversationId>>,
}

impl ReadStatusPush {
    /// Someone read in a large group.
    pub fn touch(&self, id: ConversationId) {
        self.dirty.lock().insert(id);
    }

    fn take(&self) -> Vec<ConversationId> {
        self.dirty.lock().drain().collect()
    }
}

/// How often read counts are pushed.
const PUSH_EVERY: Duration = Duration::from_secs(1);

/// Pushes the read counts of recently read groups' announcements, once a second.
pub async fn run_read_status_push(state: AppState) {
    let mut tick = tokio::time::interval(PUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = state.shutdown.cancelled() => break,
        }
        for cid in state.read_status_push.take() {
            if let Err(e) = push_counts(&state, cid).await {
                tracing::warn!(error = %e, conversation_id = %cid, "could not push read counts");
            }
        }
    }
}

async fn push_counts(state: &AppState, cid: ConversationId) -> anyhow::Result<()> {
    let now = state.clock.now_ms();
    let mut conn = state.store.read_conn().await?;
    let recent =
        store::recent_top_level(&mut conn, cid, now - PUSH_WINDOW_MS, PUSH_MESSAGES).await?;
    if recent.is_empty() {
        return Ok(());
    }
    let org_id = store::conversation_org(&mut conn, cid).await?;
    let mut watchers: HashSet<UserId> =
        store::speakers(&mut conn, cid).await?.into_iter().collect();
    let mut counts = Vec::with_capacity(recent.len());
    for (id, author, seq) in recent {
        watchers.insert(author);
        let s = store::read_status(&mut conn, cid, seq).await?;
        counts.push(serde_json::json!({"message_id": id, "read": s.read, "total": s.total}));
    }
    let text = serde_json::json!({
        "type": "read_status",
        "org_id": org_id,
        "conversation_id": cid,
        "messages": counts,
    })
    .to_string();
    crate::gateway::signal(
        state,
        Audience::Users {
            org_id,
            user_ids: watchers.into_iter().collect(),
        },
        text,
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_filter_takes_the_units_under_it() {
        let ids: Vec<UnitId> = (0..5).map(|_| UnitId(uuid::Uuid::now_v7())).collect();
        // 0 ─ 1 ─ 3
        //   └ 2     4 (elsewhere)
        let tree = vec![
            (ids[0], None),
            (ids[1], Some(ids[0])),
            (ids[2], Some(ids[0])),
            (ids[3], Some(ids[1])),
            (ids[4], None),
        ];
        let mut got = subtree(&tree, ids[0]);
        got.sort();
        let mut want = ids[..4].to_vec();
        want.sort();
        assert_eq!(got, want);
        assert_eq!(subtree(&tree, ids[3]), vec![ids[3]]);
    }
}

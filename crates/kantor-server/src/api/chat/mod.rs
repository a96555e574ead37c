//! Chat: channels, direct messages and group DMs, their members and read positions.
//!
//! Visibility: a public channel is visible to every member of the organisation who is not a
//! guest; private channels, DMs and groups only to their members — to anyone else they do not
//! exist (404). Posting needs membership (403 `chat.not_member` on a visible public channel).
//! Every change emits an event to the conversation's members
//! ([`Audience::Conversation`], or `ConversationJoin` / `ConversationLeave` when membership
//! changes, so the gateway's routing follows membership in event order).

pub mod batch;
pub mod bots;
pub mod commands;
pub mod files;
pub mod groups;
pub mod messages;
pub mod presence;
pub mod retention;
pub mod scheduled;
pub mod search;
pub mod webhooks;

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kantor_core::chat::{self, Kind};
use kantor_core::event::Audience;
use kantor_core::ids::{ConversationId, OrgId, UserId};
use kantor_core::policy::Action;
use kantor_core::role::{MemberStatus, Role};
use kantor_core::validate;
use kantor_store::chat::{self as store, Conversation, ConversationView, MemberState, UserRef};
use kantor_store::{Conn, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{require, Caller};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

// --- shapes ------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    Public,
    Private,
    Dm,
    Group,
    /// A meeting's chat (made by the meeting; people join it by joining the meeting).
    Meeting,
}

impl From<Kind> for ConversationKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Public => ConversationKind::Public,
            Kind::Private => ConversationKind::Private,
            Kind::Dm => ConversationKind::Dm,
            Kind::Group => ConversationKind::Group,
            Kind::Meeting => ConversationKind::Meeting,
        }
    }
}

impl From<ConversationKind> for Kind {
    fn from(k: ConversationKind) -> Self {
        match k {
            ConversationKind::Public => Kind::Public,
            ConversationKind::Private => Kind::Private,
            ConversationKind::Dm => Kind::Dm,
            ConversationKind::Group => Kind::Group,
            ConversationKind::Meeting => Kind::Meeting,
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    Owner,
    /// May start messages in announcement mode.
    Poster,
    Member,
}

fn chat_role(s: &str) -> ChatRole {
    match s {
        "owner" => ChatRole::Owner,
        "poster" => ChatRole::Poster,
        _ => ChatRole::Member,
    }
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct UserRefDto {
    pub id: String,
    pub name: String,
    #[schema(required = true)]
    pub avatar_url: Option<String>,
}

impl From<&UserRef> for UserRefDto {
    fn from(u: &UserRef) -> Self {
        UserRefDto {
            id: u.id.to_string(),
            name: u.name.clone(),
            avatar_url: u.avatar_file_id.map(|f| format!("/api/v1/files/{f}")),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConversationDto {
    pub id: String,
    pub kind: ConversationKind,
    /// Channels only; DMs and groups are titled by their members.
    #[schema(required = true)]
    pub name: Option<String>,
    pub topic: String,
    pub description: String,
    pub member_count: i64,
    /// DMs and groups: every member. Channels: empty.
    pub members: Vec<UserRefDto>,
    pub archived: bool,
    pub created_at: String,
    /// `seq` of the newest message (0: none yet).
    pub last_seq: i64,
    #[schema(required = true)]
    pub last_message_at: Option<String>,
    pub is_member: bool,
    #[schema(required = true)]
    pub my_role: Option<ChatRole>,
    /// The caller's read position (0 when not a member).
    pub last_read_seq: i64,
    /// Channel-view messages after `last_read_seq` by others (at most 1000).
    pub unread_count: i64,
    /// Of those, messages that mention the caller, `@here` or `@channel`.
    pub mention_count: i64,
    pub muted: bool,
    /// The caller's notification preference here (`default`: all in DMs, groups and meeting
    /// chats, mentions in channels; `muted` overrides it with none).
    pub notify: NotifyPref,
    /// Whether members see each other's read positions (ticks).
    pub read_receipts: bool,
    /// Membership follows the organisation (a super group).
    pub org_wide: bool,
    /// Only owners, posters and admins start messages; members react and reply in threads.
    pub announcement: bool,
    /// Members wait this long between messages (0: off).
    pub slow_mode_secs: i64,
    /// Most people one member's message may mention (0: no limit).
    pub mention_limit: i64,
}

fn conversation_dto(v: &ConversationView, members: Option<&Vec<UserRef>>) -> ConversationDto {
    let c = &v.conversation;
    let me = v.me.as_ref();
    ConversationDto {
        id: c.id.to_string(),
        kind: c.kind.into(),
        name: c.name.clone(),
        topic: c.topic.clone(),
        description: c.description.clone(),
        member_count: c.member_count,
        members: if c.kind.is_channel() {
            Vec::new()
        } else {
            members
                .map(|m| m.iter().map(UserRefDto::from).collect())
                .unwrap_or_default()
        },
        archived: c.archived_at.is_some(),
        created_at: rfc3339(c.created_at),
        last_seq: c.last_seq,
        last_message_at: c.last_message_at.map(rfc3339),
        is_member: me.is_some(),
        my_role: me.map(|m| chat_role(&m.role)),
        last_read_seq: me.map_or(0, |m| m.last_read_seq),
        unread_count: v.unread_count,
        mention_count: v.mention_count,
        muted: me.is_some_and(|m| m.muted),
        notify: me.map_or(NotifyPref::Default, |m| NotifyPref::from_stored(&m.notify)),
        read_receipts: chat::read_receipts(c.kind, c.member_count),
        org_wide: c.org_wide,
        announcement: c.rules.announcement,
        slow_mode_secs: c.rules.slow_mode_secs,
        mention_limit: c.rules.mention_limit,
    }
}

/// A conversation without a viewer (for events to all members).
fn neutral(c: &Conversation) -> ConversationView {
    ConversationView {
        conversation: c.clone(),
        me: None,
        unread_count: 0,
        mention_count: 0,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ConversationMemberDto {
    pub user: UserRefDto,
    pub role: ChatRole,
    pub last_read_seq: i64,
    pub joined_at: String,
}

// --- access ------------------------------------------------------------------------------------

/// The caller as a member of the organisation, for chat: an active membership or 404.
#[derive(Clone)]
pub struct ChatCaller {
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
}

impl ChatCaller {
    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }
}

/// Checks that the caller is an active member of the organisation. Chat asks this on every
/// request, so it is one indexed read; actions that need the full policy actor (moderation)
/// build it on demand.
pub async fn chat_caller(state: &AppState, caller: &Caller, org_id: &str) -> ApiResult<ChatCaller> {
    chat_member(state, parse_id(org_id)?, caller.user_id).await
}

/// A person as an active member of the organisation, for chat (the meeting room posts for
/// the members in it); 404 otherwise.
pub async fn chat_member(
    state: &AppState,
    org_id: OrgId,
    user_id: UserId,
) -> ApiResult<ChatCaller> {
    let m = state.store.membership(org_id, user_id).await;
    match m {
        Ok(m) if m.status == MemberStatus::Active => Ok(ChatCaller {
            user_id,
            org_id,
            role: m.role,
        }),
        Ok(_) | Err(kantor_store::StoreError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Requires a policy action with the full actor (roles, two-factor rule).
pub async fn require_action(
    state: &AppState,
    caller: &Caller,
    org_id: OrgId,
    action: Action,
) -> ApiResult<()> {
    let a = crate::auth::actor(state, caller, org_id).await?;
    require(&a, action)
}

/// A conversation the caller may see, with their member state; 404 otherwise.
pub async fn visible(
    conn: &mut Conn,
    who: &ChatCaller,
    id: ConversationId,
) -> ApiResult<(Conversation, Option<MemberState>)> {
    let (c, me) = store::conversation_for(conn, who.org_id, id, who.user_id).await?;
    if me.is_none() && !(c.kind == Kind::Public && who.role != Role::Guest) {
        return Err(ApiError::not_found());
    }
    Ok((c, me))
}

/// Resolves a thread root named in a request: a message of this conversation (a reply to a
/// reply goes to the same thread); none when absent or blank.
pub async fn thread_root(
    conn: &mut Conn,
    cid: ConversationId,
    given: Option<&str>,
) -> ApiResult<Option<kantor_core::ids::MessageId>> {
    let Some(s) = given.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::invalid(
            "thread_root_id",
            "chat.unknown_message",
            "no such message in this conversation",
        )
    };
    let id = s.parse().map_err(|_| bad())?;
    let root = store::message(conn, cid, id).await.map_err(|_| bad())?;
    Ok(Some(root.thread_root_id.unwrap_or(root.id)))
}

/// A uniqueness conflict on a channel name, as the API says it.
fn name_taken(e: kantor_store::StoreError) -> ApiError {
    match e {
        kantor_store::StoreError::Conflict(_) => {
            ApiError::conflict("chat.name_taken", "a channel with this name exists")
        }
        e => e.into(),
    }
}

/// Whether the caller may write into the conversation: a member, and it is not archived.
pub fn writable(c: &Conversation, me: Option<&MemberState>) -> ApiResult<()> {
    if me.is_none() {
        return Err(not_member());
    }
    if c.archived_at.is_some() {
        return Err(archived());
    }
    Ok(())
}

/// Large-group settings as a request gives them; `None` leaves a setting as it is.
struct GroupSettingsInput {
    org_wide: Option<bool>,
    announcement: Option<bool>,
    slow_mode_secs: Option<i64>,
    mention_limit: Option<i64>,
}

impl GroupSettingsInput {
    fn is_empty(&self) -> bool {
        self.org_wide.is_none()
            && self.announcement.is_none()
            && self.slow_mode_secs.is_none()
            && self.mention_limit.is_none()
    }
}

/// Checks large-group settings: channels only (other kinds may only leave them off), ranges,
/// and org-wide membership for admins only.
fn group_settings(
    who: &ChatCaller,
    kind: Kind,
    g: GroupSettingsInput,
    creating: bool,
) -> ApiResult<store::GroupSettingsPatch> {
    let on = g.org_wide == Some(true)
        || g.announcement == Some(true)
        || g.slow_mode_secs.is_some_and(|s| s != 0)
        || g.mention_limit.is_some_and(|m| m != 0);
    if !kind.is_channel() {
        if on || !creating {
            return Err(ApiError::invalid(
                "kind",
                "chat.not_a_channel",
                "only channels have group settings",
            ));
        }
        return Ok(store::GroupSettingsPatch::default());
    }
    let sets_org_wide = if creating {
        g.org_wide == Some(true)
    } else {
        g.org_wide.is_some()
    };
    if sets_org_wide && !who.is_admin() {
        return Err(ApiError::forbidden());
    }
    if let Some(s) = g.slow_mode_secs {
        if !(0..=chat::MAX_SLOW_MODE_SECS).contains(&s) {
            return Err(ApiError::invalid(
                "slow_mode_secs",
                "validation.invalid",
                "slow mode is 0 to 3600 seconds",
            ));
        }
    }
    if let Some(m) = g.mention_limit {
        if !(0..=chat::MAX_MENTION_LIMIT).contains(&m) {
            return Err(ApiError::invalid(
                "mention_limit",
                "validation.invalid",
                "the mention limit is 0 to 100",
            ));
        }
    }
    Ok(store::GroupSettingsPatch {
        org_wide: g.org_wide,
        announcement: g.announcement,
        slow_mode_secs: g.slow_mode_secs,
        mention_limit: g.mention_limit,
    })
}

/// A meeting's chat follows its meeting: its title and members change there.
fn meeting_managed(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        "chat.meeting_managed",
        "a meeting's chat follows the meeting; change it there",
    )
}

pub fn not_member() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "chat.not_member",
        "join the conversation first",
    )
}

pub fn archived() -> ApiError {
    ApiError::conflict("chat.archived", "the conversation is archived")
}

/// Whether the caller manages the conversation: its owner (channels) or an org admin.
/// A channel the caller manages (its owner, or an admin): 404 if not visible, 422
/// `chat.not_a_channel` (saying `why`) for other kinds, 403 otherwise.
pub(super) async fn managed_channel(
    conn: &mut Conn,
    who: &ChatCaller,
    cid: ConversationId,
    why: &'static str,
) -> ApiResult<Conversation> {
    let (c, me) = visible(conn, who, cid).await?;
    if !c.kind.is_channel() {
        return Err(ApiError::invalid(
            "conversation_id",
            "chat.not_a_channel",
            why,
        ));
    }
    if !manages(who, me.as_ref()) {
        return Err(ApiError::forbidden());
    }
    Ok(c)
}

pub(super) fn manages(who: &ChatCaller, me: Option<&MemberState>) -> bool {
    who.is_admin() || me.is_some_and(|m| m.role == "owner")
}

async fn view_dto(
    conn: &mut Conn,
    who: &ChatCaller,
    id: ConversationId,
) -> ApiResult<ConversationDto> {
    let v = store::conversation_view(conn, who.org_id, id, who.user_id).await?;
    let members = if v.conversation.kind.is_channel() {
        HashMap::new()
    } else {
        store::members_of_many(conn, &[id]).await?
    };
    Ok(conversation_dto(&v, members.get(&id)))
}

pub fn audience(c: &Conversation) -> Audience {
    Audience::Conversation {
        org_id: c.org_id,
        conversation_id: c.id,
    }
}

pub(crate) async fn emit_updated(tx: &mut Tx, c: &Conversation, now: i64) -> ApiResult<()> {
    let members = if c.kind.is_channel() {
        HashMap::new()
    } else {
        store::members_of_many(tx, &[c.id]).await?
    };
    let dto = conversation_dto(&neutral(c), members.get(&c.id));
    super::emit(
        tx,
        audience(c),
        "chat.conversation.updated",
        serde_json::to_value(&dto).unwrap_or_default(),
        now,
    )
    .await
}

pub(crate) async fn emit_membership(
    tx: &mut Tx,
    c: &Conversation,
    user_id: UserId,
    joined: bool,
    now: i64,
) -> ApiResult<()> {
    let (audience, kind) = if joined {
        (
            Audience::ConversationJoin {
                org_id: c.org_id,
                conversation_id: c.id,
                user_id,
            },
            "chat.member.joined",
        )
    } else {
        (
            Audience::ConversationLeave {
                org_id: c.org_id,
                conversation_id: c.id,
                user_id,
            },
            "chat.member.left",
        )
    };
    super::emit(
        tx,
        audience,
        kind,
        serde_json::json!({"conversation_id": c.id, "user_id": user_id}),
        now,
    )
    .await
}

/// Parses member ids and checks each is an active member of the organisation.
async fn active_members(conn: &mut Conn, org_id: OrgId, ids: &[String]) -> ApiResult<Vec<UserId>> {
    let mut out = Vec::new();
    for s in ids {
        let bad = || {
            ApiError::invalid(
                "member_ids",
                "chat.unknown_member",
                "not a member of this organisation",
            )
        };
        let id: UserId = s.trim().parse().map_err(|_| bad())?;
        match kantor_store::orgs::membership(conn, org_id, id).await {
            Ok(m) if m.status == MemberStatus::Active => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            Ok(_) | Err(kantor_store::StoreError::NotFound) => return Err(bad()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

// --- handlers ----------------------------------------------------------------------------------

/// The conversations the caller is in, newest activity first, with unread counts.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations", operation_id = "list_conversations", tag = "chat", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<ConversationDto>), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<ConversationDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let views = store::conversations_of(&mut conn, who.org_id, who.user_id).await?;
    let small: Vec<ConversationId> = views
        .iter()
        .filter(|v| !v.conversation.kind.is_channel())
        .map(|v| v.conversation.id)
        .collect();
    let members = store::members_of_many(&mut conn, &small).await?;
    Ok(axum::Json(
        views
            .iter()
            .map(|v| conversation_dto(v, members.get(&v.conversation.id)))
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChannelQuery {
    /// Part of the channel name.
    pub q: Option<String>,
}

/// Public channels to browse and join (archived ones left out).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/channels", operation_id = "browse_channels", tag = "chat", params(("org_id" = String, Path), ChannelQuery),
    responses((status = 200, body = Vec<ConversationDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn browse(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<ChannelQuery>,
) -> ApiResult<axum::Json<Vec<ConversationDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    if who.role == Role::Guest {
        return Err(ApiError::forbidden());
    }
    let mut conn = state.store.read_conn().await?;
    let channels = store::public_channels(&mut conn, who.org_id, q.q.as_deref()).await?;
    let mine: HashMap<ConversationId, ConversationView> =
        store::conversations_of(&mut conn, who.org_id, who.user_id)
            .await?
            .into_iter()
            .map(|v| (v.conversation.id, v))
            .collect();
    Ok(axum::Json(
        channels
            .iter()
            .map(|c| match mine.get(&c.id) {
                Some(v) => conversation_dto(v, None),
                None => conversation_dto(&neutral(c), None),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversationInput {
    pub kind: ConversationKind,
    /// Channels: the name (lowercased; spaces become `-`).
    pub name: Option<String>,
    pub topic: Option<String>,
    pub description: Option<String>,
    /// DM: exactly one other member. Group: 2–8 others. Channels: members to add besides the creator.
    #[serde(default)]
    pub member_ids: Vec<String>,
    /// Channels: every active member of the organisation is a member, now and later (admins
    /// only).
    #[serde(default)]
    pub org_wide: bool,
    /// Channels: announcement mode.
    #[serde(default)]
    pub announcement: bool,
    /// Channels: slow mode in seconds (0–3600).
    #[serde(default)]
    pub slow_mode_secs: i64,
    /// Channels: most people one member's message may mention (0: no limit; at most 100).
    #[serde(default)]
    pub mention_limit: i64,
}

/// Starts a channel, DM or group DM. A DM that exists already is returned (200).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations", operation_id = "create_conversation", tag = "chat", params(("org_id" = String, Path)), request_body = NewConversationInput,
    responses((status = 201, body = ConversationDto), (status = 200, description = "the existing DM", body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<NewConversationInput>,
) -> ApiResult<Response> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    if who.role == Role::Guest {
        return Err(ApiError::forbidden());
    }
    let kind: Kind = req.kind.into();
    let group = group_settings(
        &who,
        kind,
        GroupSettingsInput {
            org_wide: Some(req.org_wide),
            announcement: Some(req.announcement),
            slow_mode_secs: Some(req.slow_mode_secs),
            mention_limit: Some(req.mention_limit),
        },
        true,
    )?;
    if req.member_ids.len() > 500 {
        return Err(ApiError::invalid(
            "member_ids",
            "validation.invalid",
            "add at most 500 members at a time",
        ));
    }
    let topic = validate::optional_text("topic", req.topic.as_deref(), chat::MAX_TOPIC_CHARS)?
        .unwrap_or_default();
    let description = validate::optional_text(
        "description",
        req.description.as_deref(),
        chat::MAX_DESCRIPTION_CHARS,
    )?
    .unwrap_or_default();
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let mut others = active_members(&mut tx, who.org_id, &req.member_ids).await?;
    others.retain(|u| *u != who.user_id);
    let (name, dm_key) = match kind {
        Kind::Public | Kind::Private => {
            let name = chat::channel_name(req.name.as_deref().unwrap_or(""))?;
            (Some(name), None)
        }
        Kind::Dm => {
            // A DM with oneself is a notes-to-self conversation.
            if req.member_ids.len() != 1 {
                return Err(ApiError::invalid(
                    "member_ids",
                    "chat.dm_needs_one",
                    "a direct message is with exactly one other member",
                ));
            }
            let mut pair = [who.user_id, others.first().copied().unwrap_or(who.user_id)];
            pair.sort();
            let key = format!("{}:{}", pair[0], pair[1]);
            if let Some(existing) = store::dm_by_key(&mut tx, who.org_id, &key).await? {
                let dto = view_dto(&mut tx, &who, existing).await?;
                return Ok((StatusCode::OK, axum::Json(dto)).into_response());
            }
            (None, Some(key))
        }
        Kind::Group => {
            if others.len() < 2 || others.len() > chat::MAX_GROUP_OTHERS {
                return Err(ApiError::invalid(
                    "member_ids",
                    "chat.group_size",
                    "a group has 2 to 8 other members",
                ));
            }
            (None, None)
        }
        Kind::Meeting => return Err(meeting_managed("kind")),
    };
    let id = store::insert_conversation(
        &mut tx,
        &store::NewConversation {
            org_id: who.org_id,
            kind,
            name: name.as_deref(),
            topic: &topic,
            description: &description,
            dm_key: dm_key.as_deref(),
            created_by: who.user_id,
        },
        now,
    )
    .await;
    let id = match (id, dm_key.as_deref()) {
        (Ok(id), _) => id,
        // Two people opened the same DM at once (PostgreSQL): the other one won; use it.
        (Err(kantor_store::StoreError::Conflict(_)), Some(key)) => {
            drop(tx);
            let mut conn = state.store.read_conn().await?;
            let existing = store::dm_by_key(&mut conn, who.org_id, key)
                .await?
                .ok_or_else(ApiError::not_found)?;
            let dto = view_dto(&mut conn, &who, existing).await?;
            return Ok((StatusCode::OK, axum::Json(dto)).into_response());
        }
        (Err(e), _) => return Err(name_taken(e)),
    };
    let owner_role = if kind.is_channel() { "owner" } else { "member" };
    store::add_members(&mut tx, who.org_id, id, &[who.user_id], owner_role, now).await?;
    store::add_members(&mut tx, who.org_id, id, &others, "member", now).await?;
    store::update_group_settings(&mut tx, id, &group).await?;
    let c = store::conversation(&mut tx, who.org_id, id).await?;
    if c.org_wide {
        // Everyone at once: one event, not one per person.
        groups::add_everyone(&mut tx, &c, now).await?;
    } else {
        for u in std::iter::once(who.user_id).chain(others.iter().copied()) {
            emit_membership(&mut tx, &c, u, true, now).await?;
        }
    }
    if kind == Kind::Public {
        // Everyone may browse it: tell the organisation a channel appeared.
        super::emit(
            &mut tx,
            Audience::Org { org_id: who.org_id },
            "chat.channel.created",
            serde_json::json!({"conversation_id": id}),
            now,
        )
        .await?;
    }
    let dto = view_dto(&mut tx, &who, id).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(dto)).into_response())
}

/// One conversation as the caller sees it.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}", operation_id = "get_conversation", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = ConversationDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<ConversationDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mut conn = state.store.read_conn().await?;
    visible(&mut conn, &who, cid).await?;
    Ok(axum::Json(view_dto(&mut conn, &who, cid).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatchInput {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub description: Option<String>,
    /// Channels, admins only: membership follows the organisation (turning it on adds
    /// everyone; turning it off keeps the members there are).
    pub org_wide: Option<bool>,
    /// Channels, owner or admin: announcement mode.
    pub announcement: Option<bool>,
    /// Channels, owner or admin: slow mode in seconds (0–3600).
    pub slow_mode_secs: Option<i64>,
    /// Channels, owner or admin: per-message mention limit (0–100; 0 is none).
    pub mention_limit: Option<i64>,
}

/// Changes a channel's name (owner or admin), topic or description (any member).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}", operation_id = "patch_conversation", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = ConversationPatchInput,
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<ConversationPatchInput>,
) -> ApiResult<axum::Json<ConversationDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    writable(&c, me.as_ref())?;
    if c.kind == Kind::Meeting {
        return Err(meeting_managed("conversation_id"));
    }
    let name = match req.name.as_deref() {
        None => None,
        Some(n) => {
            if !c.kind.is_channel() {
                return Err(ApiError::invalid(
                    "name",
                    "chat.not_a_channel",
                    "only channels have names",
                ));
            }
            if !manages(&who, me.as_ref()) {
                return Err(ApiError::forbidden());
            }
            Some(chat::channel_name(n)?)
        }
    };
    let topic = req
        .topic
        .as_deref()
        .map(|t| validate::optional_text("topic", Some(t), chat::MAX_TOPIC_CHARS))
        .transpose()?
        .map(Option::unwrap_or_default);
    let description = req
        .description
        .as_deref()
        .map(|t| validate::optional_text("description", Some(t), chat::MAX_DESCRIPTION_CHARS))
        .transpose()?
        .map(Option::unwrap_or_default);
    let group_input = GroupSettingsInput {
        org_wide: req.org_wide,
        announcement: req.announcement,
        slow_mode_secs: req.slow_mode_secs,
        mention_limit: req.mention_limit,
    };
    let group = if group_input.is_empty() {
        None
    } else {
        if !manages(&who, me.as_ref()) {
            return Err(ApiError::forbidden());
        }
        Some(group_settings(&who, c.kind, group_input, false)?)
    };
    store::update_conversation(
        &mut tx,
        cid,
        &store::ConversationPatch {
            name: name.as_deref(),
            topic: topic.as_deref(),
            description: description.as_deref(),
            archived_at: None,
        },
    )
    .await
    .map_err(name_taken)?;
    if let Some(group) = group {
        store::update_group_settings(&mut tx, cid, &group).await?;
    }
    let widened = group.and_then(|g| g.org_wide) == Some(true) && !c.org_wide;
    let c = store::conversation(&mut tx, who.org_id, cid).await?;
    if widened {
        groups::add_everyone(&mut tx, &c, now).await?;
    }
    emit_updated(&mut tx, &c, now).await?;
    let dto = view_dto(&mut tx, &who, cid).await?;
    tx.commit().await?;
    Ok(axum::Json(dto))
}

/// Joins a public channel.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/join", operation_id = "join_conversation", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn join(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<ConversationDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    if c.archived_at.is_some() {
        return Err(archived());
    }
    if me.is_none() {
        store::add_members(&mut tx, who.org_id, cid, &[who.user_id], "member", now).await?;
        let c = store::conversation(&mut tx, who.org_id, cid).await?;
        emit_membership(&mut tx, &c, who.user_id, true, now).await?;
    }
    let dto = view_dto(&mut tx, &who, cid).await?;
    tx.commit().await?;
    Ok(axum::Json(dto))
}

/// Leaves a channel or group (DMs cannot be left; mute them instead).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/leave", operation_id = "leave_conversation", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn leave(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    if me.is_none() {
        return Err(not_member());
    }
    if c.kind == Kind::Dm {
        return Err(ApiError::invalid(
            "conversation_id",
            "chat.cannot_leave_dm",
            "a direct message cannot be left; mute it instead",
        ));
    }
    store::remove_member(&mut tx, cid, who.user_id).await?;
    emit_membership(&mut tx, &c, who.user_id, false, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn set_archived(
    state: AppState,
    caller: Caller,
    org_id: String,
    cid: String,
    archive: bool,
) -> ApiResult<axum::Json<ConversationDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    managed_channel(&mut tx, &who, cid, "only channels are archived").await?;
    store::update_conversation(
        &mut tx,
        cid,
        &store::ConversationPatch {
            archived_at: Some(archive.then_some(now)),
            ..Default::default()
        },
    )
    .await?;
    let c = store::conversation(&mut tx, who.org_id, cid).await?;
    emit_updated(&mut tx, &c, now).await?;
    super::audit(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        if archive {
            "chat.channel.archive"
        } else {
            "chat.channel.unarchive"
        },
        Some(cid.to_string()),
        serde_json::json!({"name": c.name}),
        now,
    )
    .await?;
    let dto = view_dto(&mut tx, &who, cid).await?;
    tx.commit().await?;
    Ok(axum::Json(dto))
}

/// Archives a channel: it stays readable, nobody can post (channel owner or admin).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/archive", operation_id = "archive_conversation", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<ConversationDto>> {
    set_archived(state, caller, org_id, cid, true).await
}

/// Brings an archived channel back.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/unarchive", operation_id = "unarchive_conversation", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn unarchive(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<ConversationDto>> {
    set_archived(state, caller, org_id, cid, false).await
}

/// Members of a conversation, with their read positions.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members", operation_id = "list_conversation_members", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = Vec<ConversationMemberDto>), (status = 404, body = ErrorBody)))]
pub async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<Vec<ConversationMemberDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mut conn = state.store.read_conn().await?;
    let (c, _) = visible(&mut conn, &who, cid).await?;
    let receipts = chat::read_receipts(c.kind, c.member_count);
    Ok(axum::Json(
        store::conversation_members(&mut conn, cid)
            .await?
            .iter()
            .map(|m| ConversationMemberDto {
                user: (&m.user).into(),
                role: chat_role(&m.state.role),
                // Read positions are private where there are no read receipts.
                last_read_seq: if receipts || m.user.id == who.user_id {
                    m.state.last_read_seq
                } else {
                    0
                },
                joined_at: rfc3339(m.state.joined_at),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMembersInput {
    pub user_ids: Vec<String>,
}

/// Adds members to a channel or group (any member may add others, as in Slack).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members", operation_id = "add_conversation_members", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = AddMembersInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_members(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<AddMembersInput>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    if req.user_ids.is_empty() || req.user_ids.len() > 500 {
        return Err(ApiError::invalid(
            "user_ids",
            "validation.invalid",
            "add 1 to 500 members at a time",
        ));
    }
    writable(&c, me.as_ref())?;
    if c.kind == Kind::Meeting {
        return Err(meeting_managed("user_ids"));
    }
    if c.kind == Kind::Dm {
        return Err(ApiError::invalid(
            "user_ids",
            "chat.dm_fixed",
            "a direct message is between two people; start a group instead",
        ));
    }
    if who.role == Role::Guest {
        return Err(ApiError::forbidden());
    }
    let users = active_members(&mut tx, who.org_id, &req.user_ids).await?;
    if c.kind == Kind::Group && c.member_count as usize + users.len() > chat::MAX_GROUP_OTHERS + 1 {
        return Err(ApiError::invalid(
            "user_ids",
            "chat.group_size",
            "a group has at most 9 people; make a private channel instead",
        ));
    }
    let added = store::add_members(&mut tx, who.org_id, cid, &users, "member", now).await?;
    let c = store::conversation(&mut tx, who.org_id, cid).await?;
    for u in added {
        emit_membership(&mut tx, &c, u, true, now).await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member from a channel (channel owner or admin).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/members/{user_id}", operation_id = "remove_conversation_member", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, user_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let target: UserId = parse_id(&user_id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    if !c.kind.is_channel() || !manages(&who, me.as_ref()) {
        return Err(ApiError::forbidden());
    }
    if !store::remove_member(&mut tx, cid, target).await? {
        return Err(ApiError::not_found());
    }
    emit_membership(&mut tx, &c, target, false, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MySettingsInput {
    pub muted: Option<bool>,
    /// Which messages notify the caller (push and browser notifications).
    pub notify: Option<NotifyPref>,
}

/// A member's notification preference for one conversation.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NotifyPref {
    Default,
    All,
    Mentions,
    None,
}

impl NotifyPref {
    fn from_stored(value: &str) -> NotifyPref {
        match kantor_core::notify::Notify::parse(value).unwrap_or_default() {
            kantor_core::notify::Notify::Default => NotifyPref::Default,
            kantor_core::notify::Notify::All => NotifyPref::All,
            kantor_core::notify::Notify::Mentions => NotifyPref::Mentions,
            kantor_core::notify::Notify::None => NotifyPref::None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            NotifyPref::Default => "default",
            NotifyPref::All => "all",
            NotifyPref::Mentions => "mentions",
            NotifyPref::None => "none",
        }
    }
}

/// The caller's own settings for a conversation (mute, notifications).
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/me", operation_id = "patch_my_conversation_settings", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = MySettingsInput,
    responses((status = 200, body = ConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn patch_me(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<MySettingsInput>,
) -> ApiResult<axum::Json<ConversationDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (_, me) = visible(&mut tx, &who, cid).await?;
    if me.is_none() {
        return Err(not_member());
    }
    if let Some(muted) = req.muted {
        store::set_muted(&mut tx, cid, who.user_id, muted).await?;
        super::emit(
            &mut tx,
            Audience::User {
                user_id: who.user_id,
            },
            "chat.settings.updated",
            serde_json::json!({"conversation_id": cid, "muted": muted}),
            now,
        )
        .await?;
    }
    if let Some(notify) = req.notify {
        kantor_store::push::set_notify(&mut tx, cid, who.user_id, notify.as_str()).await?;
        super::emit(
            &mut tx,
            Audience::User {
                user_id: who.user_id,
            },
            "chat.settings.updated",
            serde_json::json!({"conversation_id": cid, "notify": notify}),
            now,
        )
        .await?;
    }
    let dto = view_dto(&mut tx, &who, cid).await?;
    tx.commit().await?;
    Ok(axum::Json(dto))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    pub seq: i64,
}

/// Marks messages read up to `seq` (shown in a focused window). Never moves backwards.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/read", operation_id = "mark_read", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = ReadInput,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<ReadInput>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me) = visible(&mut tx, &who, cid).await?;
    if me.is_none() {
        return Err(not_member());
    }
    if let Some(seq) = store::mark_read(&mut tx, cid, who.user_id, req.seq).await? {
        if c.kind.is_channel()
            && (c.rules.announcement || !chat::read_receipts(c.kind, c.member_count))
        {
            // Announcements and large groups (no ticks): read counts are pushed to the
            // authors, owners and posters instead.
            state.read_status_push.touch(cid);
        }
        // Others see ticks only where read receipts are on; the reader's other devices always
        // learn, to clear their badges.
        let audience = if chat::read_receipts(c.kind, c.member_count) {
            audience(&c)
        } else {
            Audience::User {
                user_id: who.user_id,
            }
        };
        super::emit(
            &mut tx,
            audience,
            "chat.read",
            serde_json::json!({"conversation_id": cid, "user_id": who.user_id, "seq": seq}),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

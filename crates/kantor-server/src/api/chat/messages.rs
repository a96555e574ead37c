//! Messages: post (idempotent by the client's key), read pages and threads, edit with history,
//! delete, react, pin, quote and forward.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kantor_core::chat::{self, BodyError};
use kantor_core::ids::{ConversationId, FileId, MessageId, UserId};
use kantor_core::role::MemberStatus;
use kantor_store::chat::{self as store, Conversation, Message, Page};
use kantor_store::{Conn, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{archived, audience, chat_caller, not_member, visible, ChatCaller, UserRefDto};
use crate::api::parse_id;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct AttachmentDto {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub kind: AttachmentKind,
    pub url: String,
    #[schema(required = true)]
    pub thumbnail_url: Option<String>,
    #[schema(required = true)]
    pub width: Option<i64>,
    #[schema(required = true)]
    pub height: Option<i64>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Image,
    Audio,
    File,
}

/// A quoted or forwarded message, as it was when quoted.
#[derive(Serialize, Deserialize, ToSchema, Clone, Debug)]
pub struct QuoteDto {
    pub message_id: String,
    pub conversation_id: String,
    pub author: UserRefDto,
    pub body: String,
    pub created_at: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ReactionDto {
    pub emoji: String,
    /// In the order they reacted.
    pub user_ids: Vec<String>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct MessageDto {
    pub id: String,
    pub conversation_id: String,
    /// Position in the conversation (1, 2, …), shared by thread replies.
    pub seq: i64,
    pub client_key: String,
    pub author: UserRefDto,
    /// Markdown; mentions are `<@user_id>` tokens. Empty when deleted.
    pub body: String,
    /// Ids of members actually mentioned; other `<@…>` tokens are plain text.
    pub mentions: Vec<String>,
    pub mention_here: bool,
    pub mention_channel: bool,
    #[schema(required = true)]
    pub thread_root_id: Option<String>,
    /// Shown in the channel view (top-level, or a reply also sent to the channel).
    pub also_in_channel: bool,
    pub reply_count: i64,
    #[schema(required = true)]
    pub last_reply_at: Option<String>,
    pub reactions: Vec<ReactionDto>,
    pub attachments: Vec<AttachmentDto>,
    #[schema(required = true)]
    pub quote: Option<QuoteDto>,
    #[schema(required = true)]
    pub forwarded: Option<QuoteDto>,
    pub pinned: bool,
    pub created_at: String,
    #[schema(required = true)]
    pub edited_at: Option<String>,
    pub deleted: bool,
    /// A bot's buttons and form (`POST …/messages/{id}/actions` to use them).
    #[schema(required = true)]
    pub interactive: Option<super::bots::Interactive>,
    /// A poll (`PUT …/messages/{id}/poll/vote` to vote).
    #[schema(required = true)]
    pub poll: Option<super::commands::PollDto>,
}

pub fn message_dto(m: &Message) -> MessageDto {
    fn json<T: serde::de::DeserializeOwned>(s: &str) -> Option<T> {
        serde_json::from_str(s).ok()
    }
    MessageDto {
        id: m.id.to_string(),
        conversation_id: m.conversation_id.to_string(),
        seq: m.seq,
        client_key: m.client_key.clone(),
        author: (&m.author).into(),
        body: m.body.clone(),
        mentions: json(&m.mentions).unwrap_or_default(),
        mention_here: m.mention_here,
        mention_channel: m.mention_channel,
        thread_root_id: m.thread_root_id.map(|t| t.to_string()),
        also_in_channel: m.in_channel,
        reply_count: m.reply_count,
        last_reply_at: m.last_reply_at.map(rfc3339),
        reactions: m
            .reactions
            .iter()
            .map(|(e, users)| ReactionDto {
                emoji: e.clone(),
                user_ids: users.iter().map(UserId::to_string).collect(),
            })
            .collect(),
        attachments: json(&m.attachments).unwrap_or_default(),
        quote: m.quote.as_deref().and_then(json::<QuoteDto>),
        forwarded: m.forwarded.as_deref().and_then(json::<QuoteDto>),
        pinned: m.pinned_at.is_some(),
        created_at: rfc3339(m.created_at),
        edited_at: m.edited_at.map(rfc3339),
        deleted: m.deleted_at.is_some(),
        interactive: m
            .interactive
            .as_deref()
            .filter(|_| m.deleted_at.is_none())
            .and_then(json::<super::bots::Interactive>),
        poll: m
            .poll
            .as_deref()
            .filter(|_| m.deleted_at.is_none())
            .and_then(kantor_store::commands::Poll::parse)
            .map(|p| super::commands::poll_dto(&p)),
    }
}

/// Tells the conversation's members a message changed (its whole new form).
pub async fn emit_updated(tx: &mut Tx, c: &Conversation, m: &Message, now: i64) -> ApiResult<()> {
    emit_message(tx, c, "chat.message.updated", m, now).await
}

async fn emit_message(
    tx: &mut Tx,
    c: &Conversation,
    kind: &str,
    m: &Message,
    now: i64,
) -> ApiResult<()> {
    crate::api::emit(
        tx,
        audience(c),
        kind,
        serde_json::to_value(message_dto(m)).unwrap_or_default(),
        now,
    )
    .await
}

#[derive(Serialize, ToSchema)]
pub struct MessagePageDto {
    /// Ascending by `seq`.
    pub messages: Vec<MessageDto>,
    pub has_more_before: bool,
    pub has_more_after: bool,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Messages before this `seq`.
    pub before: Option<i64>,
    /// Messages after this `seq`.
    pub after: Option<i64>,
    /// A page centred on this `seq` (jump to the first unread).
    pub around: Option<i64>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

/// A page of the channel view: top-level messages and replies also sent to the channel.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages", operation_id = "list_messages", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), PageQuery),
    responses((status = 200, body = MessagePageDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> ApiResult<axum::Json<MessagePageDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let page = match (q.before, q.after, q.around) {
        (None, None, None) => Page::Newest,
        (Some(b), None, None) => Page::Before(b),
        (None, Some(a), None) => Page::After(a),
        (None, None, Some(s)) => Page::Around(s),
        _ => {
            return Err(ApiError::invalid(
                "before",
                "validation.invalid",
                "give at most one of before, after and around",
            ))
        }
    };
    if [q.before, q.after, q.around]
        .iter()
        .flatten()
        .any(|s| *s < 0)
    {
        return Err(ApiError::invalid(
            "before",
            "validation.invalid",
            "positions are 0 or more",
        ));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "validation.invalid",
            "limit is 1 to 200",
        ));
    }
    let mut conn = state.store.read_conn().await?;
    visible(&mut conn, &who, cid).await?;
    let (msgs, has_more_before, has_more_after) =
        store::channel_page(&mut conn, cid, page, limit).await?;
    Ok(axum::Json(MessagePageDto {
        messages: msgs.iter().map(message_dto).collect(),
        has_more_before,
        has_more_after,
    }))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    /// A key the client makes once per message (a UUID); sending it again returns the message
    /// already posted instead of a second copy.
    pub client_key: String,
    #[serde(default)]
    pub body: String,
    pub thread_root_id: Option<String>,
    /// A thread reply that also appears in the channel.
    #[serde(default)]
    pub also_to_channel: bool,
    /// Ids from `POST /orgs/{org_id}/chat/files`.
    #[serde(default)]
    pub attachment_ids: Vec<String>,
    /// Quote-reply to this message (same conversation or any the caller can read).
    pub quote_of: Option<String>,
    /// Forward this message (from any conversation the caller can read).
    pub forward_of: Option<String>,
    /// Buttons and a form under the message (bots only).
    #[serde(default)]
    pub interactive: Option<super::bots::Interactive>,
    /// Makes the message a poll; its body is then the question.
    #[serde(default)]
    pub poll: Option<super::commands::PollInput>,
}

impl PostInput {
    /// A plain text message.
    pub fn text(client_key: String, body: String) -> Self {
        PostInput {
            client_key,
            body,
            thread_root_id: None,
            also_to_channel: false,
            attachment_ids: Vec::new(),
            quote_of: None,
            forward_of: None,
            interactive: None,
            poll: None,
        }
    }
}

fn body_error(e: BodyError) -> ApiError {
    match e {
        BodyError::Empty => ApiError::invalid(
            "body",
            "chat.empty_message",
            "write something or attach a file",
        ),
        BodyError::TooLong => ApiError::too_large(
            "chat.message_too_long",
            format!("a message is at most {} characters", chat::MAX_BODY_CHARS),
        ),
    }
}

/// The members among mentioned ids (others stay plain text), as a JSON array.
async fn checked_mentions(
    conn: &mut Conn,
    who: &ChatCaller,
    ids: &[UserId],
) -> ApiResult<Vec<UserId>> {
    let mut out = Vec::new();
    for id in ids.iter().take(100) {
        if let Ok(m) = kantor_store::orgs::membership(conn, who.org_id, *id).await {
            if m.status == MemberStatus::Active {
                out.push(*id);
            }
        }
    }
    Ok(out)
}

fn ids_json(ids: &[UserId]) -> String {
    serde_json::to_string(&ids.iter().map(UserId::to_string).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

/// A message the caller may read, from any conversation of the organisation, as a quote.
async fn quote_of(
    conn: &mut Conn,
    who: &ChatCaller,
    field: &'static str,
    id: &str,
) -> ApiResult<QuoteDto> {
    let bad = || ApiError::invalid(field, "chat.unknown_message", "no such message");
    let id: MessageId = id.trim().parse().map_err(|_| bad())?;
    let m = store::message_in_org(conn, who.org_id, id)
        .await
        .map_err(|_| bad())?;
    visible(conn, who, m.conversation_id)
        .await
        .map_err(|_| bad())?;
    if m.deleted_at.is_some() {
        return Err(bad());
    }
    let body: String = m.body.chars().take(1000).collect();
    Ok(QuoteDto {
        message_id: m.id.to_string(),
        conversation_id: m.conversation_id.to_string(),
        author: (&m.author).into(),
        body,
        created_at: rfc3339(m.created_at),
    })
}

/// Posts a message (or a thread reply). Idempotent by `client_key`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages", operation_id = "post_message", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = PostInput,
    responses((status = 201, body = MessageDto), (status = 200, description = "already posted with this client_key", body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<PostInput>,
) -> ApiResult<Response> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let (status, m) = post_message(&state, &who, cid, &req).await?;
    Ok((status, axum::Json(message_dto(&m))).into_response())
}

/// Posts a message for `who`; shared by the endpoint and scheduled sends.
pub async fn post_message(
    state: &AppState,
    who: &ChatCaller,
    cid: ConversationId,
    req: &PostInput,
) -> ApiResult<(StatusCode, Message)> {
    let key = req.client_key.trim();
    if key.is_empty() || key.len() > 100 || key.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ApiError::invalid(
            "client_key",
            "validation.invalid",
            "client_key is 1 to 100 characters without spaces",
        ));
    }
    if req.attachment_ids.len() > chat::MAX_ATTACHMENTS {
        return Err(ApiError::invalid(
            "attachment_ids",
            "validation.invalid",
            "at most 10 attachments",
        ));
    }
    let has_extra =
        !req.attachment_ids.is_empty() || req.forward_of.is_some() || req.poll.is_some();
    chat::body(&req.body, has_extra).map_err(body_error)?;
    // Retries are answered from the read pool, keeping the writer for new messages; the
    // author's name for the new message comes from the same connection.
    let author = {
        let mut conn = state.store.read_conn().await?;
        if let Some(done) = already_posted(&mut conn, who, cid, key).await? {
            return Ok(done);
        }
        store::user_ref(&mut conn, who.user_id).await?
    };
    if state.store.backend() == kantor_store::Backend::Sqlite {
        // One writer: posts that arrive together share one commit (see `batch`).
        return state
            .post_batcher
            .submit(state, who.clone(), author, cid, req.clone())
            .await;
    }
    let mut tx = state.store.begin().await?;
    match post_in_tx(state, &mut tx, who, &author, cid, req).await {
        Ok(posted) => {
            tx.commit().await?;
            Ok(posted)
        }
        Err(PostError::KeyTaken) => {
            // A concurrent retry with the same key won the race: answer with its message.
            drop(tx);
            already_posted(&mut *state.store.read_conn().await?, who, cid, key)
                .await?
                .ok_or_else(ApiError::not_found)
        }
        Err(PostError::Api(e)) => Err(e),
    }
}

/// The message already posted with this client key: 200 with it, or 409 when the key was
/// used in another conversation.
pub async fn already_posted(
    conn: &mut Conn,
    who: &ChatCaller,
    cid: ConversationId,
    key: &str,
) -> ApiResult<Option<(StatusCode, Message)>> {
    match store::message_by_client_key(conn, who.user_id, key).await? {
        None => Ok(None),
        Some(m) if m.conversation_id != cid => Err(ApiError::conflict(
            "chat.client_key_reused",
            "this client_key was used for another conversation",
        )),
        Some(m) => Ok(Some((StatusCode::OK, m))),
    }
}

/// Why a post inside a transaction failed.
pub enum PostError {
    /// Another post with the same client key came first; nothing was written, and that
    /// message is the answer.
    KeyTaken,
    Api(ApiError),
}

impl From<ApiError> for PostError {
    fn from(e: ApiError) -> Self {
        PostError::Api(e)
    }
}

impl From<kantor_store::StoreError> for PostError {
    fn from(e: kantor_store::StoreError) -> Self {
        PostError::Api(e.into())
    }
}

/// The post itself, inside the caller's transaction. Commits nothing.
#[allow(clippy::too_many_arguments)]
pub async fn post_in_tx(
    state: &AppState,
    tx: &mut Tx,
    who: &ChatCaller,
    author: &store::UserRef,
    cid: ConversationId,
    req: &PostInput,
) -> Result<(StatusCode, Message), PostError> {
    let key = req.client_key.trim();
    let poll = super::commands::poll_of(req.poll.as_ref())?;
    let body = match &poll {
        // A poll's text is its question: what search, previews and notifications show.
        Some(p) => p.question.clone(),
        None => {
            let has_extra = !req.attachment_ids.is_empty() || req.forward_of.is_some();
            chat::body(&req.body, has_extra).map_err(body_error)?
        }
    };
    let now = state.clock.now_ms();
    // A repeated key was answered before the transaction (`already_posted`); a racing one
    // fails the insert below on the unique (author, client_key) index.
    let (c, me) = visible(&mut *tx, who, cid).await?;
    super::writable(&c, me.as_ref()).map_err(PostError::from)?;
    let thread_root_id = super::thread_root(&mut *tx, cid, req.thread_root_id.as_deref()).await?;
    let mut attachments = Vec::with_capacity(req.attachment_ids.len());
    for a in &req.attachment_ids {
        let bad = || {
            ApiError::invalid(
                "attachment_ids",
                "chat.unknown_file",
                "upload the file first",
            )
        };
        let id: FileId = a.trim().parse().map_err(|_| bad())?;
        let f = store::chat_file(&mut *tx, who.org_id, who.user_id, id)
            .await
            .map_err(|_| bad())?;
        // Sent elsewhere already: it belongs to that conversation's readers.
        if f.conversation_id.is_some_and(|c| c != cid) {
            return Err(bad().into());
        }
        attachments.push(super::files::attachment_dto(&f));
    }
    let quote = match req.quote_of.as_deref() {
        Some(q) => Some(quote_of(&mut *tx, who, "quote_of", q).await?),
        None => None,
    };
    let forwarded = match req.forward_of.as_deref() {
        Some(q) => Some(quote_of(&mut *tx, who, "forward_of", q).await?),
        None => None,
    };
    let found = chat::mentions(&body);
    let mentions = checked_mentions(&mut *tx, who, &found.users).await?;
    may_broadcast(state, who, &c, me.as_ref(), &found)?;
    let thread_reply = thread_root_id.is_some() && !req.also_to_channel;
    let (n, my) = (mentions.len(), me.as_ref());
    super::groups::check_post(&mut *tx, who, &c, my, thread_reply, n, now).await?;
    let interactive =
        super::bots::interactive_for(&mut *tx, who.user_id, req.interactive.as_ref()).await?;
    let attachments_json = serde_json::to_string(&attachments).unwrap_or_else(|_| "[]".into());
    let quote_json = quote.as_ref().and_then(|q| serde_json::to_string(q).ok());
    let forwarded_json = forwarded
        .as_ref()
        .and_then(|q| serde_json::to_string(q).ok());
    let inserted = store::insert_message(
        &mut *tx,
        &store::NewMessage {
            org_id: who.org_id,
            conversation_id: cid,
            author_id: who.user_id,
            client_key: key,
            body: &body,
            mentions: &ids_json(&mentions),
            attachments: &attachments_json,
            quote: quote_json.as_deref(),
            forwarded: forwarded_json.as_deref(),
            mention_here: found.here,
            mention_channel: found.channel,
            thread_root_id,
            in_channel: thread_root_id.is_none() || req.also_to_channel,
        },
        now,
    )
    .await;
    let (id, seq) = match inserted {
        Ok(done) => done,
        // The author already used this key (a retry racing the first post): nothing written.
        Err(kantor_store::StoreError::Conflict(_)) => return Err(PostError::KeyTaken),
        Err(e) => return Err(PostError::Api(e.into())),
    };
    for a in &attachments {
        if let Ok(file) = a.id.parse() {
            store::attach_chat_file(&mut *tx, file, cid).await?;
        }
    }
    if interactive.is_some() {
        kantor_store::integrations::set_interactive(&mut *tx, id, interactive.as_deref()).await?;
    }
    if let Some(p) = &poll {
        kantor_store::commands::set_poll(&mut *tx, id, p).await?;
    }
    // Built from what was written, rather than read back: the writer is the bottleneck.
    let m = Message {
        id,
        org_id: who.org_id,
        conversation_id: cid,
        seq,
        author: author.clone(),
        client_key: key.to_string(),
        body,
        mentions: ids_json(&mentions),
        attachments: attachments_json,
        quote: quote_json,
        forwarded: forwarded_json,
        mention_here: found.here,
        mention_channel: found.channel,
        thread_root_id,
        in_channel: thread_root_id.is_none() || req.also_to_channel,
        reply_count: 0,
        last_reply_at: None,
        pinned_at: None,
        created_at: now,
        edited_at: None,
        deleted_at: None,
        reactions: Vec::new(),
        interactive,
        poll: poll.as_ref().map(kantor_store::commands::Poll::json),
    };
    super::search::index_new(&mut *tx, &m).await?;
    emit_message(&mut *tx, &c, "chat.message.created", &m, now).await?;
    super::webhooks::enqueue_outgoing(&mut *tx, &c, &m, now).await?;
    crate::push::enqueue_for_message(&mut *tx, &c, &m, now).await?;
    if let Some(root) = thread_root_id {
        let root = store::message(&mut *tx, cid, root).await?;
        emit_message(&mut *tx, &c, "chat.message.updated", &root, now).await?;
    }
    Ok((StatusCode::CREATED, m))
}

/// `@here`/`@channel` in a big channel is for admins and the channel's owner (posting and
/// editing alike).
fn may_broadcast(
    state: &AppState,
    who: &ChatCaller,
    c: &Conversation,
    me: Option<&store::MemberState>,
    found: &chat::Mentions,
) -> ApiResult<()> {
    if (found.here || found.channel)
        && c.member_count > state.config.chat_broadcast_mention_max
        && !who.is_admin()
        && me.is_none_or(|m| m.role != "owner")
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "chat.broadcast_mention_forbidden",
            format!(
                "only admins and the channel owner may notify everyone in channels over {} members",
                state.config.chat_broadcast_mention_max
            ),
        ));
    }
    Ok(())
}

/// A message of a visible conversation, and the conversation and caller's membership.
async fn load(
    tx: &mut Tx,
    who: &ChatCaller,
    cid: ConversationId,
    mid: &str,
) -> ApiResult<(Conversation, Option<store::MemberState>, Message)> {
    let mid: MessageId = parse_id(mid)?;
    let (c, me) = visible(tx, who, cid).await?;
    let m = store::message(tx, cid, mid).await?;
    Ok((c, me, m))
}

/// Reacting and pinning need a member and a message that is not deleted.
fn member_on_live(me: Option<&store::MemberState>, m: &Message) -> ApiResult<()> {
    if me.is_none() {
        return Err(not_member());
    }
    if m.deleted_at.is_some() {
        return Err(ApiError::not_found());
    }
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct ThreadDto {
    pub root: MessageDto,
    /// Oldest first.
    pub replies: Vec<MessageDto>,
}

/// A thread: its first message and the replies.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/thread", operation_id = "get_thread", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = ThreadDto), (status = 404, body = ErrorBody)))]
pub async fn thread(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<ThreadDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mid: MessageId = parse_id(&mid)?;
    let mut conn = state.store.read_conn().await?;
    visible(&mut conn, &who, cid).await?;
    let root = store::message(&mut conn, cid, mid).await?;
    let replies = store::thread_replies(&mut conn, root.id).await?;
    Ok(axum::Json(ThreadDto {
        root: message_dto(&root),
        replies: replies.iter().map(message_dto).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditInput {
    pub body: String,
    /// A bot replaces its buttons and form (an empty object removes them).
    #[serde(default)]
    pub interactive: Option<super::bots::Interactive>,
}

/// Edits one's own message; the old text is kept in its history.
#[utoipa::path(patch, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}", operation_id = "edit_message", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)), request_body = EditInput,
    responses((status = 200, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
    Json(req): Json<EditInput>,
) -> ApiResult<axum::Json<MessageDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    edit_message(&state, &who, cid, &mid, &req)
        .await
        .map(axum::Json)
}

/// Edits `who`'s own message; shared by the endpoint and a bot's answer to a click.
pub async fn edit_message(
    state: &AppState,
    who: &ChatCaller,
    cid: ConversationId,
    mid: &str,
    req: &EditInput,
) -> ApiResult<MessageDto> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me, m) = load(&mut tx, who, cid, mid).await?;
    if m.author.id != who.user_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "chat.not_author",
            "only the author may edit a message",
        ));
    }
    if m.deleted_at.is_some() {
        return Err(ApiError::not_found());
    }
    if c.archived_at.is_some() {
        return Err(archived());
    }
    if m.poll.is_some() {
        return Err(ApiError::invalid(
            "body",
            "chat.poll_not_editable",
            "a poll cannot be edited; close it or delete it",
        ));
    }
    let has_extra = m.attachments != "[]" || m.forwarded.is_some();
    let body = chat::body(&req.body, has_extra).map_err(body_error)?;
    if req.interactive.is_some() {
        let i =
            super::bots::interactive_for(&mut tx, who.user_id, req.interactive.as_ref()).await?;
        kantor_store::integrations::set_interactive(&mut tx, m.id, i.as_deref()).await?;
    }
    if body == m.body {
        if req.interactive.is_none() {
            return Ok(message_dto(&m));
        }
        let m = store::message(&mut tx, cid, m.id).await?;
        emit_message(&mut tx, &c, "chat.message.updated", &m, now).await?;
        tx.commit().await?;
        return Ok(message_dto(&m));
    }
    let found = chat::mentions(&body);
    if !m.mention_here && !m.mention_channel {
        may_broadcast(state, who, &c, me.as_ref(), &found)?;
    }
    let mentions = checked_mentions(&mut tx, who, &found.users).await?;
    store::edit_message(
        &mut tx,
        m.id,
        &body,
        &ids_json(&mentions),
        found.here,
        found.channel,
        now,
    )
    .await?;
    let m = store::message(&mut tx, cid, m.id).await?;
    super::search::index(&mut tx, &m).await?;
    emit_message(&mut tx, &c, "chat.message.updated", &m, now).await?;
    tx.commit().await?;
    Ok(message_dto(&m))
}

#[derive(Serialize, ToSchema)]
pub struct EditDto {
    pub body: String,
    /// When this version was replaced.
    pub edited_at: String,
}

/// Earlier versions of a message, newest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/edits", operation_id = "message_edits", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = Vec<EditDto>), (status = 404, body = ErrorBody)))]
pub async fn edits(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<Vec<EditDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mid: MessageId = parse_id(&mid)?;
    let mut conn = state.store.read_conn().await?;
    visible(&mut conn, &who, cid).await?;
    let m = store::message(&mut conn, cid, mid).await?;
    Ok(axum::Json(
        store::message_edits(&mut conn, m.id)
            .await?
            .into_iter()
            .map(|(body, at)| EditDto {
                body,
                edited_at: rfc3339(at),
            })
            .collect(),
    ))
}

/// Deletes a message (its author, or an organisation admin).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}", operation_id = "delete_message", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, _, m) = load(&mut tx, &who, cid, &mid).await?;
    if m.deleted_at.is_some() {
        return Ok(StatusCode::NO_CONTENT);
    }
    let own = m.author.id == who.user_id;
    if !own {
        if !who.is_admin() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "chat.not_author",
                "only the author or an admin may delete a message",
            ));
        }
        super::require_action(
            &state,
            &caller,
            who.org_id,
            kantor_core::policy::Action::ChatModerate,
        )
        .await?;
        crate::api::audit(
            &mut tx,
            who.org_id,
            Some(who.user_id),
            "chat.message.delete",
            Some(m.id.to_string()),
            serde_json::json!({"conversation_id": cid, "author_id": m.author.id}),
            now,
        )
        .await?;
    }
    store::delete_message(&mut tx, m.id, now).await?;
    let m = store::message(&mut tx, cid, m.id).await?;
    super::search::index(&mut tx, &m).await?;
    let deleted = serde_json::to_string(&message_dto(&m)).unwrap_or_default();
    store::scrub_message_events(&mut tx, who.org_id, m.id, m.created_at, &deleted).await?;
    emit_message(&mut tx, &c, "chat.message.updated", &m, now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn react(
    state: AppState,
    caller: Caller,
    org_id: String,
    cid: String,
    mid: String,
    emoji: String,
    on: bool,
) -> ApiResult<axum::Json<MessageDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me, m) = load(&mut tx, &who, cid, &mid).await?;
    let emoji = chat::emoji(&emoji)?;
    member_on_live(me.as_ref(), &m)?;
    if on
        && store::reaction_count(&mut tx, m.id, who.user_id).await? >= chat::MAX_REACTIONS_PER_USER
    {
        return Err(ApiError::invalid(
            "emoji",
            "chat.too_many_reactions",
            "at most 20 reactions per message",
        ));
    }
    if store::set_reaction(&mut tx, m.id, who.user_id, &emoji, on, now).await? {
        let m = store::message(&mut tx, cid, m.id).await?;
        emit_message(&mut tx, &c, "chat.message.updated", &m, now).await?;
        tx.commit().await?;
        return Ok(axum::Json(message_dto(&m)));
    }
    Ok(axum::Json(message_dto(&m)))
}

/// Adds the caller's reaction (an emoji, or `:short_name:`; URL-encode it).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}", operation_id = "add_reaction", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path), ("emoji" = String, Path)),
    responses((status = 200, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_reaction(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid, emoji)): Path<(String, String, String, String)>,
) -> ApiResult<axum::Json<MessageDto>> {
    react(state, caller, org_id, cid, mid, emoji, true).await
}

/// Takes the caller's reaction back.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/reactions/{emoji}", operation_id = "remove_reaction", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path), ("emoji" = String, Path)),
    responses((status = 200, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn remove_reaction(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid, emoji)): Path<(String, String, String, String)>,
) -> ApiResult<axum::Json<MessageDto>> {
    react(state, caller, org_id, cid, mid, emoji, false).await
}

async fn pin(
    state: AppState,
    caller: Caller,
    org_id: String,
    cid: String,
    mid: String,
    on: bool,
) -> ApiResult<axum::Json<MessageDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me, m) = load(&mut tx, &who, cid, &mid).await?;
    member_on_live(me.as_ref(), &m)?;
    if c.archived_at.is_some() {
        return Err(archived());
    }
    if m.pinned_at.is_some() != on {
        store::set_pinned(&mut tx, m.id, on.then_some(who.user_id), now).await?;
        let m = store::message(&mut tx, cid, m.id).await?;
        emit_message(&mut tx, &c, "chat.message.updated", &m, now).await?;
        tx.commit().await?;
        return Ok(axum::Json(message_dto(&m)));
    }
    Ok(axum::Json(message_dto(&m)))
}

/// Pins a message to the conversation (any member).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/pin", operation_id = "pin_message", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pin_message(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<MessageDto>> {
    pin(state, caller, org_id, cid, mid, true).await
}

/// Unpins a message.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/pin", operation_id = "unpin_message", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = MessageDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unpin_message(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<MessageDto>> {
    pin(state, caller, org_id, cid, mid, false).await
}

/// Pinned messages, most recently pinned first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/pins", operation_id = "list_pins", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)),
    responses((status = 200, body = Vec<MessageDto>), (status = 404, body = ErrorBody)))]
pub async fn pins(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
) -> ApiResult<axum::Json<Vec<MessageDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let mut conn = state.store.read_conn().await?;
    visible(&mut conn, &who, cid).await?;
    Ok(axum::Json(
        store::pinned(&mut conn, cid)
            .await?
            .iter()
            .map(message_dto)
            .collect(),
    ))
}

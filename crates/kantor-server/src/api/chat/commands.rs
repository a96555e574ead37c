//! Slash commands typed in the composer, polls and reminders.
//!
//! `POST …/conversations/{id}/commands` runs one command line where it was typed:
//!
//! - `/poll "question" "option" "option" [--multi]` posts a poll message through the ordinary
//!   write path (so posting rules, search, notifications and idempotency apply); members vote
//!   with `PUT …/messages/{id}/poll/vote`, and every vote updates the message for everyone as
//!   `chat.message.updated`. The author, the channel's owners and admins close it; a vote after
//!   that is 409 `chat.poll_closed`.
//! - `/remind [me|@person|here] what when` stores a reminder; the `chat.remind` job delivers it
//!   at its time — to a person as a direct message from the organisation's own bot "Kantor",
//!   to a conversation as a message of its author. `/remind list` answers one's pending ones.
//! - A bot's own command (registered with `PUT /orgs/{org}/bots/{id}/commands`) reaches the
//!   bot as `chat.bot.command` on its sockets and, when it has an interaction URL, as a signed
//!   POST (`chat.bot.deliver` job); a `{"text": …}` answer is posted by the bot.
//!
//! Times are parsed in the person's own zone ([`kantor_core::command`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kantor_core::chat::Kind;
use kantor_core::command::{self, Remind, RemindTarget};
use kantor_core::event::Audience;
use kantor_core::ids::{ConversationId, MessageId, OrgId, UserId};
use kantor_core::role::MemberStatus;
use kantor_store::chat::{self as store, Conversation};
use kantor_store::commands::{self as cmds, Poll, Reminder};
use kantor_store::jobs::NewJob;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::messages::{message_dto, post_message, EditInput, MessageDto, PostInput};
use super::{chat_caller, chat_member, visible, writable, ChatCaller, UserRefDto};
use crate::api::parse_id;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::outbound;
use crate::state::AppState;

/// The job that delivers a reminder.
pub const REMIND: &str = "chat.remind";
/// The job that POSTs a click or a command to a bot's interaction URL.
pub const BOT_DELIVER: &str = "chat.bot.deliver";
const BOT_ATTEMPTS: i64 = 5;
/// Voters listed per option by `GET …/poll`.
const VOTERS_PER_OPTION: usize = 50;
const MAX_BOT_COMMANDS: usize = 20;

// --- polls -------------------------------------------------------------------------------------

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PollInput {
    pub question: String,
    /// 2 to 10 distinct options.
    pub options: Vec<String>,
    /// Each person may choose several options.
    #[serde(default)]
    pub multiple: bool,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct PollOptionDto {
    pub text: String,
    pub votes: i64,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct PollDto {
    pub question: String,
    pub options: Vec<PollOptionDto>,
    pub multiple: bool,
    /// People who voted.
    pub voters: i64,
    pub closed: bool,
    #[schema(required = true)]
    pub closed_at: Option<String>,
}

pub fn poll_dto(p: &Poll) -> PollDto {
    PollDto {
        question: p.question.clone(),
        options: p
            .options
            .iter()
            .map(|o| PollOptionDto {
                text: o.text.clone(),
                votes: o.votes,
            })
            .collect(),
        multiple: p.multiple,
        voters: p.voters,
        closed: p.closed_at.is_some(),
        closed_at: p.closed_at.map(rfc3339),
    }
}

/// A new poll as a post asks for it, checked.
pub fn poll_of(given: Option<&PollInput>) -> ApiResult<Option<Poll>> {
    let Some(p) = given else {
        return Ok(None);
    };
    let spec = command::poll(&p.question, &p.options, p.multiple)?;
    Ok(Some(Poll::new(spec.question, spec.options, spec.multiple)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteInput {
    /// Option indexes (from 0); one unless the poll allows several; empty withdraws the vote.
    pub options: Vec<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct PollVotersDto {
    pub option: usize,
    /// The first 50 who chose it.
    pub users: Vec<UserRefDto>,
}

#[derive(Serialize, ToSchema)]
pub struct PollStateDto {
    pub poll: PollDto,
    /// The caller's choices.
    pub my_votes: Vec<usize>,
    pub voters: Vec<PollVotersDto>,
}

/// A poll message of a conversation the caller can see; 404 for anything else.
async fn poll_message(
    conn: &mut kantor_store::Conn,
    who: &ChatCaller,
    cid: &str,
    mid: &str,
) -> ApiResult<(Conversation, Option<store::MemberState>, store::Message)> {
    let cid: ConversationId = parse_id(cid)?;
    let mid: MessageId = parse_id(mid)?;
    let (c, me) = visible(conn, who, cid).await?;
    let m = store::message(conn, cid, mid).await?;
    if m.deleted_at.is_some() || m.poll.is_none() {
        return Err(ApiError::not_found());
    }
    Ok((c, me, m))
}

async fn poll_state(
    conn: &mut kantor_store::Conn,
    m: &store::Message,
    poll: &Poll,
    user: UserId,
) -> ApiResult<PollStateDto> {
    let my_votes = cmds::my_votes(conn, m.id, user).await?;
    let mut voters: Vec<PollVotersDto> = (0..poll.options.len())
        .map(|option| PollVotersDto {
            option,
            users: Vec::new(),
        })
        .collect();
    for (o, id, name) in cmds::poll_voters(conn, m.id, VOTERS_PER_OPTION).await? {
        if let Some(v) = voters.get_mut(o) {
            v.users.push(UserRefDto {
                id: id.to_string(),
                name,
                avatar_url: None,
            });
        }
    }
    Ok(PollStateDto {
        poll: poll_dto(poll),
        my_votes,
        voters,
    })
}

/// A poll's counts, the caller's choices and who chose what.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll", operation_id = "get_poll", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = PollStateDto), (status = 404, body = ErrorBody)))]
pub async fn get_poll(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<PollStateDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let (_, _, m) = poll_message(&mut conn, &who, &cid, &mid).await?;
    let poll = m
        .poll
        .as_deref()
        .and_then(Poll::parse)
        .ok_or_else(ApiError::not_found)?;
    Ok(axum::Json(
        poll_state(&mut conn, &m, &poll, who.user_id).await?,
    ))
}

/// Votes (replacing one's earlier choice). Members of the conversation only; 409
/// `chat.poll_closed` once the poll is closed.
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll/vote", operation_id = "vote_poll", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)), request_body = VoteInput,
    responses((status = 200, body = PollStateDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn vote(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
    Json(req): Json<VoteInput>,
) -> ApiResult<axum::Json<PollStateDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me, m) = poll_message(&mut tx, &who, &cid, &mid).await?;
    writable(&c, me.as_ref())?;
    let mut poll = cmds::lock_poll(&mut tx, m.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if poll.closed_at.is_some() {
        return Err(ApiError::conflict(
            "chat.poll_closed",
            "this poll is closed",
        ));
    }
    let mut options = req.options.clone();
    options.sort_unstable();
    options.dedup();
    if options.iter().any(|o| *o >= poll.options.len()) || (!poll.multiple && options.len() > 1) {
        return Err(ApiError::invalid(
            "options",
            "chat.poll_option",
            "choose existing options (one unless the poll allows several)",
        ));
    }
    cmds::vote(&mut tx, m.id, &mut poll, who.user_id, &options, now).await?;
    let m = store::message(&mut tx, c.id, m.id).await?;
    super::messages::emit_updated(&mut tx, &c, &m, now).await?;
    let out = poll_state(&mut tx, &m, &poll, who.user_id).await?;
    tx.commit().await?;
    Ok(axum::Json(out))
}

/// Closes a poll: its author, the conversation's owners and admins.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/poll/close", operation_id = "close_poll", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = PollStateDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn close_poll(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
) -> ApiResult<axum::Json<PollStateDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, me, m) = poll_message(&mut tx, &who, &cid, &mid).await?;
    let owner = me.as_ref().is_some_and(|m| m.role == "owner");
    if m.author.id != who.user_id && !owner && !who.is_admin() {
        return Err(ApiError::forbidden());
    }
    let mut poll = cmds::lock_poll(&mut tx, m.id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if poll.closed_at.is_none() {
        poll.closed_at = Some(now);
        cmds::set_poll(&mut tx, m.id, &poll).await?;
        let m = store::message(&mut tx, c.id, m.id).await?;
        super::messages::emit_updated(&mut tx, &c, &m, now).await?;
    }
    let out = poll_state(&mut tx, &m, &poll, who.user_id).await?;
    tx.commit().await?;
    Ok(axum::Json(out))
}

// --- the command list and running a command ----------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct CommandDto {
    /// Without the slash.
    pub name: String,
    pub description: String,
    pub usage: String,
    /// The bot that answers it; none for built-ins.
    #[schema(required = true)]
    pub bot: Option<UserRefDto>,
}

/// The commands one may type: the built-ins, then the organisation's bots' commands.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/commands", operation_id = "list_commands", tag = "chat", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<CommandDto>), (status = 404, body = ErrorBody)))]
pub async fn list_commands(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<CommandDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let mut out = vec![
        CommandDto {
            name: "poll".into(),
            description: "Ask a question with options everyone can vote on".into(),
            usage: "\"question\" \"option 1\" \"option 2\" [--multi]".into(),
            bot: None,
        },
        CommandDto {
            name: "remind".into(),
            description: "Set a reminder for yourself, someone or this conversation".into(),
            usage: "[me|@person|here] what in 10 minutes | at 14:30 | tomorrow | list".into(),
            bot: None,
        },
    ];
    let mut conn = state.store.read_conn().await?;
    for c in cmds::bot_commands(&mut conn, who.org_id).await? {
        out.push(CommandDto {
            name: c.name,
            description: c.description,
            usage: c.usage,
            bot: Some(UserRefDto {
                id: c.bot_user_id.to_string(),
                name: c.bot_name,
                avatar_url: None,
            }),
        });
    }
    Ok(axum::Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandInput {
    /// The whole line as typed, starting with `/`.
    pub text: String,
    /// Made once per command by the client; a retry with it does not run the command twice.
    pub client_key: String,
    /// Typed in a thread: a poll goes there, a bot is told.
    pub thread_root_id: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CommandOutcome {
    /// A poll was posted: `message`.
    Poll,
    /// A reminder was set: `reminder`.
    ReminderSet,
    /// `/remind list`: `reminders`.
    ReminderList,
    /// Handed to `bot`, which answers in the conversation.
    Bot,
}

#[derive(Serialize, ToSchema)]
pub struct ReminderDto {
    pub id: String,
    pub text: String,
    pub due_at: String,
    /// Whom it reminds: yourself, someone else (`user`) or a conversation (`conversation_id`).
    pub target: ReminderTarget,
    #[schema(required = true)]
    pub user: Option<UserRefDto>,
    #[schema(required = true)]
    pub conversation_id: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReminderTarget {
    Me,
    Person,
    Conversation,
}

#[derive(Serialize, ToSchema)]
pub struct CommandResultDto {
    pub outcome: CommandOutcome,
    #[schema(required = true)]
    pub message: Option<MessageDto>,
    #[schema(required = true)]
    pub reminder: Option<ReminderDto>,
    pub reminders: Vec<ReminderDto>,
    #[schema(required = true)]
    pub bot: Option<UserRefDto>,
}

impl CommandResultDto {
    fn new(outcome: CommandOutcome) -> Self {
        CommandResultDto {
            outcome,
            message: None,
            reminder: None,
            reminders: Vec::new(),
            bot: None,
        }
    }
}

fn client_key(key: &str) -> ApiResult<&str> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 || key.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(ApiError::invalid(
            "client_key",
            "validation.invalid",
            "client_key is 1 to 100 characters without spaces",
        ));
    }
    Ok(key)
}

/// Runs a slash command typed in a conversation.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/commands", operation_id = "run_command", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = CommandInput,
    responses((status = 200, body = CommandResultDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run_command(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<CommandInput>,
) -> ApiResult<axum::Json<CommandResultDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let key = client_key(&req.client_key)?;
    if req.text.chars().count() > kantor_core::chat::MAX_BODY_CHARS {
        return Err(ApiError::too_large(
            "chat.message_too_long",
            "the command is too long",
        ));
    }
    let (name, args) = command::split(&req.text).ok_or_else(|| {
        ApiError::invalid("text", "chat.unknown_command", "a command starts with /")
    })?;
    let (c, me) = visible(&mut *state.store.read_conn().await?, &who, cid).await?;
    writable(&c, me.as_ref())?;
    match command::built_in(&name) {
        Some("poll") => {
            let spec = command::parse_poll(args)?;
            let post = PostInput {
                thread_root_id: req.thread_root_id.clone(),
                poll: Some(PollInput {
                    question: spec.question,
                    options: spec.options,
                    multiple: spec.multiple,
                }),
                ..PostInput::text(key.to_string(), String::new())
            };
            let (_, m) = post_message(&state, &who, cid, &post).await?;
            let mut out = CommandResultDto::new(CommandOutcome::Poll);
            out.message = Some(message_dto(&m));
            Ok(axum::Json(out))
        }
        Some(_) => remind(&state, &who, &c, args, key).await.map(axum::Json),
        None => bot_command(&state, &who, &c, &name, args, key, req.thread_root_id)
            .await
            .map(axum::Json),
    }
}

// --- /remind -----------------------------------------------------------------------------------

async fn reminder_dto(conn: &mut kantor_store::Conn, r: &Reminder) -> ApiResult<ReminderDto> {
    let (target, user) = match (r.target_user_id, r.conversation_id) {
        (Some(u), _) if u == r.created_by => (ReminderTarget::Me, None),
        (Some(u), _) => (
            ReminderTarget::Person,
            Some(UserRefDto::from(&store::user_ref(conn, u).await?)),
        ),
        _ => (ReminderTarget::Conversation, None),
    };
    Ok(ReminderDto {
        id: r.id.clone(),
        text: r.text.clone(),
        due_at: rfc3339(r.due_at),
        target,
        user,
        conversation_id: r.conversation_id.map(|c| c.to_string()),
    })
}

async fn remind(
    state: &AppState,
    who: &ChatCaller,
    c: &Conversation,
    args: &str,
    key: &str,
) -> ApiResult<CommandResultDto> {
    let user = state.store.user(who.user_id).await?;
    let zone = crate::clock::user_zone(&user.time_zone);
    let now = state.clock.now_ms();
    let now_ts = jiff::Timestamp::from_millisecond(now).map_err(|e| anyhow::anyhow!(e))?;
    let parsed = command::parse_remind(args, now_ts, &zone)?;
    let mut conn = state.store.read_conn().await?;
    let (target, what, at) = match parsed {
        Remind::List => {
            let mut out = CommandResultDto::new(CommandOutcome::ReminderList);
            for r in cmds::pending_reminders(&mut conn, who.org_id, who.user_id).await? {
                out.reminders.push(reminder_dto(&mut conn, &r).await?);
            }
            return Ok(out);
        }
        Remind::Set { target, what, at } => (target, what, at),
    };
    if let Some(done) = cmds::reminder_by_client_key(&mut conn, who.user_id, key).await? {
        let mut out = CommandResultDto::new(CommandOutcome::ReminderSet);
        out.reminder = Some(reminder_dto(&mut conn, &done).await?);
        return Ok(out);
    }
    let (target_user_id, conversation_id) = match target {
        RemindTarget::Me => (Some(who.user_id), None),
        RemindTarget::Here => (None, Some(c.id)),
        RemindTarget::Person(id) => {
            let bad = || {
                ApiError::invalid(
                    "text",
                    "chat.unknown_person",
                    "mention someone of this organisation",
                )
            };
            let id: UserId = id.parse().map_err(|_| bad())?;
            let m = kantor_store::orgs::membership(&mut conn, who.org_id, id)
                .await
                .map_err(|_| bad())?;
            if m.status != MemberStatus::Active
                || kantor_store::integrations::is_bot(&mut conn, id).await?
            {
                return Err(bad());
            }
            (Some(id), None)
        }
    };
    drop(conn);
    let due_at = at.as_millisecond();
    let mut tx = state.store.begin().await?;
    if cmds::pending_reminder_count(&mut tx, who.user_id).await? >= cmds::MAX_PENDING_REMINDERS {
        return Err(ApiError::invalid(
            "text",
            "chat.too_many_reminders",
            "at most 100 pending reminders; cancel some first",
        ));
    }
    let id = cmds::insert_reminder(
        &mut tx,
        &cmds::NewReminder {
            client_key: key,
            org_id: who.org_id,
            created_by: who.user_id,
            target_user_id,
            conversation_id,
            text: &what,
            due_at,
        },
        now,
    )
    .await?;
    kantor_store::jobs::schedule(
        &mut tx,
        &NewJob {
            kind: REMIND,
            payload: &serde_json::json!({"reminder_id": id}),
            run_at: due_at,
            max_attempts: 5,
            dedupe_key: Some(&format!("{REMIND}:{id}")),
        },
        now,
    )
    .await?;
    crate::api::emit(
        &mut tx,
        Audience::User {
            user_id: who.user_id,
        },
        "chat.reminders.changed",
        serde_json::json!({}),
        now,
    )
    .await?;
    let r = cmds::reminder(&mut tx, &id).await?;
    let dto = reminder_dto(&mut tx, &r).await?;
    tx.commit().await?;
    let mut out = CommandResultDto::new(CommandOutcome::ReminderSet);
    out.reminder = Some(dto);
    Ok(out)
}

/// One's pending reminders in this organisation, soonest first.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/reminders", operation_id = "list_reminders", tag = "chat", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<ReminderDto>), (status = 404, body = ErrorBody)))]
pub async fn list_reminders(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<ReminderDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let mut out = Vec::new();
    for r in cmds::pending_reminders(&mut conn, who.org_id, who.user_id).await? {
        out.push(reminder_dto(&mut conn, &r).await?);
    }
    Ok(axum::Json(out))
}

/// Cancels one of one's pending reminders (409 `chat.reminder_done` once delivered).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/reminders/{reminder_id}", operation_id = "cancel_reminder", tag = "chat", params(("org_id" = String, Path), ("reminder_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_reminder(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let r = match cmds::reminder(&mut tx, &id).await {
        Ok(r) if r.created_by == who.user_id && r.org_id == who.org_id => r,
        Ok(_) | Err(kantor_store::StoreError::NotFound) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if !cmds::move_reminder(&mut tx, &r.id, "pending", "cancelled").await? {
        return Err(ApiError::conflict(
            "chat.reminder_done",
            "this reminder was already delivered or cancelled",
        ));
    }
    crate::api::emit(
        &mut tx,
        Audience::User {
            user_id: who.user_id,
        },
        "chat.reminders.changed",
        serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's own bot, made on first use (a concurrent first use wins; read it then).
async fn system_bot(state: &AppState, org_id: OrgId) -> anyhow::Result<UserId> {
    for _ in 0..2 {
        let mut tx = state.store.begin().await?;
        match cmds::system_bot(&mut tx, org_id, state.clock.now_ms()).await {
            Ok(bot) => {
                tx.commit().await?;
                return Ok(bot);
            }
            Err(kantor_store::StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("could not make the organisation's bot")
}

/// Posts `body` to `person` as a direct message from the organisation's Kantor bot; `key` makes
/// a retried delivery one message.
pub async fn dm_from_kantor(
    state: &AppState,
    org_id: OrgId,
    person: UserId,
    body: String,
    key: String,
) -> anyhow::Result<()> {
    let (who, dm) = kantor_dm(state, org_id, person).await?;
    post_message(state, &who, dm, &PostInput::text(key, body))
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    Ok(())
}

/// The Kantor bot as a poster, and its direct message with `person` (both made when new).
async fn kantor_dm(
    state: &AppState,
    org_id: OrgId,
    person: UserId,
) -> anyhow::Result<(ChatCaller, ConversationId)> {
    let bot = system_bot(state, org_id).await?;
    let dm = bot_dm(state, org_id, bot, person).await?;
    let who = chat_member(state, org_id, bot)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    Ok((who, dm))
}

/// The direct message between a bot and a person, made (with membership events) when new.
async fn bot_dm(
    state: &AppState,
    org_id: OrgId,
    bot: UserId,
    person: UserId,
) -> anyhow::Result<ConversationId> {
    let mut pair = [bot, person];
    pair.sort();
    let key = format!("{}:{}", pair[0], pair[1]);
    if let Some(id) = store::dm_by_key(&mut *state.store.read_conn().await?, org_id, &key).await? {
        return Ok(id);
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let made = store::insert_conversation(
        &mut tx,
        &store::NewConversation {
            org_id,
            kind: Kind::Dm,
            name: None,
            topic: "",
            description: "",
            dm_key: Some(&key),
            created_by: bot,
        },
        now,
    )
    .await;
    let id = match made {
        Ok(id) => id,
        Err(kantor_store::StoreError::Conflict(_)) => {
            drop(tx);
            return store::dm_by_key(&mut *state.store.read_conn().await?, org_id, &key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("direct message vanished"));
        }
        Err(e) => return Err(e.into()),
    };
    store::add_members(&mut tx, org_id, id, &pair, "member", now).await?;
    let c = store::conversation(&mut tx, org_id, id).await?;
    for u in pair {
        super::emit_membership(&mut tx, &c, u, true, now)
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The job: delivers a reminder unless it was cancelled. A person gets it as a direct message
/// from the organisation's bot, in their own language; a conversation gets it from the
/// reminder's author. A reminder that can no longer be delivered is marked failed.
pub async fn run_remind(state: &AppState, payload: &str) -> anyhow::Result<()> {
    #[derive(Deserialize)]
    struct Payload {
        reminder_id: String,
    }
    let p: Payload = serde_json::from_str(payload)?;
    let r = cmds::reminder(&mut *state.store.read_conn().await?, &p.reminder_id).await?;
    if r.status != "pending" {
        return Ok(());
    }
    let key = format!("reminder:{}", r.id);
    let posted = match (r.target_user_id, r.conversation_id) {
        (Some(person), _) => {
            let user = state.store.user(person).await?;
            let english = user.language == "en";
            let body = match (person == r.created_by, english) {
                (true, false) => format!("⏰ Pengingat: {}", r.text),
                (true, true) => format!("⏰ Reminder: {}", r.text),
                (false, false) => format!("⏰ Pengingat dari <@{}>: {}", r.created_by, r.text),
                (false, true) => format!("⏰ Reminder from <@{}>: {}", r.created_by, r.text),
            };
            let (who, dm) = kantor_dm(state, r.org_id, person).await?;
            post_message(state, &who, dm, &PostInput::text(key, body)).await
        }
        (None, Some(cid)) => match chat_member(state, r.org_id, r.created_by).await {
            Ok(who) => {
                let user = state.store.user(r.created_by).await?;
                let body = if user.language == "en" {
                    format!("⏰ Reminder: {}", r.text)
                } else {
                    format!("⏰ Pengingat: {}", r.text)
                };
                post_message(state, &who, cid, &PostInput::text(key, body)).await
            }
            Err(e) => Err(e),
        },
        (None, None) => anyhow::bail!("reminder {} has no target", r.id),
    };
    let status = match posted {
        Ok(_) => "sent",
        Err(e) if e.status.is_client_error() => {
            tracing::info!(reminder = %r.id, code = e.code, "reminder could not be delivered");
            "failed"
        }
        Err(e) => anyhow::bail!("delivering reminder: {}", e.code),
    };
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if cmds::move_reminder(&mut tx, &r.id, "pending", status).await? {
        crate::api::emit(
            &mut tx,
            Audience::User {
                user_id: r.created_by,
            },
            "chat.reminders.changed",
            serde_json::json!({}),
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    }
    tx.commit().await?;
    Ok(())
}

// --- bots' commands and interaction URLs -------------------------------------------------------

#[allow(clippy::too_many_arguments)]
async fn bot_command(
    state: &AppState,
    who: &ChatCaller,
    c: &Conversation,
    name: &str,
    args: &str,
    key: &str,
    thread_root_id: Option<String>,
) -> ApiResult<CommandResultDto> {
    let mut conn = state.store.read_conn().await?;
    let found = cmds::bot_commands(&mut conn, who.org_id)
        .await?
        .into_iter()
        .find(|b| b.name == name)
        .ok_or_else(|| {
            ApiError::invalid(
                "text",
                "chat.unknown_command",
                format!("/{name} is not a command here"),
            )
        })?;
    let bot_in = store::conversation_for(&mut conn, who.org_id, c.id, found.bot_user_id)
        .await?
        .1
        .is_some();
    if !bot_in {
        return Err(ApiError::invalid(
            "text",
            "chat.bot_not_in_conversation",
            format!("add {} to this conversation first", found.bot_name),
        ));
    }
    let thread = super::thread_root(&mut conn, c.id, thread_root_id.as_deref()).await?;
    let clicker = store::user_ref(&mut conn, who.user_id).await?;
    drop(conn);
    let body = serde_json::json!({
        "type": "command",
        "org_id": c.org_id,
        "conversation_id": c.id,
        "thread_root_id": thread,
        "command": format!("/{name}"),
        "text": args,
        "client_key": key,
        "user": {"id": clicker.id, "name": clicker.name},
    });
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    crate::api::emit(
        &mut tx,
        Audience::User {
            user_id: found.bot_user_id,
        },
        "chat.bot.command",
        body.clone(),
        now,
    )
    .await?;
    schedule_bot_delivery(&mut tx, found.bot_user_id, c, thread, None, &body, key, now).await?;
    tx.commit().await?;
    let mut out = CommandResultDto::new(CommandOutcome::Bot);
    out.bot = Some(UserRefDto {
        id: found.bot_user_id.to_string(),
        name: found.bot_name,
        avatar_url: None,
    });
    Ok(out)
}

/// Queues a POST of `body` to the bot's interaction URL, when it has one (in the caller's
/// transaction). `key` makes a retried command or click one delivery.
#[allow(clippy::too_many_arguments)]
pub async fn schedule_bot_delivery(
    tx: &mut kantor_store::Tx,
    bot: UserId,
    c: &Conversation,
    thread: Option<MessageId>,
    message_id: Option<MessageId>,
    body: &serde_json::Value,
    key: &str,
    now: i64,
) -> ApiResult<()> {
    if cmds::bot_endpoint(&mut *tx, bot).await?.is_none() {
        return Ok(());
    }
    let payload = serde_json::json!({
        "bot_user_id": bot,
        "org_id": c.org_id,
        "conversation_id": c.id,
        "thread_root_id": thread,
        "message_id": message_id,
        "key": key,
        "body": body,
    });
    let dedupe = format!("{BOT_DELIVER}:{bot}:{key}");
    kantor_store::jobs::schedule(
        &mut *tx,
        &NewJob {
            kind: BOT_DELIVER,
            payload: &payload,
            run_at: now,
            max_attempts: BOT_ATTEMPTS,
            dedupe_key: Some(&dedupe),
        },
        now,
    )
    .await?;
    Ok(())
}

/// What a bot or an outgoing webhook's target may answer: a message to post, or (for a click)
/// the clicked message's new content.
#[derive(Deserialize, Default)]
pub struct Answer {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub interactive: Option<super::bots::Interactive>,
    /// For a click: edit the clicked message instead of posting a new one.
    #[serde(default)]
    pub replace_original: bool,
}

impl Answer {
    /// The answer in a reply body, if it has anything to say.
    pub fn parse(body: &[u8]) -> Option<Answer> {
        let a: Answer = serde_json::from_slice(body).ok()?;
        (!a.text.trim().is_empty()).then_some(a)
    }
}

/// Posts `answer` as `bot` into the conversation (joining a public channel it is not in).
pub async fn post_answer(
    state: &AppState,
    bot: UserId,
    c: &Conversation,
    thread: Option<MessageId>,
    answer: &Answer,
    key: String,
) -> ApiResult<store::Message> {
    ensure_member(state, c, bot).await?;
    let who = chat_member(state, c.org_id, bot).await?;
    let post = PostInput {
        thread_root_id: thread.map(|t| t.to_string()),
        interactive: answer.interactive.clone(),
        ..PostInput::text(key, answer.text.clone())
    };
    post_message(state, &who, c.id, &post).await.map(|(_, m)| m)
}

/// A bot that is not in a public channel joins it to answer there (as Slack apps do when
/// invoked in a public channel); private conversations need someone to add it.
async fn ensure_member(state: &AppState, c: &Conversation, bot: UserId) -> ApiResult<()> {
    let mut conn = state.store.read_conn().await?;
    if store::conversation_for(&mut conn, c.org_id, c.id, bot)
        .await?
        .1
        .is_some()
        || c.kind != Kind::Public
    {
        return Ok(());
    }
    drop(conn);
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let added = store::add_members(&mut tx, c.org_id, c.id, &[bot], "member", now).await?;
    if !added.is_empty() {
        super::emit_membership(&mut tx, c, bot, true, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
struct BotDelivery {
    bot_user_id: UserId,
    org_id: OrgId,
    conversation_id: ConversationId,
    thread_root_id: Option<MessageId>,
    message_id: Option<MessageId>,
    key: String,
    body: serde_json::Value,
}

/// The job: POSTs a click or a command, signed, to the bot's interaction URL (address checked
/// again at send time), records the outcome, and carries out the answer.
pub async fn run_bot_delivery(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let d: BotDelivery = serde_json::from_str(payload)?;
    let (endpoint, allowed) = {
        let mut conn = state.store.read_conn().await?;
        let Some(e) = cmds::bot_endpoint(&mut conn, d.bot_user_id).await? else {
            return Ok(());
        };
        let allowed = kantor_store::integrations::allowed_hosts(&mut conn, d.org_id).await?;
        (e, allowed)
    };
    let now = state.clock.now_ms();
    let body = serde_json::to_vec(&d.body)?;
    let result = match outbound::check(&endpoint.url, &allowed).await {
        Ok(target) => {
            outbound::post_signed(&target, &endpoint.signing_secret, now / 1000, &body).await
        }
        Err(e) => Err(anyhow::anyhow!("address refused at send time: {e}")),
    };
    let error = result.as_ref().err().map(|e| {
        let s = format!("{e:#}");
        s.chars().take(300).collect::<String>()
    });
    let mut tx = state.store.begin().await?;
    cmds::record_bot_delivery(&mut tx, d.bot_user_id, error.as_deref(), now).await?;
    tx.commit().await?;
    let reply = match result {
        Ok(reply) => reply,
        Err(e) => {
            tracing::warn!(bot = %d.bot_user_id, error = %error.unwrap_or_default(), "bot delivery failed");
            return Err(e);
        }
    };
    let Some(answer) = Answer::parse(&reply.body) else {
        return Ok(());
    };
    let c = store::conversation(
        &mut *state.store.read_conn().await?,
        d.org_id,
        d.conversation_id,
    )
    .await?;
    let done = match (answer.replace_original, d.message_id) {
        (true, Some(mid)) => {
            let who = chat_member(state, d.org_id, d.bot_user_id).await;
            match who {
                Ok(who) => {
                    let edit = EditInput {
                        body: answer.text.clone(),
                        interactive: answer
                            .interactive
                            .clone()
                            .or_else(|| Some(super::bots::Interactive::default())),
                    };
                    super::messages::edit_message(state, &who, c.id, &mid.to_string(), &edit)
                        .await
                        .map(|_| ())
                }
                Err(e) => Err(e),
            }
        }
        _ => {
            let key = format!("bot-answer:{}", d.key);
            post_answer(state, d.bot_user_id, &c, d.thread_root_id, &answer, key)
                .await
                .map(|_| ())
        }
    };
    if let Err(e) = done {
        // The answer itself was refused (left the channel, bad content): not worth retrying.
        tracing::info!(bot = %d.bot_user_id, code = e.code, "bot answer not posted");
    }
    Ok(())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotCommandInput {
    /// Without the slash: 1–32 of a-z, 0-9, - and _.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// What follows the name, e.g. `[environment]`.
    #[serde(default)]
    pub usage: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotCommandsInput {
    /// At most 20; replaces the bot's commands.
    pub commands: Vec<BotCommandInput>,
}

/// A bot of this organisation that the caller may configure: the bot itself, or an admin.
async fn configurable_bot(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    user_id: &str,
) -> ApiResult<(ChatCaller, UserId)> {
    let who = chat_caller(state, caller, org_id).await?;
    let bot: UserId = parse_id(user_id)?;
    if who.user_id != bot && !who.is_admin() {
        return Err(ApiError::forbidden());
    }
    let mut conn = state.store.read_conn().await?;
    let m = kantor_store::orgs::membership(&mut conn, who.org_id, bot).await?;
    if m.status != MemberStatus::Active
        || !kantor_store::integrations::is_admin_bot(&mut conn, bot).await?
    {
        return Err(ApiError::not_found());
    }
    Ok((who, bot))
}

/// Replaces a bot's slash commands (the bot with its token, or an admin).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/bots/{user_id}/commands", operation_id = "set_bot_commands", tag = "integrations", params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = BotCommandsInput,
    responses((status = 200, body = Vec<CommandDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_bot_commands(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
    Json(req): Json<BotCommandsInput>,
) -> ApiResult<axum::Json<Vec<CommandDto>>> {
    let (who, bot) = configurable_bot(&state, &caller, &org_id, &user_id).await?;
    if req.commands.len() > MAX_BOT_COMMANDS {
        return Err(ApiError::invalid(
            "commands",
            "validation.invalid",
            "at most 20 commands per bot",
        ));
    }
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for c in &req.commands {
        let name = command::bot_command_name(&c.name)?;
        if rows.iter().any(|(n, _, _)| *n == name) {
            return Err(ApiError::invalid(
                "name",
                "validation.invalid",
                "each command appears once",
            ));
        }
        let description =
            kantor_core::validate::optional_text("description", Some(&c.description), 200)?
                .unwrap_or_default();
        let usage =
            kantor_core::validate::optional_text("usage", Some(&c.usage), 200)?.unwrap_or_default();
        rows.push((name, description, usage));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    match cmds::set_bot_commands(&mut tx, who.org_id, bot, &rows, now).await {
        Ok(()) => {}
        Err(kantor_store::StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(
                "chat.command_taken",
                "another bot has a command with this name",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "bot.commands",
        Some(&bot.to_string()),
        &serde_json::json!({"commands": rows.iter().map(|r| &r.0).collect::<Vec<_>>()}),
        now,
    )
    .await?;
    crate::api::emit(
        &mut tx,
        Audience::Org { org_id: who.org_id },
        "chat.commands.changed",
        serde_json::json!({}),
        now,
    )
    .await?;
    let all = cmds::bot_commands(&mut tx, who.org_id).await?;
    tx.commit().await?;
    Ok(axum::Json(
        all.into_iter()
            .filter(|c| c.bot_user_id == bot)
            .map(|c| CommandDto {
                name: c.name,
                description: c.description,
                usage: c.usage,
                bot: Some(UserRefDto {
                    id: c.bot_user_id.to_string(),
                    name: c.bot_name,
                    avatar_url: None,
                }),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionUrlInput {
    /// https URL the bot's clicks and commands are POSTed to; null removes it.
    pub url: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct InteractionUrlDto {
    #[schema(required = true)]
    pub url: Option<String>,
    /// Signs deliveries (`X-Kantor-Signature`, as outgoing webhooks); shown once, when set.
    #[schema(required = true)]
    pub signing_secret: Option<String>,
}

/// Sets or removes a bot's interaction URL (the bot, or an admin). The address is checked as
/// for outgoing webhooks (422 `webhook.address_refused` for private ranges not allow-listed).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/bots/{user_id}/interaction-url", operation_id = "set_bot_interaction_url", tag = "integrations", params(("org_id" = String, Path), ("user_id" = String, Path)), request_body = InteractionUrlInput,
    responses((status = 200, body = InteractionUrlDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_interaction_url(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
    Json(req): Json<InteractionUrlInput>,
) -> ApiResult<axum::Json<InteractionUrlDto>> {
    let (who, bot) = configurable_bot(&state, &caller, &org_id, &user_id).await?;
    let url = req.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let secret = match url {
        Some(u) => {
            if u.len() > 2000 {
                return Err(ApiError::invalid(
                    "url",
                    "validation.too_long",
                    "URL too long",
                ));
            }
            let allowed = kantor_store::integrations::allowed_hosts(
                &mut *state.store.read_conn().await?,
                who.org_id,
            )
            .await?;
            outbound::check(u, &allowed)
                .await
                .map_err(super::webhooks::refusal)?;
            Some(crate::secrets::new_token("kb_"))
        }
        None => None,
    };
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    cmds::set_bot_endpoint(&mut tx, who.org_id, bot, url.zip(secret.as_deref())).await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "bot.interaction_url",
        Some(&bot.to_string()),
        &serde_json::json!({"url": url}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(InteractionUrlDto {
        url: url.map(str::to_string),
        signing_secret: secret,
    }))
}

//! Webhooks: incoming (a secret URL that posts into one channel) and outgoing (messages that
//! match a channel and/or a trigger word are POSTed, signed, to a configured URL).
//!
//! **An incoming webhook posts as its own bot user**, named after the webhook, created with it
//! and made a `poster` of its channel. So its messages go through the one chat write path
//! ([`post_message`]): events, unread counts, mentions, posting rules and search all apply, and
//! readers see which integration wrote what. Deleting the webhook deactivates its bot.
//!
//! **Outgoing deliveries never run in the post path.** A matching post schedules a job
//! (`chat.webhook.deliver`) in its own transaction, so the job exists if and only if the
//! message does; the job runner makes the HTTP call ([`crate::outbound`]: address re-checked,
//! signed, 5 s timeout, no redirects) and retries with exponential back-off, 5 tries. Each
//! attempt's outcome is kept on the webhook (`last_status`, `last_error`, `failures`).

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use dashmap::DashMap;
use kantor_core::chat::Kind;
use kantor_core::ids::{ConversationId, MessageId, OrgId, UserId, WebhookId};
use kantor_core::role::MemberStatus;
use kantor_store::chat::{self as store, Conversation, Message};
use kantor_store::integrations::{self as hooks, IncomingWebhook, OutgoingWebhook};
use kantor_store::jobs::NewJob;
use kantor_store::Tx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::messages::{post_message, PostInput};
use super::{chat_caller, chat_member, visible, ChatCaller};
use crate::api::parse_id;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::outbound::{self, Refusal};
use crate::state::AppState;

/// The job kind that delivers one message to one outgoing webhook.
pub const DELIVER: &str = "chat.webhook.deliver";
/// The largest body an incoming webhook accepts.
pub const MAX_INCOMING_BYTES: usize = 16 * 1024;
/// Posts per webhook per minute (on each node).
const RATE_PER_MINUTE: u32 = 60;
/// Tries of one outgoing delivery (back-off from the job runner: 1, 2, 4, 8 minutes).
const DELIVERY_ATTEMPTS: i64 = 5;

// --- DTOs --------------------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct IncomingWebhookDto {
    pub id: String,
    pub conversation_id: String,
    pub name: String,
    /// The bot user its messages are posted as.
    pub bot_user_id: String,
    pub created_at: String,
}

fn incoming_dto(h: &IncomingWebhook) -> IncomingWebhookDto {
    IncomingWebhookDto {
        id: h.id.to_string(),
        conversation_id: h.conversation_id.to_string(),
        name: h.name.clone(),
        bot_user_id: h.bot_user_id.to_string(),
        created_at: rfc3339(h.created_at),
    }
}

/// A new incoming webhook with its URL — shown once; only a hash of its secret is kept.
#[derive(Serialize, ToSchema)]
pub struct CreatedIncomingWebhookDto {
    #[serde(flatten)]
    pub webhook: IncomingWebhookDto,
    /// `{public_url}/hooks/{secret}` (a path starting with `/hooks/` when no public URL is set).
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct OutgoingWebhookDto {
    pub id: String,
    /// Absent: every public channel (then trigger words are required).
    #[schema(required = true)]
    pub conversation_id: Option<String>,
    pub name: String,
    pub url: String,
    pub trigger_words: Vec<String>,
    pub created_at: String,
    /// `ok` or `failed` after the last delivery attempt; absent before the first.
    #[schema(required = true)]
    pub last_status: Option<String>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    #[schema(required = true)]
    pub last_attempt_at: Option<String>,
    /// Failed attempts since the last success.
    pub failures: i64,
}

fn outgoing_dto(h: &OutgoingWebhook) -> OutgoingWebhookDto {
    OutgoingWebhookDto {
        id: h.id.to_string(),
        conversation_id: h.conversation_id.map(|c| c.to_string()),
        name: h.name.clone(),
        url: h.url.clone(),
        trigger_words: h.trigger_words.clone(),
        created_at: rfc3339(h.created_at),
        last_status: h.last_status.clone(),
        last_error: h.last_error.clone(),
        last_attempt_at: h.last_attempt_at.map(rfc3339),
        failures: h.failures,
    }
}

/// A new outgoing webhook with its signing secret — shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedOutgoingWebhookDto {
    #[serde(flatten)]
    pub webhook: OutgoingWebhookDto,
    /// The HMAC-SHA256 key of `X-Kantor-Signature`.
    pub signing_secret: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllowListDto {
    /// Host names or IP addresses that outgoing webhooks may reach although they resolve to
    /// private or loopback addresses (and over plain http).
    pub hosts: Vec<String>,
}

// --- helpers -----------------------------------------------------------------------------------

fn require_admin(who: &ChatCaller) -> ApiResult<()> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Names of webhooks and bots: 1–80 characters, no control characters.
pub(super) fn check_name(name: &str) -> ApiResult<String> {
    Ok(kantor_core::validate::text("name", name, MAX_NAME_CHARS)?)
}

const MAX_NAME_CHARS: usize = 80;

fn bad_conversation() -> ApiError {
    ApiError::invalid(
        "conversation_id",
        "webhook.not_channel",
        "pick a channel you can see",
    )
}

pub(super) fn refusal(e: Refusal) -> ApiError {
    match e {
        Refusal::Address => ApiError::invalid(
            "url",
            "webhook.address_refused",
            "the address is private, loopback or reserved; an admin can allow the host",
        ),
        Refusal::Scheme => ApiError::invalid(
            "url",
            "webhook.https_required",
            "use https (plain http only for allow-listed hosts)",
        ),
        Refusal::Unresolved => ApiError::invalid(
            "url",
            "webhook.unresolvable",
            "the host name does not resolve",
        ),
        Refusal::BadUrl => ApiError::invalid("url", "validation.invalid", "not an http(s) URL"),
    }
}

fn hook_url(state: &AppState, secret: &str) -> String {
    let base = state
        .config
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/');
    format!("{base}/hooks/{secret}")
}

// --- incoming: configuration -------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncomingWebhookInput {
    /// A channel (public or private).
    pub conversation_id: String,
    /// Also the name its bot user shows with its messages.
    pub name: String,
}

/// Creates an incoming webhook for a channel (organisation admins, and the channel's owners).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/webhooks/incoming", operation_id = "create_incoming_webhook", tag = "integrations", params(("org_id" = String, Path)), request_body = NewIncomingWebhookInput,
    responses((status = 201, body = CreatedIncomingWebhookDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_incoming(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<NewIncomingWebhookInput>,
) -> ApiResult<(StatusCode, axum::Json<CreatedIncomingWebhookDto>)> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let name = check_name(&req.name)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let cid: Option<ConversationId> = req.conversation_id.trim().parse().ok();
    let seen = match cid {
        Some(cid) => visible(&mut tx, &who, cid).await.ok(),
        None => None,
    };
    // Someone who is neither an admin nor the channel's owner learns nothing about it.
    let owner = seen
        .as_ref()
        .is_some_and(|(_, me)| me.as_ref().is_some_and(|m| m.role == "owner"));
    if !who.is_admin() && !owner {
        return Err(ApiError::forbidden());
    }
    let (c, _) = seen.ok_or_else(bad_conversation)?;
    if !c.kind.is_channel() {
        return Err(bad_conversation());
    }
    if c.archived_at.is_some() {
        return Err(super::archived());
    }
    let bot = hooks::insert_bot_member(&mut tx, who.org_id, &name, now).await?;
    // A poster, so that announcement-only channels take its messages too.
    store::add_members(&mut tx, who.org_id, c.id, &[bot], "poster", now).await?;
    let c = store::conversation(&mut tx, who.org_id, c.id).await?;
    super::emit_membership(&mut tx, &c, bot, true, now).await?;
    let secret = crate::secrets::new_token("kh_");
    let id = hooks::insert_incoming(
        &mut tx,
        &hooks::NewIncomingWebhook {
            org_id: who.org_id,
            conversation_id: c.id,
            bot_user_id: bot,
            name: &name,
            secret_hash: &crate::secrets::token_hash(&secret),
            created_by: who.user_id,
        },
        now,
    )
    .await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "webhook.incoming_create",
        Some(&id.to_string()),
        &serde_json::json!({"conversation_id": c.id, "name": name}),
        now,
    )
    .await?;
    let hook = hooks::incoming(&mut tx, who.org_id, id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedIncomingWebhookDto {
            webhook: incoming_dto(&hook),
            url: hook_url(&state, &secret),
        }),
    ))
}

/// Incoming webhooks: all of them for admins, one's own for everyone else.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/webhooks/incoming", operation_id = "list_incoming_webhooks", tag = "integrations", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<IncomingWebhookDto>), (status = 404, body = ErrorBody)))]
pub async fn list_incoming(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<IncomingWebhookDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let all = state.store.incoming_webhooks(who.org_id).await?;
    Ok(axum::Json(
        all.iter()
            .filter(|h| who.is_admin() || h.created_by == who.user_id)
            .map(incoming_dto)
            .collect(),
    ))
}

/// Deletes an incoming webhook (an admin, or whoever created it); its URL stops working and
/// its bot is deactivated.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/webhooks/incoming/{webhook_id}", operation_id = "delete_incoming_webhook", tag = "integrations", params(("org_id" = String, Path), ("webhook_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_incoming(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let id: WebhookId = parse_id(&id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let hook = hooks::incoming(&mut tx, who.org_id, id).await?;
    if !who.is_admin() && hook.created_by != who.user_id {
        return Err(ApiError::not_found());
    }
    hooks::delete_incoming(&mut tx, who.org_id, id).await?;
    deactivate_bot(&mut tx, who.org_id, hook.bot_user_id, now).await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "webhook.incoming_delete",
        Some(&id.to_string()),
        &serde_json::json!({"name": hook.name}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A webhook's own bot goes with it (its messages stay).
async fn deactivate_bot(tx: &mut Tx, org_id: OrgId, bot: UserId, now: i64) -> ApiResult<()> {
    kantor_store::orgs::update_membership(
        tx,
        org_id,
        bot,
        &kantor_store::orgs::MembershipPatch {
            status: Some(MemberStatus::Deactivated),
            ..Default::default()
        },
        now,
    )
    .await?;
    Ok(())
}

// --- incoming: the public endpoint -------------------------------------------------------------

/// What an incoming webhook answers.
#[derive(Serialize, ToSchema)]
pub struct IncomingPostedDto {
    pub ok: bool,
    pub message_id: String,
}

/// Posts a message through an incoming webhook. Public: the secret in the path is the
/// credential (a wrong one is 404). The body is a Slack-style payload: `text`, or `blocks` /
/// `attachments` that carry text; other Slack fields (`username`, `icon_emoji`, …) are accepted
/// and ignored. Slack's `<url|label>` links and `*bold*` become Markdown. An
/// `X-Idempotency-Key` header makes a retry return the first message.
#[utoipa::path(post, path = "/hooks/{secret}", operation_id = "post_incoming_webhook", tag = "integrations", security(()), params(("secret" = String, Path)), request_body = serde_json::Value,
    responses((status = 200, body = IncomingPostedDto), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn receive(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<axum::Json<IncomingPostedDto>> {
    let hook = match state
        .store
        .incoming_by_secret_hash(&crate::secrets::token_hash(&secret))
        .await
    {
        Ok(h) => h,
        Err(kantor_store::StoreError::NotFound) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if body.len() > MAX_INCOMING_BYTES {
        return Err(ApiError::too_large(
            "request.too_large",
            "a webhook message is at most 16 KiB",
        ));
    }
    if !rate_allows(hook.id, state.clock.now_ms()) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "webhook.rate_limited",
            format!("at most {RATE_PER_MINUTE} messages a minute per webhook"),
        ));
    }
    let payload: serde_json::Value = serde_json::from_slice(&body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "request.malformed",
            "the body is not JSON",
        )
    })?;
    let text = slack_text(&payload);
    let client_key = match headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
    {
        Some(k) => {
            let k = k.trim();
            if k.is_empty()
                || k.len() > 90
                || k.chars().any(|c| c.is_control() || c.is_whitespace())
            {
                return Err(ApiError::invalid(
                    "X-Idempotency-Key",
                    "validation.invalid",
                    "an idempotency key is 1 to 90 characters without spaces",
                ));
            }
            format!("hook:{k}")
        }
        None => uuid::Uuid::now_v7().to_string(),
    };
    let who = chat_member(&state, hook.org_id, hook.bot_user_id).await?;
    let req = PostInput::text(client_key, text);
    let (_, m) = post_message(&state, &who, hook.conversation_id, &req).await?;
    Ok(axum::Json(IncomingPostedDto {
        ok: true,
        message_id: m.id.to_string(),
    }))
}

/// A fixed one-minute window per webhook, on this node.
fn rate_allows(id: WebhookId, now: i64) -> bool {
    static WINDOWS: OnceLock<DashMap<WebhookId, (i64, u32)>> = OnceLock::new();
    let windows = WINDOWS.get_or_init(DashMap::new);
    let minute = now / 60_000;
    let mut entry = windows.entry(id).or_insert((minute, 0));
    if entry.0 != minute {
        *entry = (minute, 0);
    }
    entry.1 += 1;
    entry.1 <= RATE_PER_MINUTE
}

/// The text of a Slack-style payload: `text`, else the text of its blocks and attachments,
/// converted to Markdown.
pub fn slack_text(payload: &serde_json::Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(t) = payload.get("text").and_then(|t| t.as_str()) {
        parts.push(t.to_string());
    }
    if parts.iter().all(|p| p.trim().is_empty()) {
        parts.clear();
        for block in payload
            .get("blocks")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(t) = block.pointer("/text/text").and_then(|t| t.as_str()) {
                parts.push(t.to_string());
            }
            for f in block
                .get("fields")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(t) = f.get("text").and_then(|t| t.as_str()) {
                    parts.push(t.to_string());
                }
            }
        }
    }
    for a in payload
        .get("attachments")
        .and_then(|a| a.as_array())
        .into_iter()
        .flatten()
    {
        for key in ["pretext", "title", "text"] {
            if let Some(t) = a.get(key).and_then(|t| t.as_str()) {
                parts.push(t.to_string());
            }
        }
        if !["pretext", "title", "text"]
            .iter()
            .any(|k| a.get(k).is_some())
        {
            if let Some(t) = a.get("fallback").and_then(|t| t.as_str()) {
                parts.push(t.to_string());
            }
        }
    }
    slack_to_markdown(&parts.join("\n"))
}

/// Slack's mrkdwn to ours: `<url|label>` → `[label](url)`, `<url>` → `url`, `*bold*` →
/// `**bold**`, `~strike~` → `~~strike~~`; `&lt;` `&gt;` `&amp;` unescaped.
pub fn slack_to_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&emphasis(&rest[..start]));
        let after = &rest[start + 1..];
        match after.find('>') {
            Some(end) => {
                let inner = &after[..end];
                let (target, label) = match inner.split_once('|') {
                    Some((t, l)) => (t, Some(l)),
                    None => (inner, None),
                };
                if target.starts_with("http://")
                    || target.starts_with("https://")
                    || target.starts_with("mailto:")
                {
                    let target = target.strip_prefix("mailto:").unwrap_or(target);
                    match label {
                        Some(l) => out.push_str(&format!("[{l}]({target})")),
                        None => out.push_str(target),
                    }
                } else {
                    // `<!here>`, `<@U123>`, `<#C123>`: Slack ids mean nothing here; keep the
                    // label or the text.
                    out.push_str(label.unwrap_or(inner.trim_start_matches(['!', '@', '#'])));
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(&emphasis(rest));
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `*x*` → `**x**` and `~x~` → `~~x~~` where the marks wrap a word (not `a * b`).
fn emphasis(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c == '*' || c == '~')
            && chars
                .get(i + 1)
                .is_some_and(|n| !n.is_whitespace() && *n != c)
            && (i == 0 || !chars[i - 1].is_alphanumeric())
        {
            if let Some(len) = chars[i + 1..].iter().position(|x| *x == c || *x == '\n') {
                let close = i + 1 + len;
                if chars[close] == c && !chars[close - 1].is_whitespace() {
                    let inner: String = chars[i + 1..close].iter().collect();
                    out.push(c);
                    out.push(c);
                    out.push_str(&inner);
                    out.push(c);
                    out.push(c);
                    i = close + 1;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

// --- outgoing: configuration -------------------------------------------------------------------

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOutgoingWebhookInput {
    /// One channel; absent or empty: every public channel (then `trigger_words` is required).
    pub conversation_id: Option<String>,
    /// A message matches when it starts with one of these (case-insensitive); empty: every
    /// message of the channel.
    #[serde(default)]
    pub trigger_words: Vec<String>,
    pub url: String,
    pub name: String,
}

fn check_words(words: &[String]) -> ApiResult<Vec<String>> {
    if words.len() > 10 {
        return Err(ApiError::invalid(
            "trigger_words",
            "validation.invalid",
            "at most 10 trigger words",
        ));
    }
    let mut out = Vec::new();
    for w in words {
        let w = w.trim().to_lowercase();
        if w.is_empty() || w.chars().count() > 30 || w.chars().any(char::is_whitespace) {
            return Err(ApiError::invalid(
                "trigger_words",
                "validation.invalid",
                "a trigger word is 1 to 30 characters without spaces",
            ));
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    Ok(out)
}

/// Creates an outgoing webhook (organisation admins). The URL is checked now: a private,
/// loopback or reserved address is refused (422 `webhook.address_refused`) unless its host is
/// on the organisation's allow-list.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/webhooks/outgoing", operation_id = "create_outgoing_webhook", tag = "integrations", params(("org_id" = String, Path)), request_body = NewOutgoingWebhookInput,
    responses((status = 201, body = CreatedOutgoingWebhookDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_outgoing(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<NewOutgoingWebhookInput>,
) -> ApiResult<(StatusCode, axum::Json<CreatedOutgoingWebhookDto>)> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    require_admin(&who)?;
    let name = check_name(&req.name)?;
    let words = check_words(&req.trigger_words)?;
    if req.url.len() > 2000 {
        return Err(ApiError::invalid(
            "url",
            "validation.too_long",
            "URL too long",
        ));
    }
    let cid = match req.conversation_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            let cid: ConversationId = s.parse().map_err(|_| bad_conversation())?;
            let mut conn = state.store.read_conn().await?;
            let (c, _) = visible(&mut conn, &who, cid)
                .await
                .map_err(|_| bad_conversation())?;
            if !c.kind.is_channel() {
                return Err(bad_conversation());
            }
            Some(cid)
        }
    };
    if cid.is_none() && words.is_empty() {
        return Err(ApiError::invalid(
            "trigger_words",
            "webhook.trigger_required",
            "without a channel, give at least one trigger word",
        ));
    }
    let allowed = hooks::allowed_hosts(&mut *state.store.read_conn().await?, who.org_id).await?;
    outbound::check(&req.url, &allowed).await.map_err(refusal)?;
    let secret = crate::secrets::new_token("kw_");
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let id = hooks::insert_outgoing(
        &mut tx,
        &hooks::NewOutgoingWebhook {
            org_id: who.org_id,
            conversation_id: cid,
            name: &name,
            url: req.url.trim(),
            trigger_words: &words,
            signing_secret: &secret,
            created_by: who.user_id,
        },
        now,
    )
    .await?;
    // Its target's `{"text": …}` answers are posted as this bot, named after the webhook.
    let bot = hooks::insert_bot_member(&mut tx, who.org_id, &name, now).await?;
    kantor_store::commands::set_outgoing_bot(&mut tx, id, bot).await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "webhook.outgoing_create",
        Some(&id.to_string()),
        &serde_json::json!({"name": name, "url": req.url.trim()}),
        now,
    )
    .await?;
    let hook = hooks::outgoing(&mut tx, who.org_id, id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedOutgoingWebhookDto {
            webhook: outgoing_dto(&hook),
            signing_secret: secret,
        }),
    ))
}

/// Outgoing webhooks with their delivery status (organisation admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/webhooks/outgoing", operation_id = "list_outgoing_webhooks", tag = "integrations", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<OutgoingWebhookDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_outgoing(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<OutgoingWebhookDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    require_admin(&who)?;
    let all = state.store.outgoing_webhooks(who.org_id).await?;
    Ok(axum::Json(all.iter().map(outgoing_dto).collect()))
}

/// Deletes an outgoing webhook (organisation admins); pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/chat/webhooks/outgoing/{webhook_id}", operation_id = "delete_outgoing_webhook", tag = "integrations", params(("org_id" = String, Path), ("webhook_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_outgoing(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    require_admin(&who)?;
    let id: WebhookId = parse_id(&id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let bot = kantor_store::commands::outgoing_bot(&mut tx, id).await?;
    hooks::delete_outgoing(&mut tx, who.org_id, id).await?;
    if let Some(bot) = bot {
        deactivate_bot(&mut tx, who.org_id, bot, now).await?;
    }
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "webhook.outgoing_delete",
        Some(&id.to_string()),
        &serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The hosts outgoing webhooks may reach on private addresses (organisation admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/webhooks/allow-list", operation_id = "get_webhook_allow_list", tag = "integrations", params(("org_id" = String, Path)),
    responses((status = 200, body = AllowListDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_allow_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<AllowListDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    require_admin(&who)?;
    let hosts = hooks::allowed_hosts(&mut *state.store.read_conn().await?, who.org_id).await?;
    Ok(axum::Json(AllowListDto { hosts }))
}

/// Replaces the allow-list (organisation admins).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/webhooks/allow-list", operation_id = "put_webhook_allow_list", tag = "integrations", params(("org_id" = String, Path)), request_body = AllowListDto,
    responses((status = 200, body = AllowListDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_allow_list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<AllowListDto>,
) -> ApiResult<axum::Json<AllowListDto>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    require_admin(&who)?;
    if req.hosts.len() > 50 {
        return Err(ApiError::invalid(
            "hosts",
            "validation.invalid",
            "at most 50 hosts",
        ));
    }
    let mut hosts: Vec<String> = Vec::new();
    for h in &req.hosts {
        let h = outbound::normalise_host(h);
        let ok = !h.is_empty()
            && h.len() <= 253
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '_'));
        if !ok {
            return Err(ApiError::invalid(
                "hosts",
                "validation.invalid",
                "a host is a name or an IP address",
            ));
        }
        if !hosts.contains(&h) {
            hosts.push(h);
        }
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    hooks::set_allowed_hosts(&mut tx, who.org_id, &hosts).await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "webhook.allow_list",
        None,
        &serde_json::json!({"hosts": hosts}),
        now,
    )
    .await?;
    let hosts = hooks::allowed_hosts(&mut tx, who.org_id).await?;
    tx.commit().await?;
    Ok(axum::Json(AllowListDto { hosts }))
}

// --- outgoing: matching and delivery -----------------------------------------------------------

/// The trigger word a message starts with, if the webhook matches it: `Some("")` for a
/// channel webhook without words.
fn matches(hook: &OutgoingWebhook, c: &Conversation, body: &str) -> Option<String> {
    match hook.conversation_id {
        Some(id) if id != c.id => return None,
        // Organisation-wide webhooks see public channels only.
        None if c.kind != Kind::Public => return None,
        _ => {}
    }
    if hook.trigger_words.is_empty() {
        return Some(String::new());
    }
    let first = body.split_whitespace().next()?.to_lowercase();
    hook.trigger_words
        .iter()
        .find(|w| first.starts_with(w.as_str()))
        .cloned()
}

/// Schedules deliveries of a new message to the outgoing webhooks it matches, in the post's
/// transaction (one indexed read when none is configured). Messages by bots are not sent, so
/// two integrations cannot loop.
pub async fn enqueue_outgoing(
    tx: &mut Tx,
    c: &Conversation,
    m: &Message,
    now: i64,
) -> ApiResult<()> {
    let candidates = hooks::outgoing_for(&mut *tx, c.org_id, c.id).await?;
    if candidates.is_empty() || m.body.trim().is_empty() {
        return Ok(());
    }
    if hooks::is_bot(&mut *tx, m.author.id).await? {
        return Ok(());
    }
    for hook in candidates {
        let Some(trigger) = matches(&hook, c, &m.body) else {
            continue;
        };
        let payload = serde_json::json!({
            "webhook_id": hook.id,
            "org_id": c.org_id,
            "channel_id": c.id,
            "channel_name": c.name,
            "user_id": m.author.id,
            "user_name": m.author.name,
            "text": m.body,
            "trigger_word": trigger,
            "message_id": m.id,
            "posted_at": m.created_at,
        });
        let key = format!("{DELIVER}:{}:{}", hook.id, m.id);
        kantor_store::jobs::schedule(
            &mut *tx,
            &NewJob {
                kind: DELIVER,
                payload: &payload,
                run_at: now,
                max_attempts: DELIVERY_ATTEMPTS,
                dedupe_key: Some(&key),
            },
            now,
        )
        .await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct Delivery {
    webhook_id: WebhookId,
    org_id: OrgId,
    channel_id: ConversationId,
    channel_name: Option<String>,
    user_id: UserId,
    user_name: String,
    text: String,
    trigger_word: String,
    message_id: MessageId,
    posted_at: i64,
}

/// The job: re-checks the address (it may resolve elsewhere since it was configured), POSTs the
/// signed body, records the outcome on the webhook. An error makes the runner retry later.
pub async fn deliver(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let d: Delivery = serde_json::from_str(payload)?;
    let (hook, allowed) = match state.store.outgoing_for_delivery(d.webhook_id).await {
        Ok(found) => found,
        // Deleted since: nothing to deliver.
        Err(kantor_store::StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.now_ms();
    let timestamp = now / 1000;
    let body = serde_json::json!({
        "org_id": d.org_id,
        "team_id": d.org_id,
        "channel_id": d.channel_id,
        "channel_name": d.channel_name,
        "user_id": d.user_id,
        "user_name": d.user_name,
        "text": d.text,
        "trigger_word": d.trigger_word,
        "message_id": d.message_id,
        "timestamp": d.posted_at / 1000,
    });
    let body = serde_json::to_vec(&body)?;
    let result = match outbound::check(&hook.url, &allowed).await {
        Ok(target) => outbound::post_signed(&target, &hook.signing_secret, timestamp, &body).await,
        Err(e) => Err(anyhow::anyhow!("address refused at send time: {e}")),
    };
    let error = result.as_ref().err().map(|e| {
        let s = format!("{e:#}");
        s.chars().take(300).collect::<String>()
    });
    let mut tx = state.store.begin().await?;
    hooks::record_delivery(&mut tx, hook.id, error.as_deref(), now).await?;
    tx.commit().await?;
    match error {
        None => {
            tracing::info!(webhook = %hook.id, message = %d.message_id, "delivered to outgoing webhook");
            if let Ok(reply) = &result {
                answer(state, &hook, &d, &reply.body).await?;
            }
            Ok(())
        }
        Some(e) => {
            tracing::warn!(webhook = %hook.id, message = %d.message_id, failures = hook.failures + 1, error = %e, "outgoing webhook delivery failed");
            Err(anyhow::anyhow!(e))
        }
    }
}

/// Posts the target's `{"text": …}` answer into the channel as the webhook's bot (Slack's
/// outgoing webhooks answer the same way). An answer that cannot be posted is logged, not
/// retried: the delivery itself succeeded.
async fn answer(
    state: &AppState,
    hook: &OutgoingWebhook,
    d: &Delivery,
    reply: &[u8],
) -> anyhow::Result<()> {
    let Some(answer) = super::commands::Answer::parse(reply) else {
        return Ok(());
    };
    let Some(bot) =
        kantor_store::commands::outgoing_bot(&mut *state.store.read_conn().await?, hook.id).await?
    else {
        return Ok(());
    };
    let c = kantor_store::chat::conversation(
        &mut *state.store.read_conn().await?,
        d.org_id,
        d.channel_id,
    )
    .await?;
    let key = format!("webhook-answer:{}:{}", hook.id, d.message_id);
    if let Err(e) = super::commands::post_answer(state, bot, &c, None, &answer, key).await {
        tracing::info!(webhook = %hook.id, code = e.code, "outgoing webhook answer not posted");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slack_links_and_bold_become_markdown() {
        assert_eq!(
            slack_to_markdown("Build *gagal*: <https://ci.example/1|lihat log> & <https://x.y>"),
            "Build **gagal**: [lihat log](https://ci.example/1) & https://x.y"
        );
        assert_eq!(slack_to_markdown("2 * 3 = 6, a*b"), "2 * 3 = 6, a*b");
        assert_eq!(
            slack_to_markdown("<!here> ~lama~ &lt;ok&gt;"),
            "here ~~lama~~ <ok>"
        );
        assert_eq!(slack_to_markdown("a < b"), "a < b");
    }

    #[test]
    fn text_comes_from_blocks_and_attachments_when_absent() {
        let p = serde_json::json!({
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Halo*"}}],
            "attachments": [{"fallback": "cadangan"}],
            "icon_emoji": ":robot:"
        });
        assert_eq!(slack_text(&p), "**Halo**\ncadangan");
        assert_eq!(slack_text(&serde_json::json!({"text": "hai"})), "hai");
        assert_eq!(slack_text(&serde_json::json!({})), "");
    }
}

//! Bot users: an organisation admin makes a bot and gets its API token, once. A bot is a user
//! row flagged `is_bot`, with no password (it cannot sign in), an active member of its
//! organisation with role member. It posts, edits and reads through the ordinary chat
//! endpoints with `Authorization: Bearer kt_…`, so every chat rule applies to it; it joins a
//! private channel only when someone adds it. Deleting a bot deactivates it and revokes its
//! tokens at once.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kantor_core::ids::UserId;
use kantor_core::role::MemberStatus;
use kantor_store::integrations as hooks;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::chat_caller;
use crate::api::parse_id;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct BotDto {
    /// The bot's user id (its messages' author).
    pub id: String,
    pub name: String,
    pub created_at: String,
}

/// A new bot with its API token — shown once.
#[derive(Serialize, ToSchema)]
pub struct CreatedBotDto {
    #[serde(flatten)]
    pub bot: BotDto,
    /// `kt_…`, for `Authorization: Bearer`.
    pub token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBotInput {
    pub name: String,
}

fn admin_of(who: &super::ChatCaller) -> ApiResult<()> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Creates a bot and its API token (organisation admins).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/bots", operation_id = "create_bot", tag = "integrations", params(("org_id" = String, Path)), request_body = NewBotInput,
    responses((status = 201, body = CreatedBotDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<NewBotInput>,
) -> ApiResult<(StatusCode, axum::Json<CreatedBotDto>)> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    admin_of(&who)?;
    let name = super::webhooks::check_name(&req.name)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let bot = hooks::insert_bot_member(&mut tx, who.org_id, &name, now).await?;
    let (_, token) = crate::api::me::issue_token(
        &mut tx,
        bot,
        "bot",
        &[who.org_id],
        Some(who.user_id),
        "bot",
        now,
    )
    .await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "bot.create",
        Some(&bot.to_string()),
        &serde_json::json!({"name": name}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedBotDto {
            bot: BotDto {
                id: bot.to_string(),
                name: name.to_string(),
                created_at: rfc3339(now),
            },
            token,
        }),
    ))
}

/// The organisation's bots (organisation admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/bots", operation_id = "list_bots", tag = "integrations", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<BotDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<BotDto>>> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    admin_of(&who)?;
    let bots = state.store.bots(who.org_id).await?;
    Ok(axum::Json(
        bots.iter()
            .map(|b| BotDto {
                id: b.id.to_string(),
                name: b.name.clone(),
                created_at: rfc3339(b.created_at),
            })
            .collect(),
    ))
}

/// Deletes a bot (organisation admins): deactivated, its tokens revoked at once; its
/// messages stay.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/bots/{user_id}", operation_id = "delete_bot", tag = "integrations", params(("org_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    admin_of(&who)?;
    let bot: UserId = parse_id(&user_id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let m = kantor_store::orgs::membership(&mut tx, who.org_id, bot).await?;
    if !hooks::is_admin_bot(&mut tx, bot).await? || m.status != MemberStatus::Active {
        return Err(ApiError::not_found());
    }
    kantor_store::orgs::update_membership(
        &mut tx,
        who.org_id,
        bot,
        &kantor_store::orgs::MembershipPatch {
            status: Some(MemberStatus::Deactivated),
            ..Default::default()
        },
        now,
    )
    .await?;
    let ended = kantor_store::accounts::revoke_all_tokens(&mut tx, bot, now).await?;
    kantor_store::audit::record(
        &mut tx,
        who.org_id,
        Some(who.user_id),
        "bot.delete",
        Some(&bot.to_string()),
        &serde_json::json!({}),
        now,
    )
    .await?;
    tx.commit().await?;
    state.revoke(Some(bot), ended, true).await;
    Ok(StatusCode::NO_CONTENT)
}

// --- interactive messages ----------------------------------------------------------------------

/// Buttons and a simple form under a bot's message. Only bots may post them; a click or a
/// submit is `POST …/messages/{id}/actions`, delivered to the bot as the event
/// `chat.bot.action` on its sockets; the bot answers by editing the message.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Interactive {
    /// At most 5.
    #[serde(default)]
    pub buttons: Vec<InteractiveButton>,
    #[schema(required = true)]
    pub form: Option<InteractiveForm>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InteractiveButton {
    /// 1–64 letters, digits, `_ - .`; unique within the message.
    pub action_id: String,
    /// 1–40 characters.
    pub label: String,
    /// Sent back with a click (at most 200 characters).
    #[serde(default)]
    pub value: String,
    /// `primary` or `danger`; absent: plain.
    pub style: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InteractiveForm {
    pub action_id: String,
    /// The submit button's label (1–40 characters).
    pub submit_label: String,
    /// 1 to 5 fields.
    pub fields: Vec<InteractiveField>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct InteractiveField {
    /// The key of this field's value in a submit (1–64 letters, digits, `_ - .`).
    pub id: String,
    pub label: String,
    /// `text` or `select`.
    pub kind: String,
    /// A select's choices (1–20, each 1–75 characters).
    #[serde(default)]
    pub options: Vec<String>,
}

fn bad(field: &str, message: &str) -> ApiError {
    ApiError::invalid(field, "chat.bad_interactive", message.to_string())
}

fn check_id(id: &str, seen: &mut Vec<String>, field: &str) -> ApiResult<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !ok || seen.iter().any(|s| s == id) {
        return Err(bad(field, "ids are 1–64 letters, digits, _ - . and unique"));
    }
    seen.push(id.to_string());
    Ok(())
}

fn check_label(label: &str, field: &str, max: usize) -> ApiResult<()> {
    let n = label.trim().chars().count();
    if n == 0 || n > max || label.chars().any(char::is_control) {
        return Err(bad(field, "a label is 1–40 characters"));
    }
    Ok(())
}

/// Checks interactive content; `None` when it has nothing in it (which clears it on an edit).
pub fn check_interactive(i: &Interactive) -> ApiResult<Option<String>> {
    let field = "interactive";
    if i.buttons.len() > 5 {
        return Err(bad(field, "at most 5 buttons"));
    }
    let mut ids = Vec::new();
    for b in &i.buttons {
        check_id(&b.action_id, &mut ids, field)?;
        check_label(&b.label, field, 40)?;
        if b.value.chars().count() > 200 {
            return Err(bad(field, "a button's value is at most 200 characters"));
        }
        if b.style
            .as_deref()
            .is_some_and(|s| s != "primary" && s != "danger")
        {
            return Err(bad(field, "style is primary or danger"));
        }
    }
    if let Some(f) = &i.form {
        check_id(&f.action_id, &mut ids, field)?;
        check_label(&f.submit_label, field, 40)?;
        if f.fields.is_empty() || f.fields.len() > 5 {
            return Err(bad(field, "a form has 1 to 5 fields"));
        }
        let mut field_ids = Vec::new();
        for x in &f.fields {
            check_id(&x.id, &mut field_ids, field)?;
            check_label(&x.label, field, 40)?;
            match x.kind.as_str() {
                "text" if x.options.is_empty() => {}
                "select"
                    if !x.options.is_empty()
                        && x.options.len() <= 20
                        && x.options
                            .iter()
                            .all(|o| !o.trim().is_empty() && o.chars().count() <= 75) => {}
                _ => return Err(bad(field, "a field is text, or select with 1–20 options")),
            }
        }
    }
    if i.buttons.is_empty() && i.form.is_none() {
        return Ok(None);
    }
    Ok(serde_json::to_string(i).ok())
}

/// The stored interactive content a post or an edit asks for: only bots may send it.
pub async fn interactive_for(
    conn: &mut kantor_store::Conn,
    author: UserId,
    given: Option<&Interactive>,
) -> ApiResult<Option<String>> {
    let Some(i) = given else {
        return Ok(None);
    };
    if !hooks::is_bot(conn, author).await? {
        return Err(bad("interactive", "only bots post buttons and forms"));
    }
    check_interactive(i)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    /// A button's or the form's `action_id`.
    pub action_id: String,
    /// For a form: each field's value by field id.
    #[serde(default)]
    pub form: std::collections::BTreeMap<String, String>,
}

/// A click on a bot message's button or a submit of its form, by someone who can see the
/// message (else 404). The bot receives `chat.bot.action` on its sockets with the clicker's
/// identity, and a signed POST to its interaction URL when it has one (whose `{"text": …,
/// "replace_original": true}` answer edits the message); it answers by editing the message.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages/{message_id}/actions", operation_id = "message_action", tag = "integrations", params(("org_id" = String, Path), ("conversation_id" = String, Path), ("message_id" = String, Path)), request_body = ActionInput,
    responses((status = 202), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn action(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid, mid)): Path<(String, String, String)>,
    Json(req): Json<ActionInput>,
) -> ApiResult<StatusCode> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let cid: kantor_core::ids::ConversationId = parse_id(&cid)?;
    let mid: kantor_core::ids::MessageId = parse_id(&mid)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (c, _) = super::visible(&mut tx, &who, cid).await?;
    let m = kantor_store::chat::message(&mut tx, cid, mid).await?;
    if m.deleted_at.is_some() {
        return Err(ApiError::not_found());
    }
    let unknown = || {
        ApiError::invalid(
            "action_id",
            "chat.unknown_action",
            "this message has no such button or form",
        )
    };
    let i: Interactive = m
        .interactive
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(unknown)?;
    let (kind, value, form) =
        if let Some(b) = i.buttons.iter().find(|b| b.action_id == req.action_id) {
            ("button", Some(b.value.clone()), None)
        } else if let Some(f) = i.form.as_ref().filter(|f| f.action_id == req.action_id) {
            let mut values = std::collections::BTreeMap::new();
            for x in &f.fields {
                let v = req
                    .form
                    .get(&x.id)
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default();
                if v.chars().count() > 500
                    || (x.kind == "select" && !v.is_empty() && !x.options.contains(&v))
                {
                    return Err(ApiError::invalid(
                        "form",
                        "chat.bad_interactive",
                        "a value is at most 500 characters, a choice one of the options",
                    ));
                }
                values.insert(x.id.clone(), v);
            }
            ("form", None, Some(values))
        } else {
            return Err(unknown());
        };
    let clicker = kantor_store::chat::user_ref(&mut tx, who.user_id).await?;
    let body = serde_json::json!({
        "type": "action",
        "org_id": c.org_id,
        "conversation_id": c.id,
        "message_id": m.id,
        "action_id": req.action_id,
        "kind": kind,
        "value": value,
        "form": form,
        "user": {"id": clicker.id, "name": clicker.name},
    });
    crate::api::emit(
        &mut tx,
        kantor_core::event::Audience::User {
            user_id: m.author.id,
        },
        "chat.bot.action",
        body.clone(),
        now,
    )
    .await?;
    // Each click is its own delivery.
    let key = format!("action:{}:{}", m.id, kantor_store::new_id());
    super::commands::schedule_bot_delivery(
        &mut tx,
        m.author.id,
        &c,
        m.thread_root_id,
        Some(m.id),
        &body,
        &key,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::ACCEPTED)
}

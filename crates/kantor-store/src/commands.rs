//! What slash commands write: polls and their votes, `/remind` reminders, the organisation's
//! own bot that delivers them, commands bots register, and bots' interaction URLs.
//!
//! A poll lives on its message (`messages.poll`, JSON written whole) with one row per vote in
//! `chat_poll_votes`. A vote takes the message row's lock first (an `UPDATE` of the row), then
//! recounts from the votes and writes the JSON, so concurrent votes on PostgreSQL serialise on
//! the row and the counts are exact; on SQLite the single writer does the same.

use kantor_core::ids::{ConversationId, MessageId, OrgId, UserId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::row::RowExt;
use crate::{new_id, Result, StoreError};

/// A poll as stored on its message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub question: String,
    pub options: Vec<PollOption>,
    pub multiple: bool,
    /// People who chose at least one option.
    pub voters: i64,
    pub closed_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOption {
    pub text: String,
    pub votes: i64,
}

impl Poll {
    pub fn new(question: String, options: Vec<String>, multiple: bool) -> Self {
        Poll {
            question,
            options: options
                .into_iter()
                .map(|text| PollOption { text, votes: 0 })
                .collect(),
            multiple,
            voters: 0,
            closed_at: None,
        }
    }

    pub fn parse(json: &str) -> Option<Poll> {
        serde_json::from_str(json).ok()
    }

    pub fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Writes a message's poll JSON.
pub async fn set_poll(conn: &mut AnyConnection, message_id: MessageId, poll: &Poll) -> Result<()> {
    sqlx::query("UPDATE messages SET poll = $2 WHERE id = $1")
        .bind(message_id.to_string())
        .bind(poll.json())
        .execute(conn)
        .await?;
    Ok(())
}

/// The message's poll, read under the row's lock (taken by a no-op update), for a change.
pub async fn lock_poll(conn: &mut AnyConnection, message_id: MessageId) -> Result<Option<Poll>> {
    sqlx::query("UPDATE messages SET poll = poll WHERE id = $1")
        .bind(message_id.to_string())
        .execute(&mut *conn)
        .await?;
    let json: Option<Option<String>> =
        sqlx::query_scalar("SELECT poll FROM messages WHERE id = $1")
            .bind(message_id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(json.flatten().as_deref().and_then(Poll::parse))
}

/// Replaces `user`'s choices with `options` (empty: withdraws the vote) and recounts. Call
/// after [`lock_poll`] in the same transaction.
pub async fn vote(
    conn: &mut AnyConnection,
    message_id: MessageId,
    poll: &mut Poll,
    user: UserId,
    options: &[usize],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM chat_poll_votes WHERE message_id = $1 AND user_id = $2")
        .bind(message_id.to_string())
        .bind(user.to_string())
        .execute(&mut *conn)
        .await?;
    for o in options {
        sqlx::query(
            "INSERT INTO chat_poll_votes (message_id, user_id, option_index, voted_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(message_id.to_string())
        .bind(user.to_string())
        .bind(*o as i64)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    recount(conn, message_id, poll).await?;
    set_poll(conn, message_id, poll).await
}

async fn recount(conn: &mut AnyConnection, message_id: MessageId, poll: &mut Poll) -> Result<()> {
    let rows = sqlx::query(
        "SELECT option_index, COUNT(*) AS n FROM chat_poll_votes WHERE message_id = $1 GROUP BY option_index",
    )
    .bind(message_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for o in &mut poll.options {
        o.votes = 0;
    }
    for r in rows {
        let i = r.int("option_index")? as usize;
        if let Some(o) = poll.options.get_mut(i) {
            o.votes = r.int("n")?;
        }
    }
    poll.voters = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(DISTINCT user_id) FROM chat_poll_votes WHERE message_id = $1",
    )
    .bind(message_id.to_string())
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// The options `user` chose, ascending.
pub async fn my_votes(
    conn: &mut AnyConnection,
    message_id: MessageId,
    user: UserId,
) -> Result<Vec<usize>> {
    let v: Vec<i64> = sqlx::query_scalar(
        "SELECT option_index FROM chat_poll_votes WHERE message_id = $1 AND user_id = $2 ORDER BY option_index",
    )
    .bind(message_id.to_string())
    .bind(user.to_string())
    .fetch_all(conn)
    .await?;
    Ok(v.into_iter().map(|i| i as usize).collect())
}

/// Who chose each option (earliest first, at most `per_option` each): (option, id, name).
pub async fn poll_voters(
    conn: &mut AnyConnection,
    message_id: MessageId,
    per_option: usize,
) -> Result<Vec<(usize, UserId, String)>> {
    let rows = sqlx::query(
        "SELECT v.option_index, u.id, u.name FROM chat_poll_votes v JOIN users u ON u.id = v.user_id
         WHERE v.message_id = $1 ORDER BY v.option_index, v.voted_at, u.id",
    )
    .bind(message_id.to_string())
    .fetch_all(conn)
    .await?;
    let mut out: Vec<(usize, UserId, String)> = Vec::new();
    for r in rows {
        let o = r.int("option_index")? as usize;
        if out.iter().filter(|(x, _, _)| *x == o).count() < per_option {
            out.push((o, r.parse("id")?, r.text("name")?));
        }
    }
    Ok(out)
}

/// A `/remind` reminder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub id: String,
    pub org_id: OrgId,
    pub created_by: UserId,
    pub target_user_id: Option<UserId>,
    pub conversation_id: Option<ConversationId>,
    pub text: String,
    pub due_at: i64,
    pub status: String,
    pub created_at: i64,
}

fn reminder_from(row: &AnyRow) -> Result<Reminder> {
    Ok(Reminder {
        id: row.text("id")?,
        org_id: row.parse("org_id")?,
        created_by: row.parse("created_by")?,
        target_user_id: row.opt_parse("target_user_id")?,
        conversation_id: row.opt_parse("conversation_id")?,
        text: row.text("text")?,
        due_at: row.int("due_at")?,
        status: row.text("status")?,
        created_at: row.int("created_at")?,
    })
}

const REMINDER_COLS: &str =
    "id, org_id, created_by, target_user_id, conversation_id, text, due_at, status, created_at";

/// Most pending reminders one person may have.
pub const MAX_PENDING_REMINDERS: i64 = 100;

pub struct NewReminder<'a> {
    pub client_key: &'a str,
    pub org_id: OrgId,
    pub created_by: UserId,
    pub target_user_id: Option<UserId>,
    pub conversation_id: Option<ConversationId>,
    pub text: &'a str,
    pub due_at: i64,
}

pub async fn insert_reminder(
    conn: &mut AnyConnection,
    r: &NewReminder<'_>,
    now: i64,
) -> Result<String> {
    let id = new_id().to_string();
    sqlx::query(&format!(
        "INSERT INTO chat_reminders ({REMINDER_COLS}, client_key) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)"
    ))
    .bind(&id)
    .bind(r.org_id.to_string())
    .bind(r.created_by.to_string())
    .bind(r.target_user_id.map(|u| u.to_string()))
    .bind(r.conversation_id.map(|c| c.to_string()))
    .bind(r.text)
    .bind(r.due_at)
    .bind(now)
    .bind(r.client_key)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// The reminder `user` made with this client key, if any (a retried `/remind`).
pub async fn reminder_by_client_key(
    conn: &mut AnyConnection,
    user: UserId,
    key: &str,
) -> Result<Option<Reminder>> {
    let row = sqlx::query(&format!(
        "SELECT {REMINDER_COLS} FROM chat_reminders WHERE created_by = $1 AND client_key = $2"
    ))
    .bind(user.to_string())
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(reminder_from).transpose()
}

pub async fn pending_reminder_count(conn: &mut AnyConnection, user: UserId) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM chat_reminders WHERE created_by = $1 AND status = 'pending'",
    )
    .bind(user.to_string())
    .fetch_one(conn)
    .await?)
}

/// A person's pending reminders in an organisation, soonest first.
pub async fn pending_reminders(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
) -> Result<Vec<Reminder>> {
    let rows = sqlx::query(&format!(
        "SELECT {REMINDER_COLS} FROM chat_reminders WHERE created_by = $1 AND org_id = $2 AND status = 'pending'
         ORDER BY due_at, id"
    ))
    .bind(user.to_string())
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(reminder_from).collect()
}

pub async fn reminder(conn: &mut AnyConnection, id: &str) -> Result<Reminder> {
    let row = sqlx::query(&format!(
        "SELECT {REMINDER_COLS} FROM chat_reminders WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    reminder_from(&row)
}

/// Moves a reminder from one status to another; false when it was not in `from`.
pub async fn move_reminder(
    conn: &mut AnyConnection,
    id: &str,
    from: &str,
    to: &str,
) -> Result<bool> {
    let done = sqlx::query("UPDATE chat_reminders SET status = $3 WHERE id = $1 AND status = $2")
        .bind(id)
        .bind(from)
        .bind(to)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The organisation's own bot ("Kantor"), made on first use.
pub async fn system_bot(conn: &mut AnyConnection, org_id: OrgId, now: i64) -> Result<UserId> {
    let current: Option<Option<String>> =
        sqlx::query_scalar("SELECT system_bot_id FROM orgs WHERE id = $1")
            .bind(org_id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match current {
        None => return Err(StoreError::NotFound),
        Some(Some(id)) => return id.parse().map_err(|_| StoreError::Corrupt("system_bot_id")),
        Some(None) => {}
    }
    let bot = crate::integrations::insert_bot_member(&mut *conn, org_id, "Kantor", now).await?;
    let done =
        sqlx::query("UPDATE orgs SET system_bot_id = $2 WHERE id = $1 AND system_bot_id IS NULL")
            .bind(org_id.to_string())
            .bind(bot.to_string())
            .execute(conn)
            .await?;
    if done.rows_affected() != 1 {
        // Made by a concurrent transaction: this one must roll back and read it.
        return Err(StoreError::Conflict("system_bot_id".into()));
    }
    Ok(bot)
}

/// A command a bot registered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotCommand {
    pub name: String,
    pub bot_user_id: UserId,
    pub bot_name: String,
    pub description: String,
    pub usage: String,
}

/// The organisation's bot commands (of active bots), by name.
pub async fn bot_commands(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<BotCommand>> {
    let rows = sqlx::query(
        "SELECT c.name, c.bot_user_id, u.name AS bot_name, c.description, c.usage
         FROM bot_commands c JOIN users u ON u.id = c.bot_user_id
         JOIN memberships m ON m.user_id = c.bot_user_id AND m.org_id = c.org_id
         WHERE c.org_id = $1 AND m.status = 'active' ORDER BY c.name",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(BotCommand {
                name: r.text("name")?,
                bot_user_id: r.parse("bot_user_id")?,
                bot_name: r.text("bot_name")?,
                description: r.text("description")?,
                usage: r.text("usage")?,
            })
        })
        .collect()
}

/// Replaces one bot's commands. A name another bot holds fails with `Conflict`.
pub async fn set_bot_commands(
    conn: &mut AnyConnection,
    org_id: OrgId,
    bot: UserId,
    commands: &[(String, String, String)],
    now: i64,
) -> Result<()> {
    sqlx::query("DELETE FROM bot_commands WHERE org_id = $1 AND bot_user_id = $2")
        .bind(org_id.to_string())
        .bind(bot.to_string())
        .execute(&mut *conn)
        .await?;
    for (name, description, usage) in commands {
        sqlx::query(
            "INSERT INTO bot_commands (org_id, name, bot_user_id, description, usage, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(org_id.to_string())
        .bind(name)
        .bind(bot.to_string())
        .bind(description)
        .bind(usage)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from_write)?;
    }
    Ok(())
}

/// A bot's interaction URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotEndpoint {
    pub bot_user_id: UserId,
    pub org_id: OrgId,
    pub url: String,
    pub signing_secret: String,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub failures: i64,
}

pub async fn bot_endpoint(conn: &mut AnyConnection, bot: UserId) -> Result<Option<BotEndpoint>> {
    let row = sqlx::query(
        "SELECT bot_user_id, org_id, url, signing_secret, last_status, last_error, last_attempt_at, failures
         FROM bot_endpoints WHERE bot_user_id = $1",
    )
    .bind(bot.to_string())
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(BotEndpoint {
            bot_user_id: r.parse("bot_user_id")?,
            org_id: r.parse("org_id")?,
            url: r.text("url")?,
            signing_secret: r.text("signing_secret")?,
            last_status: r.opt_text("last_status")?,
            last_error: r.opt_text("last_error")?,
            last_attempt_at: r.opt_int("last_attempt_at")?,
            failures: r.int("failures")?,
        })
    })
    .transpose()
}

/// Sets (`Some`) or removes (`None`) a bot's interaction URL; a new URL gets a new secret.
pub async fn set_bot_endpoint(
    conn: &mut AnyConnection,
    org_id: OrgId,
    bot: UserId,
    url_and_secret: Option<(&str, &str)>,
) -> Result<()> {
    sqlx::query("DELETE FROM bot_endpoints WHERE bot_user_id = $1")
        .bind(bot.to_string())
        .execute(&mut *conn)
        .await?;
    if let Some((url, secret)) = url_and_secret {
        sqlx::query(
            "INSERT INTO bot_endpoints (bot_user_id, org_id, url, signing_secret) VALUES ($1, $2, $3, $4)",
        )
        .bind(bot.to_string())
        .bind(org_id.to_string())
        .bind(url)
        .bind(secret)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// Records a delivery to a bot's interaction URL (`error` None: it answered 2xx).
pub async fn record_bot_delivery(
    conn: &mut AnyConnection,
    bot: UserId,
    error: Option<&str>,
    now: i64,
) -> Result<()> {
    let q = match error {
        None => sqlx::query(
            "UPDATE bot_endpoints SET last_status = 'ok', last_error = NULL, last_attempt_at = $2, failures = 0
             WHERE bot_user_id = $1",
        )
        .bind(bot.to_string())
        .bind(now),
        Some(e) => sqlx::query(
            "UPDATE bot_endpoints SET last_status = 'failed', last_error = $3, last_attempt_at = $2,
             failures = failures + 1 WHERE bot_user_id = $1",
        )
        .bind(bot.to_string())
        .bind(now)
        .bind(e.to_string()),
    };
    q.execute(conn).await?;
    Ok(())
}

/// The outgoing webhook's bot user (its answers are posted as it), if it has one.
pub async fn outgoing_bot(
    conn: &mut AnyConnection,
    webhook_id: kantor_core::ids::WebhookId,
) -> Result<Option<UserId>> {
    let v: Option<Option<String>> =
        sqlx::query_scalar("SELECT bot_user_id FROM outgoing_webhooks WHERE id = $1")
            .bind(webhook_id.to_string())
            .fetch_optional(conn)
            .await?;
    v.flatten()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("bot_user_id")))
        .transpose()
}

pub async fn set_outgoing_bot(
    conn: &mut AnyConnection,
    webhook_id: kantor_core::ids::WebhookId,
    bot: UserId,
) -> Result<()> {
    sqlx::query("UPDATE outgoing_webhooks SET bot_user_id = $2 WHERE id = $1")
        .bind(webhook_id.to_string())
        .bind(bot.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

//! Integrations: bot users, incoming and outgoing webhooks, and the hosts an organisation lets
//! outgoing webhooks reach although they resolve to private addresses.
//!
//! Secrets: an incoming webhook's URL secret is stored as a SHA-256 hash (the server hashes);
//! an outgoing webhook's signing key is stored as given, because the server signs with it.

use kantor_core::ids::{ConversationId, OrgId, UserId, WebhookId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::row::RowExt;
use crate::{new_id, Result, Store, StoreError};

/// Inserts a bot user: no password (it cannot sign in), an address that cannot receive mail.
/// A bot user who is an active member (role member) of `org_id`.
pub async fn insert_bot_member(
    conn: &mut AnyConnection,
    org_id: kantor_core::ids::OrgId,
    name: &str,
    now: i64,
) -> Result<UserId> {
    let bot = insert_bot_user(&mut *conn, name, now).await?;
    crate::orgs::insert_membership(
        conn,
        &crate::orgs::NewMembership {
            org_id,
            user_id: bot,
            role: kantor_core::role::Role::Member,
            status: kantor_core::role::MemberStatus::Active,
            unit_id: None,
            position: None,
            employee_number: None,
        },
        now,
    )
    .await?;
    Ok(bot)
}

async fn insert_bot_user(conn: &mut AnyConnection, name: &str, now: i64) -> Result<UserId> {
    let id = UserId(new_id());
    sqlx::query(
        "INSERT INTO users (id, email, name, language, time_zone, is_bot, created_at, updated_at)
         VALUES ($1, $2, $3, 'id', 'Asia/Jakarta', 1, $4, $4)",
    )
    .bind(id.to_string())
    .bind(format!("bot-{}@bots.kantor.invalid", id.0.simple()))
    .bind(name)
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// `users u` is a bot an admin made: not the own bot of a webhook or of the organisation.
const ADMIN_BOT: &str = "u.is_bot = 1
    AND NOT EXISTS (SELECT 1 FROM incoming_webhooks w WHERE w.bot_user_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM outgoing_webhooks w WHERE w.bot_user_id = u.id)
    AND NOT EXISTS (SELECT 1 FROM orgs o WHERE o.system_bot_id = u.id)";

/// Whether a user is a bot an admin made (which admins may configure and delete), rather than
/// one a webhook or the organisation owns.
pub async fn is_admin_bot(conn: &mut AnyConnection, id: UserId) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT 1 FROM users u WHERE u.id = $1 AND {ADMIN_BOT}"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(v.is_some())
}

/// Whether a user is a bot.
pub async fn is_bot(conn: &mut AnyConnection, id: UserId) -> Result<bool> {
    let v: Option<i64> = sqlx::query_scalar("SELECT is_bot FROM users WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(v.unwrap_or(0) != 0)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingWebhook {
    pub id: WebhookId,
    pub org_id: OrgId,
    pub conversation_id: ConversationId,
    pub bot_user_id: UserId,
    pub name: String,
    pub created_by: UserId,
    pub created_at: i64,
}

fn incoming_from(row: &AnyRow) -> Result<IncomingWebhook> {
    Ok(IncomingWebhook {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        conversation_id: row.parse("conversation_id")?,
        bot_user_id: row.parse("bot_user_id")?,
        name: row.text("name")?,
        created_by: row.parse("created_by")?,
        created_at: row.int("created_at")?,
    })
}

const INCOMING_COLS: &str =
    "id, org_id, conversation_id, bot_user_id, name, created_by, created_at";

#[derive(Clone, Debug)]
pub struct NewIncomingWebhook<'a> {
    pub org_id: OrgId,
    pub conversation_id: ConversationId,
    pub bot_user_id: UserId,
    pub name: &'a str,
    pub secret_hash: &'a str,
    pub created_by: UserId,
}

pub async fn insert_incoming(
    conn: &mut AnyConnection,
    new: &NewIncomingWebhook<'_>,
    now: i64,
) -> Result<WebhookId> {
    let id = WebhookId(new_id());
    sqlx::query(
        "INSERT INTO incoming_webhooks (id, org_id, conversation_id, bot_user_id, name, secret_hash, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(new.org_id.to_string())
    .bind(new.conversation_id.to_string())
    .bind(new.bot_user_id.to_string())
    .bind(new.name)
    .bind(new.secret_hash)
    .bind(new.created_by.to_string())
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn incoming(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: WebhookId,
) -> Result<IncomingWebhook> {
    let row = sqlx::query(&format!(
        "SELECT {INCOMING_COLS} FROM incoming_webhooks WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id.to_string())
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    incoming_from(&row)
}

pub async fn delete_incoming(conn: &mut AnyConnection, org_id: OrgId, id: WebhookId) -> Result<()> {
    let done = sqlx::query("DELETE FROM incoming_webhooks WHERE org_id = $1 AND id = $2")
        .bind(org_id.to_string())
        .bind(id.to_string())
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// An outgoing webhook and its delivery status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingWebhook {
    pub id: WebhookId,
    pub org_id: OrgId,
    pub conversation_id: Option<ConversationId>,
    pub name: String,
    pub url: String,
    /// Lower-case words.
    pub trigger_words: Vec<String>,
    pub signing_secret: String,
    pub created_by: UserId,
    pub created_at: i64,
    pub last_status: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<i64>,
    pub failures: i64,
}

fn outgoing_from(row: &AnyRow) -> Result<OutgoingWebhook> {
    let words = row.text("trigger_words")?;
    Ok(OutgoingWebhook {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        conversation_id: row.opt_parse("conversation_id")?,
        name: row.text("name")?,
        url: row.text("url")?,
        trigger_words: serde_json::from_str(&words)
            .map_err(|_| StoreError::Corrupt("trigger_words"))?,
        signing_secret: row.text("signing_secret")?,
        created_by: row.parse("created_by")?,
        created_at: row.int("created_at")?,
        last_status: row.opt_text("last_status")?,
        last_error: row.opt_text("last_error")?,
        last_attempt_at: row.opt_int("last_attempt_at")?,
        failures: row.int("failures")?,
    })
}

const OUTGOING_COLS: &str = "id, org_id, conversation_id, name, url, trigger_words, signing_secret, created_by, created_at, last_status, last_error, last_attempt_at, failures";

#[derive(Clone, Debug)]
pub struct NewOutgoingWebhook<'a> {
    pub org_id: OrgId,
    pub conversation_id: Option<ConversationId>,
    pub name: &'a str,
    pub url: &'a str,
    pub trigger_words: &'a [String],
    pub signing_secret: &'a str,
    pub created_by: UserId,
}

pub async fn insert_outgoing(
    conn: &mut AnyConnection,
    new: &NewOutgoingWebhook<'_>,
    now: i64,
) -> Result<WebhookId> {
    let id = WebhookId(new_id());
    let words = serde_json::to_string(new.trigger_words).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO outgoing_webhooks (id, org_id, conversation_id, name, url, trigger_words, signing_secret, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(new.org_id.to_string())
    .bind(new.conversation_id.map(|c| c.to_string()))
    .bind(new.name)
    .bind(new.url)
    .bind(words)
    .bind(new.signing_secret)
    .bind(new.created_by.to_string())
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn outgoing(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: WebhookId,
) -> Result<OutgoingWebhook> {
    let row = sqlx::query(&format!(
        "SELECT {OUTGOING_COLS} FROM outgoing_webhooks WHERE org_id = $1 AND id = $2"
    ))
    .bind(org_id.to_string())
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    outgoing_from(&row)
}

/// The outgoing webhooks that may match a message in this conversation (one indexed read on
/// the post path; matching the trigger words is the caller's).
pub async fn outgoing_for(
    conn: &mut AnyConnection,
    org_id: OrgId,
    conversation_id: ConversationId,
) -> Result<Vec<OutgoingWebhook>> {
    let rows = sqlx::query(&format!(
        "SELECT {OUTGOING_COLS} FROM outgoing_webhooks
         WHERE org_id = $1 AND (conversation_id IS NULL OR conversation_id = $2)"
    ))
    .bind(org_id.to_string())
    .bind(conversation_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(outgoing_from).collect()
}

pub async fn delete_outgoing(conn: &mut AnyConnection, org_id: OrgId, id: WebhookId) -> Result<()> {
    let done = sqlx::query("DELETE FROM outgoing_webhooks WHERE org_id = $1 AND id = $2")
        .bind(org_id.to_string())
        .bind(id.to_string())
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Records one delivery attempt: a success resets the failure count.
pub async fn record_delivery(
    conn: &mut AnyConnection,
    id: WebhookId,
    error: Option<&str>,
    now: i64,
) -> Result<()> {
    let sql = if error.is_some() {
        "UPDATE outgoing_webhooks SET last_status = 'failed', last_error = $2, last_attempt_at = $3, failures = failures + 1 WHERE id = $1"
    } else {
        "UPDATE outgoing_webhooks SET last_status = 'ok', last_error = $2, last_attempt_at = $3, failures = 0 WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(id.to_string())
        .bind(error)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the organisation's allow-list.
pub async fn set_allowed_hosts(
    conn: &mut AnyConnection,
    org_id: OrgId,
    hosts: &[String],
) -> Result<()> {
    sqlx::query("DELETE FROM webhook_allowed_hosts WHERE org_id = $1")
        .bind(org_id.to_string())
        .execute(&mut *conn)
        .await?;
    for h in hosts {
        sqlx::query(
            "INSERT INTO webhook_allowed_hosts (org_id, host) VALUES ($1, $2) ON CONFLICT (org_id, host) DO NOTHING",
        )
        .bind(org_id.to_string())
        .bind(h)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

pub async fn allowed_hosts(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<String>> {
    Ok(
        sqlx::query_scalar(
            "SELECT host FROM webhook_allowed_hosts WHERE org_id = $1 ORDER BY host",
        )
        .bind(org_id.to_string())
        .fetch_all(conn)
        .await?,
    )
}

/// Sets (or clears) a message's interactive content, JSON validated by the server.
pub async fn set_interactive(
    conn: &mut AnyConnection,
    message_id: kantor_core::ids::MessageId,
    interactive: Option<&str>,
) -> Result<()> {
    sqlx::query("UPDATE messages SET interactive = $2 WHERE id = $1")
        .bind(message_id.to_string())
        .bind(interactive)
        .execute(conn)
        .await?;
    Ok(())
}

/// A bot of an organisation (not an incoming webhook's own bot).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bot {
    pub id: UserId,
    pub name: String,
    pub created_at: i64,
}

impl Store {
    /// The organisation's active bots made by admins, oldest first.
    pub async fn bots(&self, org_id: OrgId) -> Result<Vec<Bot>> {
        let rows = sqlx::query(&format!(
            "SELECT u.id, u.name, u.created_at FROM users u JOIN memberships m ON m.user_id = u.id
                 WHERE m.org_id = $1 AND m.status = 'active' AND {ADMIN_BOT}
                 ORDER BY u.created_at, u.id"
        ))
        .bind(org_id.to_string())
        .fetch_all(&mut *self.read_conn().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Bot {
                    id: r.parse("id")?,
                    name: r.text("name")?,
                    created_at: r.int("created_at")?,
                })
            })
            .collect()
    }

    /// The incoming webhook whose secret hashes to this; `NotFound` otherwise.
    pub async fn incoming_by_secret_hash(&self, secret_hash: &str) -> Result<IncomingWebhook> {
        let row = sqlx::query(&format!(
            "SELECT {INCOMING_COLS} FROM incoming_webhooks WHERE secret_hash = $1"
        ))
        .bind(secret_hash)
        .fetch_optional(&mut *self.read_conn().await?)
        .await?
        .ok_or(StoreError::NotFound)?;
        incoming_from(&row)
    }

    pub async fn incoming_webhooks(&self, org_id: OrgId) -> Result<Vec<IncomingWebhook>> {
        let rows = sqlx::query(&format!(
            "SELECT {INCOMING_COLS} FROM incoming_webhooks WHERE org_id = $1 ORDER BY created_at, id"
        ))
        .bind(org_id.to_string())
        .fetch_all(&mut *self.read_conn().await?)
        .await?;
        rows.iter().map(incoming_from).collect()
    }

    pub async fn outgoing_webhooks(&self, org_id: OrgId) -> Result<Vec<OutgoingWebhook>> {
        let rows = sqlx::query(&format!(
            "SELECT {OUTGOING_COLS} FROM outgoing_webhooks WHERE org_id = $1 ORDER BY created_at, id"
        ))
        .bind(org_id.to_string())
        .fetch_all(&mut *self.read_conn().await?)
        .await?;
        rows.iter().map(outgoing_from).collect()
    }

    /// An outgoing webhook by id alone (the delivery job), with the organisation's allow-list.
    pub async fn outgoing_for_delivery(
        &self,
        id: WebhookId,
    ) -> Result<(OutgoingWebhook, Vec<String>)> {
        let mut conn = self.read_conn().await?;
        let row = sqlx::query(&format!(
            "SELECT {OUTGOING_COLS} FROM outgoing_webhooks WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
        let hook = outgoing_from(&row)?;
        let hosts = allowed_hosts(&mut conn, hook.org_id).await?;
        Ok((hook, hosts))
    }
}

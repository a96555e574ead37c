//! Chat retention and export: an organisation's policy (keep forever, or delete messages older
//! than `keep_days`), legal holds on conversations, the purge in bounded batches, and the rows
//! of admins' exports.
//!
//! **A thread is purged whole**: its root goes, with every reply, once the root *and* its newest
//! reply are older than the cutoff (`COALESCE(last_reply_at, created_at)`). A thread that is still
//! active keeps its older messages, so no reply is ever left without its root and no reply
//! count has to be rewritten. Replies sort before roots in a batch, so a root is deleted in the
//! batch that takes its last reply or a later one.
//!
//! Quotes and forwards are snapshots that belong to the newer message: they stay with it.

use kantor_core::ids::{ConversationId, FileId, MessageId, OrgId, UserId};
use sqlx::AnyConnection;

use crate::chat::Message;
use crate::db::Backend;
use crate::row::RowExt;
use crate::{Result, Store, StoreError};

/// The least and most days a policy may keep messages.
pub const MIN_KEEP_DAYS: i64 = 1;
pub const MAX_KEEP_DAYS: i64 = 3650;

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// --- policy and holds --------------------------------------------------------------------------

/// The organisation's policy: `None` keeps messages forever.
pub async fn keep_days(conn: &mut AnyConnection, org_id: OrgId) -> Result<Option<i64>> {
    let v: Option<Option<i64>> =
        sqlx::query_scalar("SELECT keep_days FROM chat_retention WHERE org_id = $1")
            .bind(org_id.to_string())
            .fetch_optional(conn)
            .await?;
    Ok(v.flatten())
}

pub async fn set_keep_days(
    conn: &mut AnyConnection,
    org_id: OrgId,
    keep_days: Option<i64>,
    by: UserId,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_retention (org_id, keep_days, updated_by, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id) DO UPDATE SET keep_days = $2, updated_by = $3, updated_at = $4",
    )
    .bind(org_id.to_string())
    .bind(keep_days)
    .bind(by.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A legal hold on a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hold {
    pub conversation_id: ConversationId,
    pub reason: String,
    pub set_by: Option<UserId>,
    pub set_at: i64,
}

pub async fn holds(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<Hold>> {
    let rows = sqlx::query("SELECT * FROM chat_legal_holds WHERE org_id = $1")
        .bind(org_id.to_string())
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Hold {
                conversation_id: r.parse("conversation_id")?,
                reason: r.text("reason")?,
                set_by: r.opt_parse("set_by")?,
                set_at: r.int("set_at")?,
            })
        })
        .collect()
}

/// Puts a conversation on hold (or changes the reason) or lifts the hold; returns the hold
/// as it was before.
pub async fn set_hold(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
    on: Option<(&str, UserId)>,
    now: i64,
) -> Result<Option<Hold>> {
    let before = holds_of(conn, org_id, id).await?;
    match on {
        Some((reason, by)) => {
            sqlx::query(
                "INSERT INTO chat_legal_holds (conversation_id, org_id, reason, set_by, set_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (conversation_id) DO UPDATE SET reason = $3, set_by = $4, set_at = $5",
            )
            .bind(id.to_string())
            .bind(org_id.to_string())
            .bind(reason)
            .bind(by.to_string())
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM chat_legal_holds WHERE conversation_id = $1 AND org_id = $2")
                .bind(id.to_string())
                .bind(org_id.to_string())
                .execute(conn)
                .await?;
        }
    }
    Ok(before)
}

async fn holds_of(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
) -> Result<Option<Hold>> {
    let row =
        sqlx::query("SELECT * FROM chat_legal_holds WHERE conversation_id = $1 AND org_id = $2")
            .bind(id.to_string())
            .bind(org_id.to_string())
            .fetch_optional(conn)
            .await?;
    row.map(|r| {
        Ok(Hold {
            conversation_id: r.parse("conversation_id")?,
            reason: r.text("reason")?,
            set_by: r.opt_parse("set_by")?,
            set_at: r.int("set_at")?,
        })
    })
    .transpose()
}

/// Whether a conversation is on legal hold.
pub async fn is_held(conn: &mut AnyConnection, id: ConversationId) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM chat_legal_holds WHERE conversation_id = $1")
            .bind(id.to_string())
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

/// The organisation's channels (public and private) and every conversation on hold, by name:
/// (id, kind, name).
pub async fn channels_and_held(
    conn: &mut AnyConnection,
    org_id: OrgId,
) -> Result<Vec<(ConversationId, kantor_core::chat::Kind, Option<String>)>> {
    let rows = sqlx::query(
        "SELECT c.id, c.kind, c.name FROM conversations c WHERE c.org_id = $1
         AND (c.kind IN ('public', 'private')
              OR EXISTS (SELECT 1 FROM chat_legal_holds h WHERE h.conversation_id = c.id))
         ORDER BY c.name, c.id",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.parse("id")?, r.parse("kind")?, r.opt_text("name")?)))
        .collect()
}

impl Store {
    /// Organisations that delete old messages, with their `keep_days`.
    pub async fn retention_policies(&self) -> Result<Vec<(OrgId, i64)>> {
        let rows = sqlx::query(
            "SELECT org_id, keep_days FROM chat_retention WHERE keep_days IS NOT NULL ORDER BY org_id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.parse("org_id")?, r.int("keep_days")?)))
            .collect()
    }

    /// Conversations of the organisation that the purge may touch: not on hold, with a
    /// message older than `cutoff`.
    pub async fn purgeable_conversations(
        &self,
        org_id: OrgId,
        cutoff: i64,
    ) -> Result<Vec<ConversationId>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT c.id FROM conversations c WHERE c.org_id = $1
             AND NOT EXISTS (SELECT 1 FROM chat_legal_holds h WHERE h.conversation_id = c.id)
             AND EXISTS (SELECT 1 FROM messages x WHERE x.conversation_id = c.id AND x.created_at < $2)
             ORDER BY c.id",
        )
        .bind(org_id.to_string())
        .bind(cutoff)
        .fetch_all(self.reader())
        .await?;
        ids.iter()
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt("id")))
            .collect()
    }
}

// --- purge -------------------------------------------------------------------------------------

/// A message the purge deleted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgedMessage {
    pub id: MessageId,
    pub seq: i64,
    pub created_at: i64,
}

/// What one purge batch deleted: messages, and the files (with thumbnails) no remaining message
/// uses — their rows are gone; the caller removes their bytes after the commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    pub messages: Vec<PurgedMessage>,
    pub files: Vec<FileId>,
}

/// Deletes up to `limit` expired messages of one conversation (see the module docs for which
/// are expired), with their reactions, edits, reminders and search terms, and the files only
/// they used. Call it in its own transaction, again until it returns no messages. The caller
/// checks the legal hold first (under the same transaction) — this function does not.
pub async fn purge_batch(
    conn: &mut AnyConnection,
    backend: Backend,
    id: ConversationId,
    cutoff: i64,
    limit: i64,
) -> Result<Purged> {
    if backend == Backend::Postgres {
        // Posting takes this row's lock for the next `seq`: posters (and replies to a root
        // about to go) wait for this short batch instead of racing it.
        sqlx::query("SELECT id FROM conversations WHERE id = $1 FOR UPDATE")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    }
    let rows = sqlx::query(&format!(
        "SELECT m.id, m.seq, m.created_at, m.attachments FROM messages m
         LEFT JOIN messages r ON r.id = m.thread_root_id
         WHERE m.conversation_id = $1 AND m.created_at < $2
           AND ((m.thread_root_id IS NULL AND COALESCE(m.last_reply_at, m.created_at) < $2)
             OR (m.thread_root_id IS NOT NULL AND r.created_at < $2
                 AND COALESCE(r.last_reply_at, r.created_at) < $2))
         ORDER BY CASE WHEN m.thread_root_id IS NULL THEN 1 ELSE 0 END, m.seq
         LIMIT {}",
        limit.clamp(1, 5000)
    ))
    .bind(id.to_string())
    .bind(cutoff)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Purged::default();
    let mut file_ids: Vec<String> = Vec::new();
    for r in &rows {
        out.messages.push(PurgedMessage {
            id: r.parse("id")?,
            seq: r.int("seq")?,
            created_at: r.int("created_at")?,
        });
        let attachments: Vec<serde_json::Value> =
            serde_json::from_str(&r.text("attachments")?).unwrap_or_default();
        for a in attachments {
            if let Some(f) = a.get("id").and_then(|v| v.as_str()) {
                if !file_ids.iter().any(|x| x == f) {
                    file_ids.push(f.to_string());
                }
            }
        }
    }
    if out.messages.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = out.messages.iter().map(|m| m.id.to_string()).collect();
    for chunk in ids.chunks(500) {
        let list = placeholders(1, chunk.len());
        for sql in [
            format!("DELETE FROM message_terms WHERE message_id IN ({list})"),
            format!("DELETE FROM reactions WHERE message_id IN ({list})"),
            format!("DELETE FROM message_edits WHERE message_id IN ({list})"),
            format!("DELETE FROM message_reminders WHERE message_id IN ({list})"),
            format!("DELETE FROM chat_poll_votes WHERE message_id IN ({list})"),
        ] {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.execute(&mut *conn).await?;
        }
    }
    // Replies before roots: a root's replies are in this batch or an earlier one.
    for chunk in ids.chunks(500) {
        let sql = format!(
            "DELETE FROM messages WHERE id IN ({}) AND thread_root_id IS NOT NULL",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut *conn).await?;
    }
    for chunk in ids.chunks(500) {
        let sql = format!(
            "DELETE FROM messages WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut *conn).await?;
    }
    for f in file_ids {
        // A file belongs to the one conversation it was sent in; another message there may
        // still show it.
        let still_used: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND attachments LIKE $2",
        )
        .bind(id.to_string())
        .bind(format!("%\"id\":\"{f}\"%"))
        .fetch_one(&mut *conn)
        .await?;
        if still_used > 0 {
            continue;
        }
        let thumb: Option<Option<String>> = sqlx::query_scalar(
            "SELECT thumbnail_file_id FROM chat_files WHERE file_id = $1 AND conversation_id = $2",
        )
        .bind(&f)
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(thumb) = thumb else { continue };
        sqlx::query("DELETE FROM chat_files WHERE file_id = $1")
            .bind(&f)
            .execute(&mut *conn)
            .await?;
        for file in std::iter::once(f).chain(thumb) {
            sqlx::query("DELETE FROM files WHERE id = $1")
                .bind(&file)
                .execute(&mut *conn)
                .await?;
            out.files
                .push(file.parse().map_err(|_| StoreError::Corrupt("file_id"))?);
        }
    }
    Ok(out)
}

/// Deletes scheduled messages of a conversation that are done (sent, cancelled or failed) and
/// were due before `cutoff`: they hold a copy of the body.
pub async fn purge_scheduled(
    conn: &mut AnyConnection,
    id: ConversationId,
    cutoff: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "DELETE FROM scheduled_messages WHERE conversation_id = $1
         AND status IN ('sent', 'cancelled', 'failed') AND send_at < $2",
    )
    .bind(id.to_string())
    .bind(cutoff)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ids of the messages of a conversation that retained events (and outbox rows) about message
/// creation or change still carry, from `since` on.
pub async fn message_ids_in_events(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
    since: i64,
) -> Result<Vec<MessageId>> {
    let mut out = Vec::new();
    for table in ["events", "outbox"] {
        let payloads: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT payload FROM {table} WHERE org_id = $1 AND created_at >= $2
             AND kind IN ('chat.message.created', 'chat.message.updated') AND payload LIKE $3"
        ))
        .bind(org_id.to_string())
        .bind(since)
        .bind(format!("%\"conversation_id\":\"{id}\"%"))
        .fetch_all(&mut *conn)
        .await?;
        for p in payloads {
            let v: serde_json::Value = serde_json::from_str(&p).unwrap_or_default();
            if let Some(m) = v
                .get("id")
                .and_then(|s| s.as_str())
                .and_then(|s| s.parse().ok())
            {
                out.push(m);
            }
        }
    }
    Ok(out)
}

// --- exports -----------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Export {
    pub id: uuid::Uuid,
    pub org_id: OrgId,
    pub conversation_id: Option<ConversationId>,
    pub requested_by: UserId,
    /// pending | done | failed
    pub state: String,
    pub file_id: Option<FileId>,
    pub size_bytes: Option<i64>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

fn export_from(r: &sqlx::any::AnyRow) -> Result<Export> {
    Ok(Export {
        id: r.parse("id")?,
        org_id: r.parse("org_id")?,
        conversation_id: r.opt_parse("conversation_id")?,
        requested_by: r.parse("requested_by")?,
        state: r.text("state")?,
        file_id: r.opt_parse("file_id")?,
        size_bytes: r.opt_int("size_bytes")?,
        created_at: r.int("created_at")?,
        finished_at: r.opt_int("finished_at")?,
    })
}

pub async fn insert_export(
    conn: &mut AnyConnection,
    org_id: OrgId,
    conversation_id: Option<ConversationId>,
    by: UserId,
    now: i64,
) -> Result<uuid::Uuid> {
    let id = crate::new_id();
    sqlx::query(
        "INSERT INTO chat_exports (id, org_id, conversation_id, requested_by, state, created_at)
         VALUES ($1, $2, $3, $4, 'pending', $5)",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(conversation_id.map(|c| c.to_string()))
    .bind(by.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(id)
}

/// One export of the organisation.
pub async fn export(conn: &mut AnyConnection, org_id: OrgId, id: uuid::Uuid) -> Result<Export> {
    let row = sqlx::query("SELECT * FROM chat_exports WHERE id = $1 AND org_id = $2")
        .bind(id.to_string())
        .bind(org_id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    export_from(&row)
}

/// The organisation's exports, newest first (at most 100).
pub async fn exports(conn: &mut AnyConnection, org_id: OrgId) -> Result<Vec<Export>> {
    let rows =
        sqlx::query("SELECT * FROM chat_exports WHERE org_id = $1 ORDER BY id DESC LIMIT 100")
            .bind(org_id.to_string())
            .fetch_all(conn)
            .await?;
    rows.iter().map(export_from).collect()
}

/// Marks a pending export done (with its ZIP) or failed (`file` none); false when it was not
/// pending any more.
pub async fn finish_export(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    file: Option<(FileId, i64)>,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE chat_exports SET state = $2, file_id = $3, size_bytes = $4, finished_at = $5
         WHERE id = $1 AND state = 'pending'",
    )
    .bind(id.to_string())
    .bind(if file.is_some() { "done" } else { "failed" })
    .bind(file.map(|f| f.0.to_string()))
    .bind(file.map(|f| f.1))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Conversations to export: one, or every conversation of the organisation, by creation.
pub async fn export_conversations(
    conn: &mut AnyConnection,
    org_id: OrgId,
    only: Option<ConversationId>,
) -> Result<Vec<crate::chat::Conversation>> {
    let mut out = Vec::new();
    match only {
        Some(id) => out.push(crate::chat::conversation(conn, org_id, id).await?),
        None => {
            let ids: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM conversations WHERE org_id = $1 ORDER BY created_at, id",
            )
            .bind(org_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
            for id in ids {
                let id = id.parse().map_err(|_| StoreError::Corrupt("id"))?;
                out.push(crate::chat::conversation(conn, org_id, id).await?);
            }
        }
    }
    Ok(out)
}

/// A page of a conversation's messages (thread replies included) after `after_seq`, ascending,
/// with reactions.
pub async fn export_messages(
    conn: &mut AnyConnection,
    id: ConversationId,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let cond = format!(
        "x.conversation_id = $1 AND x.seq > $2 ORDER BY x.seq LIMIT {}",
        limit.clamp(1, 5000)
    );
    crate::chat::messages_where(conn, &cond, |q| q.bind(id.to_string()).bind(after_seq)).await
}

/// Total size of the files attached to the conversations (all of the organisation's when
/// `only` is none), to refuse an export that would be too large before it starts.
pub async fn export_files_size(
    conn: &mut AnyConnection,
    org_id: OrgId,
    only: Option<ConversationId>,
) -> Result<i64> {
    let total: Option<i64> = match only {
        Some(id) => sqlx::query_scalar(
            "SELECT CAST(SUM(f.size_bytes) AS BIGINT) FROM chat_files cf JOIN files f ON f.id = cf.file_id
             WHERE cf.org_id = $1 AND cf.conversation_id = $2",
        )
        .bind(org_id.to_string())
        .bind(id.to_string())
        .fetch_one(conn)
        .await?,
        None => sqlx::query_scalar(
            "SELECT CAST(SUM(f.size_bytes) AS BIGINT) FROM chat_files cf JOIN files f ON f.id = cf.file_id
             WHERE cf.org_id = $1 AND cf.conversation_id IS NOT NULL",
        )
        .bind(org_id.to_string())
        .fetch_one(conn)
        .await?,
    };
    Ok(total.unwrap_or(0))
}

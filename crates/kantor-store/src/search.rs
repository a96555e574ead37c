//! Chat search: the `message_terms` index and the search query over it.
//!
//! The index is a table in the same database, written in the writer's transaction together
//! with the message it describes, so it is in step on every node and on both databases with
//! one query path. A message's rows are its [`terms`]: the index terms of its body and of its
//! files' names ([`kantor_core::search::index_terms`]), plus [`FILE_TERM`] and [`LINK_TERM`]
//! when it has a file or a link. An edit replaces the rows; a delete removes them.
//!
//! [`search`] finds messages **only in conversations the searcher is a member of**: the
//! membership is a condition of the SQL, never a filter applied to results afterwards. A
//! public channel one has not joined is not searched (as in Slack: join it to search it).

use kantor_core::ids::{ConversationId, MessageId, OrgId, UserId};
use sqlx::AnyConnection;

use crate::chat::{self, Message, UserRef};
use crate::row::RowExt;
use crate::{Result, Store, StoreError};

/// The term of every message with a file. No word can produce it: words have no `:`.
pub const FILE_TERM: &str = ":file";
/// The term of every message with a link.
pub const LINK_TERM: &str = ":link";

/// Rows per `INSERT` (five parameters each, far below either database's limit).
const INSERT_ROWS: usize = 100;

/// The index terms of a message: its body's, its files' names', and the reserved terms.
pub fn terms(body: &str, attachments_json: &str) -> Vec<String> {
    let mut out = kantor_core::search::index_terms(body);
    let files: Vec<serde_json::Value> = serde_json::from_str(attachments_json).unwrap_or_default();
    for name in files.iter().filter_map(|f| f.get("name")?.as_str()) {
        for term in kantor_core::search::index_terms(name) {
            if !out.contains(&term) {
                out.push(term);
            }
        }
    }
    if !files.is_empty() {
        out.push(FILE_TERM.to_string());
    }
    if has_link(body) {
        out.push(LINK_TERM.to_string());
    }
    out
}

/// Whether a body has a link: what the analyser treats as one (`http://`, `https://`,
/// `www.`), also inside Markdown link syntax.
fn has_link(body: &str) -> bool {
    let lower = body.to_lowercase();
    ["http://", "https://", "www."]
        .iter()
        .any(|p| lower.contains(p))
}

/// Indexes a message as it now is: its old rows go, and a message that is not deleted gets
/// the rows of its [`terms`]. Call it in the transaction that writes the message.
pub async fn index(conn: &mut AnyConnection, m: &Message) -> Result<()> {
    unindex_message(conn, m.id).await?;
    if m.deleted_at.is_none() {
        let terms = terms(&m.body, &m.attachments);
        index_message(conn, &Indexed::of(m), &terms).await?;
    }
    Ok(())
}

/// Indexes a message just inserted (it has no rows yet: one statement fewer on the write path).
pub async fn index_new(conn: &mut AnyConnection, m: &Message) -> Result<()> {
    index_message(conn, &Indexed::of(m), &terms(&m.body, &m.attachments)).await
}

/// Where a message's index rows point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Indexed {
    pub message_id: MessageId,
    pub org_id: OrgId,
    pub conversation_id: ConversationId,
    pub created_at: i64,
}

impl Indexed {
    pub fn of(m: &Message) -> Indexed {
        Indexed {
            message_id: m.id,
            org_id: m.org_id,
            conversation_id: m.conversation_id,
            created_at: m.created_at,
        }
    }
}

/// Adds index rows for a message (a new one has none; existing rows are kept).
pub async fn index_message(conn: &mut AnyConnection, m: &Indexed, terms: &[String]) -> Result<()> {
    let (id, cid, org) = (
        m.message_id.to_string(),
        m.conversation_id.to_string(),
        m.org_id.to_string(),
    );
    for chunk in terms.chunks(INSERT_ROWS) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = 5 * i;
                format!(
                    "(${}, ${}, ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO message_terms (org_id, term, message_id, conversation_id, created_at)
             VALUES {} ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for term in chunk {
            q = q
                .bind(org.as_str())
                .bind(term.as_str())
                .bind(id.as_str())
                .bind(cid.as_str())
                .bind(m.created_at);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Removes a message's index rows.
pub async fn unindex_message(conn: &mut AnyConnection, id: MessageId) -> Result<()> {
    sqlx::query("DELETE FROM message_terms WHERE message_id = $1")
        .bind(id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Where a page of results ends: the last result's time and id (results are newest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub created_at: i64,
    pub id: MessageId,
}

impl Position {
    pub fn of(m: &Message) -> Position {
        Position {
            created_at: m.created_at,
            id: m.id,
        }
    }
}

/// What to search for, and where.
#[derive(Clone, Debug)]
pub struct SearchFilter<'a> {
    pub org_id: OrgId,
    /// The searcher: only conversations they are a member of are searched.
    pub user_id: UserId,
    /// One entry per query word: its alternative terms. A match has one term of every entry.
    pub words: &'a [Vec<String>],
    /// One entry per excluded word: a match has none of its terms.
    pub excluded: &'a [Vec<String>],
    /// Authors, any of them; empty: anyone.
    pub authors: &'a [UserId],
    /// Conversations, any of them (and still only the searcher's); `None`: all of theirs.
    pub conversations: Option<&'a [ConversationId]>,
    /// Inclusive, UTC milliseconds.
    pub since: Option<i64>,
    /// Exclusive, UTC milliseconds.
    pub until: Option<i64>,
    pub has_file: bool,
    pub has_link: bool,
    pub is_pinned: bool,
    /// Only thread replies.
    pub is_thread: bool,
    /// Only results older than this position (the previous page's last).
    pub after: Option<Position>,
    pub limit: i64,
}

/// Index rows one word may have and still count as rare (see [`search`]).
const RARE_ROWS: usize = 1_000;

/// The ids of the messages with one of a word's terms, when there are fewer than
/// [`RARE_ROWS`] index rows for them in the organisation (one bounded index range read);
/// `None` for a common word.
async fn rare_messages(
    conn: &mut AnyConnection,
    org_id: &OrgId,
    terms: &[String],
) -> Result<Option<Vec<String>>> {
    let list: Vec<String> = (0..terms.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT message_id FROM message_terms WHERE org_id = $1 AND term IN ({}) LIMIT {RARE_ROWS}",
        list.join(", ")
    );
    let mut q = sqlx::query_scalar::<_, String>(&sql).bind(org_id.to_string());
    for t in terms {
        q = q.bind(t.clone());
    }
    let mut ids = q.fetch_all(&mut *conn).await?;
    if ids.len() >= RARE_ROWS {
        return Ok(None);
    }
    ids.sort();
    ids.dedup();
    Ok(Some(ids))
}

/// A value to bind, in order.
enum Bind {
    Text(String),
    Int(i64),
}

/// Messages matching the filter, newest first, at most `limit` (1–500).
pub async fn search(conn: &mut AnyConnection, f: &SearchFilter<'_>) -> Result<Vec<Message>> {
    if f.conversations.is_some_and(<[ConversationId]>::is_empty) {
        return Ok(Vec::new());
    }
    let mut binds = vec![
        Bind::Text(f.org_id.to_string()),
        Bind::Text(f.user_id.to_string()),
    ];
    let param = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    let mut sql = String::from(
        "x.org_id = $1 AND x.deleted_at IS NULL AND x.conversation_id IN
         (SELECT cm.conversation_id FROM conversation_members cm WHERE cm.user_id = $2 AND cm.org_id = $1)",
    );
    // Set when a rare word's message ids drive the search: then the date index must not be
    // used for the order (SQLite would walk every message by date checking the few ids), so
    // the order is on an expression the index does not cover.
    let mut by_ids = false;
    let mut groups: Vec<(bool, Vec<String>)> = Vec::new();
    groups.extend(f.words.iter().map(|w| (true, w.clone())));
    if f.has_file {
        groups.push((true, vec![FILE_TERM.to_string()]));
    }
    if f.has_link {
        groups.push((true, vec![LINK_TERM.to_string()]));
    }
    groups.extend(f.excluded.iter().map(|w| (false, w.clone())));
    for (wanted, terms) in groups {
        if terms.is_empty() {
            if wanted {
                return Ok(Vec::new());
            }
            continue;
        }
        // A word few messages have drives the search: its messages are read first (`IN`). A
        // common one is checked on each message met newest first (`EXISTS` on the primary
        // key), so the search stops after `limit` hits instead of reading every message that
        // has the word. Exclusions are always checked per message.
        if wanted {
            if let Some(ids) = rare_messages(conn, &f.org_id, &terms).await? {
                // The few messages with the word, by id: read through the primary key.
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let list: Vec<String> = ids
                    .into_iter()
                    .map(|id| param(&mut binds, Bind::Text(id)))
                    .collect();
                sql.push_str(&format!(" AND x.id IN ({})", list.join(", ")));
                by_ids = true;
                continue;
            }
        }
        let list: Vec<String> = terms
            .into_iter()
            .map(|t| param(&mut binds, Bind::Text(t)))
            .collect();
        let list = list.join(", ");
        {
            sql.push_str(&format!(
                " AND {}EXISTS (SELECT 1 FROM message_terms t WHERE t.org_id = $1 AND t.term IN ({list}) AND t.message_id = x.id)",
                if wanted { "" } else { "NOT " },
            ));
        }
    }
    if !f.authors.is_empty() {
        let list: Vec<String> = f
            .authors
            .iter()
            .map(|a| param(&mut binds, Bind::Text(a.to_string())))
            .collect();
        sql.push_str(&format!(" AND x.author_id IN ({})", list.join(", ")));
    }
    if let Some(conversations) = f.conversations {
        let list: Vec<String> = conversations
            .iter()
            .map(|c| param(&mut binds, Bind::Text(c.to_string())))
            .collect();
        sql.push_str(&format!(" AND x.conversation_id IN ({})", list.join(", ")));
    }
    if let Some(since) = f.since {
        let p = param(&mut binds, Bind::Int(since));
        sql.push_str(&format!(" AND x.created_at >= {p}"));
    }
    if let Some(until) = f.until {
        let p = param(&mut binds, Bind::Int(until));
        sql.push_str(&format!(" AND x.created_at < {p}"));
    }
    if f.is_pinned {
        sql.push_str(" AND x.pinned_at IS NOT NULL");
    }
    if f.is_thread {
        sql.push_str(" AND x.thread_root_id IS NOT NULL");
    }
    if let Some(after) = f.after {
        let at = param(&mut binds, Bind::Int(after.created_at));
        let id = param(&mut binds, Bind::Text(after.id.to_string()));
        sql.push_str(&format!(
            " AND (x.created_at < {at} OR (x.created_at = {at} AND x.id < {id}))"
        ));
    }
    sql.push_str(&format!(
        " ORDER BY {} DESC, x.id DESC LIMIT {}",
        if by_ids {
            "x.created_at + 0"
        } else {
            "x.created_at"
        },
        f.limit.clamp(1, 500)
    ));
    chat::messages_where(conn, &sql, move |mut q| {
        for b in binds {
            q = match b {
                Bind::Text(s) => q.bind(s),
                Bind::Int(n) => q.bind(n),
            };
        }
        q
    })
    .await
}

/// Members of the organisation (any status) whose name, or a word of it, or whose email
/// starts with `prefix` (case-insensitive), by name; at most 50.
pub async fn people(
    conn: &mut AnyConnection,
    org_id: OrgId,
    prefix: &str,
) -> Result<Vec<(UserRef, String)>> {
    let escaped = prefix
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let rows = sqlx::query(
        "SELECT u.id AS u_id, u.name AS u_name, u.avatar_file_id AS u_avatar, u.email
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 AND (LOWER(u.name) LIKE $2 ESCAPE '\\' OR LOWER(u.name) LIKE $3 ESCAPE '\\'
           OR LOWER(u.email) LIKE $2 ESCAPE '\\')
         ORDER BY u.name, u.id LIMIT 50",
    )
    .bind(org_id.to_string())
    .bind(format!("{escaped}%"))
    .bind(format!("% {escaped}%"))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                UserRef {
                    id: r.parse("u_id")?,
                    name: r.text("u_name")?,
                    avatar_file_id: r.opt_parse("u_avatar")?,
                },
                r.text("email")?,
            ))
        })
        .collect()
}

/// The channels named `name` (normalised) that `user` is a member of.
pub async fn my_channels_named(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
    name: &str,
) -> Result<Vec<ConversationId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT c.id FROM conversations c
         JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2
         WHERE c.org_id = $1 AND c.kind IN ('public', 'private') AND c.name = $3",
    )
    .bind(org_id.to_string())
    .bind(user.to_string())
    .bind(name)
    .fetch_all(conn)
    .await?;
    parse_ids(ids)
}

/// `user`'s direct conversations with any of `people` (with oneself, when listed).
pub async fn my_dms_with(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
    people: &[UserId],
) -> Result<Vec<ConversationId>> {
    if people.is_empty() {
        return Ok(Vec::new());
    }
    // A DM's key is its two members' ids, sorted and joined by ':'.
    let keys: Vec<String> = people
        .iter()
        .map(|p| {
            let mut pair = [user, *p];
            pair.sort();
            format!("{}:{}", pair[0], pair[1])
        })
        .collect();
    let list: Vec<String> = (0..keys.len()).map(|i| format!("${}", i + 3)).collect();
    let sql = format!(
        "SELECT c.id FROM conversations c
         JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $2
         WHERE c.org_id = $1 AND c.kind = 'dm' AND c.dm_key IN ({})",
        list.join(", ")
    );
    let mut q = sqlx::query_scalar(&sql)
        .bind(org_id.to_string())
        .bind(user.to_string());
    for k in keys {
        q = q.bind(k);
    }
    let ids: Vec<String> = q.fetch_all(conn).await?;
    parse_ids(ids)
}

fn parse_ids(ids: Vec<String>) -> Result<Vec<ConversationId>> {
    ids.iter()
        .map(|s| {
            s.parse()
                .map_err(|_| StoreError::Corrupt("conversation id"))
        })
        .collect()
}

// --- rebuilding --------------------------------------------------------------------------------

/// What one reindex batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reindexed {
    /// Messages read (deleted ones included: their rows are removed).
    pub messages: u64,
    /// Index rows written.
    pub terms: u64,
    /// The last message of the batch, to continue after; `None` when the organisation is done.
    pub last: Option<MessageId>,
}

/// Rebuilds the index rows of the organisation's next `limit` messages after `after` (by id).
/// Run each batch in its own transaction: searching and posting go on meanwhile, and a message
/// posted or edited during the rebuild is indexed by its own transaction as usual.
pub async fn reindex_batch(
    conn: &mut AnyConnection,
    org_id: OrgId,
    after: Option<MessageId>,
    limit: i64,
) -> Result<Reindexed> {
    let after = after.map(|a| a.to_string()).unwrap_or_default();
    let rows = sqlx::query(
        "SELECT id, org_id, conversation_id, created_at, body, attachments, deleted_at
         FROM messages WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(org_id.to_string())
    .bind(after)
    .bind(limit.clamp(1, 10_000))
    .fetch_all(&mut *conn)
    .await?;
    let mut done = Reindexed::default();
    for row in &rows {
        let id: MessageId = row.parse("id")?;
        unindex_message(conn, id).await?;
        done.messages += 1;
        done.last = Some(id);
        if row.opt_int("deleted_at")?.is_some() {
            continue;
        }
        let terms = terms(&row.text("body")?, &row.text("attachments")?);
        let entry = Indexed {
            message_id: id,
            org_id: row.parse("org_id")?,
            conversation_id: row.parse("conversation_id")?,
            created_at: row.int("created_at")?,
        };
        index_message(conn, &entry, &terms).await?;
        done.terms += terms.len() as u64;
    }
    Ok(done)
}

impl Store {
    /// Every organisation's id, for rebuilding the whole index.
    pub async fn org_ids(&self) -> Result<Vec<OrgId>> {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM orgs ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        ids.iter()
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt("org id")))
            .collect()
    }

    /// Rebuilds one organisation's search index in batches of `batch` messages, each in its
    /// own transaction, calling `progress` after each; returns the totals.
    pub async fn reindex_org(
        &self,
        org_id: OrgId,
        batch: i64,
        mut progress: impl FnMut(&Reindexed),
    ) -> Result<Reindexed> {
        let mut total = Reindexed::default();
        let mut after = None;
        loop {
            let mut tx = self.begin().await?;
            let done = reindex_batch(&mut tx, org_id, after, batch).await?;
            tx.commit().await?;
            if done.messages == 0 {
                return Ok(total);
            }
            total.messages += done.messages;
            total.terms += done.terms;
            total.last = done.last;
            after = done.last;
            progress(&total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{terms, FILE_TERM, LINK_TERM};

    #[test]
    fn terms_cover_body_file_names_and_markers() {
        let files = r#"[{"id": "x", "name": "Laporan-Keuangan.pdf"}]"#;
        let t = terms("Saya sedang mencari", files);
        for expected in [
            "mencari", "cari", "laporan", "lapor", "keuangan", "pdf", FILE_TERM,
        ] {
            assert!(t.iter().any(|x| x == expected), "{expected} in {t:?}");
        }
        assert!(!t.iter().any(|x| x == LINK_TERM));
        let t = terms("lihat [dokumen](HTTPS://docs.kantor.id/a)", "[]");
        assert!(t.iter().any(|x| x == LINK_TERM) && t.iter().any(|x| x == "kantor"));
        assert!(!t.iter().any(|x| x == FILE_TERM));
        assert!(terms("", "not json").is_empty());
    }
}

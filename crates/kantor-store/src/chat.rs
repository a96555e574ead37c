//! Chat: conversations and their members, messages numbered per conversation, edits,
//! reactions, pins, chat attachments, scheduled messages and people's status.
//!
//! A message takes the next `seq` of its conversation with one `UPDATE … RETURNING` on the
//! conversation row, inside the writer's transaction: on PostgreSQL the row lock orders
//! concurrent posters, on SQLite the single writer does. Unread counts are "messages in the
//! channel view with `seq` above my read position", capped so a long absence stays cheap.

use std::collections::HashMap;

use kantor_core::chat::{Kind, PostingRules};
use kantor_core::ids::{ConversationId, FileId, MessageId, OrgId, ScheduledId, UnitId, UserId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::row::{flag, RowExt};
use crate::{new_id, Result, Store, StoreError};

/// Unread counts stop at this number (the UI shows "999+").
pub const UNREAD_CAP: i64 = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    pub id: ConversationId,
    pub org_id: OrgId,
    pub kind: Kind,
    pub name: Option<String>,
    pub topic: String,
    pub description: String,
    pub created_by: UserId,
    pub created_at: i64,
    pub archived_at: Option<i64>,
    pub last_seq: i64,
    pub last_message_at: Option<i64>,
    pub member_count: i64,
    /// Membership follows the organisation (super groups).
    pub org_wide: bool,
    pub rules: PostingRules,
}

fn conversation_from(row: &AnyRow) -> Result<Conversation> {
    Ok(Conversation {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        kind: row.parse("kind")?,
        name: row.opt_text("name")?,
        topic: row.text("topic")?,
        description: row.text("description")?,
        created_by: row.parse("created_by")?,
        created_at: row.int("created_at")?,
        archived_at: row.opt_int("archived_at")?,
        last_seq: row.int("last_seq")?,
        last_message_at: row.opt_int("last_message_at")?,
        member_count: row.int("member_count")?,
        org_wide: row.flag("org_wide")?,
        rules: PostingRules {
            announcement: row.flag("announcement")?,
            slow_mode_secs: row.int("slow_mode_secs")?,
            mention_limit: row.int("mention_limit")?,
        },
    })
}

/// A member's own view of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberState {
    pub role: String,
    pub last_read_seq: i64,
    pub muted: bool,
    pub joined_at: i64,
    /// Notification preference: default | all | mentions | none (`kantor_core::notify`).
    pub notify: String,
}

fn member_state_from(row: &AnyRow) -> Result<MemberState> {
    Ok(MemberState {
        role: row.text("role")?,
        last_read_seq: row.int("last_read_seq")?,
        muted: row.flag("muted")?,
        joined_at: row.int("joined_at")?,
        notify: row.text("notify")?,
    })
}

/// A conversation as a member's sidebar shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub me: Option<MemberState>,
    pub unread_count: i64,
    pub mention_count: i64,
}

/// A person as chat shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
    pub avatar_file_id: Option<FileId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationMember {
    pub user: UserRef,
    pub state: MemberState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewConversation<'a> {
    pub org_id: OrgId,
    pub kind: Kind,
    pub name: Option<&'a str>,
    pub topic: &'a str,
    pub description: &'a str,
    pub dm_key: Option<&'a str>,
    pub created_by: UserId,
}

pub async fn insert_conversation(
    conn: &mut AnyConnection,
    c: &NewConversation<'_>,
    now: i64,
) -> Result<ConversationId> {
    let id = ConversationId(new_id());
    sqlx::query(
        "INSERT INTO conversations (id, org_id, kind, name, topic, description, dm_key, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(c.org_id.to_string())
    .bind(c.kind.as_str())
    .bind(c.name)
    .bind(c.topic)
    .bind(c.description)
    .bind(c.dm_key)
    .bind(c.created_by.to_string())
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

pub async fn conversation(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
) -> Result<Conversation> {
    let row = sqlx::query("SELECT * FROM conversations WHERE id = $1 AND org_id = $2")
        .bind(id.to_string())
        .bind(org_id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    conversation_from(&row)
}

/// A conversation of the organisation and `user`'s membership of it, in one read.
pub async fn conversation_for(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
    user: UserId,
) -> Result<(Conversation, Option<MemberState>)> {
    let row = sqlx::query(
        "SELECT c.*, m.role, m.last_read_seq, m.muted, m.joined_at, m.notify FROM conversations c
         LEFT JOIN conversation_members m ON m.conversation_id = c.id AND m.user_id = $3
         WHERE c.id = $1 AND c.org_id = $2",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(user.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let me = match row.opt_text("role")? {
        Some(_) => Some(member_state_from(&row)?),
        None => None,
    };
    Ok((conversation_from(&row)?, me))
}

pub async fn dm_by_key(
    conn: &mut AnyConnection,
    org_id: OrgId,
    key: &str,
) -> Result<Option<ConversationId>> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM conversations WHERE org_id = $1 AND dm_key = $2")
            .bind(org_id.to_string())
            .bind(key)
            .fetch_optional(conn)
            .await?;
    id.map(|s| s.parse().map_err(|_| StoreError::Corrupt("id")))
        .transpose()
}

#[derive(Clone, Debug, Default)]
pub struct ConversationPatch<'a> {
    pub name: Option<&'a str>,
    pub topic: Option<&'a str>,
    pub description: Option<&'a str>,
    /// `Some(Some(t))` archives at `t`, `Some(None)` unarchives.
    pub archived_at: Option<Option<i64>>,
}

pub async fn update_conversation(
    conn: &mut AnyConnection,
    id: ConversationId,
    p: &ConversationPatch<'_>,
) -> Result<()> {
    let archive_set = p.archived_at.is_some();
    sqlx::query(
        "UPDATE conversations SET name = COALESCE($2, name), topic = COALESCE($3, topic),
         description = COALESCE($4, description),
         archived_at = CASE WHEN $5 = 1 THEN $6 ELSE archived_at END WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(p.name)
    .bind(p.topic)
    .bind(p.description)
    .bind(flag(archive_set))
    .bind(p.archived_at.flatten())
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Adds members (already-members are left as they are); returns those actually added.
pub async fn add_members(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
    users: &[UserId],
    role: &str,
    now: i64,
) -> Result<Vec<UserId>> {
    let mut added = Vec::new();
    for u in users {
        let done = sqlx::query(
            "INSERT INTO conversation_members (conversation_id, user_id, org_id, role, joined_at, last_read_seq, joined_seq)
             SELECT $1, $2, $3, $4, $5, last_seq, last_seq FROM conversations WHERE id = $1
             ON CONFLICT (conversation_id, user_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(u.to_string())
        .bind(org_id.to_string())
        .bind(role)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() > 0 {
            added.push(*u);
        }
    }
    recount(conn, id).await?;
    Ok(added)
}

pub async fn remove_member(
    conn: &mut AnyConnection,
    id: ConversationId,
    user: UserId,
) -> Result<bool> {
    let done =
        sqlx::query("DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .execute(&mut *conn)
            .await?;
    recount(conn, id).await?;
    Ok(done.rows_affected() > 0)
}

async fn recount(conn: &mut AnyConnection, id: ConversationId) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET member_count =
         (SELECT COUNT(*) FROM conversation_members WHERE conversation_id = $1) WHERE id = $1",
    )
    .bind(id.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn member_state(
    conn: &mut AnyConnection,
    id: ConversationId,
    user: UserId,
) -> Result<Option<MemberState>> {
    let row = sqlx::query(
        "SELECT * FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(member_state_from).transpose()
}

pub async fn set_muted(
    conn: &mut AnyConnection,
    id: ConversationId,
    user: UserId,
    muted: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversation_members SET muted = $3 WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .bind(flag(muted))
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a member's read position forward to `seq` (never back, never past the newest
/// message); returns the new position when it moved.
pub async fn mark_read(
    conn: &mut AnyConnection,
    id: ConversationId,
    user: UserId,
    seq: i64,
) -> Result<Option<i64>> {
    // MIN(a, b) is SQLite's scalar form; LEAST is PostgreSQL's. CASE is both.
    let row = sqlx::query(
        "UPDATE conversation_members SET last_read_seq =
           (SELECT CASE WHEN c.last_seq < $3 THEN c.last_seq ELSE $3 END FROM conversations c WHERE c.id = $1)
         WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3
           AND last_read_seq < (SELECT c.last_seq FROM conversations c WHERE c.id = $1)
         RETURNING last_read_seq",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .bind(seq)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.int("last_read_seq")).transpose()
}

const USER_REF_COLS: &str = "u.id AS u_id, u.name AS u_name, u.avatar_file_id AS u_avatar";

fn user_ref_from(row: &AnyRow) -> Result<UserRef> {
    Ok(UserRef {
        id: row.parse("u_id")?,
        name: row.text("u_name")?,
        avatar_file_id: row.opt_parse("u_avatar")?,
    })
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Members of several conversations at once (for DM and group titles).
pub async fn members_of_many(
    conn: &mut AnyConnection,
    ids: &[ConversationId],
) -> Result<HashMap<ConversationId, Vec<UserRef>>> {
    let mut out: HashMap<ConversationId, Vec<UserRef>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT cm.conversation_id, {USER_REF_COLS} FROM conversation_members cm
             JOIN users u ON u.id = cm.user_id WHERE cm.conversation_id IN ({})
             ORDER BY cm.joined_at, u.id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(&mut *conn).await? {
            out.entry(row.parse("conversation_id")?)
                .or_default()
                .push(user_ref_from(&row)?);
        }
    }
    Ok(out)
}

pub async fn conversation_members(
    conn: &mut AnyConnection,
    id: ConversationId,
) -> Result<Vec<ConversationMember>> {
    let rows = sqlx::query(&format!(
        "SELECT cm.*, {USER_REF_COLS} FROM conversation_members cm
         JOIN users u ON u.id = cm.user_id WHERE cm.conversation_id = $1
         ORDER BY u.name, u.id"
    ))
    .bind(id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ConversationMember {
                user: user_ref_from(r)?,
                state: member_state_from(r)?,
            })
        })
        .collect()
}

/// The unread and mention counts of one member, as subqueries over the channel view.
fn counts_sql(user_param: &str, mention_param: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM (SELECT 1 FROM messages x WHERE x.conversation_id = c.id
            AND x.in_channel = 1 AND x.seq > m.last_read_seq AND x.author_id <> {user_param}
            AND x.deleted_at IS NULL LIMIT {UNREAD_CAP}) ux) AS unread_count,
         (SELECT COUNT(*) FROM (SELECT 1 FROM messages x WHERE x.conversation_id = c.id
            AND x.seq > m.last_read_seq AND x.author_id <> {user_param} AND x.deleted_at IS NULL
            AND (x.mentions LIKE {mention_param} OR x.mention_here = 1 OR x.mention_channel = 1)
            LIMIT {UNREAD_CAP}) mx) AS mention_count"
    )
}

fn view_from(row: &AnyRow, member: bool) -> Result<ConversationView> {
    Ok(ConversationView {
        conversation: conversation_from(row)?,
        me: if member {
            Some(member_state_from(row)?)
        } else {
            None
        },
        unread_count: if member { row.int("unread_count")? } else { 0 },
        mention_count: if member { row.int("mention_count")? } else { 0 },
    })
}

fn mention_pattern(user: UserId) -> String {
    format!("%\"{user}\"%")
}

/// The conversations a person is in, newest activity first.
pub async fn conversations_of(
    conn: &mut AnyConnection,
    org_id: OrgId,
    user: UserId,
) -> Result<Vec<ConversationView>> {
    let rows = sqlx::query(&format!(
        "SELECT c.*, m.role, m.last_read_seq, m.muted, m.joined_at, m.notify, {}
         FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
         WHERE m.user_id = $1 AND c.org_id = $2
         ORDER BY COALESCE(c.last_message_at, c.created_at) DESC, c.id",
        counts_sql("$1", "$3")
    ))
    .bind(user.to_string())
    .bind(org_id.to_string())
    .bind(mention_pattern(user))
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| view_from(r, true)).collect()
}

/// One conversation as `user` sees it (member or not).
pub async fn conversation_view(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
    user: UserId,
) -> Result<ConversationView> {
    let row = sqlx::query(&format!(
        "SELECT c.*, m.role, m.last_read_seq, m.muted, m.joined_at, m.notify, {}
         FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
         WHERE m.user_id = $1 AND c.org_id = $2 AND c.id = $4",
        counts_sql("$1", "$3")
    ))
    .bind(user.to_string())
    .bind(org_id.to_string())
    .bind(mention_pattern(user))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(r) => view_from(&r, true),
        None => Ok(ConversationView {
            conversation: conversation(conn, org_id, id).await?,
            me: None,
            unread_count: 0,
            mention_count: 0,
        }),
    }
}

/// Public channels of an organisation (archived ones only when asked), by name.
pub async fn public_channels(
    conn: &mut AnyConnection,
    org_id: OrgId,
    name_contains: Option<&str>,
) -> Result<Vec<Conversation>> {
    let pattern = format!(
        "%{}%",
        name_contains
            .unwrap_or("")
            .to_lowercase()
            .replace(['%', '_', '\\'], "")
    );
    let rows = sqlx::query(
        "SELECT * FROM conversations WHERE org_id = $1 AND kind = 'public' AND archived_at IS NULL
         AND name LIKE $2 ORDER BY name LIMIT 500",
    )
    .bind(org_id.to_string())
    .bind(pattern)
    .fetch_all(conn)
    .await?;
    rows.iter().map(conversation_from).collect()
}

// --- messages ----------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub org_id: OrgId,
    pub conversation_id: ConversationId,
    pub seq: i64,
    pub author: UserRef,
    pub client_key: String,
    pub body: String,
    /// JSON texts, as stored.
    pub mentions: String,
    pub attachments: String,
    pub quote: Option<String>,
    pub forwarded: Option<String>,
    pub mention_here: bool,
    pub mention_channel: bool,
    pub thread_root_id: Option<MessageId>,
    pub in_channel: bool,
    pub reply_count: i64,
    pub last_reply_at: Option<i64>,
    pub pinned_at: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// (emoji, user ids in the order they reacted), emoji in order of first use.
    pub reactions: Vec<(String, Vec<UserId>)>,
    /// A bot's buttons and form, as JSON (see `integrations::set_interactive`).
    pub interactive: Option<String>,
    /// A poll, as JSON (see [`crate::commands::Poll`]).
    pub poll: Option<String>,
}

const MESSAGE_SELECT: &str =
    "SELECT x.*, u.id AS u_id, u.name AS u_name, u.avatar_file_id AS u_avatar
    FROM messages x JOIN users u ON u.id = x.author_id";

fn message_from(row: &AnyRow) -> Result<Message> {
    Ok(Message {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        conversation_id: row.parse("conversation_id")?,
        seq: row.int("seq")?,
        author: user_ref_from(row)?,
        client_key: row.text("client_key")?,
        body: row.text("body")?,
        mentions: row.text("mentions")?,
        attachments: row.text("attachments")?,
        quote: row.opt_text("quote")?,
        forwarded: row.opt_text("forwarded")?,
        mention_here: row.flag("mention_here")?,
        mention_channel: row.flag("mention_channel")?,
        thread_root_id: row.opt_parse("thread_root_id")?,
        in_channel: row.flag("in_channel")?,
        reply_count: row.int("reply_count")?,
        last_reply_at: row.opt_int("last_reply_at")?,
        pinned_at: row.opt_int("pinned_at")?,
        created_at: row.int("created_at")?,
        edited_at: row.opt_int("edited_at")?,
        deleted_at: row.opt_int("deleted_at")?,
        reactions: Vec::new(),
        // Tolerant: a query that selects its own columns may leave it out.
        interactive: row.opt_text("interactive").ok().flatten(),
        poll: row.opt_text("poll").ok().flatten(),
    })
}

async fn with_reactions(conn: &mut AnyConnection, mut msgs: Vec<Message>) -> Result<Vec<Message>> {
    if msgs.is_empty() {
        return Ok(msgs);
    }
    let mut by_id: HashMap<MessageId, usize> = HashMap::new();
    for (i, m) in msgs.iter().enumerate() {
        by_id.insert(m.id, i);
    }
    let ids: Vec<MessageId> = msgs.iter().map(|m| m.id).collect();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN ({})
             ORDER BY created_at, user_id",
            placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id.to_string());
        }
        for row in q.fetch_all(&mut *conn).await? {
            let mid: MessageId = row.parse("message_id")?;
            let emoji = row.text("emoji")?;
            let user: UserId = row.parse("user_id")?;
            if let Some(&i) = by_id.get(&mid) {
                let r = &mut msgs[i].reactions;
                match r.iter_mut().find(|(e, _)| *e == emoji) {
                    Some((_, users)) => users.push(user),
                    None => r.push((emoji, vec![user])),
                }
            }
        }
    }
    Ok(msgs)
}

/// Messages matching `condition` (on `x`, the message, and `u`, its author), with their
/// reactions: for the search module, which builds its own conditions. `bind` adds the
/// condition's parameters, numbered from `$1`.
pub(crate) async fn messages_where(
    conn: &mut AnyConnection,
    condition: &str,
    bind: impl for<'q> FnOnce(
        sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) -> Result<Vec<Message>> {
    let sql = format!("{MESSAGE_SELECT} WHERE {condition}");
    let rows = bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let msgs = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
    with_reactions(conn, msgs).await
}

pub async fn message(
    conn: &mut AnyConnection,
    conversation_id: ConversationId,
    id: MessageId,
) -> Result<Message> {
    let m = new_message(conn, conversation_id, id).await?;
    Ok(with_reactions(conn, vec![m]).await?.remove(0))
}

/// A message just inserted (it has no reactions yet: one read fewer on the write path).
pub async fn new_message(
    conn: &mut AnyConnection,
    conversation_id: ConversationId,
    id: MessageId,
) -> Result<Message> {
    let row = sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE x.id = $1 AND x.conversation_id = $2"
    ))
    .bind(id.to_string())
    .bind(conversation_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    message_from(&row)
}

/// A message of the organisation, whatever its conversation (for forwarding).
pub async fn message_in_org(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: MessageId,
) -> Result<Message> {
    let row = sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE x.id = $1 AND x.org_id = $2"
    ))
    .bind(id.to_string())
    .bind(org_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    message_from(&row)
}

pub async fn message_by_client_key(
    conn: &mut AnyConnection,
    author: UserId,
    client_key: &str,
) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE x.author_id = $1 AND x.client_key = $2"
    ))
    .bind(author.to_string())
    .bind(client_key)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let m = message_from(&r)?;
            Ok(Some(with_reactions(conn, vec![m]).await?.remove(0)))
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub org_id: OrgId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub client_key: &'a str,
    pub body: &'a str,
    pub mentions: &'a str,
    pub attachments: &'a str,
    pub quote: Option<&'a str>,
    pub forwarded: Option<&'a str>,
    pub mention_here: bool,
    pub mention_channel: bool,
    pub thread_root_id: Option<MessageId>,
    pub in_channel: bool,
}

/// Inserts a message with the conversation's next `seq`; a thread reply also bumps its root's
/// reply count. Returns the new id and `seq`, or [`StoreError::Conflict`] — having written
/// nothing — when the author already used this client key.
pub async fn insert_message(
    conn: &mut AnyConnection,
    m: &NewMessage<'_>,
    now: i64,
) -> Result<(MessageId, i64)> {
    let seq: i64 = sqlx::query_scalar(
        "UPDATE conversations SET last_seq = last_seq + 1, last_message_at = $2 WHERE id = $1
         RETURNING last_seq",
    )
    .bind(m.conversation_id.to_string())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let id = MessageId(new_id());
    // A repeated key inserts nothing (no error, so a batch of posts in one transaction goes
    // on), and the `seq` taken above is given back.
    let inserted = sqlx::query(
        "INSERT INTO messages (id, org_id, conversation_id, seq, author_id, client_key, body, mentions,
           attachments, quote, forwarded, mention_here, mention_channel, thread_root_id, in_channel, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (author_id, client_key) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(m.org_id.to_string())
    .bind(m.conversation_id.to_string())
    .bind(seq)
    .bind(m.author_id.to_string())
    .bind(m.client_key)
    .bind(m.body)
    .bind(m.mentions)
    .bind(m.attachments)
    .bind(m.quote)
    .bind(m.forwarded)
    .bind(flag(m.mention_here))
    .bind(flag(m.mention_channel))
    .bind(m.thread_root_id.map(|t| t.to_string()))
    .bind(flag(m.in_channel))
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::from_write)?;
    if inserted.rows_affected() == 0 {
        sqlx::query("UPDATE conversations SET last_seq = last_seq - 1 WHERE id = $1")
            .bind(m.conversation_id.to_string())
            .execute(&mut *conn)
            .await?;
        return Err(StoreError::Conflict("messages_client_key".into()));
    }
    if let Some(root) = m.thread_root_id {
        sqlx::query(
            "UPDATE messages SET reply_count = reply_count + 1, last_reply_at = $2 WHERE id = $1",
        )
        .bind(root.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    // The author has read up to their own message.
    sqlx::query(
        "UPDATE conversation_members SET last_read_seq = $3
         WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3",
    )
    .bind(m.conversation_id.to_string())
    .bind(m.author_id.to_string())
    .bind(seq)
    .execute(conn)
    .await?;
    Ok((id, seq))
}

/// A person as chat shows them.
pub async fn user_ref(conn: &mut AnyConnection, id: UserId) -> Result<UserRef> {
    let row = sqlx::query(&format!(
        "SELECT {USER_REF_COLS} FROM users u WHERE u.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    user_ref_from(&row)
}

/// Replaces a message's body, keeping the old one in its edit history.
pub async fn edit_message(
    conn: &mut AnyConnection,
    id: MessageId,
    body: &str,
    mentions: &str,
    here: bool,
    channel: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO message_edits (message_id, body, replaced_at) SELECT id, body, $2 FROM messages WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE messages SET body = $2, mentions = $3, mention_here = $4, mention_channel = $5, edited_at = $6 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(body)
    .bind(mentions)
    .bind(flag(here))
    .bind(flag(channel))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Older versions of a message, newest first: (body, when it was replaced).
pub async fn message_edits(conn: &mut AnyConnection, id: MessageId) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT body, replaced_at FROM message_edits WHERE message_id = $1 ORDER BY id DESC",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.text("body")?, r.int("replaced_at")?)))
        .collect()
}

/// Deletes a message: its text, attachments, reactions and edit history go; the row stays as
/// a marker so threads and numbering hold. Its files become readable by their uploader only.
pub async fn delete_message(conn: &mut AnyConnection, id: MessageId, now: i64) -> Result<()> {
    let attachments: Option<String> =
        sqlx::query_scalar("SELECT attachments FROM messages WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let files: Vec<serde_json::Value> = attachments
        .and_then(|a| serde_json::from_str(&a).ok())
        .unwrap_or_default();
    for f in files {
        if let Some(file_id) = f.get("id").and_then(|v| v.as_str()) {
            sqlx::query("UPDATE chat_files SET conversation_id = NULL WHERE file_id = $1")
                .bind(file_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    for sql in [
        "DELETE FROM message_edits WHERE message_id = $1",
        "DELETE FROM reactions WHERE message_id = $1",
    ] {
        sqlx::query(sql)
            .bind(id.to_string())
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "UPDATE messages SET body = '', mentions = '[]', attachments = '[]', quote = NULL, forwarded = NULL,
         mention_here = 0, mention_channel = 0, pinned_at = NULL, pinned_by = NULL, deleted_at = $2 WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the retained events about a message (created, updated) with `payload`, so a
/// deleted message's text is not replayed to sockets that resume from an older position.
/// Deletes are rare; this scans the retained events of the organisation.
pub async fn scrub_message_events(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: MessageId,
    created_at: i64,
    payload: &str,
) -> Result<()> {
    // `"id":"…"` matches the message's own id only: other keys naming it end in `_id`.
    let pattern = format!("%\"id\":\"{id}\"%");
    for table in ["events", "outbox"] {
        sqlx::query(&format!(
            "UPDATE {table} SET payload = $1 WHERE org_id = $2 AND created_at >= $3
             AND kind IN ('chat.message.created', 'chat.message.updated') AND payload LIKE $4"
        ))
        .bind(payload)
        .bind(org_id.to_string())
        .bind(created_at)
        .bind(&pattern)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Adds (`on`) or removes a reaction; returns whether anything changed.
pub async fn set_reaction(
    conn: &mut AnyConnection,
    id: MessageId,
    user: UserId,
    emoji: &str,
    on: bool,
    now: i64,
) -> Result<bool> {
    let done = if on {
        sqlx::query(
            "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (message_id, user_id, emoji) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(user.to_string())
        .bind(emoji)
        .bind(now)
        .execute(conn)
        .await?
    } else {
        sqlx::query("DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3")
            .bind(id.to_string())
            .bind(user.to_string())
            .bind(emoji)
            .execute(conn)
            .await?
    };
    Ok(done.rows_affected() > 0)
}

pub async fn reaction_count(conn: &mut AnyConnection, id: MessageId, user: UserId) -> Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM reactions WHERE message_id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_one(conn)
            .await?,
    )
}

pub async fn set_pinned(
    conn: &mut AnyConnection,
    id: MessageId,
    by: Option<UserId>,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE messages SET pinned_at = $2, pinned_by = $3 WHERE id = $1")
        .bind(id.to_string())
        .bind(by.map(|_| now))
        .bind(by.map(|u| u.to_string()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Which page of the channel view to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    Newest,
    Before(i64),
    After(i64),
    Around(i64),
}

/// A page of the channel view, ascending by `seq`, with whether more lie before and after.
pub async fn channel_page(
    conn: &mut AnyConnection,
    id: ConversationId,
    page: Page,
    limit: i64,
) -> Result<(Vec<Message>, bool, bool)> {
    let limit = limit.clamp(1, 200);
    let older = |before: i64, n: i64| {
        format!(
            "{MESSAGE_SELECT} WHERE x.conversation_id = $1 AND x.in_channel = 1 AND x.seq < {before}
             ORDER BY x.seq DESC LIMIT {n}"
        )
    };
    let newer = |after: i64, n: i64| {
        format!(
            "{MESSAGE_SELECT} WHERE x.conversation_id = $1 AND x.in_channel = 1 AND x.seq > {after}
             ORDER BY x.seq LIMIT {n}"
        )
    };
    async fn run(conn: &mut AnyConnection, sql: &str, id: ConversationId) -> Result<Vec<Message>> {
        let rows = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_all(conn)
            .await?;
        rows.iter().map(message_from).collect()
    }
    let (msgs, more_before, more_after) = match page {
        Page::Newest | Page::Before(_) => {
            let before = match page {
                Page::Before(s) => s,
                _ => i64::MAX,
            };
            let mut v = run(conn, &older(before, limit + 1), id).await?;
            let more = v.len() as i64 > limit;
            v.truncate(limit as usize);
            v.reverse();
            (v, more, matches!(page, Page::Before(_)))
        }
        Page::After(after) => {
            let mut v = run(conn, &newer(after, limit + 1), id).await?;
            let more = v.len() as i64 > limit;
            v.truncate(limit as usize);
            (v, true, more)
        }
        Page::Around(seq) => {
            let half = limit / 2;
            let mut before = run(conn, &older(seq, half + 1), id).await?;
            let more_before = before.len() as i64 > half;
            before.truncate(half as usize);
            before.reverse();
            let rest = limit - before.len() as i64;
            let mut after = run(conn, &newer(seq - 1, rest + 1), id).await?;
            let more_after = after.len() as i64 > rest;
            after.truncate(rest as usize);
            before.extend(after);
            (before, more_before, more_after)
        }
    };
    let msgs = with_reactions(conn, msgs).await?;
    Ok((msgs, more_before, more_after))
}

/// A thread's replies, oldest first.
pub async fn thread_replies(conn: &mut AnyConnection, root: MessageId) -> Result<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE x.thread_root_id = $1 ORDER BY x.seq LIMIT 1000"
    ))
    .bind(root.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let msgs = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
    with_reactions(conn, msgs).await
}

pub async fn pinned(conn: &mut AnyConnection, id: ConversationId) -> Result<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "{MESSAGE_SELECT} WHERE x.conversation_id = $1 AND x.pinned_at IS NOT NULL ORDER BY x.pinned_at DESC LIMIT 200"
    ))
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let msgs = rows.iter().map(message_from).collect::<Result<Vec<_>>>()?;
    with_reactions(conn, msgs).await
}

// --- attachments -------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatFile {
    pub file_id: FileId,
    pub org_id: OrgId,
    pub owner_id: UserId,
    pub name: String,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail_file_id: Option<FileId>,
    /// The conversation it was sent in, once sent.
    pub conversation_id: Option<ConversationId>,
}

pub async fn insert_chat_file(conn: &mut AnyConnection, f: &ChatFile, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO chat_files (file_id, org_id, owner_id, name, kind, width, height, thumbnail_file_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(f.file_id.to_string())
    .bind(f.org_id.to_string())
    .bind(f.owner_id.to_string())
    .bind(&f.name)
    .bind(&f.kind)
    .bind(f.width)
    .bind(f.height)
    .bind(f.thumbnail_file_id.map(|t| t.to_string()))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A chat upload of the organisation made by `owner`.
pub async fn chat_file(
    conn: &mut AnyConnection,
    org_id: OrgId,
    owner: UserId,
    id: FileId,
) -> Result<ChatFile> {
    let row = sqlx::query(
        "SELECT cf.*, f.content_type, f.size_bytes FROM chat_files cf JOIN files f ON f.id = cf.file_id
         WHERE cf.file_id = $1 AND cf.org_id = $2 AND cf.owner_id = $3",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(owner.to_string())
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(ChatFile {
        file_id: row.parse("file_id")?,
        org_id: row.parse("org_id")?,
        owner_id: row.parse("owner_id")?,
        name: row.text("name")?,
        kind: row.text("kind")?,
        content_type: row.text("content_type")?,
        size_bytes: row.int("size_bytes")?,
        width: row.opt_int("width")?,
        height: row.opt_int("height")?,
        thumbnail_file_id: row.opt_parse("thumbnail_file_id")?,
        conversation_id: row.opt_parse("conversation_id")?,
    })
}

/// Ties an upload to the conversation it is first sent in; false when it already belongs to
/// another one.
pub async fn attach_chat_file(
    conn: &mut AnyConnection,
    id: FileId,
    conversation_id: ConversationId,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE chat_files SET conversation_id = $2 WHERE file_id = $1
         AND (conversation_id IS NULL OR conversation_id = $2)",
    )
    .bind(id.to_string())
    .bind(conversation_id.to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The conversation a chat file (or its thumbnail) was sent in, if it was sent.
pub async fn chat_file_conversation(
    conn: &mut AnyConnection,
    id: FileId,
) -> Result<Option<ConversationId>> {
    let row: Option<Option<String>> = sqlx::query_scalar(
        "SELECT conversation_id FROM chat_files WHERE file_id = $1 OR thumbnail_file_id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(conn)
    .await?;
    row.flatten()
        .map(|s| {
            s.parse()
                .map_err(|_| StoreError::Corrupt("conversation_id"))
        })
        .transpose()
}

// --- scheduled messages ------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scheduled {
    pub id: ScheduledId,
    pub org_id: OrgId,
    pub conversation_id: ConversationId,
    pub author_id: UserId,
    pub body: String,
    pub thread_root_id: Option<MessageId>,
    pub send_at: i64,
    pub created_at: i64,
    pub status: String,
}

fn scheduled_from(row: &AnyRow) -> Result<Scheduled> {
    Ok(Scheduled {
        id: row.parse("id")?,
        org_id: row.parse("org_id")?,
        conversation_id: row.parse("conversation_id")?,
        author_id: row.parse("author_id")?,
        body: row.text("body")?,
        thread_root_id: row.opt_parse("thread_root_id")?,
        send_at: row.int("send_at")?,
        created_at: row.int("created_at")?,
        status: row.text("status")?,
    })
}

pub async fn insert_scheduled(conn: &mut AnyConnection, s: &Scheduled) -> Result<()> {
    sqlx::query(
        "INSERT INTO scheduled_messages (id, org_id, conversation_id, author_id, body, thread_root_id, send_at, created_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(s.id.to_string())
    .bind(s.org_id.to_string())
    .bind(s.conversation_id.to_string())
    .bind(s.author_id.to_string())
    .bind(&s.body)
    .bind(s.thread_root_id.map(|t| t.to_string()))
    .bind(s.send_at)
    .bind(s.created_at)
    .bind(&s.status)
    .execute(conn)
    .await?;
    Ok(())
}

pub fn new_scheduled_id() -> ScheduledId {
    ScheduledId(new_id())
}

pub async fn scheduled(conn: &mut AnyConnection, id: ScheduledId) -> Result<Scheduled> {
    let row = sqlx::query("SELECT * FROM scheduled_messages WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    scheduled_from(&row)
}

pub async fn pending_scheduled(
    conn: &mut AnyConnection,
    org_id: OrgId,
    author: UserId,
) -> Result<Vec<Scheduled>> {
    let rows = sqlx::query(
        "SELECT * FROM scheduled_messages WHERE org_id = $1 AND author_id = $2 AND status = 'pending' ORDER BY send_at, id",
    )
    .bind(org_id.to_string())
    .bind(author.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(scheduled_from).collect()
}

/// Moves a pending scheduled message to `status`; false when it was no longer pending.
pub async fn finish_scheduled(
    conn: &mut AnyConnection,
    id: ScheduledId,
    status: &str,
) -> Result<bool> {
    move_scheduled(conn, id, "pending", status).await
}

/// Moves a scheduled message from one status to another; false when it was not in `from`.
pub async fn move_scheduled(
    conn: &mut AnyConnection,
    id: ScheduledId,
    from: &str,
    to: &str,
) -> Result<bool> {
    let done =
        sqlx::query("UPDATE scheduled_messages SET status = $3 WHERE id = $1 AND status = $2")
            .bind(id.to_string())
            .bind(from)
            .bind(to)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() > 0)
}

// --- status and do-not-disturb -----------------------------------------------------------------

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserStatus {
    pub status_text: String,
    pub status_emoji: String,
    pub status_expires_at: Option<i64>,
    pub dnd_start: Option<i64>,
    pub dnd_end: Option<i64>,
}

fn status_from(row: &AnyRow) -> Result<UserStatus> {
    Ok(UserStatus {
        status_text: row.text("status_text")?,
        status_emoji: row.text("status_emoji")?,
        status_expires_at: row.opt_int("status_expires_at")?,
        dnd_start: row.opt_int("dnd_start")?,
        dnd_end: row.opt_int("dnd_end")?,
    })
}

pub async fn user_status(conn: &mut AnyConnection, user: UserId) -> Result<UserStatus> {
    let row = sqlx::query("SELECT * FROM user_status WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_optional(conn)
        .await?;
    Ok(row
        .as_ref()
        .map(status_from)
        .transpose()?
        .unwrap_or_default())
}

pub async fn put_user_status(
    conn: &mut AnyConnection,
    user: UserId,
    s: &UserStatus,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO user_status (user_id, status_text, status_emoji, status_expires_at, dnd_start, dnd_end, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET status_text = $2, status_emoji = $3, status_expires_at = $4,
           dnd_start = $5, dnd_end = $6, updated_at = $7",
    )
    .bind(user.to_string())
    .bind(&s.status_text)
    .bind(&s.status_emoji)
    .bind(s.status_expires_at)
    .bind(s.dnd_start)
    .bind(s.dnd_end)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Statuses of an organisation's active members that have a status or DND hours, with their
/// time zones: (user, status, time zone).
pub async fn org_statuses(
    conn: &mut AnyConnection,
    org_id: OrgId,
) -> Result<Vec<(UserId, UserStatus, String)>> {
    let rows = sqlx::query(
        "SELECT s.*, u.time_zone FROM user_status s JOIN memberships m ON m.user_id = s.user_id
         JOIN users u ON u.id = s.user_id
         WHERE m.org_id = $1 AND m.status = 'active'",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.parse("user_id")?, status_from(r)?, r.text("time_zone")?)))
        .collect()
}

impl Store {
    /// Members of a conversation (the gateway's routing view).
    pub async fn conversation_member_ids(&self, id: ConversationId) -> Result<Vec<UserId>> {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT user_id FROM conversation_members WHERE conversation_id = $1",
        )
        .bind(id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt("user_id")))
            .collect()
    }

    /// Every conversation a person is in, with its organisation.
    pub async fn conversations_of_user(
        &self,
        user: UserId,
    ) -> Result<Vec<(ConversationId, OrgId)>> {
        let rows = sqlx::query(
            "SELECT conversation_id, org_id FROM conversation_members WHERE user_id = $1",
        )
        .bind(user.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| Ok((r.parse("conversation_id")?, r.parse("org_id")?)))
            .collect()
    }
}

// --- large groups ------------------------------------------------------------------------------

/// Changes to a conversation's large-group settings; `None` leaves a field as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct GroupSettingsPatch {
    pub org_wide: Option<bool>,
    pub announcement: Option<bool>,
    pub slow_mode_secs: Option<i64>,
    pub mention_limit: Option<i64>,
}

pub async fn update_group_settings(
    conn: &mut AnyConnection,
    id: ConversationId,
    p: &GroupSettingsPatch,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET org_wide = COALESCE($2, org_wide),
           announcement = COALESCE($3, announcement),
           slow_mode_secs = COALESCE($4, slow_mode_secs),
           mention_limit = COALESCE($5, mention_limit)
         WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(p.org_wide.map(flag))
    .bind(p.announcement.map(flag))
    .bind(p.slow_mode_secs)
    .bind(p.mention_limit)
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds every active member of the organisation who is not a guest (one statement, however
/// many there are); returns how many were added.
pub async fn add_org_members(
    conn: &mut AnyConnection,
    org_id: OrgId,
    id: ConversationId,
    now: i64,
) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO conversation_members (conversation_id, user_id, org_id, role, joined_at, last_read_seq, joined_seq)
         SELECT $1, ms.user_id, ms.org_id, 'member', $3, c.last_seq, c.last_seq
           FROM memberships ms JOIN conversations c ON c.id = $1
          WHERE ms.org_id = $2 AND ms.status = 'active' AND ms.role <> 'guest'
         ON CONFLICT (conversation_id, user_id) DO NOTHING",
    )
    .bind(id.to_string())
    .bind(org_id.to_string())
    .bind(now)
    .execute(&mut *conn)
    .await?;
    recount(conn, id).await?;
    Ok(done.rows_affected())
}

/// The organisation's groups whose membership follows it.
pub async fn org_wide_conversations(
    conn: &mut AnyConnection,
    org_id: OrgId,
) -> Result<Vec<Conversation>> {
    let rows = sqlx::query(
        "SELECT * FROM conversations WHERE org_id = $1 AND org_wide = 1 AND archived_at IS NULL",
    )
    .bind(org_id.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter().map(conversation_from).collect()
}

/// When `author` last posted in the conversation (slow mode).
pub async fn last_post_at(
    conn: &mut AnyConnection,
    id: ConversationId,
    author: UserId,
) -> Result<Option<i64>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT created_at FROM messages WHERE conversation_id = $1 AND author_id = $2
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(id.to_string())
    .bind(author.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(at)
}

/// Sets a member's role (`owner`, `poster` or `member`); whether they are a member.
pub async fn set_member_role(
    conn: &mut AnyConnection,
    id: ConversationId,
    user: UserId,
    role: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE conversation_members SET role = $3 WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(id.to_string())
    .bind(user.to_string())
    .bind(role)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// How many of the people who were members when a message was posted have read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadStatus {
    pub read: i64,
    pub total: i64,
}

/// Read status of the message `seq`: members who were there when it was posted, and those of
/// them whose read position reached it. People who joined later are not counted — their read
/// position starts at the end, which says nothing about this message.
pub async fn read_status(
    conn: &mut AnyConnection,
    id: ConversationId,
    seq: i64,
) -> Result<ReadStatus> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS total,
                COALESCE(SUM(CASE WHEN last_read_seq >= $2 THEN 1 ELSE 0 END), 0) AS read
           FROM conversation_members WHERE conversation_id = $1 AND joined_seq < $2",
    )
    .bind(id.to_string())
    .bind(seq)
    .fetch_one(conn)
    .await?;
    Ok(ReadStatus {
        read: row.int("read")?,
        total: row.int("total")?,
    })
}

/// Which readers of a message to list.
#[derive(Clone, Debug, Default)]
pub struct ReadersFilter<'a> {
    /// `Some(false)`: only those who have not read it.
    pub read: Option<bool>,
    /// Only people in these units (a unit and the units under it); empty is everyone.
    pub units: &'a [UnitId],
    /// Part of a name (case-insensitive).
    pub name: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

/// One member as the read-status list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub user: UserRef,
    pub unit_id: Option<UnitId>,
    pub unit_name: Option<String>,
    pub read: bool,
}

/// The members counted by [`read_status`], by name, with their unit and whether they have read
/// the message; and how many match the filter in all.
pub async fn readers(
    conn: &mut AnyConnection,
    id: ConversationId,
    seq: i64,
    f: &ReadersFilter<'_>,
) -> Result<(Vec<Reader>, i64)> {
    let mut cond = String::from("cm.conversation_id = $1 AND cm.joined_seq < $2");
    match f.read {
        Some(true) => cond.push_str(" AND cm.last_read_seq >= $2"),
        Some(false) => cond.push_str(" AND cm.last_read_seq < $2"),
        None => {}
    }
    let mut next = 3;
    if f.name.is_some() {
        cond.push_str(&format!(" AND LOWER(u.name) LIKE ${next}"));
        next += 1;
    }
    if !f.units.is_empty() {
        let list: Vec<String> = (0..f.units.len())
            .map(|i| format!("${}", next + i))
            .collect();
        cond.push_str(&format!(" AND ms.unit_id IN ({})", list.join(", ")));
    }
    let from = format!(
        "FROM conversation_members cm JOIN users u ON u.id = cm.user_id
         LEFT JOIN memberships ms ON ms.org_id = cm.org_id AND ms.user_id = cm.user_id
         LEFT JOIN units un ON un.id = ms.unit_id WHERE {cond}"
    );
    let list_sql = format!(
        "SELECT {USER_REF_COLS}, ms.unit_id, un.name AS unit_name,
                CASE WHEN cm.last_read_seq >= $2 THEN 1 ELSE 0 END AS has_read
         {from} ORDER BY u.name, u.id LIMIT {} OFFSET {}",
        f.limit.clamp(1, 500),
        f.offset.max(0)
    );
    // `$2` appears in every statement, so PostgreSQL can type it even without a read filter.
    let count_sql = format!(
        "SELECT COUNT(*) AS n, MAX(CASE WHEN cm.last_read_seq >= $2 THEN 1 ELSE 0 END) AS x {from}"
    );
    let pattern = f.name.map(|n| {
        let escaped: String = n
            .to_lowercase()
            .chars()
            .filter(|c| *c != '%' && *c != '_')
            .collect();
        format!("%{escaped}%")
    });
    macro_rules! bind_all {
        ($q:expr) => {{
            let mut q = $q.bind(id.to_string()).bind(seq);
            if let Some(p) = &pattern {
                q = q.bind(p.clone());
            }
            for u in f.units {
                q = q.bind(u.to_string());
            }
            q
        }};
    }
    let rows = bind_all!(sqlx::query(&list_sql))
        .fetch_all(&mut *conn)
        .await?;
    let total = bind_all!(sqlx::query(&count_sql))
        .fetch_one(&mut *conn)
        .await?
        .int("n")?;
    let readers = rows
        .iter()
        .map(|r| {
            Ok(Reader {
                user: user_ref_from(r)?,
                unit_id: r.opt_parse("unit_id")?,
                unit_name: r.opt_text("unit_name")?,
                read: r.flag("has_read")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((readers, total))
}

/// The members counted by [`read_status`] who have not read the message.
pub async fn unread_member_ids(
    conn: &mut AnyConnection,
    id: ConversationId,
    seq: i64,
) -> Result<Vec<UserId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM conversation_members
          WHERE conversation_id = $1 AND joined_seq < $2 AND last_read_seq < $2",
    )
    .bind(id.to_string())
    .bind(seq)
    .fetch_all(conn)
    .await?;
    ids.iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("user id")))
        .collect()
}

/// Records a "remind the unread" of a message unless one was sent less than `every_ms` ago;
/// whether this one may go out.
pub async fn claim_reminder(
    conn: &mut AnyConnection,
    message: MessageId,
    by: UserId,
    now: i64,
    every_ms: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO message_reminders (message_id, last_at, last_by, times) VALUES ($1, $2, $3, 1)
         ON CONFLICT (message_id) DO UPDATE SET last_at = $2, last_by = $3,
           times = message_reminders.times + 1
         WHERE message_reminders.last_at <= $4",
    )
    .bind(message.to_string())
    .bind(now)
    .bind(by.to_string())
    .bind(now - every_ms)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Newest top-level messages of a conversation since `since` (ms), at most `limit`: the
/// announcements whose read status is pushed live.
pub async fn recent_top_level(
    conn: &mut AnyConnection,
    id: ConversationId,
    since: i64,
    limit: i64,
) -> Result<Vec<(MessageId, UserId, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT id, author_id, seq FROM messages
          WHERE conversation_id = $1 AND thread_root_id IS NULL AND deleted_at IS NULL
            AND created_at >= $2
          ORDER BY seq DESC LIMIT {}",
        limit.clamp(1, 100)
    ))
    .bind(id.to_string())
    .bind(since)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.parse("id")?, r.parse("author_id")?, r.int("seq")?)))
        .collect()
}

/// When the unread were last reminded of a message.
pub async fn reminded_at(conn: &mut AnyConnection, message: MessageId) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT last_at FROM message_reminders WHERE message_id = $1")
            .bind(message.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

/// The organisation of a conversation.
pub async fn conversation_org(conn: &mut AnyConnection, id: ConversationId) -> Result<OrgId> {
    let org: String = sqlx::query_scalar("SELECT org_id FROM conversations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    org.parse().map_err(|_| StoreError::Corrupt("org id"))
}

/// Owners and posters of a conversation.
pub async fn speakers(conn: &mut AnyConnection, id: ConversationId) -> Result<Vec<UserId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM conversation_members
          WHERE conversation_id = $1 AND role IN ('owner', 'poster')",
    )
    .bind(id.to_string())
    .fetch_all(conn)
    .await?;
    ids.iter()
        .map(|s| s.parse().map_err(|_| StoreError::Corrupt("user id")))
        .collect()
}

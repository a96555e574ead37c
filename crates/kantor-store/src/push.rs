//! Web Push subscriptions (one row per browser, unique by endpoint) and the member rows the
//! notification job reads: a conversation's members who have at least one subscription, with
//! their preference, mute flag, time zone and do-not-disturb hours.
//!
//! An endpoint is a bearer capability for a browser: queries here never log it.

use kantor_core::ids::{ConversationId, UserId};
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::row::RowExt;
use crate::{new_id, Result};

/// Most subscriptions one person may keep (browsers, devices).
pub const MAX_PER_USER: i64 = 10;

#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub user_id: UserId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub created_at: i64,
    pub last_ok_at: Option<i64>,
    pub failures: i64,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

fn subscription_from(row: &AnyRow) -> Result<Subscription> {
    Ok(Subscription {
        id: row.text("id")?,
        user_id: row.parse("user_id")?,
        endpoint: row.text("endpoint")?,
        p256dh: row.text("p256dh")?,
        auth: row.text("auth")?,
        created_at: row.int("created_at")?,
        last_ok_at: row.opt_int("last_ok_at")?,
        failures: row.int("failures")?,
    })
}

pub struct NewSubscription<'a> {
    pub user_id: UserId,
    pub endpoint: &'a str,
    pub p256dh: &'a str,
    pub auth: &'a str,
    pub user_agent: &'a str,
}

/// How many subscriptions `user` has other than `endpoint`.
pub async fn count_other(conn: &mut AnyConnection, user: UserId, endpoint: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1 AND endpoint <> $2",
    )
    .bind(user.to_string())
    .bind(endpoint)
    .fetch_one(conn)
    .await?)
}

/// Adds a subscription, or takes over the row with the same endpoint (the browser subscribed
/// again, perhaps for someone else who signed in on it): its keys are replaced and its
/// failures forgotten.
pub async fn upsert(conn: &mut AnyConnection, s: &NewSubscription<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, user_agent, created_at, failures)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
           auth = excluded.auth, user_agent = excluded.user_agent, failures = 0",
    )
    .bind(new_id().to_string())
    .bind(s.user_id.to_string())
    .bind(s.endpoint)
    .bind(s.p256dh)
    .bind(s.auth)
    .bind(s.user_agent)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes `user`'s subscription with this endpoint; whether there was one.
pub async fn delete_mine(conn: &mut AnyConnection, user: UserId, endpoint: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
        .bind(user.to_string())
        .bind(endpoint)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a subscription the push service said is gone.
pub async fn delete(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn by_id(conn: &mut AnyConnection, id: &str) -> Result<Option<Subscription>> {
    let row = sqlx::query("SELECT * FROM push_subscriptions WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(subscription_from).transpose()
}

/// Every subscription of `user`, oldest first.
pub async fn of_user(conn: &mut AnyConnection, user: UserId) -> Result<Vec<Subscription>> {
    let rows =
        sqlx::query("SELECT * FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id")
            .bind(user.to_string())
            .fetch_all(conn)
            .await?;
    rows.iter().map(subscription_from).collect()
}

/// The subscriptions of these people (at most a few hundred ids per call).
pub async fn of_users(conn: &mut AnyConnection, users: &[UserId]) -> Result<Vec<Subscription>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=users.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT * FROM push_subscriptions WHERE user_id IN ({}) ORDER BY user_id, id",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for u in users {
        q = q.bind(u.to_string());
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter().map(subscription_from).collect()
}

/// Records a successful delivery.
pub async fn record_ok(conn: &mut AnyConnection, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE push_subscriptions SET last_ok_at = $2, failures = 0 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed delivery.
pub async fn record_failure(conn: &mut AnyConnection, id: &str) -> Result<()> {
    sqlx::query("UPDATE push_subscriptions SET failures = failures + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A member the notification job considers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub user_id: UserId,
    pub notify: String,
    pub muted: bool,
    pub time_zone: String,
    pub dnd_start: Option<i64>,
    pub dnd_end: Option<i64>,
}

/// Up to `limit` members of `conversation` after `after` (by user id), other than `author`,
/// active in the organisation, who have at least one push subscription — so a 10,000-member
/// group where a few hundred people use push costs a few hundred rows.
pub async fn candidates(
    conn: &mut AnyConnection,
    conversation: ConversationId,
    author: UserId,
    after: Option<UserId>,
    limit: i64,
) -> Result<Vec<Candidate>> {
    let rows = sqlx::query(
        "SELECT cm.user_id, cm.notify, cm.muted, u.time_zone, s.dnd_start, s.dnd_end
         FROM conversation_members cm
         JOIN users u ON u.id = cm.user_id
         LEFT JOIN user_status s ON s.user_id = cm.user_id
         WHERE cm.conversation_id = $1 AND cm.user_id <> $2 AND cm.user_id > $3
           AND EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.user_id = cm.user_id)
           AND EXISTS (SELECT 1 FROM memberships ms WHERE ms.org_id = cm.org_id
                       AND ms.user_id = cm.user_id AND ms.status = 'active')
         ORDER BY cm.user_id LIMIT $4",
    )
    .bind(conversation.to_string())
    .bind(author.to_string())
    .bind(after.map(|u| u.to_string()).unwrap_or_default())
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Candidate {
                user_id: r.parse("user_id")?,
                notify: r.text("notify")?,
                muted: r.flag("muted")?,
                time_zone: r.text("time_zone")?,
                dnd_start: r.opt_int("dnd_start")?,
                dnd_end: r.opt_int("dnd_end")?,
            })
        })
        .collect()
}

/// Sets a member's notification preference for a conversation.
pub async fn set_notify(
    conn: &mut AnyConnection,
    conversation: ConversationId,
    user: UserId,
    notify: &str,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversation_members SET notify = $3 WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(conversation.to_string())
    .bind(user.to_string())
    .bind(notify)
    .execute(conn)
    .await?;
    Ok(())
}

/// Names of these people, for rendering mentions (at most a few hundred ids per call).
pub async fn names(conn: &mut AnyConnection, users: &[String]) -> Result<Vec<(String, String)>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=users.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT id, name FROM users WHERE id IN ({})",
        marks.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for u in users {
        q = q.bind(u.as_str());
    }
    let rows = q.fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.text("id")?, r.text("name")?)))
        .collect()
}

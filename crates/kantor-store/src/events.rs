//! The event outbox, the relay and reads for resume.
//!
//! A write calls [`emit`] inside its transaction, so an event exists if and only if its change
//! committed. [`relay_batch`] then moves outbox rows into `events`, numbering them from the
//! single `event_counter` row which it locks for the duration of its transaction. Because only
//! one relay transaction can hold that lock at a time, and each one commits before the next
//! reads the counter, **`seq` is gap-free in commit order**: once a reader sees event `n`, every
//! event below `n` is already committed. (A plain auto-increment would not do: on PostgreSQL two
//! writers can commit ids 8 and 7 in that order, and a reader that saw 8 would skip 7.)

use kantor_core::event::Audience;
use sqlx::AnyConnection;

use crate::db::{Backend, Tx};
use crate::row::RowExt;
use crate::{Result, Store, StoreError};

/// A numbered event, as the gateway delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: i64,
    pub audience: Audience,
    pub kind: String,
    /// JSON payload, stored and sent as text.
    pub payload: String,
    pub created_at: i64,
}

/// Writes an event to the outbox inside `tx`; it is published once `tx` commits.
pub async fn emit(
    tx: &mut Tx,
    audience: &Audience,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<()> {
    let audience_json =
        serde_json::to_string(audience).map_err(|_| StoreError::Corrupt("audience"))?;
    sqlx::query("INSERT INTO outbox (org_id, audience, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(audience.org_id().map(|o| o.to_string()))
        .bind(audience_json)
        .bind(kind)
        .bind(payload.to_string())
        .bind(now)
        .execute(tx.conn())
        .await?;
    tx.emitted = true;
    Ok(())
}

fn event_from(row: &sqlx::any::AnyRow) -> Result<Event> {
    Ok(Event {
        seq: row.int("seq")?,
        audience: serde_json::from_str(&row.text("audience")?)
            .map_err(|_| StoreError::Corrupt("audience"))?,
        kind: row.text("kind")?,
        payload: row.text("payload")?,
        created_at: row.int("created_at")?,
    })
}

/// Moves up to `limit` outbox rows into `events`, numbering them; returns the new events.
/// Safe to run from several nodes at once: they serialise on the counter row.
pub async fn relay_batch(store: &Store, limit: i64) -> Result<Vec<Event>> {
    let mut tx = store.begin().await?;
    let events = relay_in(&mut tx, store.backend(), limit).await?;
    if !events.is_empty() {
        tx.commit().await?;
    }
    Ok(events)
}

/// Numbers outbox rows inside the caller's transaction (a writer that batches many changes
/// numbers their events in the same commit, saving a second one). The caller publishes the
/// returned events once the transaction has committed.
pub async fn relay_in(tx: &mut Tx, backend: Backend, limit: i64) -> Result<Vec<Event>> {
    let lock = match backend {
        Backend::Postgres => "SELECT next_seq FROM event_counter WHERE id = 1 FOR UPDATE",
        // The single writer connection already serialises SQLite writers.
        Backend::Sqlite => "SELECT next_seq FROM event_counter WHERE id = 1",
    };
    let mut next: i64 = sqlx::query_scalar(lock).fetch_one(tx.conn()).await?;
    let rows = sqlx::query(&format!(
        "SELECT * FROM outbox ORDER BY id LIMIT {}",
        limit.clamp(1, 10_000)
    ))
    .fetch_all(tx.conn())
    .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut events = Vec::with_capacity(rows.len());
    let mut relayed_ids = Vec::with_capacity(rows.len());
    for row in &rows {
        relayed_ids.push(row.int("id")?.to_string());
        events.push(Event {
            seq: next,
            audience: serde_json::from_str(&row.text("audience")?)
                .map_err(|_| StoreError::Corrupt("audience"))?,
            kind: row.text("kind")?,
            payload: row.text("payload")?,
            created_at: row.int("created_at")?,
        });
        next += 1;
    }
    // Many rows per statement: one round trip per 100 events instead of one per event.
    for (chunk, rows) in events.chunks(100).zip(rows.chunks(100)) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 6;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO events (seq, org_id, audience, kind, payload, created_at) VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (e, row) in chunk.iter().zip(rows) {
            q = q
                .bind(e.seq)
                .bind(row.opt_text("org_id")?)
                .bind(row.text("audience")?)
                .bind(e.kind.clone())
                .bind(e.payload.clone())
                .bind(e.created_at);
        }
        q.execute(tx.conn()).await?;
    }
    // Exactly the rows read: on PostgreSQL a lower id may have committed since the SELECT, and
    // it must stay for the next batch. The ids are integers we just read, safe to inline.
    sqlx::query(&format!(
        "DELETE FROM outbox WHERE id IN ({})",
        relayed_ids.join(",")
    ))
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE event_counter SET next_seq = $1 WHERE id = 1")
        .bind(next)
        .execute(tx.conn())
        .await?;
    Ok(events)
}

impl Store {
    /// Events with `seq > after`, oldest first.
    pub async fn events_after(&self, after: i64, limit: i64) -> Result<Vec<Event>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .bind(after)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(event_from).collect()
    }

    /// The highest assigned sequence (0 when none), and the lowest still retained.
    pub async fn event_bounds(&self) -> Result<(i64, i64)> {
        let next: i64 = sqlx::query_scalar("SELECT next_seq FROM event_counter WHERE id = 1")
            .fetch_one(self.reader())
            .await?;
        let min: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM events")
            .fetch_one(self.reader())
            .await?;
        Ok((next - 1, min.unwrap_or(next)))
    }

    /// Deletes events created before `cutoff`, keeping at least the newest one so the bounds
    /// stay known. Returns how many were deleted.
    pub async fn prune_events(&self, cutoff: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "DELETE FROM events WHERE created_at < $1 AND seq < (SELECT MAX(seq) FROM events)",
        )
        .bind(cutoff)
        .execute(tx.conn())
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// Number of rows waiting in the outbox (for tests and metrics).
pub async fn outbox_len(conn: &mut AnyConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox")
        .fetch_one(conn)
        .await?)
}

//! Login attempt limits, counted in the database so every node enforces one limit (a counter
//! in each node's memory would give an attacker `nodes ×` the attempts).

use crate::db::Backend;
use crate::{Result, Store};

impl Store {
    /// Counts an attempt under each `(key, limit)` unless one of them already has `limit`
    /// attempts within `window_ms` before `now`; whether the attempt was allowed. Older rows of
    /// these keys are deleted on the way. On PostgreSQL concurrent attempts on one key are
    /// serialised by a transaction-scoped advisory lock, so a burst cannot overshoot.
    pub async fn login_attempt(
        &self,
        keys: &[(String, u32)],
        now: i64,
        window_ms: i64,
    ) -> Result<bool> {
        let mut tx = self.begin().await?;
        let mut allowed = true;
        for (key, limit) in keys {
            if self.backend() == Backend::Postgres {
                sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                    .bind(key)
                    .execute(tx.conn())
                    .await?;
            }
            sqlx::query("DELETE FROM login_attempts WHERE key = $1 AND at <= $2")
                .bind(key)
                .bind(now - window_ms)
                .execute(tx.conn())
                .await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_attempts WHERE key = $1")
                .bind(key)
                .fetch_one(tx.conn())
                .await?;
            if n >= i64::from(*limit) {
                allowed = false;
            }
        }
        if allowed {
            for (key, _) in keys {
                sqlx::query("INSERT INTO login_attempts (key, at) VALUES ($1, $2)")
                    .bind(key)
                    .bind(now)
                    .execute(tx.conn())
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(allowed)
    }

    /// Forgets the attempts under `key` (a successful login clears its email's count).
    pub async fn clear_login_attempts(&self, key: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM login_attempts WHERE key = $1")
            .bind(key)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Deletes every attempt older than the window (run by the hourly prune job).
    pub async fn prune_login_attempts(&self, before: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
            .bind(before)
            .execute(tx.conn())
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

//! Server-wide settings (not per organisation), e.g. the hash of the one-time setup token.

use sqlx::AnyConnection;

use crate::{Result, Store};

pub async fn put(conn: &mut AnyConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets `key` unless it exists; whether it did.
pub async fn put_if_absent(conn: &mut AnyConnection, key: &str, value: &str) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn delete(conn: &mut AnyConnection, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes `key` if it holds `value`; whether it did. On PostgreSQL a concurrent `take` of the
/// same row waits for this transaction and then finds nothing, so a one-time value is taken
/// once.
pub async fn take(conn: &mut AnyConnection, key: &str, value: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM settings WHERE key = $1 AND value = $2")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        get(&mut *self.reader().acquire().await?, key).await
    }
}

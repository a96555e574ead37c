//! The durable job queue: scheduled and retried work (reminders, scheduled messages, webhook
//! retries, escalations) that must survive restarts and run once even with several nodes.
//!
//! A runner *leases* due jobs: it marks them with its name and a lease deadline in one
//! statement, so two runners never hold the same job. On PostgreSQL the candidate rows are
//! picked with `FOR UPDATE SKIP LOCKED`, so runners on different nodes do not wait on each
//! other; SQLite has one writer, which serialises leasing by itself. A runner that dies leaves
//! its lease to expire, after which another runner takes the job again (at-least-once; jobs are
//! written to be idempotent).

use kantor_core::ids::JobId;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::db::Backend;
use crate::row::RowExt;
use crate::{new_id, Result, Store, StoreError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub last_error: Option<String>,
}

fn job_from(row: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: row.parse("id")?,
        kind: row.text("kind")?,
        payload: row.text("payload")?,
        status: row.text("status")?,
        run_at: row.int("run_at")?,
        attempts: row.int("attempts")?,
        max_attempts: row.int("max_attempts")?,
        last_error: row.opt_text("last_error")?,
    })
}

#[derive(Clone, Debug)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: &'a serde_json::Value,
    pub run_at: i64,
    pub max_attempts: i64,
    /// When set, a second job with the same key is not created (the first one's id is returned).
    pub dedupe_key: Option<&'a str>,
}

/// Schedules a job (inside the caller's transaction, so it exists only if the change commits).
pub async fn schedule(conn: &mut AnyConnection, job: &NewJob<'_>, now: i64) -> Result<JobId> {
    if let Some(key) = job.dedupe_key {
        let existing: Option<String> =
            sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await?;
        if let Some(id) = existing {
            return id.parse().map_err(|_| StoreError::Corrupt("id"));
        }
    }
    let id = JobId(new_id());
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, dedupe_key, status, run_at, max_attempts, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $7)",
    )
    .bind(id.to_string())
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(job.dedupe_key)
    .bind(job.run_at)
    .bind(job.max_attempts.max(1))
    .bind(now)
    .execute(conn)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

impl Store {
    /// Leases up to `limit` due jobs for `owner` until `now + lease_ms`.
    pub async fn lease_jobs(
        &self,
        owner: &str,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let mut tx = self.begin().await?;
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
             ORDER BY run_at, id LIMIT {}{lock}",
            limit.clamp(1, 1000)
        ))
        .bind(now)
        .fetch_all(tx.conn())
        .await?;
        let mut jobs = Vec::with_capacity(ids.len());
        for id in &ids {
            sqlx::query("UPDATE jobs SET lease_owner = $2, lease_until = $3, attempts = attempts + 1, updated_at = $4 WHERE id = $1")
                .bind(id)
                .bind(owner)
                .bind(now + lease_ms)
                .bind(now)
                .execute(tx.conn())
                .await?;
            let row = sqlx::query("SELECT * FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_one(tx.conn())
                .await?;
            jobs.push(job_from(&row)?);
        }
        tx.commit().await?;
        Ok(jobs)
    }

    /// Marks a leased job done and erases its payload (it may hold a link or an address that
    /// should not outlive its use). Only the lease holder may finish it.
    pub async fn finish_job(&self, id: JobId, owner: &str, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE jobs SET status = 'done', payload = '{}', lease_owner = NULL, lease_until = NULL, updated_at = $3 WHERE id = $1 AND lease_owner = $2")
            .bind(id.to_string())
            .bind(owner)
            .bind(now)
            .execute(tx.conn())
            .await?;
        tx.commit().await
    }

    /// Records a failed attempt: retried at `retry_at`, or failed for good after the last attempt.
    pub async fn fail_job(
        &self,
        id: JobId,
        owner: &str,
        error: &str,
        retry_at: i64,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
             payload = CASE WHEN attempts >= max_attempts THEN '{}' ELSE payload END,
             run_at = $4, last_error = $3, lease_owner = NULL, lease_until = NULL, updated_at = $5
             WHERE id = $1 AND lease_owner = $2",
        )
        .bind(id.to_string())
        .bind(owner)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .execute(tx.conn())
        .await?;
        tx.commit().await
    }

    pub async fn job(&self, id: JobId) -> Result<Job> {
        let row = sqlx::query("SELECT * FROM jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)?;
        job_from(&row)
    }

    /// Jobs whose payload contains `needle` (tests check that sent payloads are erased).
    pub async fn jobs_containing(&self, needle: &str) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE payload LIKE $1")
                .bind(format!("%{needle}%"))
                .fetch_one(self.reader())
                .await?,
        )
    }

    /// Jobs waiting to run (for `/metrics`).
    pub async fn pending_jobs(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'pending'")
                .fetch_one(self.reader())
                .await?,
        )
    }
}

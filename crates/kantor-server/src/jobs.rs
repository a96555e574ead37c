//! The job runner: leases due jobs from the store and runs the handler for their kind.
//! Time comes from the state's clock, so tests drive [`run_due`] with a manual clock.
//! Chat retention adds `chat.retention_purge` (daily) and `chat.export`
//! (`api::chat::retention`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use kantor_store::jobs::{Job, NewJob};

use crate::state::AppState;

const LEASE_MS: i64 = 60_000;

/// Runs every due job once; returns how many ran (successfully or not).
pub async fn run_due(state: &AppState) -> anyhow::Result<usize> {
    let now = state.clock.now_ms();
    let jobs = state
        .store
        .lease_jobs(&state.node, now, LEASE_MS, 50)
        .await?;
    let n = jobs.len();
    for job in jobs {
        let result = run_one(state, &job).await;
        let now = state.clock.now_ms();
        state.metrics.jobs_run.fetch_add(1, Ordering::Relaxed);
        match result {
            Ok(()) => state.store.finish_job(job.id, &state.node, now).await?,
            Err(e) => {
                state.metrics.jobs_failed.fetch_add(1, Ordering::Relaxed);
                // Exponential backoff: 30 s, 60 s, 120 s, … capped at an hour.
                let backoff = (30_000i64 << job.attempts.clamp(0, 7)).min(3_600_000);
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %format!("{e:#}"), "job failed");
                state
                    .store
                    .fail_job(job.id, &state.node, &format!("{e:#}"), now + backoff, now)
                    .await?;
            }
        }
    }
    Ok(n)
}

async fn run_one(state: &AppState, job: &Job) -> anyhow::Result<()> {
    match job.kind.as_str() {
        PRUNE_EVENTS => prune_events(state).await,
        crate::email::SEND_EMAIL => crate::email::send(state, &job.payload).await,
        crate::api::chat::scheduled::SEND_SCHEDULED => {
            crate::api::chat::scheduled::run(state, &job.payload).await
        }
        crate::api::chat::retention::PURGE => crate::api::chat::retention::run_purge(state).await,
        crate::api::chat::retention::EXPORT => {
            crate::api::chat::retention::run_export(state, &job.payload).await
        }
        crate::api::chat::webhooks::DELIVER => {
            crate::api::chat::webhooks::deliver(state, &job.payload).await
        }
        crate::api::chat::commands::REMIND => {
            crate::api::chat::commands::run_remind(state, &job.payload).await
        }
        crate::api::chat::commands::BOT_DELIVER => {
            crate::api::chat::commands::run_bot_delivery(state, &job.payload).await
        }
        crate::api::meet::schedule::NOTIFY => {
            crate::api::meet::schedule::run_notify(state, &job.payload).await
        }
        crate::api::meet::schedule::REMIND => {
            crate::api::meet::schedule::run_remind(state, &job.payload).await
        }
        crate::push::MESSAGE => crate::push::run_message(state, &job.payload).await,
        crate::push::DELIVER => crate::push::run_deliver(state, &job.payload).await,
        other => anyhow::bail!("no handler for job kind {other:?}"),
    }
}

/// Deletes numbered events past the retention window and schedules the next run.
pub const PRUNE_EVENTS: &str = "events.prune";

async fn prune_events(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now_ms();
    let retention = state.config.event_retention_hours as i64 * 3_600_000;
    let deleted = state.store.prune_events(now - retention).await?;
    let attempts = state
        .store
        .prune_login_attempts(now - state.limiter.window_ms())
        .await?;
    let passcodes = state
        .store
        .prune_passcode_failures(now - kantor_core::meet::PASSCODE_WINDOW_MS)
        .await?;
    tracing::info!(
        deleted,
        attempts,
        passcodes,
        "pruned old events, login attempts and wrong meeting passcodes"
    );
    schedule_prune(state, now + 3_600_000).await
}

/// Schedules the next prune; the hour-bucketed dedupe key keeps one pending run per hour even
/// when several nodes schedule it.
pub async fn schedule_prune(state: &AppState, at: i64) -> anyhow::Result<()> {
    let key = format!("{PRUNE_EVENTS}:{}", at / 3_600_000);
    let mut tx = state.store.begin().await?;
    kantor_store::jobs::schedule(
        &mut tx,
        &NewJob {
            kind: PRUNE_EVENTS,
            payload: &serde_json::json!({}),
            run_at: at,
            max_attempts: 3,
            dedupe_key: Some(&key),
        },
        state.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn run_loop(state: AppState) {
    if let Err(e) = schedule_prune(&state, state.clock.now_ms() + 60_000).await {
        tracing::warn!(error = %e, "could not schedule event pruning");
    }
    let first_purge = state.clock.now_ms() + 120_000;
    if let Err(e) = crate::api::chat::retention::schedule_purge(&state, first_purge).await {
        tracing::warn!(error = %e, "could not schedule the chat retention purge");
    }
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = state.shutdown.cancelled() => break,
        }
        if let Err(e) = run_due(&state).await {
            tracing::warn!(error = %format!("{e:#}"), "job runner failed");
        }
    }
}

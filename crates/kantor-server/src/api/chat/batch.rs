//! Group commit for chat posts on SQLite.
//!
//! SQLite has one writer and, with `synchronous=FULL`, every commit waits for the disk (a few
//! milliseconds here). One commit per message would cap a node at a few hundred messages a
//! second. Instead, posts queue here; one task takes everything waiting, runs the posts inside
//! **one** transaction (a post refused by a rule has written nothing, see `post_in_tx`),
//! numbers their events in the same transaction (no second commit for the relay), commits
//! once, and only then answers each poster. So "acknowledged means on disk" still holds, and a burst of posts
//! costs one disk flush.
//!
//! PostgreSQL does not need this: its writers commit in parallel.

use std::sync::OnceLock;

use axum::http::StatusCode;
use kantor_core::ids::ConversationId;
use kantor_store::chat::{Message, UserRef};
use tokio::sync::{mpsc, oneshot};

use super::messages::{post_in_tx, PostError, PostInput};
use super::ChatCaller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Posts taken into one transaction at most.
const MAX_BATCH: usize = 256;

struct Job {
    who: ChatCaller,
    author: UserRef,
    cid: ConversationId,
    req: PostInput,
    reply: oneshot::Sender<ApiResult<(StatusCode, Message)>>,
}

#[derive(Default)]
pub struct PostBatcher {
    queue: OnceLock<mpsc::Sender<Job>>,
}

impl PostBatcher {
    /// Queues a post and waits until it is committed (or refused).
    pub async fn submit(
        &self,
        state: &AppState,
        who: ChatCaller,
        author: UserRef,
        cid: ConversationId,
        req: PostInput,
    ) -> ApiResult<(StatusCode, Message)> {
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(4096);
            tokio::spawn(run(state.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        queue
            .send(Job {
                who,
                author,
                cid,
                req,
                reply,
            })
            .await
            .map_err(|_| anyhow::anyhow!("the chat writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the chat writer dropped a post"))?
    }
}

async fn run(state: AppState, mut rx: mpsc::Receiver<Job>) {
    loop {
        let first = tokio::select! {
            job = rx.recv() => match job {
                Some(job) => job,
                None => break,
            },
            _ = state.shutdown.cancelled() => break,
        };
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        state
            .metrics
            .chat_post_batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let results = match write_batch(&state, &jobs).await {
            Ok(results) => results,
            Err(e) => {
                // A database error part-way: nothing of the batch was committed. Write each post
                // alone, so one bad post cannot fail the others.
                tracing::warn!(error = %e, posts = jobs.len(), "chat batch failed; posting one by one");
                let mut alone = Vec::with_capacity(jobs.len());
                for job in &jobs {
                    let one = std::slice::from_ref(job);
                    alone.push(match write_batch(&state, one).await {
                        Ok(mut r) => r.remove(0),
                        Err(e) => Err(ApiError::from(anyhow::anyhow!("posting failed: {e}"))),
                    });
                }
                alone
            }
        };
        for (job, result) in jobs.into_iter().zip(results) {
            let _ = job.reply.send(result);
        }
    }
}

type Results = Vec<ApiResult<(StatusCode, Message)>>;

/// Writes the posts in one transaction and publishes their events after the commit. A post
/// refused by a rule writes nothing before it is refused (checks come before writes, and a
/// repeated client key gives its `seq` back), so refusals need no savepoint.
async fn write_batch(state: &AppState, jobs: &[Job]) -> anyhow::Result<Results> {
    let mut tx = state.store.begin().await?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let outcome = post_in_tx(state, &mut tx, &job.who, &job.author, job.cid, &job.req).await;
        results.push(match outcome {
            Ok(posted) => Ok(posted),
            Err(PostError::Api(e)) if e.status.is_server_error() => {
                anyhow::bail!("{}: {}", e.code, e.message)
            }
            Err(PostError::Api(e)) => Err(e),
            // The same key earlier in this batch or already committed: that message.
            Err(PostError::KeyTaken) => super::messages::already_posted(
                &mut tx,
                &job.who,
                job.cid,
                job.req.client_key.trim(),
            )
            .await
            .and_then(|m| m.ok_or_else(ApiError::not_found)),
        });
    }
    let events = kantor_store::events::relay_in(&mut tx, state.store.backend(), 10_000).await?;
    tx.commit().await?;
    crate::gateway::publish_events(state, &events).await;
    Ok(results)
}

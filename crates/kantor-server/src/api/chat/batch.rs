//! Group commit for chat posts on SQLite.
//!
//! SQLite has one writer and, with `synchronous=FULL`, every commit waits for the disk (a few
//! milliseconds here). One commit per message would cap a node at a few hundred messages a
//! second. Instead, posts queue here; one task takes everything waiting, runs each post in its
//! own savepoint inside **one** transaction (a failing post rolls back alone), numbers their
//! events in the same transaction (no second commit for the relay), commits once, and only
//! then answers each poster. So "acknowledged means on disk" still holds, and a burst of posts
//! costs one disk flush.
//!
//! PostgreSQL does not need this: its writers commit in parallel.

use std::sync::OnceLock;

use axum::http::StatusCode;
use kantor_core::ids::ConversationId;
use kantor_store::chat::Message;
use tokio::sync::{mpsc, oneshot};

use super::messages::{post_in_tx, PostError, PostInput};
use super::ChatCaller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Posts taken into one transaction at most.
const MAX_BATCH: usize = 256;

struct Job {
    who: ChatCaller,
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
        match write_batch(&state, &jobs).await {
            Ok((results, events)) => {
                crate::gateway::publish_events(&state, &events).await;
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, posts = jobs.len(), "chat batch failed");
                for job in jobs {
                    let _ = job.reply.send(Err(ApiError::from(anyhow::anyhow!(
                        "the batch could not be written"
                    ))));
                }
            }
        }
    }
}

type Results = Vec<ApiResult<(StatusCode, Message)>>;

async fn write_batch(
    state: &AppState,
    jobs: &[Job],
) -> anyhow::Result<(Results, Vec<kantor_store::events::Event>)> {
    let mut tx = state.store.begin().await?;
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        tx.savepoint("chat_post").await?;
        let outcome = post_in_tx(state, &mut tx, &job.who, job.cid, &job.req).await;
        match outcome {
            Ok(posted) => {
                tx.release("chat_post").await?;
                results.push(Ok(posted));
            }
            Err(e) => {
                tx.rollback_to("chat_post").await?;
                results.push(match e {
                    PostError::Api(e) => Err(e),
                    // The same key earlier in this batch or already committed: that message.
                    PostError::KeyTaken => super::messages::already_posted(
                        &mut tx,
                        &job.who,
                        job.cid,
                        job.req.client_key.trim(),
                    )
                    .await
                    .and_then(|m| m.ok_or_else(ApiError::not_found)),
                });
            }
        }
    }
    let events = kantor_store::events::relay_in(&mut tx, state.store.backend(), 10_000).await?;
    tx.commit().await?;
    Ok((results, events))
}

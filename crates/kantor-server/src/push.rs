//! Notifications by Web Push: the server's VAPID key, and the jobs that decide who is told of a
//! new message and send to their browsers.
//!
//! The post path only schedules a `push.message` job in its transaction
//! ([`enqueue_for_message`]), so a notification exists iff the message does and a slow push
//! service delays nothing. The job reads the conversation's members that have a subscription in
//! pages of [`BATCH`] (the next page is a new job), asks `kantor_core::notify::decide` about
//! each (preference, mute, mentions, do-not-disturb in their zone), and sends to their
//! subscriptions, at most [`CONCURRENCY`] at a time. A push service that asks to retry gets a
//! `push.deliver` job for that one subscription, retried with the runner's back-off; one that
//! says the subscription is gone gets it deleted.
//!
//! **Never logged**: endpoints (bearer capabilities for a browser) and message text.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt;
use kantor_core::chat::Kind;
use kantor_core::ids::{ConversationId, MessageId, OrgId, UserId};
use kantor_core::notify::{self, Notify, Recipient, Relevance, Urgency};
use kantor_push::{NextStep, Push, PushError, SendOptions, SubscriptionKeys, VapidKey};
use kantor_store::chat::{Conversation, Message};
use kantor_store::jobs::NewJob;
use kantor_store::push::{self as subs, Subscription};
use kantor_store::{Conn, Store};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

/// Job kind: notify a conversation's members of one message (one page of members).
pub const MESSAGE: &str = "push.message";
/// Job kind: send one notification to one subscription again after the push service asked us
/// to retry.
pub const DELIVER: &str = "push.deliver";

/// Members with a subscription read per `push.message` job.
pub const BATCH: i64 = 500;
/// Sends in flight at once per job.
pub const CONCURRENCY: usize = 16;
/// How long a push service keeps an undelivered notification.
pub const TTL_SECS: u32 = 24 * 60 * 60;
/// Tries of a `push.deliver` job (the first plus retries after 30 s, 1, 2 and 4 minutes).
const DELIVER_ATTEMPTS: i64 = 5;
/// The setting holding the VAPID private key (base64url). Never logged.
const VAPID_KEY_SETTING: &str = "push.vapid_private_key";

/// The server's VAPID key, made on first use and kept in the settings table, so every node
/// signs with the same key and browsers' subscriptions survive restarts.
pub async fn vapid_key(store: &Store) -> anyhow::Result<VapidKey> {
    if let Some(text) = store.setting(VAPID_KEY_SETTING).await? {
        return Ok(VapidKey::from_private_key_b64url(&text)?);
    }
    let fresh = VapidKey::generate(&mut rand::rngs::OsRng).private_key_b64url();
    let mut tx = store.begin().await?;
    // Another node may have made one meanwhile: the first one stays.
    kantor_store::settings::put_if_absent(&mut tx, VAPID_KEY_SETTING, &fresh).await?;
    let text = kantor_store::settings::get(&mut tx, VAPID_KEY_SETTING)
        .await?
        .unwrap_or(fresh);
    tx.commit().await?;
    Ok(VapidKey::from_private_key_b64url(&text)?)
}

/// The VAPID contact: the configured one, or `mailto:admin@<host of the base URL>`.
pub fn subject(state: &AppState) -> String {
    if let Some(s) = &state.config.push_subject {
        return s.clone();
    }
    let host = url::Url::parse(&state.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_string());
    format!("mailto:admin@{host}")
}

pub fn send_options(state: &AppState) -> SendOptions {
    SendOptions {
        allow_http_loopback: state.config.push_allow_http_loopback,
    }
}

/// Whether a subscription from a browser can be used: the endpoint is an https URL (or, with
/// the test flag, http on loopback) and the keys are a P-256 point and a 16-byte secret.
pub fn check_subscription(
    state: &AppState,
    endpoint: &str,
    keys: &SubscriptionKeys,
) -> Result<(), &'static str> {
    let url = url::Url::parse(endpoint).map_err(|_| "endpoint")?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let endpoint_ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => state.config.push_allow_http_loopback && loopback,
        _ => false,
    };
    if !endpoint_ok || endpoint.len() > 2048 {
        return Err("endpoint");
    }
    // Encrypting a byte checks both keys the way a send would.
    kantor_push::encrypt(keys, b"x", 4096, &mut rand::rngs::OsRng).map_err(|_| "keys")?;
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct MessageJob {
    org_id: OrgId,
    conversation_id: ConversationId,
    message_id: MessageId,
    /// Members up to this id were handled by earlier pages.
    #[serde(default)]
    after: Option<UserId>,
}

/// Schedules the notifications of a new message, in the post's transaction (one row).
pub async fn enqueue_for_message(
    conn: &mut Conn,
    c: &Conversation,
    m: &Message,
    now: i64,
) -> crate::error::ApiResult<()> {
    if c.member_count <= 1 {
        return Ok(());
    }
    Ok(schedule_page(
        conn,
        &MessageJob {
            org_id: c.org_id,
            conversation_id: c.id,
            message_id: m.id,
            after: None,
        },
        now,
    )
    .await?)
}

async fn schedule_page(conn: &mut Conn, job: &MessageJob, now: i64) -> anyhow::Result<()> {
    let key = match job.after {
        None => format!("{MESSAGE}:{}", job.message_id),
        Some(after) => format!("{MESSAGE}:{}:{after}", job.message_id),
    };
    kantor_store::jobs::schedule(
        conn,
        &NewJob {
            kind: MESSAGE,
            payload: &serde_json::to_value(job)?,
            run_at: now,
            max_attempts: 3,
            dedupe_key: Some(&key),
        },
        now,
    )
    .await?;
    Ok(())
}

/// What the service worker shows.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub title: String,
    pub body: String,
    pub url: String,
    pub tag: String,
}

/// Title and text of a message's notification: DMs are titled by the author, channels by
/// `#name`, groups and meeting chats by their topic (else the author); outside DMs the text
/// starts with the author's name.
pub fn payload_for(c: &Conversation, m: &Message, names: &HashMap<String, String>) -> Payload {
    let author = m.author.name.as_str();
    let title = match c.kind {
        Kind::Dm => author.to_string(),
        Kind::Public | Kind::Private => format!("#{}", c.name.as_deref().unwrap_or_default()),
        Kind::Group | Kind::Meeting if !c.topic.trim().is_empty() => c.topic.trim().to_string(),
        Kind::Group | Kind::Meeting => author.to_string(),
    };
    let text = if m.body.trim().is_empty() {
        "📎".to_string()
    } else {
        m.body.clone()
    };
    let body = match c.kind {
        Kind::Dm => notify::excerpt(&text, names),
        _ => notify::excerpt(&format!("{author}: {text}"), names),
    };
    Payload {
        title,
        body,
        url: format!("/o/{}/chat/{}", c.org_id, c.id),
        tag: c.id.to_string(),
    }
}

/// Runs one page of a `push.message` job.
pub async fn run_message(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let job: MessageJob = serde_json::from_str(payload)?;
    let now = state.clock.now_ms();
    let mut conn = state.store.read_conn().await?;
    let c = match kantor_store::chat::conversation(&mut conn, job.org_id, job.conversation_id).await
    {
        Ok(c) => c,
        Err(kantor_store::StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let m = match kantor_store::chat::message(&mut conn, c.id, job.message_id).await {
        Ok(m) => m,
        Err(kantor_store::StoreError::NotFound) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if m.deleted_at.is_some() {
        return Ok(());
    }
    let page = subs::candidates(&mut conn, c.id, m.author.id, job.after, BATCH).await?;
    if page.len() as i64 == BATCH {
        // The next page is its own job: a huge group is many short jobs, never one long one.
        let mut tx = state.store.begin().await?;
        let next = MessageJob {
            after: page.last().map(|p| p.user_id),
            ..job
        };
        schedule_page(&mut tx, &next, now).await?;
        tx.commit().await?;
    }
    let mentioned: HashSet<String> = serde_json::from_str::<Vec<String>>(&m.mentions)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let broadcast = m.mention_here || m.mention_channel;
    let mut chosen: HashMap<UserId, Urgency> = HashMap::new();
    for p in &page {
        let recipient = Recipient {
            notify: Notify::parse(&p.notify).unwrap_or_default(),
            muted: p.muted,
            in_dnd: notify::dnd_now(p.dnd_start, p.dnd_end, &p.time_zone, now),
            is_author: false,
        };
        let relevance = Relevance {
            mentioned: mentioned.contains(&p.user_id.to_string()),
            broadcast,
        };
        if let Some(urgency) = notify::decide(c.kind, recipient, relevance) {
            chosen.insert(p.user_id, urgency);
        }
    }
    if chosen.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = mentioned.into_iter().take(200).collect();
    let names: HashMap<String, String> = subs::names(&mut conn, &ids).await?.into_iter().collect();
    let users: Vec<UserId> = chosen.keys().copied().collect();
    let subscriptions = subs::of_users(&mut conn, &users).await?;
    drop(conn);
    let body = serde_json::to_vec(&payload_for(&c, &m, &names))?;
    let topic = c.id.0.simple().to_string();

    let key = vapid_key(&state.store).await?;
    let subject = subject(state);
    let client = client();
    let options = send_options(state);
    let sends = subscriptions.into_iter().map(|s| {
        let urgency = chosen.get(&s.user_id).copied().unwrap_or(Urgency::Normal);
        let msg = push_for(&s, body.clone(), urgency, Some(topic.clone()));
        let (key, subject, client) = (&key, subject.as_str(), &client);
        async move {
            let result =
                kantor_push::send(client, key, subject, &msg, (now / 1000) as u64, options).await;
            (s, urgency, result)
        }
    });
    let results: Vec<_> = futures::stream::iter(sends)
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;

    let (mut sent, mut gone, mut retry, mut dropped) = (0, 0, 0, 0);
    let mut tx = state.store.begin().await?;
    for (s, urgency, result) in results {
        match result {
            Ok(_) => {
                subs::record_ok(&mut tx, &s.id, now).await?;
                sent += 1;
            }
            Err(e) => match e.next_step() {
                NextStep::DeleteSubscription => {
                    subs::delete(&mut tx, &s.id).await?;
                    gone += 1;
                }
                NextStep::Retry { after } => {
                    subs::record_failure(&mut tx, &s.id).await?;
                    schedule_retry(&mut tx, &s, &body, urgency, &topic, after, now).await?;
                    retry += 1;
                }
                NextStep::Drop => {
                    subs::record_failure(&mut tx, &s.id).await?;
                    tracing::warn!(subscription = %s.id, error = %e, "push notification refused");
                    dropped += 1;
                }
            },
        }
    }
    tx.commit().await?;
    tracing::info!(message = %m.id, sent, gone, retry, dropped, "sent push notifications");
    Ok(())
}

fn push_for(s: &Subscription, payload: Vec<u8>, urgency: Urgency, topic: Option<String>) -> Push {
    Push {
        endpoint: s.endpoint.clone(),
        keys: SubscriptionKeys {
            p256dh: s.p256dh.clone(),
            auth: s.auth.clone(),
        },
        payload,
        ttl_secs: TTL_SECS,
        urgency: match urgency {
            Urgency::High => kantor_push::Urgency::High,
            Urgency::Normal => kantor_push::Urgency::Normal,
        },
        topic,
    }
}

#[derive(Serialize, Deserialize)]
struct DeliverJob {
    subscription_id: String,
    /// The notification JSON (title, ≤ 140 characters of text, url, tag).
    payload: String,
    high: bool,
    topic: String,
}

async fn schedule_retry(
    conn: &mut Conn,
    s: &Subscription,
    body: &[u8],
    urgency: Urgency,
    topic: &str,
    after: Option<Duration>,
    now: i64,
) -> anyhow::Result<()> {
    let delay = after.map_or(30_000, |d| d.as_millis().clamp(1_000, 3_600_000) as i64);
    let job = DeliverJob {
        subscription_id: s.id.clone(),
        payload: String::from_utf8_lossy(body).into_owned(),
        high: urgency == Urgency::High,
        topic: topic.to_string(),
    };
    kantor_store::jobs::schedule(
        conn,
        &NewJob {
            kind: DELIVER,
            payload: &serde_json::to_value(&job)?,
            run_at: now + delay,
            max_attempts: DELIVER_ATTEMPTS,
            dedupe_key: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Runs a `push.deliver` job: one notification to one subscription. Fails (so the runner
/// retries with back-off) while the push service asks to retry.
pub async fn run_deliver(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let job: DeliverJob = serde_json::from_str(payload)?;
    let now = state.clock.now_ms();
    let found = {
        let mut conn = state.store.read_conn().await?;
        subs::by_id(&mut conn, &job.subscription_id).await?
    };
    let Some(s) = found else {
        return Ok(());
    };
    let urgency = if job.high {
        Urgency::High
    } else {
        Urgency::Normal
    };
    let msg = push_for(&s, job.payload.into_bytes(), urgency, Some(job.topic));
    let key = vapid_key(&state.store).await?;
    let result = kantor_push::send(
        &client(),
        &key,
        &subject(state),
        &msg,
        (now / 1000) as u64,
        send_options(state),
    )
    .await;
    let mut tx = state.store.begin().await?;
    let outcome: Result<(), PushError> = match result {
        Ok(_) => {
            subs::record_ok(&mut tx, &s.id, now).await?;
            Ok(())
        }
        Err(e) => match e.next_step() {
            NextStep::DeleteSubscription => {
                subs::delete(&mut tx, &s.id).await?;
                Ok(())
            }
            NextStep::Retry { .. } => {
                subs::record_failure(&mut tx, &s.id).await?;
                Err(e)
            }
            NextStep::Drop => {
                subs::record_failure(&mut tx, &s.id).await?;
                tracing::warn!(subscription = %s.id, error = %e, "push notification refused");
                Ok(())
            }
        },
    };
    tx.commit().await?;
    outcome.map_err(|e| anyhow::anyhow!("push to subscription {} failed: {e}", s.id))
}

/// An HTTP client for one job's sends (connections are reused within the job). Made per job
/// rather than once per process, because pooled connections belong to the runtime that opened
/// them. Redirects are not followed: a push service answers, it does not redirect.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

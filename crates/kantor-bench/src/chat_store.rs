//! Where a chat post's time goes in the store, without HTTP or WebSockets: the writer work of
//! `POST …/messages` replayed through `kantor_store` one post at a time, in three timed stages.
//!
//! 1. *statements*: `begin` (the single writer on SQLite) and the handler's queries in its
//!    transaction — the client-key lookup, the conversation and the caller's membership,
//!    `insert_message` (the conversation's next `seq`, the row, the author's read position), the
//!    message read back with its reactions, and the `chat.message.created` outbox row;
//! 2. *commit* (on SQLite with `synchronous=FULL`, an fsync of the WAL);
//! 3. *relay*: `relay_batch`, which numbers the outbox row in a second transaction (another
//!    commit) before the hub can deliver it.
//!
//! One post at a time through one writer is what the server does too (SQLite has one writer
//! connection), so `1 / (statements + commit + relay)` is the ceiling on posts per second when
//! the relay batches nothing, and `1 / (statements + commit)` when it batches a great many.

use std::time::Instant;

use hdrhistogram::Histogram;
use kantor_core::event::Audience;
use kantor_core::ids::{ConversationId, OrgId};
use kantor_store::{chat, events, Store};
use rand::Rng;

use crate::seed::{message_text, Person};

pub struct Breakdown {
    /// Microseconds per post for each stage.
    pub statements: Histogram<u64>,
    pub commit: Histogram<u64>,
    pub relay: Histogram<u64>,
    pub total: Histogram<u64>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("1 µs to 60 s at 3 digits is valid")
}

fn micros(from: Instant) -> u64 {
    from.elapsed().as_micros().max(1) as u64
}

pub async fn run(
    store: &Store,
    org_id: OrgId,
    people: &[Person],
    channel: ConversationId,
    posts: usize,
    now: i64,
) -> anyhow::Result<Breakdown> {
    let mut b = Breakdown {
        statements: histogram(),
        commit: histogram(),
        relay: histogram(),
        total: histogram(),
    };
    let audience = Audience::Conversation {
        org_id,
        conversation_id: channel,
    };
    let mut rng = rand::thread_rng();
    for i in 0..posts {
        let author = &people[rng.gen_range(0..people.len())];
        let body = message_text(&mut rng, i);
        let key = format!("store-{i}");
        let start = Instant::now();
        // Outside the transaction, as `chat_caller` does.
        store.membership(org_id, author.id).await?;
        let mut tx = store.begin().await?;
        chat::message_by_client_key(&mut tx, author.id, &key).await?;
        chat::conversation(&mut tx, org_id, channel).await?;
        chat::member_state(&mut tx, channel, author.id).await?;
        let (id, _) = chat::insert_message(
            &mut tx,
            &chat::NewMessage {
                org_id,
                conversation_id: channel,
                author_id: author.id,
                client_key: &key,
                body: &body,
                mentions: "[]",
                attachments: "[]",
                quote: None,
                forwarded: None,
                mention_here: false,
                mention_channel: false,
                thread_root_id: None,
                in_channel: true,
            },
            now,
        )
        .await?;
        let m = chat::message(&mut tx, channel, id).await?;
        // About the size of the server's MessageDto.
        let payload = serde_json::json!({
            "id": m.id.to_string(), "conversation_id": channel.to_string(), "seq": m.seq,
            "client_key": m.client_key, "author": {"id": author.id.to_string(), "name": m.author.name, "avatar_url": null},
            "body": m.body, "mentions": [], "mention_here": false, "mention_channel": false,
            "thread_root_id": null, "also_in_channel": true, "reply_count": 0, "last_reply_at": null,
            "reactions": [], "attachments": [], "quote": null, "forwarded": null, "pinned": false,
            "created_at": "2026-11-23T10:00:00.000+00:00", "edited_at": null, "deleted": false,
        });
        events::emit(&mut tx, &audience, "chat.message.created", &payload, now).await?;
        b.statements.saturating_record(micros(start));
        let committing = Instant::now();
        tx.commit().await?;
        b.commit.saturating_record(micros(committing));
        let relaying = Instant::now();
        events::relay_batch(store, 500).await?;
        b.relay.saturating_record(micros(relaying));
        b.total.saturating_record(micros(start));
    }
    Ok(b)
}

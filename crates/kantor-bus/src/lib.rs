//! Kantor's bus: how one node tells every node (itself included) that something happened.
//!
//! Two implementations behind one type: an in-process broadcast for the single-machine
//! default, and NATS core pub/sub when several nodes share a PostgreSQL. NATS core delivers at
//! most once, so nothing relies on the bus alone: events are numbered in the store, and a node
//! that notices a gap (or hears nothing for a while) reads what it missed from the store.
//!
//! # Layout
//!
//! Everything is in this file: [`Topic`], [`Message`], and [`Bus`] with its two backends.

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::broadcast;

/// What a message is about. Each topic maps to one NATS subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Numbered events, as relayed from the store (JSON of one batch).
    Events,
    /// Control messages between nodes: a session ended, a member was deactivated, caches to drop.
    Control,
    /// Fleeting signals that are never stored or replayed: typing, presence.
    Ephemeral,
}

impl Topic {
    fn name(self) -> &'static str {
        match self {
            Topic::Events => "events",
            Topic::Control => "control",
            Topic::Ephemeral => "ephemeral",
        }
    }

    fn from_name(s: &str) -> Option<Topic> {
        match s {
            "events" => Some(Topic::Events),
            "control" => Some(Topic::Control),
            "ephemeral" => Some(Topic::Ephemeral),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Message {
    pub topic: Topic,
    pub payload: Bytes,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("cannot connect to NATS: {0}")]
    Connect(String),
    #[error("cannot publish to NATS: {0}")]
    Publish(String),
}

/// Local subscribers lag at most this many messages before they are told they lagged (and
/// then catch up from the store).
const LOCAL_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Bus {
    /// Every message this node receives, whichever backend carried it, is re-broadcast here.
    local: broadcast::Sender<Message>,
    nats: Option<async_nats::Client>,
    /// Subjects are `{prefix}.events` and `{prefix}.control`, so several deployments (or test
    /// clusters) can share one NATS server without hearing each other.
    prefix: String,
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bus")
            .field("nats", &self.nats.is_some())
            .finish()
    }
}

impl Bus {
    /// A bus inside this process only.
    pub fn in_process() -> Bus {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Bus {
            local,
            nats: None,
            prefix: String::new(),
        }
    }

    /// A bus over NATS. Messages this node publishes come back to it through NATS like
    /// everyone else's, so every node sees one ordered stream per subject.
    pub async fn nats(url: &str, prefix: &str) -> Result<Bus, BusError> {
        if prefix.is_empty()
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(BusError::Connect(format!(
                "invalid NATS subject prefix {prefix:?}: use letters, digits, - and _"
            )));
        }
        let client = async_nats::ConnectOptions::new()
            .name("kantor")
            .retry_on_initial_connect()
            .connection_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| BusError::Connect(e.to_string()))?;
        // `retry_on_initial_connect` returns before the first connection exists; wait a
        // little for it, so a node that says it is ready is connected (and keeps retrying in
        // the background if NATS is not up yet).
        for _ in 0..100 {
            if client.connection_state() == async_nats::connection::State::Connected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let mut sub = client
            .subscribe(format!("{prefix}.>"))
            .await
            .map_err(|e| BusError::Connect(e.to_string()))?;
        let forward = local.clone();
        let strip = format!("{prefix}.");
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                let name = msg
                    .subject
                    .as_str()
                    .strip_prefix(strip.as_str())
                    .unwrap_or("");
                if let Some(topic) = Topic::from_name(name) {
                    // No receivers is fine: nobody is listening yet.
                    let _ = forward.send(Message {
                        topic,
                        payload: msg.payload,
                    });
                }
            }
            tracing::warn!("NATS subscription ended");
        });
        Ok(Bus {
            local,
            nats: Some(client),
            prefix: prefix.to_string(),
        })
    }

    pub async fn publish(&self, topic: Topic, payload: Bytes) -> Result<(), BusError> {
        match &self.nats {
            None => {
                let _ = self.local.send(Message { topic, payload });
                Ok(())
            }
            Some(client) => client
                .publish(format!("{}.{}", self.prefix, topic.name()), payload)
                .await
                .map_err(|e| BusError::Publish(e.to_string())),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.local.subscribe()
    }

    pub fn is_nats(&self) -> bool {
        self.nats.is_some()
    }

    /// Whether the bus can carry messages now (for `/readyz`).
    pub fn is_connected(&self) -> bool {
        match &self.nats {
            None => true,
            Some(c) => c.connection_state() == async_nats::connection::State::Connected,
        }
    }

    /// Flushes what was published (NATS), so a test or shutdown knows it left this node.
    pub async fn flush(&self) {
        if let Some(c) = &self.nats {
            let _ = c.flush().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_bus_delivers_to_every_subscriber() {
        let bus = Bus::in_process();
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.publish(Topic::Events, Bytes::from_static(b"1"))
            .await
            .expect("publish");
        assert_eq!(a.recv().await.expect("a").payload, "1");
        assert_eq!(b.recv().await.expect("b").payload, "1");
    }

    #[tokio::test]
    async fn nats_bus_delivers_between_two_clients() {
        let url = std::env::var("KANTOR_TEST_NATS_URL")
            .expect("KANTOR_TEST_NATS_URL is not set: run the tests with `make test`");
        let prefix = format!("test-{}", std::process::id());
        let one = Bus::nats(&url, &prefix).await.expect("connect one");
        let two = Bus::nats(&url, &prefix).await.expect("connect two");
        let elsewhere = Bus::nats(&url, &format!("{prefix}-other"))
            .await
            .expect("connect other");
        let mut other_rx = elsewhere.subscribe();
        let mut rx = two.subscribe();
        // The subscription is live once a round trip has happened.
        two.flush().await;
        one.publish(Topic::Control, Bytes::from_static(b"hello"))
            .await
            .expect("publish");
        one.flush().await;
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .expect("delivered in time")
            .expect("message");
        assert_eq!(msg.topic, Topic::Control);
        assert_eq!(msg.payload, "hello");
        assert!(other_rx.try_recv().is_err(), "another prefix hears nothing");
    }
}

//! The realtime gateway: the relay that numbers events, the hub that follows the numbered
//! stream on this node and routes each event to its audience's sockets, presence, and the
//! WebSocket endpoint with resume.
//!
//! **Invariant: a socket receives every event of its audience exactly once, in `seq` order,
//! across reconnects.** The hub routes events strictly in `seq` order: a message from the
//! bus that skips ahead makes it read the missing range from the store first, and a periodic
//! read catches messages the bus lost entirely. A socket registers with the hub *before* it
//! replays from the store, and drops anything at or below the last `seq` it sent, so the seam
//! between replay and live has neither gap nor duplicate. A socket too slow to drain its queue
//! is asked to reconnect, and resumes from its last `seq`.
//!
//! Ephemeral signals (typing, presence) travel on the bus only: never stored, never replayed.

mod hub;
pub use hub::MEMBERS_RESET;
pub mod presence;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kantor_bus::Topic;
use kantor_core::event::Audience;
use kantor_core::ids::{ConversationId, OrgId, UserId};
use kantor_core::role::{MemberStatus, Role};
use kantor_store::events::{relay_batch, Event};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

pub use hub::Hub;
use hub::{SocketEntry, ToSocket, SOCKET_QUEUE};

use crate::auth;
use crate::error::ApiError;
use crate::extract::Query;
use crate::state::AppState;

/// Close code: the session or account ended; sign in again.
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// Close code: reconnect (with `since`) to pick up changed memberships.
pub const CLOSE_RECONNECT: u16 = 4002;
/// Close code (standard): the server is restarting; reconnect shortly.
pub const CLOSE_RESTART: u16 = 1012;

const HEARTBEAT: Duration = Duration::from_secs(25);
/// How often the hub reads the store for events the bus may have lost.
const CATCH_UP_EVERY: Duration = Duration::from_millis(1000);

/// An event as sent to clients.
#[derive(Serialize)]
pub struct WireEvent<'a> {
    #[serde(rename = "type")]
    pub kind_tag: &'static str,
    pub seq: i64,
    pub kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<OrgId>,
    pub data: &'a serde_json::value::RawValue,
}

/// A numbered event ready to send: the audience for filtering and the JSON text, built once.
pub struct Outgoing {
    pub seq: i64,
    pub audience: kantor_core::event::Audience,
    pub text: Arc<str>,
}

fn outgoing(e: &Event) -> Outgoing {
    let raw = serde_json::value::RawValue::from_string(e.payload.clone()).unwrap_or_else(|_| {
        serde_json::value::RawValue::from_string("null".into()).expect("null is JSON")
    });
    let wire = WireEvent {
        kind_tag: "event",
        seq: e.seq,
        kind: &e.kind,
        org_id: e.audience.org_id(),
        data: &raw,
    };
    let text = serde_json::to_string(&wire).unwrap_or_default();
    Outgoing {
        seq: e.seq,
        audience: e.audience.clone(),
        text: text.into(),
    }
}

/// Runs the relay: numbers outbox rows as soon as a transaction with events commits (or on a
/// slow poll, for rows written by other nodes that died before relaying), and publishes them.
pub async fn run_relay(state: AppState) {
    loop {
        tokio::select! {
            _ = state.store.events_written() => {}
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = state.shutdown.cancelled() => break,
        }
        loop {
            match relay_batch(&state.store, 500).await {
                Ok(batch) if batch.is_empty() => break,
                Ok(batch) => publish_events(&state, &batch).await,
                Err(e) => {
                    tracing::warn!(error = %e, "relay failed; retrying");
                    break;
                }
            }
        }
    }
}

/// Publishes newly numbered events to every node (this one included).
pub async fn publish_events(state: &AppState, batch: &[Event]) {
    state
        .metrics
        .events_relayed
        .fetch_add(batch.len() as u64, Ordering::Relaxed);
    let wire: Vec<BusEvent> = batch.iter().map(BusEvent::from).collect();
    match serde_json::to_vec(&wire) {
        Ok(bytes) => {
            if let Err(e) = state.bus.publish(Topic::Events, bytes.into()).await {
                // Other nodes catch up from the store.
                tracing::warn!(error = %e, "could not publish events");
            }
        }
        Err(e) => tracing::error!(error = %e, "could not encode events"),
    }
}

/// Events as they cross the bus.
#[derive(Serialize, Deserialize)]
struct BusEvent {
    seq: i64,
    audience: kantor_core::event::Audience,
    kind: String,
    payload: String,
    created_at: i64,
}

impl From<&Event> for BusEvent {
    fn from(e: &Event) -> Self {
        BusEvent {
            seq: e.seq,
            audience: e.audience.clone(),
            kind: e.kind.clone(),
            payload: e.payload.clone(),
            created_at: e.created_at,
        }
    }
}

/// Ephemeral messages between nodes ([`Topic::Ephemeral`]).
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum EphemeralMsg {
    /// A JSON text for the sockets of an audience, except `exclude`'s.
    Signal {
        audience: Audience,
        exclude: Option<UserId>,
        text: String,
    },
    Presence(presence::Announce),
}

/// Sends a JSON text to the sockets of an audience on every node, now, without storing it
/// (typing, live read counts).
pub async fn signal(state: &AppState, audience: Audience, text: String) {
    publish_ephemeral(
        state,
        &EphemeralMsg::Signal {
            audience,
            exclude: None,
            text,
        },
    )
    .await;
}

async fn publish_ephemeral(state: &AppState, msg: &EphemeralMsg) {
    if let Ok(bytes) = serde_json::to_vec(msg) {
        if let Err(e) = state.bus.publish(Topic::Ephemeral, bytes.into()).await {
            tracing::debug!(error = %e, "could not publish an ephemeral message");
        }
    }
}

/// Announces a change of this node's view of someone's presence.
async fn announce_presence(state: &AppState, entry: Option<presence::Entry>) {
    if let Some(entry) = entry {
        let msg = EphemeralMsg::Presence(presence::Announce {
            node: state.node.clone(),
            full: false,
            entries: vec![entry],
        });
        publish_ephemeral(state, &msg).await;
    }
}

/// Follows the bus and the store, feeding the hub in order; applies control messages, routes
/// ephemeral signals and pushes presence changes.
pub async fn run_hub(state: AppState) {
    match state.store.event_bounds().await {
        Ok((last, _)) => state.hub.set_last_seq(last),
        Err(e) => tracing::error!(error = %e, "could not read the event position"),
    }
    let mut rx = state.bus.subscribe();
    let mut tick = tokio::time::interval(CATCH_UP_EVERY);
    let mut presence_tick = tokio::time::interval(PRESENCE_PUSH_EVERY);
    let mut announce_tick = tokio::time::interval(presence::ANNOUNCE_EVERY);
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Ok(m) if m.topic == Topic::Events => {
                    let events: Vec<Event> = serde_json::from_slice::<Vec<BusEvent>>(&m.payload)
                        .map(|v| v.into_iter().map(|b| Event { seq: b.seq, audience: b.audience, kind: b.kind, payload: b.payload, created_at: b.created_at }).collect())
                        .unwrap_or_default();
                    if let Err(e) = state.hub.catch_up(&state, &events).await {
                        tracing::warn!(error = %e, "hub could not deliver events");
                    }
                }
                Ok(m) if m.topic == Topic::Ephemeral => {
                    match serde_json::from_slice::<EphemeralMsg>(&m.payload) {
                        Ok(EphemeralMsg::Signal { audience, exclude, text }) => {
                            state.hub.route_ephemeral(&state, &audience, exclude, text.into()).await;
                        }
                        Ok(EphemeralMsg::Presence(a)) => state.hub.presence.apply(&a, Instant::now()),
                        Err(e) => tracing::debug!(error = %e, "bad ephemeral message"),
                    }
                }
                Ok(m) => {
                    if let Ok(c) = serde_json::from_slice(&m.payload) {
                        state.apply_control(&c);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "hub lagged behind the bus; reading the store");
                    let _ = state.hub.catch_up(&state, &[]).await;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                if let Err(e) = state.hub.catch_up(&state, &[]).await {
                    tracing::warn!(error = %e, "hub could not read the store");
                }
            }
            _ = presence_tick.tick() => push_presence(&state).await,
            _ = announce_tick.tick() => {
                let snapshot = state.hub.presence.local_snapshot(&state.node);
                publish_ephemeral(&state, &EphemeralMsg::Presence(snapshot)).await;
                state.hub.presence.expire(Instant::now());
            }
            _ = state.shutdown.cancelled() => break,
        }
    }
}

/// How often presence changes are batched out to clients.
const PRESENCE_PUSH_EVERY: Duration = Duration::from_secs(1);

async fn push_presence(state: &AppState) {
    let changes = state.hub.presence.take_pending();
    if !changes.is_empty() {
        state.hub.push_presence(&changes);
    }
}

/// What a client may send.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Ping,
    Pong,
    /// Receive only these organisations' events (`null`: all of one's organisations again).
    /// Events addressed to the person (`user.updated`) always arrive.
    Subscribe {
        orgs: Option<Vec<OrgId>>,
    },
    /// The person is typing in a conversation (or one of its threads).
    Typing {
        conversation_id: ConversationId,
        thread_root_id: Option<String>,
    },
    /// The tab has focus and input (`active`) or not (`idle`).
    Activity {
        state: ActivityState,
    },
    /// Push presence changes of these people (replaces the previous list; at most 1,000), and
    /// answer with their current states at once.
    WatchPresence {
        user_ids: Vec<UserId>,
    },
}

/// People one socket may watch.
const MAX_WATCHED: usize = 1_000;

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ActivityState {
    Active,
    Idle,
}

/// Typing signals from one socket are forwarded at most this often.
const TYPING_EVERY: Duration = Duration::from_millis(2_000);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsParams {
    /// The last `seq` the client received; events after it are replayed first.
    pub since: Option<i64>,
}

/// Opens the realtime WebSocket.
#[utoipa::path(get, path = "/api/v1/ws", tag = "realtime", params(WsParams),
    responses((status = 101, description = "switching to WebSocket"), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn ws(
    State(state): State<AppState>,
    Query(params): Query<WsParams>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // Browsers send cookies on cross-site WebSocket handshakes; the Origin check stops another
    // site from opening a socket as the user.
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let same_host = origin.split_once("://").map(|(_, h)| h) == Some(host);
        let public = state
            .config
            .public_url
            .as_deref()
            .is_some_and(|p| p.trim_end_matches('/') == origin);
        if !same_host && !public {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "ws.origin",
                "origin not allowed",
            ));
        }
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let caller = auth::authenticate(&state, &headers, bearer).await?;
    let memberships: Vec<(OrgId, Role)> = state
        .store
        .memberships_of(caller.user_id)
        .await?
        .into_iter()
        .filter(|(_, m)| m.status == MemberStatus::Active)
        .map(|(o, m)| (o.id, m.role))
        .collect();
    let since = params.since;
    Ok(upgrade
        // tungstenite zeroes its whole read buffer (128 KiB by default) on every read attempt, i.e.
        // per event sent, and keeps it resident per socket; clients only send small messages.
        .read_buffer_size(4 * 1024)
        .on_upgrade(move |socket| serve_socket(state, socket, caller, memberships, since))
        .into_response())
}

/// One socket's view of who it is and what it may see.
struct Viewer {
    user_id: UserId,
    memberships: Vec<(OrgId, Role)>,
    /// Conversations the person is in, kept current by joins and leaves in event order.
    conversations: HashMap<ConversationId, OrgId>,
    /// Organisations the client asked for (`None`: all of its own).
    subscribed: Option<Vec<OrgId>>,
}

impl Viewer {
    /// Whether to send an event, and updates conversation membership from it.
    fn admit(&mut self, o: &Outgoing) -> bool {
        let visible = o.audience.includes(self.user_id, &self.memberships, |c| {
            self.conversations.contains_key(&c)
        }) && match (&self.subscribed, o.audience.org_id()) {
            (Some(orgs), Some(org)) => orgs.contains(&org),
            _ => true,
        };
        match &o.audience {
            Audience::ConversationJoin {
                org_id,
                conversation_id,
                user_id,
            } if *user_id == self.user_id => {
                self.conversations.insert(*conversation_id, *org_id);
            }
            Audience::ConversationLeave {
                conversation_id,
                user_id,
                ..
            } if *user_id == self.user_id => {
                self.conversations.remove(conversation_id);
            }
            _ => {}
        }
        visible
    }
}

async fn serve_socket(
    state: AppState,
    mut socket: WebSocket,
    caller: auth::Caller,
    memberships: Vec<(OrgId, Role)>,
    since: Option<i64>,
) {
    let (tx, mut rx) = mpsc::channel(SOCKET_QUEUE);
    let (close_tx, mut close_rx) = mpsc::channel(4);
    let user_id = caller.user_id;
    let orgs: Vec<OrgId> = memberships.iter().map(|(o, _)| *o).collect();
    let (id, registered_at) = state
        .hub
        .register(SocketEntry {
            dead: Default::default(),
            user_id,
            credential_hash: caller.credential_hash.clone(),
            memberships: memberships.clone(),
            tx,
            close: close_tx,
        })
        .await;
    state.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    announce_presence(&state, state.hub.presence.socket_opened(user_id, id, orgs)).await;
    let mut viewer = Viewer {
        user_id,
        memberships,
        conversations: HashMap::new(),
        subscribed: None,
    };
    let result = socket_loop(
        &state,
        &mut socket,
        id,
        &mut viewer,
        since,
        registered_at,
        &mut rx,
        &mut close_rx,
    )
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "socket ended");
    }
    state.hub.unregister(id);
    state.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
    announce_presence(&state, state.hub.presence.socket_closed(user_id, id)).await;
}

async fn send_text(socket: &mut WebSocket, text: &str) -> anyhow::Result<()> {
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn socket_loop(
    state: &AppState,
    socket: &mut WebSocket,
    socket_id: u64,
    viewer: &mut Viewer,
    since: Option<i64>,
    registered_at: i64,
    rx: &mut mpsc::Receiver<ToSocket>,
    close_rx: &mut mpsc::Receiver<u16>,
) -> anyhow::Result<()> {
    // Everything after `registered_at` reaches the queue; the store covers what came before.
    let (last_known, first_retained) = state.store.event_bounds().await?;
    debug_assert!(registered_at <= last_known);
    // Read after the bounds: every join up to `last_known` is in it, later ones are replayed.
    viewer.conversations = state
        .store
        .conversations_of_user(viewer.user_id)
        .await?
        .into_iter()
        .filter(|(_, org)| viewer.memberships.iter().any(|(o, _)| o == org))
        .collect();
    let mut last_sent = match since {
        Some(s) if s < first_retained - 1 || s > last_known => {
            send_text(
                socket,
                &serde_json::json!({"type": "resync_required", "seq": last_known}).to_string(),
            )
            .await?;
            last_known
        }
        Some(s) => s,
        None => last_known,
    };
    send_text(
        socket,
        &serde_json::json!({"type": "hello", "seq": last_sent}).to_string(),
    )
    .await?;
    // Replay what the client missed, in pages, until the store has nothing newer.
    loop {
        let page = state.store.events_after(last_sent, 1000).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let o = outgoing(e);
            if viewer.admit(&o) {
                send_text(socket, &o.text).await?;
            }
            last_sent = e.seq;
        }
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut awaiting_pong = false;
    let mut last_typing: Option<Instant> = None;
    loop {
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(ToSocket::Event(o)) => {
                    if o.seq <= last_sent {
                        continue;
                    }
                    last_sent = o.seq;
                    if viewer.admit(&o) {
                        send_text(socket, &o.text).await?;
                    }
                }
                Some(ToSocket::Ephemeral(text)) => send_text(socket, &text).await?,
                None => return Ok(()),
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    match serde_json::from_str::<ClientMessage>(t.as_str()) {
                        Ok(ClientMessage::Ping) => send_text(socket, r#"{"type":"pong"}"#).await?,
                        Ok(ClientMessage::Pong) => {}
                        Ok(ClientMessage::Subscribe { orgs }) => {
                            // Only the client's own organisations; others would be filtered anyway.
                            let orgs: Option<Vec<OrgId>> = orgs.map(|o| o.into_iter().filter(|id| viewer.memberships.iter().any(|(m, _)| m == id)).collect());
                            let ack = serde_json::json!({"type": "subscribed", "orgs": orgs});
                            viewer.subscribed = orgs;
                            send_text(socket, &ack.to_string()).await?;
                        }
                        Ok(ClientMessage::Typing { conversation_id, thread_root_id }) => {
                            let due = last_typing.is_none_or(|t| t.elapsed() >= TYPING_EVERY);
                            if let (true, Some(org_id)) = (due, viewer.conversations.get(&conversation_id).copied()) {
                                last_typing = Some(Instant::now());
                                let thread_root_id = thread_root_id.filter(|t| t.parse::<uuid::Uuid>().is_ok());
                                let text = serde_json::json!({"type": "typing", "org_id": org_id, "conversation_id": conversation_id, "thread_root_id": thread_root_id, "user_id": viewer.user_id}).to_string();
                                let msg = EphemeralMsg::Signal { audience: Audience::Conversation { org_id, conversation_id }, exclude: Some(viewer.user_id), text };
                                publish_ephemeral(state, &msg).await;
                            }
                        }
                        Ok(ClientMessage::WatchPresence { mut user_ids }) => {
                            user_ids.truncate(MAX_WATCHED);
                            let orgs: Vec<OrgId> = viewer.memberships.iter().map(|(o, _)| *o).collect();
                            let now: Vec<_> = user_ids.iter().map(|u| serde_json::json!({"user_id": u, "state": state.hub.presence.state_for(*u, &orgs)})).collect();
                            state.hub.watch(socket_id, user_ids);
                            send_text(socket, &serde_json::json!({"type": "presence", "changes": now}).to_string()).await?;
                        }
                        Ok(ClientMessage::Activity { state: s }) => {
                            let entry = state.hub.presence.socket_activity(viewer.user_id, socket_id, s == ActivityState::Active);
                            announce_presence(state, entry).await;
                        }
                        Err(_) => {
                            let err = r#"{"type":"error","code":"ws.bad_message","message":"expected ping, pong, subscribe, typing, activity or watch_presence"}"#;
                            send_text(socket, err).await?;
                        }
                    }
                    awaiting_pong = false;
                }
                Some(Ok(Message::Close(_))) | None => return Ok(()),
                Some(Ok(_)) => awaiting_pong = false,
                Some(Err(e)) => return Err(e.into()),
            },
            code = close_rx.recv() => {
                let code = code.unwrap_or(CLOSE_RESTART);
                let reason = match code {
                    CLOSE_SESSION_ENDED => "session ended",
                    CLOSE_RECONNECT => "reconnect",
                    _ => "server restarting",
                };
                let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                return Ok(());
            }
            _ = heartbeat.tick() => {
                if awaiting_pong {
                    return Ok(());
                }
                send_text(socket, r#"{"type":"ping"}"#).await?;
                awaiting_pong = true;
            }
        }
    }
}

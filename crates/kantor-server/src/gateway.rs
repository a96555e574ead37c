//! The realtime gateway: the relay that numbers events, the hub that follows the numbered
//! stream on this node, and the WebSocket endpoint with resume.
//!
//! **Invariant: a socket receives every event of its audience exactly once, in `seq` order,
//! across reconnects.** The hub delivers events strictly in `seq` order: a message from the
//! bus that skips ahead makes it read the missing range from the store first, and a periodic
//! read catches messages the bus lost entirely. A socket subscribes to the hub *before* it
//! replays from the store, and drops anything at or below the last `seq` it sent, so the seam
//! between replay and live has neither gap nor duplicate.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;
use kantor_bus::Topic;
use kantor_core::ids::{OrgId, UserId};
use kantor_core::role::{MemberStatus, Role};
use kantor_store::events::{relay_batch, Event};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

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

struct SocketHandle {
    user_id: UserId,
    credential_hash: String,
    close: mpsc::Sender<u16>,
}

/// This node's view of the numbered event stream, and its open sockets.
pub struct Hub {
    live: broadcast::Sender<Arc<Outgoing>>,
    /// Highest `seq` delivered to `live`.
    last_seq: AtomicI64,
    sockets: DashMap<u64, SocketHandle>,
    next_socket: AtomicU64,
    /// Serialises delivery so events leave in `seq` order.
    deliver_lock: tokio::sync::Mutex<()>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            live: broadcast::channel(8192).0,
            last_seq: AtomicI64::new(0),
            sockets: DashMap::new(),
            next_socket: AtomicU64::new(1),
            deliver_lock: tokio::sync::Mutex::new(()),
        }
    }
}

impl Hub {
    pub fn connections(&self) -> usize {
        self.sockets.len()
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    pub fn close_user(&self, user_id: UserId, code: u16) {
        for s in self.sockets.iter().filter(|s| s.user_id == user_id) {
            let _ = s.close.try_send(code);
        }
    }

    pub fn close_credential(&self, hash: &str) {
        for s in self.sockets.iter().filter(|s| s.credential_hash == hash) {
            let _ = s.close.try_send(CLOSE_SESSION_ENDED);
        }
    }

    pub fn close_all(&self, code: u16) {
        for s in self.sockets.iter() {
            let _ = s.close.try_send(code);
        }
    }

    /// Delivers events up to and including `upto` (or everything known when `None`), reading
    /// from the store whatever this node has not seen.
    async fn catch_up(&self, state: &AppState, known: &[Event]) -> anyhow::Result<()> {
        let _guard = self.deliver_lock.lock().await;
        let mut last = self.last_seq();
        let mut pending: Vec<&Event> = known.iter().filter(|e| e.seq > last).collect();
        pending.sort_by_key(|e| e.seq);
        let contiguous = pending.first().is_none_or(|e| e.seq == last + 1)
            && pending.windows(2).all(|w| w[1].seq == w[0].seq + 1);
        let fetched;
        let to_send: Vec<&Event> = if contiguous && !pending.is_empty() {
            pending
        } else {
            fetched = state.store.events_after(last, 10_000).await?;
            fetched.iter().collect()
        };
        for e in to_send {
            if e.seq != last + 1 {
                // Only possible if events were pruned under us; skip ahead.
                tracing::warn!(from = last, to = e.seq, "event stream jumped");
            }
            last = e.seq;
            self.last_seq.store(last, Ordering::SeqCst);
            let _ = self.live.send(Arc::new(outgoing(e)));
        }
        Ok(())
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
                Ok(batch) => {
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
                Err(e) => {
                    tracing::warn!(error = %e, "relay failed; retrying");
                    break;
                }
            }
        }
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

/// Follows the bus and the store, feeding the hub in order; applies control messages.
pub async fn run_hub(state: AppState) {
    match state.store.event_bounds().await {
        Ok((last, _)) => state.hub.last_seq.store(last, Ordering::SeqCst),
        Err(e) => tracing::error!(error = %e, "could not read the event position"),
    }
    let mut rx = state.bus.subscribe();
    let mut tick = tokio::time::interval(CATCH_UP_EVERY);
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
            _ = state.shutdown.cancelled() => break,
        }
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
}

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
        .on_upgrade(move |socket| serve_socket(state, socket, caller, memberships, since))
        .into_response())
}

async fn serve_socket(
    state: AppState,
    mut socket: WebSocket,
    caller: auth::Caller,
    memberships: Vec<(OrgId, Role)>,
    since: Option<i64>,
) {
    let id = state.hub.next_socket.fetch_add(1, Ordering::Relaxed);
    let (close_tx, mut close_rx) = mpsc::channel(4);
    state.hub.sockets.insert(
        id,
        SocketHandle {
            user_id: caller.user_id,
            credential_hash: caller.credential_hash.clone(),
            close: close_tx,
        },
    );
    state.metrics.ws_connections.fetch_add(1, Ordering::Relaxed);
    let user_id = caller.user_id;
    let result = socket_loop(
        &state,
        &mut socket,
        user_id,
        &memberships,
        since,
        &mut close_rx,
    )
    .await;
    if let Err(e) = result {
        tracing::debug!(error = %e, "socket ended");
    }
    state.hub.sockets.remove(&id);
    state.metrics.ws_connections.fetch_sub(1, Ordering::Relaxed);
}

async fn send_text(socket: &mut WebSocket, text: &str) -> anyhow::Result<()> {
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

async fn socket_loop(
    state: &AppState,
    socket: &mut WebSocket,
    user_id: UserId,
    memberships: &[(OrgId, Role)],
    since: Option<i64>,
    close_rx: &mut mpsc::Receiver<u16>,
) -> anyhow::Result<()> {
    // Subscribe before reading the store, so nothing committed in between is missed.
    let mut live = state.hub.live.subscribe();
    // Which organisations' events the client wants (all of its own until it subscribes).
    let mut subscribed: Option<Vec<OrgId>> = None;
    let visible = |o: &Outgoing, subscribed: &Option<Vec<OrgId>>| {
        o.audience.includes(user_id, memberships)
            && match (subscribed, o.audience.org_id()) {
                (Some(orgs), Some(org)) => orgs.contains(&org),
                _ => true,
            }
    };
    let (last_known, first_retained) = state.store.event_bounds().await?;
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
    // Replay what the client missed, in pages.
    loop {
        let page = state.store.events_after(last_sent, 1000).await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            let o = outgoing(e);
            if visible(&o, &subscribed) {
                send_text(socket, &o.text).await?;
            }
            last_sent = e.seq;
        }
    }
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut awaiting_pong = false;
    loop {
        tokio::select! {
            ev = live.recv() => match ev {
                Ok(o) => {
                    if o.seq <= last_sent {
                        continue;
                    }
                    if o.seq > last_sent + 1 {
                        // Events we have not seen came before this one (we lagged): read them.
                        for e in state.store.events_after(last_sent, 10_000).await?.iter().take_while(|e| e.seq < o.seq) {
                            let m = outgoing(e);
                            if visible(&m, &subscribed) {
                                send_text(socket, &m.text).await?;
                            }
                        }
                    }
                    if visible(&o, &subscribed) {
                        send_text(socket, &o.text).await?;
                    }
                    last_sent = o.seq;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
            msg = socket.recv() => match msg {
                Some(Ok(Message::Text(t))) => {
                    match serde_json::from_str::<ClientMessage>(t.as_str()) {
                        Ok(ClientMessage::Ping) => send_text(socket, r#"{"type":"pong"}"#).await?,
                        Ok(ClientMessage::Pong) => {}
                        Ok(ClientMessage::Subscribe { orgs }) => {
                            // Only the client's own organisations; others would be filtered anyway.
                            let orgs: Option<Vec<OrgId>> = orgs.map(|o| o.into_iter().filter(|id| memberships.iter().any(|(m, _)| m == id)).collect());
                            let ack = serde_json::json!({"type": "subscribed", "orgs": orgs});
                            subscribed = orgs;
                            send_text(socket, &ack.to_string()).await?;
                        }
                        Err(_) => {
                            let err = r#"{"type":"error","code":"ws.bad_message","message":"expected ping, pong or subscribe"}"#;
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

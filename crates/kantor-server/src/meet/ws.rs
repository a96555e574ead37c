//! `GET /api/v1/meet/ws`: the meeting signalling socket. The first frame is
//! `{"t":"hello","token":…}` with the participant token from join; the socket then relays
//! frames between the browser and its room actor. A malformed frame is answered with an
//! `error` on this socket only.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use futures::{SinkExt, StreamExt};
use kantor_core::meet::token_opens_room;
use serde_json::json;
use tokio::sync::mpsc;

use super::room::{ClientMsg, Outbound, RoomInput, CLOSE_ENDED, CLOSE_UNAUTHORISED};
use crate::AppState;

/// Largest signalling frame. A publish offer with three simulcast layers is ~10 KiB; a
/// subscribe answer carries one m-line per remote track, and in a 100-person call with 25
/// cameras (124 m-lines) it is larger than 64 KiB.
const MAX_FRAME: usize = 512 * 1024;
const HELLO_WITHIN: Duration = Duration::from_secs(10);
/// Frames queued toward one browser before the room gives up on it.
const SOCKET_QUEUE: usize = 512;

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

/// Opens a meeting's signalling socket.
#[utoipa::path(get, path = "/api/v1/meet/ws", tag = "meetings",
    responses((status = 101, description = "switching to WebSocket; see docs/meet-protocol.md")))]
pub async fn ws(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .read_buffer_size(4 * 1024)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| serve(state, socket))
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

fn error_frame(code: &str, message: &str) -> Message {
    Message::Text(
        json!({"t": "error", "code": code, "message": message})
            .to_string()
            .into(),
    )
}

async fn serve(state: AppState, mut socket: WebSocket) {
    // hello
    let token = match tokio::time::timeout(HELLO_WITHIN, socket.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str::<ClientMsg>(&text) {
            Ok(ClientMsg::Hello { token }) => token,
            _ => {
                let _ = socket
                    .send(error_frame("meeting.bad_message", "say hello first"))
                    .await;
                return close(&mut socket, CLOSE_UNAUTHORISED, "hello first").await;
            }
        },
        _ => return close(&mut socket, CLOSE_UNAUTHORISED, "hello first").await,
    };
    let hash = crate::secrets::token_hash(&token);
    let found = match state.store.participant_by_token_hash(&hash).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "meeting hello: store unavailable");
            return close(&mut socket, 1011, "try again").await;
        }
    };
    let Some((participant, meeting)) = found else {
        let _ = socket
            .send(error_frame(
                "meeting.token_invalid",
                "this meeting link is no longer valid",
            ))
            .await;
        return close(&mut socket, CLOSE_UNAUTHORISED, "token").await;
    };
    if !token_opens_room(meeting.status, participant.state) {
        let ended = meeting.status == kantor_core::meet::Status::Ended;
        let (t, code) = if ended {
            ("ended", CLOSE_ENDED)
        } else {
            ("removed", CLOSE_UNAUTHORISED)
        };
        let _ = socket
            .send(Message::Text(json!({"t": t}).to_string().into()))
            .await;
        return close(&mut socket, code, t).await;
    }
    let Some(room) = state.rooms.open(&state, &meeting) else {
        let _ = socket
            .send(error_frame(
                "meeting.media_unavailable",
                "meetings are not available on this server",
            ))
            .await;
        return close(&mut socket, 1011, "no media").await;
    };
    let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
    let pid = participant.id;
    let (tx, mut rx) = mpsc::channel::<Outbound>(SOCKET_QUEUE);
    if room
        .send(RoomInput::Attach {
            participant: pid,
            conn,
            tx,
        })
        .is_err()
    {
        return close(&mut socket, 1011, "try again").await;
    }
    let (mut sink, mut stream) = socket.split();
    loop {
        tokio::select! {
            frame = stream.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Binary(_))) => {
                        let _ = sink.send(error_frame("meeting.bad_message", "frames are JSON text")).await;
                        continue;
                    }
                    _ => break,
                };
                match serde_json::from_str::<ClientMsg>(&text) {
                    Ok(msg) => {
                        if room.send(RoomInput::Client { participant: pid, conn, msg }).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let message = format!("not a meeting message: {e}");
                        let _ = sink.send(error_frame("meeting.bad_message", &message)).await;
                    }
                }
            }
            out = rx.recv() => match out {
                Some(Outbound::Text(t)) => {
                    if sink.send(Message::Text(t.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(code, reason)) => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                    break;
                }
                None => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: 1012, reason: "restart".into() }))).await;
                    break;
                }
            },
        }
    }
    let _ = room.send(RoomInput::Detach {
        participant: pid,
        conn,
    });
}

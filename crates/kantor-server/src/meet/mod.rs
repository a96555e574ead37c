//! Meeting rooms on this node: the signalling WebSocket (`/api/v1/meet/ws`), one actor task per
//! open meeting ([`room`]), and the media socket ([`media`]) feeding the SFU
//! ([`kantor_sfu`]). See docs/meet-protocol.md.
//!
//! The REST handlers (api::meet) own the store; after each committed change they tell the room
//! with [`Rooms::command`]. A room that is not open on this node ignores commands: the next
//! socket that opens it reads the store afresh.

pub mod media;
pub mod room;
pub mod ws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use kantor_core::ids::{ConversationId, MeetingId, ParticipantId, UserId};
use kantor_store::meet::Meeting;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::AppState;
use media::{Media, Packet};
use room::RoomInput;

/// What the REST side tells a room after a committed change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomCommand {
    /// Meeting or participant rows changed (admit, deny, remove, role, rename, lock, spotlight,
    /// settings, end): read them again and apply the difference.
    Sync,
    /// Stop forwarding this participant's microphone and tell them (never unmutes).
    Mute {
        target: ParticipantId,
        by: ParticipantId,
    },
    /// Mute everyone but hosts and cohosts.
    MuteAll { by: ParticipantId },
    /// Ask this participant to unmute themselves.
    AskUnmute {
        target: ParticipantId,
        by: ParticipantId,
    },
    /// Stop forwarding this participant's camera and tell them.
    StopVideo {
        target: ParticipantId,
        by: ParticipantId,
    },
    /// A member's access ended (deactivated, signed out everywhere): close their media now.
    CloseUser { user_id: UserId },
    /// A reusable meeting's session was ended for everyone (the store already says they
    /// left): tell every socket `ended` and close it; the meeting stays open for next time.
    EndSession,
    /// Tests only: the room panics (to prove a panic ends that meeting only).
    #[cfg(feature = "test-hooks")]
    Panic,
}

/// Packets queued per room before the receive task drops them (about 0.2 s of a busy room).
const ROOM_PACKET_QUEUE: usize = 8192;

#[derive(Clone)]
struct Handle {
    inputs: mpsc::UnboundedSender<RoomInput>,
    /// The meeting's chat conversation, whose new messages the room shows.
    conversation: Option<ConversationId>,
}

/// The rooms open on this node, and the media socket they share.
#[derive(Default)]
pub struct Rooms {
    open: Mutex<HashMap<MeetingId, Handle>>,
    media: OnceLock<Arc<Media>>,
}

impl Rooms {
    /// Binds the media port (at server start).
    pub fn start_media(&self, config: &crate::Config) -> anyhow::Result<()> {
        let media = Media::start(config)?;
        let _ = self.media.set(media);
        Ok(())
    }

    /// The media socket, once started.
    pub fn media(&self) -> Option<&Arc<Media>> {
        self.media.get()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MeetingId, Handle>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells the room of `meeting` (if it is open here) what changed.
    pub fn command(&self, meeting: MeetingId, cmd: RoomCommand) {
        if let Some(h) = self.lock().get(&meeting) {
            let _ = h.inputs.send(RoomInput::Command(cmd));
        }
    }

    /// Tells every open room that a member's access ended.
    pub fn close_user(&self, user_id: UserId) {
        for h in self.lock().values() {
            let _ = h
                .inputs
                .send(RoomInput::Command(RoomCommand::CloseUser { user_id }));
        }
    }

    /// A chat event reached this node (the hub calls this for every event, in order): a new
    /// message in the chat of a meeting open here is shown in its room.
    pub fn chat_event(&self, e: &kantor_store::events::Event) {
        if e.kind != "chat.message.created" {
            return;
        }
        let Some(cid) = e.audience.conversation_id() else {
            return;
        };
        let open = self.lock();
        let Some(h) = open.values().find(|h| h.conversation == Some(cid)) else {
            return;
        };
        match serde_json::from_str(&e.payload) {
            Ok(message) => {
                let _ = h.inputs.send(RoomInput::ChatMessage(message));
            }
            Err(e) => tracing::warn!(error = %e, "unreadable chat message event"),
        }
    }

    /// How many rooms are open on this node.
    pub fn open_count(&self) -> usize {
        self.lock().len()
    }

    /// The room of `meeting`, opened (an actor task started) if it is not.
    fn open(
        &self,
        state: &AppState,
        meeting: &Meeting,
    ) -> Option<mpsc::UnboundedSender<RoomInput>> {
        let media = Arc::clone(self.media.get()?);
        let mut open = self.lock();
        if let Some(h) = open.get(&meeting.id) {
            if !h.inputs.is_closed() {
                return Some(h.inputs.clone());
            }
        }
        let (inputs, inputs_rx) = mpsc::unbounded_channel();
        let (packets_tx, packets_rx) = mpsc::channel::<Packet>(ROOM_PACKET_QUEUE);
        let task = tokio::spawn(room::run(
            state.clone(),
            Arc::clone(&media),
            meeting.clone(),
            inputs.downgrade(),
            inputs_rx,
            packets_rx,
            packets_tx,
        ));
        let meeting_id = meeting.id;
        let watcher_state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = task.await {
                if e.is_panic() {
                    // Only this meeting's sockets and media end; its clients reconnect to a
                    // fresh room.
                    tracing::error!(meeting = %meeting_id, "meeting room panicked");
                    watcher_state.rooms.closed(meeting_id);
                    if let Some(m) = watcher_state.rooms.media() {
                        m.remove_room(meeting_id);
                    }
                    // Nobody is in it any more: their attendance stays end now.
                    let now = watcher_state.clock.now_ms();
                    if let Err(e) = watcher_state.store.close_open_stays(meeting_id, now).await {
                        tracing::warn!(meeting = %meeting_id, error = %e, "could not close attendance after a panic");
                    }
                }
            }
        });
        open.insert(
            meeting.id,
            Handle {
                inputs: inputs.clone(),
                conversation: meeting.conversation_id,
            },
        );
        Some(inputs)
    }

    /// A room task ended.
    fn closed(&self, meeting: MeetingId) {
        let mut open = self.lock();
        if open.get(&meeting).is_some_and(|h| h.inputs.is_closed()) {
            open.remove(&meeting);
        }
    }
}

/// One entry of `iceServers` for RTCPeerConnection.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// TURN servers from the configuration, with a short-lived credential for this participant
/// derived from coturn's shared secret (REST API scheme); none when no TURN URL is set.
pub fn ice_servers(state: &AppState, participant: ParticipantId) -> Vec<IceServer> {
    let config = &state.config;
    if config.turn_urls.is_empty() {
        return Vec::new();
    }
    let (username, credential) = match config.turn_secret.as_deref() {
        Some(secret) => {
            let ttl = i64::try_from(config.turn_ttl_secs).unwrap_or(i64::MAX / 2);
            let expires = state.clock.now_ms() / 1000 + ttl;
            let c = kantor_core::meet::turn_credential(secret, &participant.to_string(), expires);
            (Some(c.username), Some(c.credential))
        }
        None => (None, None),
    };
    vec![IceServer {
        urls: config.turn_urls.clone(),
        username,
        credential,
    }]
}

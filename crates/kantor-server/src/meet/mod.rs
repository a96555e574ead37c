//! Meeting rooms on this node: the signalling WebSocket (`/api/v1/meet/ws`) and the bridge to
//! the SFU. See docs/meet-protocol.md.
//!
//! The REST handlers (api::meet) own the store; after each committed change they tell the room
//! with [`Rooms::command`]. A room that is not open on this node ignores commands: the next
//! socket that opens it reads the store afresh.

use std::collections::HashMap;
use std::sync::Mutex;

use kantor_core::ids::{MeetingId, ParticipantId, UserId};
use tokio::sync::mpsc;

/// What the REST side tells a room after a committed change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomCommand {
    /// Meeting or participant rows changed (admit, deny, remove, role, rename, lock, spotlight,
    /// settings, end): read them again and apply the difference.
    Sync,
    /// Stop forwarding this participant's microphone and tell them (never unmutes).
    Mute { target: ParticipantId, by: ParticipantId },
    /// Mute everyone but hosts and cohosts.
    MuteAll { by: ParticipantId },
    /// Ask this participant to unmute themselves.
    AskUnmute { target: ParticipantId, by: ParticipantId },
    /// Stop forwarding this participant's camera and tell them.
    StopVideo { target: ParticipantId, by: ParticipantId },
    /// A member's access ended (deactivated, signed out everywhere): close their media now.
    CloseUser { user_id: UserId },
}

/// The rooms open on this node.
#[derive(Default)]
pub struct Rooms {
    open: Mutex<HashMap<MeetingId, mpsc::UnboundedSender<RoomCommand>>>,
}

impl Rooms {
    /// Tells the room of `meeting` (if it is open here) what changed.
    pub fn command(&self, meeting: MeetingId, cmd: RoomCommand) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = open.get(&meeting) {
            let _ = tx.send(cmd);
        }
    }

    /// Tells every open room that a member's access ended.
    pub fn close_user(&self, user_id: UserId) {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        for tx in open.values() {
            let _ = tx.send(RoomCommand::CloseUser { user_id });
        }
    }
}

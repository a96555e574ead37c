//! The room actor: one task per open meeting on this node. It owns the meeting's signalling
//! state (who is here, mic/camera/hand, chat, the waiting list) and its media
//! ([`kantor_sfu::room::Room`]), and is driven by socket messages, REST commands, datagrams and
//! time. Being one task, a panic in it ends this meeting's sockets only; the registry forgets
//! it and the next socket opens a fresh room.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kantor_core::ids::{ConversationId, ParticipantId, UserId};
use kantor_core::meet::{ParticipantState, Status};
use kantor_sfu::forward::Want;
use kantor_sfu::room::{Output, Room, RoomConfig, Signal, Source};
use kantor_store::chat::Page;
use kantor_store::meet::{Meeting, Participant};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::media::{Media, Packet};
use super::RoomCommand;
use crate::api::chat::chat_member;
use crate::api::chat::messages::{message_dto, post_message, PostInput};
use crate::AppState;

/// What a socket task sends to its room.
pub enum RoomInput {
    Attach {
        participant: ParticipantId,
        conn: u64,
        tx: mpsc::Sender<Outbound>,
    },
    Detach {
        participant: ParticipantId,
        conn: u64,
    },
    Client {
        participant: ParticipantId,
        conn: u64,
        msg: ClientMsg,
    },
    Command(RoomCommand),
    /// A new message in the meeting's chat conversation (from the hub, in event order).
    ChatMessage(PostedMessage),
    /// A member's line that could not be saved to the meeting's chat: shown in the room only.
    RoomChat {
        participant: ParticipantId,
        text: String,
    },
}

/// The parts of a chat message (`chat.message.created`) the room shows.
#[derive(Debug, Deserialize)]
pub struct PostedMessage {
    pub id: String,
    pub author: PostedAuthor,
    pub body: String,
    pub thread_root_id: Option<String>,
    pub also_in_channel: bool,
    #[serde(default)]
    pub attachments: Vec<Value>,
    pub created_at: String,
}

#[derive(Debug, Deserialize)]
pub struct PostedAuthor {
    pub id: String,
    pub name: String,
}

/// What a room sends to a socket task.
#[derive(Debug)]
pub enum Outbound {
    Text(String),
    Close(u16, &'static str),
}

pub const CLOSE_UNAUTHORISED: u16 = 4401;
pub const CLOSE_REMOVED: u16 = 4403;
pub const CLOSE_ENDED: u16 = 4410;
pub const CLOSE_REPLACED: u16 = 4409;

#[derive(Debug, Deserialize)]
pub struct TrackLabel {
    pub mid: String,
    pub source: Source,
}

#[derive(Debug, Deserialize)]
pub struct TileSize {
    pub w: u32,
    pub h: u32,
}

/// Messages from the browser (docs/meet-protocol.md).
#[derive(Debug, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    Hello {
        token: String,
    },
    PubOffer {
        sdp: String,
        #[serde(default)]
        tracks: Vec<TrackLabel>,
    },
    SubAnswer {
        sdp: String,
    },
    Tracks {
        tracks: Vec<TrackLabel>,
    },
    State {
        mic: bool,
        cam: bool,
        #[serde(default)]
        screen: bool,
    },
    View {
        tracks: HashMap<String, TileSize>,
    },
    Mode {
        data_saver: bool,
        audio_only: bool,
    },
    Hand {
        up: bool,
    },
    Reaction {
        emoji: String,
    },
    Chat {
        text: String,
    },
    Quality {
        q: u8,
    },
    Leave {},
}

pub const REACTIONS: [&str; 6] = ["👍", "👏", "😂", "😮", "❤️", "🎉"];
const MAX_CHAT_CHARS: usize = 2_000;
const CHAT_HISTORY: usize = 200;
/// Messages of the meeting's chat a room shows when it opens.
const CHAT_HISTORY_LOADED: i64 = 50;
const MAX_VIEW_TRACKS: usize = 100;
/// A room with no sockets closes after this long.
const IDLE_CLOSE: Duration = Duration::from_secs(30);
/// A participant whose socket dropped keeps their place this long (to reconnect).
const RECONNECT_GRACE: Duration = Duration::from_secs(20);
/// Chat messages a participant may send per 10 seconds.
const CHAT_PER_10S: usize = 10;

#[derive(Default)]
struct Live {
    mic: bool,
    cam: bool,
    screen: bool,
    hand: bool,
    quality: Option<u8>,
    last_reaction: Option<Instant>,
    recent_chat: VecDeque<Instant>,
}

struct Socket {
    conn: u64,
    tx: mpsc::Sender<Outbound>,
}

struct Actor {
    state: AppState,
    /// The room's own inputs (weak, so the room still ends when the registry drops it): a
    /// member's chat line posted in the background comes back here if it could not be saved.
    inputs_tx: mpsc::WeakUnboundedSender<RoomInput>,
    media: Arc<Media>,
    meeting: Meeting,
    participants: HashMap<ParticipantId, Participant>,
    sockets: HashMap<ParticipantId, Socket>,
    live: HashMap<ParticipantId, Live>,
    /// Admitted participants whose media is in the SFU.
    in_room: Vec<ParticipantId>,
    chat: VecDeque<Value>,
    sfu: Room,
    packets_tx: mpsc::Sender<Packet>,
    speaker: Option<ParticipantId>,
    closing: bool,
    /// Sockets that went away without `leave`: after a grace period (a reconnect keeps their
    /// place) they are recorded as left — as of when the socket went (clock milliseconds).
    departed: HashMap<ParticipantId, (Instant, i64)>,
    /// Participants with an open attendance stay (entered, not yet recorded as gone). A
    /// reconnect within the grace period finds them here and continues the same stay.
    staying: HashSet<ParticipantId>,
    /// Attendance writes made by the synchronous paths (`enter`, `close`), written in order by
    /// [`Actor::write_attendance`] before the loop waits again.
    attendance: Vec<StayChange>,
}

/// An attendance stay opened or closed at a clock instant (milliseconds).
enum StayChange {
    Open(ParticipantId, i64),
    Close(ParticipantId, i64),
}

/// Runs a room until it is idle or its meeting ends.
pub async fn run(
    state: AppState,
    media: Arc<Media>,
    meeting: Meeting,
    inputs_tx: mpsc::WeakUnboundedSender<RoomInput>,
    mut inputs: mpsc::UnboundedReceiver<RoomInput>,
    mut packets: mpsc::Receiver<Packet>,
    packets_tx: mpsc::Sender<Packet>,
) {
    let meeting_id = meeting.id;
    let sfu = Room::new(RoomConfig {
        candidates: vec![media.candidate],
        ..RoomConfig::default()
    });
    let mut actor = Actor {
        state,
        inputs_tx,
        media,
        meeting,
        participants: HashMap::new(),
        sockets: HashMap::new(),
        live: HashMap::new(),
        in_room: Vec::new(),
        chat: VecDeque::new(),
        sfu,
        packets_tx,
        speaker: None,
        closing: false,
        departed: HashMap::new(),
        staying: HashSet::new(),
        attendance: Vec::new(),
    };
    actor.reload().await;
    actor.load_chat_history().await;
    let mut idle_since = Some(Instant::now());
    loop {
        let wake = actor
            .sfu
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1))
            .min(Instant::now() + Duration::from_secs(1));
        tokio::select! {
            biased;
            input = inputs.recv() => {
                let Some(input) = input else { break };
                actor.on_input(input).await;
            }
            packet = packets.recv() => {
                let Some(p) = packet else { break };
                actor.sfu.handle_packet(p.at, p.source, actor.media.candidate, &p.data);
                // Drain what else is queued before looking at timers again.
                let mut n = 0;
                while n < 256 {
                    let Ok(p) = packets.try_recv() else { break };
                    actor.sfu.handle_packet(p.at, p.source, actor.media.candidate, &p.data);
                    n += 1;
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {
                actor.sfu.handle_timeout(Instant::now());
            }
        }
        actor.flush();
        actor.settle_departures(false).await;
        actor.write_attendance().await;
        if actor.closing {
            break;
        }
        if actor.sockets.is_empty() {
            let since = *idle_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= IDLE_CLOSE {
                break;
            }
        } else {
            idle_since = None;
        }
    }
    actor.settle_departures(true).await;
    // Whoever is still here as the room closes (its inputs ended) leaves now.
    let now = actor.state.clock.now_ms();
    for pid in actor.staying.drain().collect::<Vec<_>>() {
        actor.attendance.push(StayChange::Close(pid, now));
    }
    actor.write_attendance().await;
    let state = actor.state.clone();
    actor.media.remove_room(meeting_id);
    // Close the inputs first so the registry sees this room as gone.
    drop(inputs);
    drop(packets);
    state.rooms.closed(meeting_id);
}

impl Actor {
    async fn on_input(&mut self, input: RoomInput) {
        match input {
            RoomInput::Attach {
                participant,
                conn,
                tx,
            } => self.attach(participant, conn, tx).await,
            RoomInput::Detach { participant, conn } => {
                if self.sockets.get(&participant).map(|s| s.conn) == Some(conn) {
                    self.sockets.remove(&participant);
                    let at = self.state.clock.now_ms();
                    self.departed.insert(participant, (Instant::now(), at));
                    self.leave_media(participant);
                    self.send_waiting_list();
                }
            }
            RoomInput::Client {
                participant,
                conn,
                msg,
            } => {
                if self.sockets.get(&participant).map(|s| s.conn) == Some(conn) {
                    self.on_client(participant, msg).await;
                }
            }
            RoomInput::Command(cmd) => self.on_command(cmd).await,
            RoomInput::ChatMessage(m) => self.show_chat_message(m),
            RoomInput::RoomChat { participant, text } => self.room_chat_line(participant, &text),
        }
    }

    async fn attach(&mut self, pid: ParticipantId, conn: u64, tx: mpsc::Sender<Outbound>) {
        if let Some(old) = self.sockets.remove(&pid) {
            let _ = old
                .tx
                .try_send(Outbound::Text(json!({"t": "replaced"}).to_string()));
            let _ = old.tx.try_send(Outbound::Close(CLOSE_REPLACED, "replaced"));
            self.leave_media(pid);
        }
        self.sockets.insert(pid, Socket { conn, tx });
        self.reload().await;
        let Some(p) = self.participants.get(&pid).cloned() else {
            self.close(pid, CLOSE_UNAUTHORISED, "unknown participant");
            return;
        };
        match p.state {
            ParticipantState::Admitted => self.enter(pid),
            ParticipantState::Waiting => {
                self.send(
                    pid,
                    json!({"t": "waiting", "meeting": self.room_meeting(None)}),
                );
                self.send_waiting_list();
            }
            ParticipantState::Left => {
                // Came back after leaving: the same rules as joining decided their state at
                // join; a row still `left` here means the join was not redone.
                self.close(pid, CLOSE_UNAUTHORISED, "join again");
            }
            ParticipantState::Removed => {
                self.send(pid, json!({"t": "removed"}));
                self.close(pid, CLOSE_REMOVED, "removed");
            }
            ParticipantState::Denied => {
                self.send(pid, json!({"t": "denied"}));
                self.close(pid, CLOSE_REMOVED, "denied");
            }
        }
    }

    /// An admitted participant's socket is here: welcome them and open their media.
    fn enter(&mut self, pid: ParticipantId) {
        self.live.entry(pid).or_default();
        // Back within the grace period: the same stay continues.
        self.departed.remove(&pid);
        if self.staying.insert(pid) {
            let at = self.state.clock.now_ms();
            self.attendance.push(StayChange::Open(pid, at));
        }
        if !self.in_room.contains(&pid) {
            self.in_room.push(pid);
            self.sfu.add_peer(pid.0, Instant::now());
        }
        let Some(p) = self.participants.get(&pid) else {
            return;
        };
        let you = participant_json(p);
        let peers: Vec<Value> = self
            .in_room
            .iter()
            .filter(|id| **id != pid)
            .filter_map(|id| self.peer_json(*id))
            .collect();
        let runs = p.role.runs_meeting();
        let welcome = json!({
            "t": "welcome",
            "you": you,
            "meeting": self.room_meeting(Some(runs)),
            "participants": peers,
            "ice_servers": super::ice_servers(&self.state, pid),
            "speaker": self.speaker.map(|s| s.to_string()),
            // Members read and write the meeting's chat in the chat page too.
            "conversation_id": p.user_id.and(self.meeting.conversation_id).map(|c| c.to_string()),
        });
        self.send(pid, welcome);
        let history: Vec<Value> = self.chat.iter().cloned().collect();
        self.send(pid, json!({"t": "chat_history", "messages": history}));
        if let Some(peer) = self.peer_json(pid) {
            self.broadcast_except(pid, json!({"t": "peer", "peer": peer}));
        }
    }

    fn leave_media(&mut self, pid: ParticipantId) {
        if let Some(pos) = self.in_room.iter().position(|p| *p == pid) {
            self.in_room.remove(pos);
            self.sfu.remove_peer(pid.0, Instant::now());
            self.live.remove(&pid);
            self.broadcast(json!({"t": "peer_left", "id": pid.to_string()}));
        }
    }

    async fn on_client(&mut self, pid: ParticipantId, msg: ClientMsg) {
        let admitted = self.in_room.contains(&pid);
        let now = Instant::now();
        match msg {
            ClientMsg::Hello { .. } => self.error(pid, "meeting.bad_message", "already said hello"),
            ClientMsg::Leave {} => {
                let at = self.state.clock.now_ms();
                let _ = self.state.store.set_left(pid, at).await;
                self.end_stay(pid, at);
                self.sockets.remove(&pid);
                self.leave_media(pid);
                self.send_waiting_list();
            }
            _ if !admitted => self.error(pid, "meeting.not_admitted", "not admitted yet"),
            ClientMsg::PubOffer { sdp, tracks } => {
                self.sfu.pub_offer(pid.0, &sdp, now);
                if !tracks.is_empty() {
                    self.label(pid, &tracks);
                }
            }
            ClientMsg::Tracks { tracks } => self.label(pid, &tracks),
            ClientMsg::SubAnswer { sdp } => self.sfu.sub_answer(pid.0, &sdp, now),
            ClientMsg::State { mic, cam, screen } => {
                // Turning a source on lifts the host's stop: the person chose to.
                if mic {
                    self.sfu.set_blocked(pid.0, Source::Mic, false);
                }
                if cam {
                    self.sfu.set_blocked(pid.0, Source::Cam, false);
                }
                let live = self.live.entry(pid).or_default();
                (live.mic, live.cam, live.screen) = (mic, cam, screen);
                self.announce(pid);
            }
            ClientMsg::View { tracks } => {
                if tracks.len() > MAX_VIEW_TRACKS {
                    return self.error(pid, "meeting.bad_message", "too many tracks in view");
                }
                let view = tracks
                    .into_iter()
                    .map(|(id, s)| {
                        let want = Want {
                            visible: true,
                            width: s.w.min(8192),
                            height: s.h.min(8192),
                        };
                        (id, want)
                    })
                    .collect();
                self.sfu.set_view(pid.0, view, now);
            }
            ClientMsg::Mode {
                data_saver,
                audio_only,
            } => self.sfu.set_mode(pid.0, data_saver, audio_only, now),
            ClientMsg::Hand { up } => {
                self.live.entry(pid).or_default().hand = up;
                self.announce(pid);
            }
            ClientMsg::Reaction { emoji } => {
                if !REACTIONS.contains(&emoji.as_str()) {
                    return self.error(pid, "meeting.bad_message", "unknown reaction");
                }
                let live = self.live.entry(pid).or_default();
                if live
                    .last_reaction
                    .is_some_and(|t| t.elapsed() < Duration::from_millis(300))
                {
                    return;
                }
                live.last_reaction = Some(now);
                self.broadcast(json!({"t": "reaction", "id": pid.to_string(), "emoji": emoji}));
            }
            ClientMsg::Chat { text } => {
                let text = text.trim();
                if text.is_empty() || text.chars().count() > MAX_CHAT_CHARS {
                    return self.error(
                        pid,
                        "meeting.bad_message",
                        "chat text must be 1 to 2000 characters",
                    );
                }
                let live = self.live.entry(pid).or_default();
                while live
                    .recent_chat
                    .front()
                    .is_some_and(|t| t.elapsed() >= Duration::from_secs(10))
                {
                    live.recent_chat.pop_front();
                }
                if live.recent_chat.len() >= CHAT_PER_10S {
                    return self.error(
                        pid,
                        "meeting.slow_down",
                        "too many messages; wait a moment",
                    );
                }
                live.recent_chat.push_back(now);
                let member = self.participants.get(&pid).and_then(|p| p.user_id);
                match (self.meeting.conversation_id, member) {
                    (Some(cid), Some(user_id)) => self.post_to_chat(pid, user_id, cid, text),
                    _ => self.room_chat_line(pid, text),
                }
            }
            ClientMsg::Quality { q } => {
                let q = q.min(3);
                let live = self.live.entry(pid).or_default();
                if live.quality != Some(q) {
                    live.quality = Some(q);
                    self.announce(pid);
                }
            }
        }
    }

    /// Posts a member's line to the meeting's chat in the background; the room shows it when
    /// the hub delivers the message ([`Self::show_chat_message`]), like any other message of
    /// that conversation. If it cannot be saved (the person left the chat, the database is
    /// down) the line is shown in the room only.
    fn post_to_chat(&self, pid: ParticipantId, user_id: UserId, cid: ConversationId, text: &str) {
        let state = self.state.clone();
        let back = self.inputs_tx.clone();
        let org_id = self.meeting.org_id;
        let text = text.to_string();
        tokio::spawn(async move {
            let req = PostInput::text(format!("meet-{}", uuid::Uuid::now_v7()), text.clone());
            let posted = async {
                let who = chat_member(&state, org_id, user_id).await?;
                post_message(&state, &who, cid, &req).await
            };
            if let Err(e) = posted.await {
                tracing::info!(reason = e.code, "meeting chat line kept in the room only");
                if let Some(tx) = back.upgrade() {
                    let _ = tx.send(RoomInput::RoomChat {
                        participant: pid,
                        text,
                    });
                }
            }
        });
    }

    /// A line that lives in the room only (guests, meetings without a chat conversation).
    fn room_chat_line(&mut self, pid: ParticipantId, text: &str) {
        let name = self
            .participants
            .get(&pid)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let at = crate::clock::rfc3339(self.state.clock.now_ms());
        self.push_chat(
            json!({"t": "chat", "id": pid.to_string(), "name": name, "text": text, "at": at}),
        );
    }

    /// A message of the meeting's chat (sent from the room or from the chat page).
    fn show_chat_message(&mut self, m: PostedMessage) {
        if let Some(line) = self.chat_line(m) {
            self.push_chat(line);
        }
    }

    fn chat_line(&self, m: PostedMessage) -> Option<Value> {
        if m.thread_root_id.is_some() && !m.also_in_channel {
            return None;
        }
        let pid = self
            .participants
            .values()
            .find(|p| p.user_id.is_some_and(|u| u.to_string() == m.author.id))
            .map(|p| p.id.to_string());
        Some(json!({
            "t": "chat",
            "id": pid,
            "user_id": m.author.id,
            "message_id": m.id,
            "name": m.author.name,
            "text": m.body,
            "files": m.attachments.len(),
            "at": m.created_at,
        }))
    }

    fn push_chat(&mut self, line: Value) {
        // A message posted while the room was loading its history arrives twice.
        let id = &line["message_id"];
        if id.is_string() && self.chat.iter().any(|l| &l["message_id"] == id) {
            return;
        }
        if self.chat.len() == CHAT_HISTORY {
            self.chat.pop_front();
        }
        self.chat.push_back(line.clone());
        self.broadcast(line);
    }

    /// The newest messages of the meeting's chat, shown to whoever enters.
    async fn load_chat_history(&mut self) {
        let Some(cid) = self.meeting.conversation_id else {
            return;
        };
        let page = async {
            let mut conn = self.state.store.read_conn().await?;
            kantor_store::chat::channel_page(&mut conn, cid, Page::Newest, CHAT_HISTORY_LOADED)
                .await
        };
        match page.await {
            Ok((messages, _, _)) => {
                for m in &messages {
                    let posted = serde_json::to_value(message_dto(m))
                        .and_then(serde_json::from_value::<PostedMessage>);
                    if let Some(line) = posted.ok().and_then(|p| self.chat_line(p)) {
                        self.chat.push_back(line);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "room could not read its chat"),
        }
    }

    /// Records as left those whose socket has been gone longer than the grace period (all of
    /// them when the room closes).
    async fn settle_departures(&mut self, all: bool) {
        if self.departed.is_empty() {
            return;
        }
        let due: Vec<(ParticipantId, i64)> = self
            .departed
            .iter()
            .filter(|(_, (since, _))| all || since.elapsed() >= RECONNECT_GRACE)
            .map(|(p, (_, at))| (*p, *at))
            .collect();
        for (pid, gone_at) in due {
            self.departed.remove(&pid);
            if self.sockets.contains_key(&pid) {
                continue;
            }
            let now = self.state.clock.now_ms();
            if let Err(e) = self.state.store.set_left(pid, now).await {
                tracing::warn!(error = %e, "could not record a participant as left");
            }
            // The stay ends when the socket went, not when the grace period ran out.
            self.end_stay(pid, gone_at);
        }
    }

    /// Queues the end of `pid`'s stay at `at` (clock milliseconds), if they have one open.
    fn end_stay(&mut self, pid: ParticipantId, at: i64) {
        if self.staying.remove(&pid) {
            self.attendance.push(StayChange::Close(pid, at));
        }
    }

    /// Writes the queued attendance changes, in order. A failed write is logged: attendance
    /// must never take a meeting down.
    async fn write_attendance(&mut self) {
        for change in std::mem::take(&mut self.attendance) {
            let written = match change {
                StayChange::Open(pid, at) => {
                    self.state.store.open_stay(self.meeting.id, pid, at).await
                }
                StayChange::Close(pid, at) => self.state.store.close_stay(pid, at).await,
            };
            if let Err(e) = written {
                tracing::warn!(meeting_id = %self.meeting.id, error = %e, "could not record attendance");
            }
        }
    }

    fn label(&mut self, pid: ParticipantId, tracks: &[TrackLabel]) {
        let labels: Vec<(String, Source)> =
            tracks.iter().map(|t| (t.mid.clone(), t.source)).collect();
        self.sfu.label_tracks(pid.0, &labels, Instant::now());
    }

    async fn on_command(&mut self, cmd: RoomCommand) {
        match cmd {
            RoomCommand::Sync => self.sync().await,
            RoomCommand::Mute { target, by } => self.mute(target, by),
            RoomCommand::MuteAll { by } => {
                let targets: Vec<ParticipantId> = self
                    .in_room
                    .iter()
                    .copied()
                    .filter(|p| {
                        self.participants
                            .get(p)
                            .is_some_and(|p| !p.role.runs_meeting())
                    })
                    .collect();
                for t in targets {
                    self.mute(t, by);
                }
            }
            RoomCommand::AskUnmute { target, by } => {
                self.send(target, json!({"t": "ask_unmute", "by": by.to_string()}));
            }
            RoomCommand::StopVideo { target, by } => {
                self.sfu.set_blocked(target.0, Source::Cam, true);
                self.live.entry(target).or_default().cam = false;
                self.send(
                    target,
                    json!({"t": "video_stopped_by_host", "by": by.to_string()}),
                );
                self.announce(target);
            }
            #[cfg(feature = "test-hooks")]
            RoomCommand::Panic => panic!("a test asked this room to panic"),
            RoomCommand::EndSession => {
                let all: Vec<ParticipantId> = self.sockets.keys().copied().collect();
                for pid in all {
                    self.send(pid, json!({"t": "ended"}));
                    self.close(pid, CLOSE_ENDED, "ended");
                }
                self.sync().await;
            }
            RoomCommand::CloseUser { user_id } => {
                let gone: Vec<ParticipantId> = self
                    .participants
                    .values()
                    .filter(|p| p.user_id == Some(user_id))
                    .map(|p| p.id)
                    .collect();
                for pid in gone {
                    if self.sockets.contains_key(&pid) {
                        self.send(pid, json!({"t": "removed"}));
                        self.close(pid, CLOSE_REMOVED, "access ended");
                    }
                }
            }
        }
    }

    fn mute(&mut self, target: ParticipantId, by: ParticipantId) {
        if !self.in_room.contains(&target) {
            return;
        }
        self.sfu.set_blocked(target.0, Source::Mic, true);
        self.live.entry(target).or_default().mic = false;
        self.send(target, json!({"t": "muted_by_host", "by": by.to_string()}));
        self.announce(target);
    }

    /// Reads the meeting and its participants again and applies what changed.
    async fn sync(&mut self) {
        let before = self.participants.clone();
        let before_meeting = self.meeting.clone();
        self.reload().await;
        if self.meeting.status == Status::Ended {
            self.broadcast(json!({"t": "ended"}));
            let all: Vec<ParticipantId> = self.sockets.keys().copied().collect();
            for pid in all {
                self.close(pid, CLOSE_ENDED, "ended");
            }
            self.closing = true;
            return;
        }
        let attached: Vec<ParticipantId> = self.sockets.keys().copied().collect();
        for pid in attached {
            let Some(now) = self.participants.get(&pid).cloned() else {
                continue;
            };
            let old = before.get(&pid);
            let was = old.map(|o| o.state);
            match now.state {
                ParticipantState::Admitted if !self.in_room.contains(&pid) => {
                    self.send(pid, json!({"t": "admitted"}));
                    self.enter(pid);
                }
                ParticipantState::Removed if was != Some(ParticipantState::Removed) => {
                    self.send(pid, json!({"t": "removed"}));
                    self.close(pid, CLOSE_REMOVED, "removed");
                }
                ParticipantState::Denied if was != Some(ParticipantState::Denied) => {
                    self.send(pid, json!({"t": "denied"}));
                    self.close(pid, CLOSE_REMOVED, "denied");
                }
                ParticipantState::Left => {
                    self.close(pid, CLOSE_UNAUTHORISED, "left");
                }
                _ => {
                    let changed = old.is_none_or(|o| o.name != now.name || o.role != now.role);
                    if changed && self.in_room.contains(&pid) {
                        if old.is_some_and(|o| o.role != now.role) {
                            // Their view of the meeting (passcode, waiting list) changes.
                            let runs = now.role.runs_meeting();
                            self.send(
                                pid,
                                json!({"t": "meeting", "meeting": self.room_meeting(Some(runs)), "you": participant_json(&now)}),
                            );
                        }
                        self.announce(pid);
                    }
                }
            }
        }
        let m = &self.meeting;
        let b = &before_meeting;
        if m.locked != b.locked || m.title != b.title || m.spotlight != b.spotlight {
            let hosts = self.hosts_here();
            for pid in self.sockets.keys().copied().collect::<Vec<_>>() {
                let runs = hosts.contains(&pid);
                self.send(
                    pid,
                    json!({"t": "meeting", "meeting": self.room_meeting(Some(runs))}),
                );
            }
        }
        self.send_waiting_list();
    }

    async fn reload(&mut self) {
        let store = &self.state.store;
        let meeting = async {
            let mut conn = store.read_conn().await?;
            kantor_store::meet::meeting(&mut conn, self.meeting.org_id, self.meeting.id).await
        };
        match meeting.await {
            Ok(m) => self.meeting = m,
            Err(e) => tracing::warn!(error = %e, "room could not read its meeting"),
        }
        match store.participants_of(self.meeting.id).await {
            Ok(list) => self.participants = list.into_iter().map(|p| (p.id, p)).collect(),
            Err(e) => tracing::warn!(error = %e, "room could not read its participants"),
        }
    }

    fn hosts_here(&self) -> Vec<ParticipantId> {
        self.sockets
            .keys()
            .copied()
            .filter(|p| {
                self.participants
                    .get(p)
                    .is_some_and(|p| p.role.runs_meeting() && p.state == ParticipantState::Admitted)
            })
            .collect()
    }

    fn send_waiting_list(&mut self) {
        let waiting: Vec<Value> = self
            .participants
            .values()
            .filter(|p| p.state == ParticipantState::Waiting && self.sockets.contains_key(&p.id))
            .map(participant_json)
            .collect();
        for pid in self.hosts_here() {
            self.send(pid, json!({"t": "waiting_list", "waiting": waiting}));
        }
    }

    fn room_meeting(&self, runs: Option<bool>) -> Value {
        let m = &self.meeting;
        let waiting: Vec<Value> = if runs == Some(true) {
            self.participants
                .values()
                .filter(|p| {
                    p.state == ParticipantState::Waiting && self.sockets.contains_key(&p.id)
                })
                .map(participant_json)
                .collect()
        } else {
            Vec::new()
        };
        json!({
            "id": m.id.to_string(),
            "org_id": m.org_id.to_string(),
            "number": m.number,
            "title": m.title,
            "locked": m.locked,
            "host_id": m.host_id.to_string(),
            "spotlight": m.spotlight.map(|s| s.to_string()),
            "passcode": (runs == Some(true)).then(|| m.passcode.clone()),
            "waiting": waiting,
        })
    }

    fn peer_json(&self, pid: ParticipantId) -> Option<Value> {
        let p = self.participants.get(&pid)?;
        let live = self.live.get(&pid);
        let mut tracks = Vec::new();
        let (mic, cam, screen) = live.map(|l| (l.mic, l.cam, l.screen)).unwrap_or_default();
        for (on, source) in [(mic, "mic"), (cam, "cam"), (screen, "screen")] {
            if on {
                tracks.push(json!({"id": format!("{}:{source}", pid), "source": source}));
            }
        }
        Some(json!({
            "id": pid.to_string(),
            "name": p.name,
            "role": p.role.as_str(),
            "guest": p.guest,
            "mic": mic,
            "cam": cam,
            "screen": screen,
            "hand": live.is_some_and(|l| l.hand),
            "quality": live.and_then(|l| l.quality),
            "tracks": tracks,
        }))
    }

    fn announce(&mut self, pid: ParticipantId) {
        if let Some(peer) = self.peer_json(pid) {
            self.broadcast(json!({"t": "peer", "peer": peer}));
        }
    }

    fn error(&mut self, pid: ParticipantId, code: &str, message: &str) {
        self.send(pid, json!({"t": "error", "code": code, "message": message}));
    }

    fn send(&mut self, pid: ParticipantId, msg: Value) {
        if let Some(s) = self.sockets.get(&pid) {
            if s.tx.try_send(Outbound::Text(msg.to_string())).is_err() {
                // A socket this far behind reconnects and gets a fresh welcome.
                let _ = s.tx.try_send(Outbound::Close(4002, "too slow"));
            }
        }
    }

    /// To everyone admitted and in the room.
    fn broadcast(&mut self, msg: Value) {
        let text = msg.to_string();
        for pid in &self.in_room {
            if let Some(s) = self.sockets.get(pid) {
                let _ = s.tx.try_send(Outbound::Text(text.clone()));
            }
        }
    }

    fn broadcast_except(&mut self, except: ParticipantId, msg: Value) {
        let text = msg.to_string();
        for pid in self.in_room.iter().filter(|p| **p != except) {
            if let Some(s) = self.sockets.get(pid) {
                let _ = s.tx.try_send(Outbound::Text(text.clone()));
            }
        }
    }

    /// Closes `pid`'s socket from the server's side (removed, denied, ended, access ended):
    /// they are out now, so their stay ends now.
    fn close(&mut self, pid: ParticipantId, code: u16, reason: &'static str) {
        if let Some(s) = self.sockets.remove(&pid) {
            let _ = s.tx.try_send(Outbound::Close(code, reason));
        }
        self.leave_media(pid);
        let at = self.state.clock.now_ms();
        self.end_stay(pid, at);
    }

    /// Sends what the SFU produced: datagrams to the socket, signalling to participants.
    fn flush(&mut self) {
        while let Some(out) = self.sfu.poll_output() {
            match out {
                Output::Transmit {
                    destination,
                    contents,
                    ..
                } => self.media.send(destination, &contents),
                Output::Signal { peer, signal } => {
                    let pid = ParticipantId(peer);
                    let msg = match signal {
                        Signal::PubAnswer { sdp } => json!({"t": "pub_answer", "sdp": sdp}),
                        Signal::SubOffer { sdp, tracks } => {
                            json!({"t": "sub_offer", "sdp": sdp, "tracks": tracks})
                        }
                        Signal::Error { code, message } => {
                            json!({"t": "error", "code": code, "message": message})
                        }
                    };
                    self.send(pid, msg);
                }
                Output::Speaker(s) => {
                    self.speaker = s.map(ParticipantId);
                    self.broadcast(json!({"t": "speaker", "id": s.map(|s| s.to_string())}));
                }
                Output::Ufrag { ufrag, added } => {
                    if added {
                        self.media
                            .add_ufrag(ufrag, self.meeting.id, self.packets_tx.clone());
                    } else {
                        self.media.remove_ufrag(&ufrag);
                    }
                }
                Output::AddrGone(addr) => self.media.remove_addr(addr),
            }
        }
    }
}

fn participant_json(p: &Participant) -> Value {
    json!({
        "id": p.id.to_string(),
        "name": p.name,
        "role": p.role.as_str(),
        "state": p.state.as_str(),
        "guest": p.guest,
    })
}

//! One meeting's media: every admitted participant ("peer") has a **publish** connection (the
//! browser offers its mic, camera with three simulcast layers, and screen) and a **subscribe**
//! connection (the room offers one send-only m-line per remote track, so there is never
//! glare). Both are str0m `Rtc`s in RTP mode sharing the node's one UDP port.
//!
//! Sans-IO like str0m: feed it [`Room::handle_packet`], [`Room::handle_timeout`] and the
//! signalling calls, then drain [`Room::poll_output`] and sleep until [`Room::poll_timeout`].
//! The forwarding decisions themselves are in [`crate::forward`]; which microphones are heard
//! (the loudest three others, per subscriber) in [`crate::speakers`].

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use str0m::bwe::{Bitrate, BweKind};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::{Codec, FormatParams};
use str0m::media::{Direction, Frequency, KeyframeRequestKind, MediaKind, Mid, Rid};
use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, SeqNo, Ssrc, Vp8Descriptor};
use str0m::{Candidate, Event, IceConnectionState, IceCreds, Input, Output as RtcOutput, Rtc};
use uuid::Uuid;

use crate::forward::{
    choose_layer, AudioForward, InPacket, KeyframeLimiter, Layer, OutPacket, Verdict, VideoForward,
    Want, LAYER_RIDS,
};
use crate::speakers::{Loudest, SpeakerConfig};
use crate::stun;

/// A participant in the room (the meeting participant's id).
pub type PeerId = Uuid;

/// What a published track carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Mic,
    Cam,
    Screen,
}

impl Source {
    fn kind(self) -> MediaKind {
        match self {
            Source::Mic => MediaKind::Audio,
            Source::Cam | Source::Screen => MediaKind::Video,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Mic => "mic",
            Source::Cam => "cam",
            Source::Screen => "screen",
        }
    }
}

/// `{peer}:{source}` — how the web app names a remote track.
pub fn track_id(peer: PeerId, source: Source) -> String {
    format!("{peer}:{}", source.as_str())
}

#[derive(Clone, Debug)]
pub struct RoomConfig {
    /// Host candidates announced in every connection: the media socket's address(es) as
    /// browsers should reach them (`KANTOR_MEDIA_PUBLIC_IP` with the media port).
    pub candidates: Vec<SocketAddr>,
    /// Caps per published source in bits/s (all layers together): packets above the cap are
    /// not forwarded, and the publisher is told the cap by REMB.
    pub cap_mic_bps: u64,
    pub cap_cam_bps: u64,
    pub cap_screen_bps: u64,
    /// Expected bitrate of each simulcast layer, for fitting layers into a subscriber's
    /// bandwidth estimate.
    pub layer_bps: [u64; 3],
    /// Shortest gap between two keyframe requests to one publisher layer.
    pub keyframe_interval: Duration,
    /// Which microphones are forwarded: each subscriber gets the `slots` loudest others.
    pub speakers: SpeakerConfig,
}

impl Default for RoomConfig {
    fn default() -> Self {
        RoomConfig {
            candidates: Vec::new(),
            cap_mic_bps: 256_000,
            cap_cam_bps: 3_000_000,
            cap_screen_bps: 5_000_000,
            layer_bps: [150_000, 500_000, 1_500_000],
            keyframe_interval: Duration::from_millis(250),
            speakers: SpeakerConfig::default(),
        }
    }
}

/// Signalling for one peer, to be sent on its WebSocket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    PubAnswer {
        sdp: String,
    },
    SubOffer {
        sdp: String,
        tracks: BTreeMap<String, TrackInfo>,
    },
    Error {
        code: &'static str,
        message: String,
    },
}

/// Which remote track a subscribe m-line carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackInfo {
    pub peer: PeerId,
    pub track: String,
    pub source: Source,
}

#[derive(Debug)]
pub enum Output {
    Transmit {
        source: SocketAddr,
        destination: SocketAddr,
        contents: Vec<u8>,
    },
    Signal {
        peer: PeerId,
        signal: Signal,
    },
    /// The active speaker changed.
    Speaker(Option<PeerId>),
    /// Route packets whose STUN USERNAME names this ufrag to this room (or stop).
    Ufrag {
        ufrag: String,
        added: bool,
    },
    /// A remote address no longer belongs to this room.
    AddrGone(SocketAddr),
}

/// Counters, for metrics and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoomStats {
    pub forwarded_packets: u64,
    pub received_packets: u64,
    pub clamped_packets: u64,
    pub keyframe_requests: u64,
    pub dropped_datagrams: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ConnKind {
    Publish,
    Subscribe,
}

struct Conn {
    rtc: Rtc,
    peer: PeerId,
    kind: ConnKind,
    ufrag: String,
    timeout: Instant,
    dirty: bool,
    addrs: HashSet<SocketAddr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OutState {
    ToOpen,
    Negotiating(Mid),
    Open(Mid),
    ToStop(Mid),
    Stopping(Mid),
    /// Kept as an inactive m-line because stopping it would leave the connection with none
    /// (an offer whose BUNDLE group is empty); stopped once another track opens.
    Parked(Mid),
}

struct OutTrack {
    from: PeerId,
    source: Source,
    state: OutState,
    pt: Option<str0m::media::Pt>,
    /// The send stream's SSRC once looked up: str0m finds a stream by SSRC in a hash map, by
    /// mid only by walking all of the connection's streams.
    ssrc: Option<Ssrc>,
    video: VideoForward,
    audio: AudioForward,
}

impl OutTrack {
    fn mid(&self) -> Option<Mid> {
        match self.state {
            OutState::ToOpen => None,
            OutState::Negotiating(m)
            | OutState::Open(m)
            | OutState::ToStop(m)
            | OutState::Stopping(m)
            | OutState::Parked(m) => Some(m),
        }
    }
}

struct PubTrack {
    mid: Mid,
    kind: MediaKind,
    source: Option<Source>,
    simulcast: bool,
    added_at: Instant,
    active: [Option<Instant>; 3],
    limiter: KeyframeLimiter,
    bucket: TokenBucket,
}

/// Bytes allowed per second with one second of burst.
struct TokenBucket {
    rate_bps: u64,
    tokens: f64,
    at: Option<Instant>,
}

impl TokenBucket {
    fn new(rate_bps: u64) -> TokenBucket {
        TokenBucket {
            rate_bps,
            tokens: rate_bps as f64 / 8.0,
            at: None,
        }
    }

    fn take(&mut self, bytes: usize, now: Instant) -> bool {
        let cap = self.rate_bps as f64 / 8.0;
        if let Some(at) = self.at {
            let dt = now.saturating_duration_since(at).as_secs_f64();
            self.tokens = (self.tokens + dt * cap).min(cap);
        }
        self.at = Some(now);
        if self.tokens >= bytes as f64 {
            self.tokens -= bytes as f64;
            true
        } else {
            false
        }
    }
}

#[derive(Default)]
struct Peer {
    publ: Option<usize>,
    sub: Option<usize>,
    /// Publish mid → source, as the client labelled them.
    labels: HashMap<Mid, Source>,
    published: Vec<PubTrack>,
    ssrcs: HashMap<Ssrc, (usize, Layer)>,
    outs: Vec<OutTrack>,
    sub_pending: Option<SdpPendingOffer>,
    view: HashMap<String, Want>,
    data_saver: bool,
    audio_only: bool,
    /// Sources the host stopped (mic muted / camera stopped) until the peer turns them on.
    blocked: HashSet<Source>,
    bwe_bps: Option<u64>,
    /// Last desired bitrate given to the subscribe connection's estimator.
    desired_bps: u64,
}

pub struct Room {
    config: RoomConfig,
    conns: Vec<Option<Conn>>,
    by_ufrag: HashMap<String, usize>,
    by_addr: HashMap<SocketAddr, usize>,
    peers: HashMap<PeerId, Peer>,
    dirty: Vec<usize>,
    out: VecDeque<Output>,
    stats: RoomStats,
    next_tick: Option<Instant>,
    next_remb: Option<Instant>,
    speaker: Option<(PeerId, Instant)>,
    /// The loudest microphones: only these are forwarded (never to their own peer).
    speakers: Loudest<PeerId>,
    /// The time of the last input, for connections polled lazily in `poll_output`.
    last_now: Option<Instant>,
}

const TICK: Duration = Duration::from_millis(200);
const LAYER_IDLE: Duration = Duration::from_millis(1500);
const LABEL_WAIT: Duration = Duration::from_secs(2);
const SPEAKER_HOLD: Duration = Duration::from_millis(1500);
const REMB_EVERY: Duration = Duration::from_secs(1);
/// Where each subscriber's bandwidth estimate starts.
const INITIAL_BWE_BPS: u64 = 2_000_000;

impl Room {
    pub fn new(config: RoomConfig) -> Room {
        let speakers = Loudest::new(config.speakers);
        Room {
            config,
            conns: Vec::new(),
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
            peers: HashMap::new(),
            dirty: Vec::new(),
            out: VecDeque::new(),
            stats: RoomStats::default(),
            next_tick: None,
            next_remb: None,
            speaker: None,
            speakers,
            last_now: None,
        }
    }

    pub fn stats(&self) -> RoomStats {
        self.stats
    }

    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    pub fn has_peer(&self, peer: PeerId) -> bool {
        self.peers.contains_key(&peer)
    }

    /// An admitted participant enters the media room. Other peers' tracks are offered on the
    /// subscribe connection.
    pub fn add_peer(&mut self, peer: PeerId, now: Instant) {
        if self.peers.contains_key(&peer) {
            return;
        }
        let mut p = Peer::default();
        for (other, op) in &self.peers {
            for t in &op.published {
                if let Some(source) = t.source {
                    p.outs.push(new_out(*other, source));
                }
            }
        }
        self.peers.insert(peer, p);
        self.next_tick.get_or_insert(now);
        self.negotiate(peer, now);
    }

    /// The participant left, was removed, or lost admission: their connections end at once and
    /// their tracks are withdrawn from everyone else.
    pub fn remove_peer(&mut self, peer: PeerId, now: Instant) {
        let Some(p) = self.peers.remove(&peer) else {
            return;
        };
        for idx in [p.publ, p.sub].into_iter().flatten() {
            self.drop_conn(idx);
        }
        self.speakers.remove(peer);
        let others: Vec<PeerId> = self.peers.keys().copied().collect();
        for other in others {
            self.withdraw(other, |o| o.from == peer);
            self.negotiate(other, now);
        }
        if self.speaker.map(|(s, _)| s) == Some(peer) {
            self.speaker = None;
            self.out.push_back(Output::Speaker(None));
        }
    }

    /// The publish connection's offer (client → server). Creates the connection on first use.
    pub fn pub_offer(&mut self, peer: PeerId, sdp: &str, now: Instant) {
        let offer = match SdpOffer::from_sdp_string(sdp) {
            Ok(o) => o,
            Err(e) => return self.signal_error(peer, "meeting.sdp_invalid", e.to_string()),
        };
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        let idx = match p.publ {
            Some(i) => i,
            None => {
                let i = self.new_conn(peer, ConnKind::Publish, now);
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.publ = Some(i);
                }
                i
            }
        };
        let Some(conn) = self.conns[idx].as_mut() else {
            return;
        };
        match conn.rtc.sdp_api().accept_offer(offer) {
            Ok(answer) => {
                self.out.push_back(Output::Signal {
                    peer,
                    signal: Signal::PubAnswer {
                        sdp: answer.to_sdp_string(),
                    },
                });
                self.mark(idx);
                self.drive(now);
            }
            Err(e) => self.signal_error(peer, "meeting.sdp_invalid", e.to_string()),
        }
    }

    /// Which publish mid carries which source (the client says so after each offer).
    pub fn label_tracks(&mut self, peer: PeerId, labels: &[(String, Source)], now: Instant) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.labels = labels
            .iter()
            .map(|(mid, s)| (Mid::from(mid.as_str()), *s))
            .collect();
        self.apply_labels(peer, now);
    }

    /// The subscribe connection's answer to our last `SubOffer`.
    pub fn sub_answer(&mut self, peer: PeerId, sdp: &str, now: Instant) {
        let answer = SdpAnswer::from_sdp_string(sdp);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let (Some(idx), Some(pending)) = (p.sub, p.sub_pending.take()) else {
            return self.signal_error(
                peer,
                "meeting.bad_message",
                "no subscribe offer is waiting for an answer".into(),
            );
        };
        let result = match answer {
            Ok(a) => self.conns[idx]
                .as_mut()
                .map(|c| {
                    c.rtc
                        .sdp_api()
                        .accept_answer(pending, a)
                        .map_err(|e| e.to_string())
                })
                .unwrap_or(Ok(())),
            Err(e) => Err(e.to_string()),
        };
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match result {
            Ok(()) => {
                let (vp8, opus) = self.conns[idx]
                    .as_ref()
                    .map(|c| (local_pt(&c.rtc, Codec::Vp8), local_pt(&c.rtc, Codec::Opus)))
                    .unwrap_or((None, None));
                for o in &mut p.outs {
                    if let OutState::Negotiating(m) = o.state {
                        o.state = OutState::Open(m);
                        o.ssrc = None;
                        o.pt = match o.source.kind() {
                            MediaKind::Audio => opus,
                            MediaKind::Video => vp8,
                        };
                    }
                }
                p.outs.retain(|o| !matches!(o.state, OutState::Stopping(_)));
                self.reselect(peer, now);
                self.negotiate(peer, now);
            }
            Err(message) => {
                for o in &mut p.outs {
                    match o.state {
                        OutState::Negotiating(_) => o.state = OutState::ToOpen,
                        OutState::Stopping(m) => o.state = OutState::ToStop(m),
                        _ => {}
                    }
                }
                // A fresh connection next time: the old one's state is unknown.
                p.sub = None;
                self.drop_conn(idx);
                self.signal_error(peer, "meeting.sdp_invalid", message);
                self.negotiate(peer, now);
            }
        }
        self.drive(now);
    }

    /// The remote video tracks the peer shows, with tile sizes (device pixels).
    pub fn set_view(&mut self, peer: PeerId, view: HashMap<String, Want>, now: Instant) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.view = view;
            self.reselect(peer, now);
            self.drive(now);
        }
    }

    pub fn set_mode(&mut self, peer: PeerId, data_saver: bool, audio_only: bool, now: Instant) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.data_saver = data_saver;
            p.audio_only = audio_only;
            self.reselect(peer, now);
            self.drive(now);
        }
    }

    /// The host stopped (`true`) the peer's mic or camera; the peer turning it on again
    /// clears it (`false`).
    pub fn set_blocked(&mut self, peer: PeerId, source: Source, blocked: bool) {
        if let Some(p) = self.peers.get_mut(&peer) {
            if blocked {
                p.blocked.insert(source);
            } else {
                p.blocked.remove(&source);
            }
        }
    }

    pub fn is_blocked(&self, peer: PeerId, source: Source) -> bool {
        self.peers
            .get(&peer)
            .is_some_and(|p| p.blocked.contains(&source))
    }

    /// A datagram from the media socket. Returns false when it belongs to no connection of this
    /// room (it is dropped; nothing else happens).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        buf: &[u8],
    ) -> bool {
        let by_stun = stun::local_ufrag(buf).and_then(|u| self.by_ufrag.get(u).copied());
        let idx = match (by_stun, self.by_addr.get(&source).copied()) {
            (Some(i), _) => i,
            (None, Some(i)) => i,
            (None, None) => {
                self.stats.dropped_datagrams += 1;
                return false;
            }
        };
        let Ok(contents) = DatagramRecv::try_from(buf) else {
            self.stats.dropped_datagrams += 1;
            return false;
        };
        let Some(conn) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
            return false;
        };
        let input = Input::Receive(
            now,
            Receive {
                proto: Protocol::Udp,
                source,
                destination,
                contents,
            },
        );
        if !conn.rtc.accepts(&input) {
            self.stats.dropped_datagrams += 1;
            return false;
        }
        if let Err(e) = conn.rtc.handle_input(input) {
            // A bad packet is that packet's problem, never the connection's.
            tracing::debug!(error = %e, "media input refused");
        }
        if by_stun.is_some() && conn.addrs.insert(source) {
            if let Some(old) = self.by_addr.insert(source, idx) {
                if old != idx {
                    if let Some(c) = self.conns.get_mut(old).and_then(Option::as_mut) {
                        c.addrs.remove(&source);
                    }
                }
            }
        }
        // Only this connection now: the packets it forwards are written into subscribers'
        // connections, which are polled once for a whole batch of datagrams, in
        // `poll_output` (a poll walks every stream of a connection — one per remote track).
        self.last_now = Some(now);
        self.poll_conn(idx, now);
        true
    }

    /// Time passed: drive every connection whose timer is due, pick layers and the speaker.
    pub fn handle_timeout(&mut self, now: Instant) {
        for idx in 0..self.conns.len() {
            let Some(conn) = self.conns[idx].as_mut() else {
                continue;
            };
            if conn.timeout <= now {
                if let Err(e) = conn.rtc.handle_input(Input::Timeout(now)) {
                    tracing::debug!(error = %e, "media timeout refused");
                }
                self.mark(idx);
            }
        }
        if self.next_tick.is_some_and(|t| t <= now) {
            self.next_tick = Some(now + TICK);
            self.tick(now);
        }
        self.drive(now);
    }

    /// When to call [`Room::handle_timeout`] next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let conns = self.conns.iter().flatten().map(|c| c.timeout).min();
        match (conns, self.next_tick) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next output. Connections that packets were forwarded into since the last call are
    /// polled first.
    pub fn poll_output(&mut self) -> Option<Output> {
        if let (true, Some(now)) = (self.out.is_empty(), self.last_now) {
            self.drive(now);
        }
        self.out.pop_front()
    }

    // ------------------------------------------------------------------ internals

    fn signal_error(&mut self, peer: PeerId, code: &'static str, message: String) {
        self.out.push_back(Output::Signal {
            peer,
            signal: Signal::Error { code, message },
        });
    }

    fn new_conn(&mut self, peer: PeerId, kind: ConnKind, now: Instant) -> usize {
        let creds = IceCreds::new();
        let ufrag = creds.ufrag.clone();
        let mut config = Rtc::builder()
            .set_ice_lite(true)
            .set_rtp_mode(true)
            .set_local_ice_credentials(creds)
            .clear_codecs()
            .enable_vp8(true);
        config.codec_config().add_config(
            111.into(),
            None,
            Codec::Opus,
            Frequency::FORTY_EIGHT_KHZ,
            Some(2),
            FormatParams {
                min_p_time: Some(10),
                use_inband_fec: Some(true),
                use_dtx: Some(true),
                ..Default::default()
            },
        );
        if kind == ConnKind::Subscribe {
            config = config.enable_bwe(Some(Bitrate::bps(INITIAL_BWE_BPS)));
        }
        let mut rtc = config.build(now);
        for addr in &self.config.candidates {
            match Candidate::host(*addr, "udp") {
                Ok(c) => {
                    rtc.add_local_candidate(c);
                }
                Err(e) => tracing::warn!(%addr, error = %e, "unusable media candidate"),
            }
        }
        let conn = Conn {
            rtc,
            peer,
            kind,
            ufrag: ufrag.clone(),
            timeout: now,
            dirty: false,
            addrs: HashSet::new(),
        };
        let idx = match self.conns.iter().position(Option::is_none) {
            Some(i) => {
                self.conns[i] = Some(conn);
                i
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        };
        self.by_ufrag.insert(ufrag.clone(), idx);
        self.out.push_back(Output::Ufrag { ufrag, added: true });
        idx
    }

    fn drop_conn(&mut self, idx: usize) {
        let Some(mut conn) = self.conns.get_mut(idx).and_then(Option::take) else {
            return;
        };
        conn.rtc.disconnect();
        self.by_ufrag.remove(&conn.ufrag);
        self.out.push_back(Output::Ufrag {
            ufrag: conn.ufrag,
            added: false,
        });
        for a in conn.addrs {
            if self.by_addr.get(&a) == Some(&idx) {
                self.by_addr.remove(&a);
                self.out.push_back(Output::AddrGone(a));
            }
        }
    }

    fn mark(&mut self, idx: usize) {
        if let Some(c) = self.conns.get_mut(idx).and_then(Option::as_mut) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push(idx);
            }
        }
    }

    /// Polls every connection that had input or output queued until each waits on its timer.
    fn drive(&mut self, now: Instant) {
        self.last_now = Some(now);
        while let Some(idx) = self.dirty.pop() {
            self.poll_conn(idx, now);
        }
    }

    fn poll_conn(&mut self, idx: usize, now: Instant) {
        loop {
            let Some(conn) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
                return;
            };
            if !conn.rtc.is_alive() {
                conn.dirty = false;
                return self.conn_died(idx, now);
            }
            match conn.rtc.poll_output() {
                Ok(RtcOutput::Timeout(t)) => {
                    conn.timeout = t;
                    conn.dirty = false;
                    return;
                }
                Ok(RtcOutput::Transmit(t)) => self.out.push_back(Output::Transmit {
                    source: t.source,
                    destination: t.destination,
                    contents: t.contents.to_vec(),
                }),
                Ok(RtcOutput::Event(e)) => {
                    let (peer, kind) = (conn.peer, conn.kind);
                    self.on_event(idx, peer, kind, e, now);
                }
                Err(e) => {
                    tracing::debug!(error = %e, "media connection failed");
                    conn.rtc.disconnect();
                    conn.dirty = false;
                    return self.conn_died(idx, now);
                }
            }
        }
    }

    fn conn_died(&mut self, idx: usize, now: Instant) {
        let Some(conn) = self.conns.get(idx).and_then(Option::as_ref) else {
            return;
        };
        let (peer, kind) = (conn.peer, conn.kind);
        self.drop_conn(idx);
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        match kind {
            ConnKind::Publish => {
                p.publ = None;
                p.published.clear();
                p.ssrcs.clear();
                let others: Vec<PeerId> = self.peers.keys().copied().collect();
                for other in others.into_iter().filter(|o| *o != peer) {
                    self.withdraw(other, |o| o.from == peer);
                    self.negotiate(other, now);
                }
            }
            ConnKind::Subscribe => {
                // Offer everything again on a fresh connection.
                p.sub = None;
                p.sub_pending = None;
                p.outs.retain(|o| {
                    !matches!(
                        o.state,
                        OutState::ToStop(_) | OutState::Stopping(_) | OutState::Parked(_)
                    )
                });
                for o in &mut p.outs {
                    o.state = OutState::ToOpen;
                    o.pt = None;
                    o.ssrc = None;
                    o.video = VideoForward::default();
                    o.audio = AudioForward::default();
                }
                self.negotiate(peer, now);
            }
        }
    }

    fn on_event(&mut self, idx: usize, peer: PeerId, kind: ConnKind, e: Event, now: Instant) {
        match (kind, e) {
            (ConnKind::Publish, Event::RtpPacket(pkt)) => self.on_rtp(idx, peer, pkt, now),
            (ConnKind::Publish, Event::MediaAdded(m)) => {
                if m.direction == Direction::Inactive || m.direction == Direction::SendOnly {
                    return;
                }
                let Some(p) = self.peers.get_mut(&peer) else {
                    return;
                };
                if p.published.iter().any(|t| t.mid == m.mid) {
                    return;
                }
                p.published.push(PubTrack {
                    mid: m.mid,
                    kind: m.kind,
                    source: None,
                    simulcast: m.simulcast.is_some_and(|s| !s.recv.is_empty()),
                    added_at: now,
                    active: [None; 3],
                    limiter: KeyframeLimiter::new(self.config.keyframe_interval),
                    bucket: TokenBucket::new(u64::MAX / 16),
                });
                self.apply_labels(peer, now);
            }
            (ConnKind::Publish, Event::MediaChanged(m)) => {
                let gone = matches!(m.direction, Direction::Inactive | Direction::SendOnly);
                if gone {
                    self.unpublish(peer, m.mid, now);
                }
            }
            (ConnKind::Publish, Event::StreamPaused(sp)) => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    if let Some((t, layer)) = p.ssrcs.get(&sp.ssrc).copied() {
                        if sp.paused {
                            if let Some(track) = p.published.get_mut(t) {
                                track.active[usize::from(layer)] = None;
                            }
                        }
                    }
                }
            }
            (ConnKind::Subscribe, Event::KeyframeRequest(req)) => {
                let target = self.peers.get(&peer).and_then(|p| {
                    p.outs
                        .iter()
                        .find(|o| o.mid() == Some(req.mid))
                        .and_then(|o| Some((o.from, o.source, o.video.current()?)))
                });
                if let Some((from, source, layer)) = target {
                    self.request_keyframe(from, source, layer, now);
                }
            }
            (ConnKind::Subscribe, Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. })) => {
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.bwe_bps = Some(estimate.as_u64());
                }
            }
            (_, Event::IceConnectionStateChange(IceConnectionState::Disconnected)) => {
                // ICE may recover (a new path, a consent check that was late); the connection
                // ends with its socket or when str0m gives up on it.
                tracing::debug!(%peer, ?kind, conn = idx, "media connection disconnected");
            }
            _ => {}
        }
    }

    /// Gives unlabelled published tracks their source (from the client's labels, or after a
    /// wait by kind), and offers newly labelled ones to everyone else.
    fn apply_labels(&mut self, peer: PeerId, now: Instant) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let mut changed: Vec<(Option<Source>, Source)> = Vec::new();
        let taken: HashSet<Source> = p.published.iter().filter_map(|t| t.source).collect();
        let mut taken = taken;
        for t in &mut p.published {
            let wanted = p.labels.get(&t.mid).copied().or_else(|| {
                if t.source.is_some() || now.saturating_duration_since(t.added_at) < LABEL_WAIT {
                    return None;
                }
                let guess = match t.kind {
                    MediaKind::Audio => Source::Mic,
                    MediaKind::Video if !taken.contains(&Source::Cam) => Source::Cam,
                    MediaKind::Video => Source::Screen,
                };
                Some(guess)
            });
            let Some(source) = wanted else { continue };
            if source.kind() != t.kind || t.source == Some(source) {
                continue;
            }
            taken.insert(source);
            changed.push((t.source, source));
            t.source = Some(source);
            let cap = match source {
                Source::Mic => self.config.cap_mic_bps,
                Source::Cam => self.config.cap_cam_bps,
                Source::Screen => self.config.cap_screen_bps,
            };
            t.bucket = TokenBucket::new(cap);
        }
        if changed.is_empty() {
            return;
        }
        let others: Vec<PeerId> = self.peers.keys().copied().filter(|o| *o != peer).collect();
        for other in others {
            for (old, new) in &changed {
                if let Some(old) = old {
                    self.withdraw(other, |o| o.from == peer && o.source == *old);
                }
                if let Some(op) = self.peers.get_mut(&other) {
                    if !op.outs.iter().any(|o| o.from == peer && o.source == *new) {
                        op.outs.push(new_out(peer, *new));
                    }
                }
            }
            self.negotiate(other, now);
        }
    }

    fn unpublish(&mut self, peer: PeerId, mid: Mid, now: Instant) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let Some(pos) = p.published.iter().position(|t| t.mid == mid) else {
            return;
        };
        let track = p.published.remove(pos);
        p.ssrcs.clear();
        let Some(source) = track.source else {
            return;
        };
        let others: Vec<PeerId> = self.peers.keys().copied().filter(|o| *o != peer).collect();
        for other in others {
            self.withdraw(other, |o| o.from == peer && o.source == source);
            self.negotiate(other, now);
        }
    }

    /// Stops the out tracks of `peer` that match.
    fn withdraw(&mut self, peer: PeerId, which: impl Fn(&OutTrack) -> bool) {
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        p.outs.retain_mut(|o| {
            if !which(o) {
                return true;
            }
            match o.state {
                OutState::ToOpen => false,
                OutState::Open(m) | OutState::Negotiating(m) => {
                    o.state = OutState::ToStop(m);
                    o.video.set_target(None);
                    o.audio.set_muted(true);
                    true
                }
                OutState::ToStop(_) | OutState::Stopping(_) | OutState::Parked(_) => true,
            }
        });
    }

    /// Sends a subscribe offer when tracks are waiting to be opened or stopped and no offer is
    /// outstanding.
    fn negotiate(&mut self, peer: PeerId, now: Instant) {
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        if p.sub_pending.is_some() {
            return;
        }
        let needed = p
            .outs
            .iter()
            .any(|o| matches!(o.state, OutState::ToOpen | OutState::ToStop(_)));
        if !needed {
            return;
        }
        let idx = match p.sub {
            Some(i) => i,
            None => {
                let i = self.new_conn(peer, ConnKind::Subscribe, now);
                if let Some(p) = self.peers.get_mut(&peer) {
                    p.sub = Some(i);
                }
                i
            }
        };
        let (Some(p), Some(conn)) = (self.peers.get_mut(&peer), self.conns[idx].as_mut()) else {
            return;
        };
        let opening = p.outs.iter().any(|o| o.state == OutState::ToOpen);
        let staying = p
            .outs
            .iter()
            .any(|o| matches!(o.state, OutState::Open(_) | OutState::Negotiating(_)));
        if opening {
            for o in &mut p.outs {
                if let OutState::Parked(m) = o.state {
                    o.state = OutState::ToStop(m);
                }
            }
        }
        let mut park = !opening
            && !staying
            && !p
                .outs
                .iter()
                .any(|o| matches!(o.state, OutState::Parked(_)));
        let mut api = conn.rtc.sdp_api();
        for o in &mut p.outs {
            match o.state {
                OutState::ToOpen => {
                    let mid = api.add_media(
                        o.source.kind(),
                        Direction::SendOnly,
                        Some(o.from.simple().to_string()),
                        Some(format!("{}-{}", o.from.simple(), o.source.as_str())),
                        None,
                    );
                    o.state = OutState::Negotiating(mid);
                }
                OutState::ToStop(mid) if park => {
                    api.set_direction(mid, Direction::Inactive);
                    o.state = OutState::Parked(mid);
                    park = false;
                }
                OutState::ToStop(mid) => {
                    api.stop_media(mid);
                    o.state = OutState::Stopping(mid);
                }
                _ => {}
            }
        }
        let Some((offer, pending)) = api.apply() else {
            return;
        };
        p.sub_pending = Some(pending);
        let tracks = p
            .outs
            .iter()
            .filter_map(|o| match o.state {
                OutState::Negotiating(m) | OutState::Open(m) => Some((
                    m.to_string(),
                    TrackInfo {
                        peer: o.from,
                        track: track_id(o.from, o.source),
                        source: o.source,
                    },
                )),
                _ => None,
            })
            .collect();
        self.out.push_back(Output::Signal {
            peer,
            signal: Signal::SubOffer {
                sdp: offer.to_sdp_string(),
                tracks,
            },
        });
        self.mark(idx);
    }

    /// Picks each of `peer`'s remote video tracks' layer from its view, modes and bandwidth.
    fn reselect(&mut self, peer: PeerId, now: Instant) {
        let Some(p) = self.peers.get(&peer) else {
            return;
        };
        let visible = p
            .outs
            .iter()
            .filter(|o| {
                o.source.kind() == MediaKind::Video
                    && p.view
                        .get(&track_id(o.from, o.source))
                        .is_some_and(|w| w.visible)
            })
            .count()
            .max(1) as u64;
        let budget = p
            .bwe_bps
            .filter(|b| *b < INITIAL_BWE_BPS)
            .map(|b| b / visible);
        let mut targets = Vec::new();
        // What the subscriber would take with no bandwidth limit: the estimator probes up to it.
        let mut desired: u64 = 300_000;
        for (i, o) in p.outs.iter().enumerate() {
            if o.source.kind() != MediaKind::Video || !matches!(o.state, OutState::Open(_)) {
                continue;
            }
            let want = p
                .view
                .get(&track_id(o.from, o.source))
                .copied()
                .unwrap_or_default();
            let publisher = self.peers.get(&o.from);
            let track =
                publisher.and_then(|pp| pp.published.iter().find(|t| t.source == Some(o.source)));
            let Some(track) = track else {
                targets.push((i, None));
                continue;
            };
            let active = track
                .active
                .map(|a| a.is_some_and(|t| now.saturating_duration_since(t) < LAYER_IDLE));
            if want.visible && !p.audio_only {
                desired += if track.simulcast {
                    let unlimited = choose_layer(
                        want,
                        p.data_saver,
                        false,
                        None,
                        self.config.layer_bps,
                        [true; 3],
                    );
                    unlimited.map_or(0, |l| self.config.layer_bps[usize::from(l)])
                } else {
                    self.config.cap_screen_bps / 2
                };
            }
            let target = if !track.simulcast {
                (want.visible && !p.audio_only).then_some(0)
            } else {
                choose_layer(
                    want,
                    p.data_saver,
                    p.audio_only,
                    budget,
                    self.config.layer_bps,
                    active,
                )
            };
            targets.push((i, target));
        }
        if let Some(p) = self.peers.get_mut(&peer) {
            for (i, target) in targets {
                if let Some(o) = p.outs.get_mut(i) {
                    if o.video.target() != target {
                        o.video.set_target(target);
                    }
                }
            }
            if p.desired_bps != desired {
                p.desired_bps = desired;
                if let Some(conn) = p
                    .sub
                    .and_then(|i| self.conns.get_mut(i))
                    .and_then(Option::as_mut)
                {
                    conn.rtc.bwe().set_desired_bitrate(Bitrate::bps(desired));
                }
            }
        }
    }

    fn request_keyframe(&mut self, from: PeerId, source: Source, layer: Layer, now: Instant) {
        let Some(p) = self.peers.get_mut(&from) else {
            return;
        };
        let Some(idx) = p.publ else { return };
        let Some(track) = p.published.iter_mut().find(|t| t.source == Some(source)) else {
            return;
        };
        if !track.limiter.allow(layer, now) {
            return;
        }
        let rid = track
            .simulcast
            .then(|| Rid::from(LAYER_RIDS[usize::from(layer)]));
        let mid = track.mid;
        if let Some(conn) = self.conns[idx].as_mut() {
            if let Some(rx) = conn.rtc.direct_api().stream_rx_by_mid(mid, rid) {
                rx.request_keyframe(KeyframeRequestKind::Pli);
                self.stats.keyframe_requests += 1;
            }
        }
        self.mark(idx);
    }

    fn on_rtp(&mut self, idx: usize, peer: PeerId, pkt: RtpPacket, now: Instant) {
        self.stats.received_packets += 1;
        let ssrc = pkt.header.ssrc;
        let Some(p) = self.peers.get_mut(&peer) else {
            return;
        };
        let known = p.ssrcs.get(&ssrc).copied();
        let (t, layer) = match known {
            Some(v) => v,
            None => {
                let Some(conn) = self.conns[idx].as_mut() else {
                    return;
                };
                let Some(rx) = conn
                    .rtc
                    .direct_api()
                    .stream_rx(&ssrc)
                    .map(|r| (r.mid(), r.rid()))
                else {
                    return;
                };
                let Some(t) = p.published.iter().position(|t| t.mid == rx.0) else {
                    return;
                };
                let layer = match rx.1 {
                    Some(rid) => match LAYER_RIDS.iter().position(|r| *r == &*rid) {
                        Some(l) => l as Layer,
                        None => return,
                    },
                    None => 0,
                };
                p.ssrcs.insert(ssrc, (t, layer));
                (t, layer)
            }
        };
        let Some(track) = p.published.get_mut(t) else {
            return;
        };
        let Some(source) = track.source else {
            return;
        };
        let was_active = track.active[usize::from(layer)].is_some();
        track.active[usize::from(layer)] = Some(now);
        if !track
            .bucket
            .take(pkt.payload.len() + pkt.header.header_len, now)
        {
            self.stats.clamped_packets += 1;
            return;
        }
        if p.blocked.contains(&source) {
            return;
        }
        let is_video = track.kind == MediaKind::Video;
        let desc = if is_video {
            Vp8Descriptor::parse(&pkt.payload).ok()
        } else {
            None
        };
        let keyframe = desc
            .as_ref()
            .is_some_and(|d| d.starts_keyframe(&pkt.payload));
        if keyframe {
            track.limiter.keyframe_seen(layer);
        }
        if !is_video {
            self.speakers
                .on_level(peer, pkt.header.ext_vals.audio_level, now);
            self.speakers.update(now);
        }
        let input = InPacket {
            seq: *pkt.seq_no,
            ts: pkt.header.timestamp,
            at: pkt.timestamp,
            keyframe,
            picture_id: desc.as_ref().and_then(|d| d.picture_id()),
            tl0: desc.as_ref().and_then(|d| d.tl0_pic_idx()),
        };
        let ext = ExtensionValues {
            audio_level: pkt.header.ext_vals.audio_level,
            voice_activity: pkt.header.ext_vals.voice_activity,
            ..Default::default()
        };
        let mut want_keyframe: Option<Layer> = None;
        let mut dirty = Vec::new();
        for (sid, sp) in self.peers.iter_mut() {
            if *sid == peer {
                continue;
            }
            let Some(sub_idx) = sp.sub else { continue };
            let Some(o) = sp
                .outs
                .iter_mut()
                .find(|o| o.from == peer && o.source == source)
            else {
                continue;
            };
            let (OutState::Open(mid), Some(pt)) = (o.state, o.pt) else {
                continue;
            };
            let out: Option<OutPacket> = if is_video {
                match o.video.on_packet(layer, &input) {
                    Verdict::Forward(out) => Some(out),
                    Verdict::DropWantKeyframe(l) => {
                        want_keyframe = Some(l);
                        None
                    }
                    Verdict::Drop => None,
                }
            } else {
                o.audio
                    .on_packet(self.speakers.forwards(peer, *sid), &input)
            };
            let Some(out) = out else { continue };
            let Some(conn) = self.conns.get_mut(sub_idx).and_then(Option::as_mut) else {
                continue;
            };
            let mut write = RtpWrite::new(
                pt,
                SeqNo::from(out.seq),
                out.ts,
                pkt.timestamp,
                pkt.payload.clone(),
            )
            .marker(pkt.header.marker)
            .ext_vals(ext.clone())
            .nackable(is_video);
            if let (Some(d), Some(pic)) = (&desc, out.picture_id) {
                let mut b = d.patch().picture_id(pic);
                if let Some(tl0) = out.tl0 {
                    b = b.tl0_pic_idx(tl0);
                }
                if let Ok(patch) = b.build() {
                    write = write.vp8_patch(patch);
                }
            }
            let mut api = conn.rtc.direct_api();
            if o.ssrc.is_none() {
                o.ssrc = api.stream_tx_by_mid(mid, None).map(|tx| tx.ssrc());
            }
            if let Some(tx) = o.ssrc.and_then(|ssrc| api.stream_tx(&ssrc)) {
                tx.write_rtp(write);
                self.stats.forwarded_packets += 1;
                dirty.push(sub_idx);
            }
        }
        for d in dirty {
            self.mark(d);
        }
        if let Some(l) = want_keyframe {
            self.request_keyframe(peer, source, l, now);
        }
        if !was_active && is_video {
            // A layer came (back): subscribers may now be able to use it.
            let others: Vec<PeerId> = self.peers.keys().copied().filter(|o| *o != peer).collect();
            for o in others {
                self.reselect(o, now);
            }
        }
    }

    fn tick(&mut self, now: Instant) {
        // Unlabelled tracks get a source by kind after a while.
        let unlabelled: Vec<PeerId> = self
            .peers
            .iter()
            .filter(|(_, p)| p.published.iter().any(|t| t.source.is_none()))
            .map(|(id, _)| *id)
            .collect();
        for peer in unlabelled {
            self.apply_labels(peer, now);
        }
        // Layers that stopped.
        let mut stopped: Vec<(PeerId, Source, Layer)> = Vec::new();
        for (id, p) in &mut self.peers {
            for t in &mut p.published {
                for (l, a) in t.active.iter_mut().enumerate() {
                    if a.is_some_and(|at| now.saturating_duration_since(at) >= LAYER_IDLE) {
                        *a = None;
                        if let Some(s) = t.source {
                            stopped.push((*id, s, l as Layer));
                        }
                    }
                }
            }
        }
        for (from, source, layer) in stopped {
            for p in self.peers.values_mut() {
                for o in p
                    .outs
                    .iter_mut()
                    .filter(|o| o.from == from && o.source == source)
                {
                    o.video.layer_stopped(layer);
                }
            }
        }
        let ids: Vec<PeerId> = self.peers.keys().copied().collect();
        for id in ids {
            self.reselect(id, now);
        }
        self.pick_speaker(now);
        if self.next_remb.is_none_or(|t| now >= t) {
            self.next_remb = Some(now + REMB_EVERY);
            self.send_caps();
        }
    }

    /// Tells each publisher its cap by REMB on every received stream: browsers keep their
    /// send rate under it (the token bucket drops what still goes over).
    fn send_caps(&mut self) {
        let mut dirty = Vec::new();
        for p in self.peers.values() {
            let Some(idx) = p.publ else { continue };
            let Some(conn) = self.conns.get_mut(idx).and_then(Option::as_mut) else {
                continue;
            };
            let mut api = conn.rtc.direct_api();
            for t in &p.published {
                let cap = match t.source {
                    Some(Source::Mic) | None => continue,
                    Some(Source::Cam) => self.config.cap_cam_bps,
                    Some(Source::Screen) => self.config.cap_screen_bps,
                };
                let rids: Vec<Option<Rid>> = if t.simulcast {
                    LAYER_RIDS.iter().map(|r| Some(Rid::from(*r))).collect()
                } else {
                    vec![None]
                };
                for rid in rids {
                    if let Some(rx) = api.stream_rx_by_mid(t.mid, rid) {
                        rx.request_remb(Bitrate::bps(cap));
                    }
                }
            }
            dirty.push(idx);
        }
        for d in dirty {
            self.mark(d);
        }
    }

    /// The active speaker is the loudest of the selected microphones ([`Loudest::loudest`]),
    /// so whoever is shown as speaking is always heard. A change waits [`SPEAKER_HOLD`] unless
    /// the current speaker is no longer selected (stopped talking); when nobody talks the last
    /// speaker stays.
    fn pick_speaker(&mut self, now: Instant) {
        self.speakers.update(now);
        let Some(cand) = self.speakers.loudest() else {
            return;
        };
        let switch = match self.speaker {
            Some((cur, _)) if cur == cand => false,
            Some((cur, since)) => {
                !self.speakers.selected().contains(&cur)
                    || now.saturating_duration_since(since) >= SPEAKER_HOLD
            }
            None => true,
        };
        if switch {
            self.speaker = Some((cand, now));
            self.out.push_back(Output::Speaker(Some(cand)));
        }
    }
}

fn new_out(from: PeerId, source: Source) -> OutTrack {
    let mut audio = AudioForward::default();
    audio.set_muted(false);
    OutTrack {
        from,
        source,
        state: OutState::ToOpen,
        pt: None,
        ssrc: None,
        video: VideoForward::default(),
        audio,
    }
}

/// The payload type this connection's codec configuration gives `codec`.
pub(crate) fn local_pt(rtc: &Rtc, codec: Codec) -> Option<str0m::media::Pt> {
    rtc.codec_config()
        .find(|p| p.spec().codec == codec)
        .map(|p| p.pt())
}

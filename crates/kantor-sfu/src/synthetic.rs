//! A synthetic meeting participant on str0m, for integration tests and `kantor-bench`: real ICE,
//! DTLS and SRTP against the real SFU, with generated media instead of a camera — VP8-shaped
//! RTP on three simulcast layers (keyframe every `keyframe_every`, and on request) plus
//! Opus-sized audio with the audio-level extension, talking at a set level in spurts with DTX
//! in between ([`Voice`]). It counts what it receives per subscribe
//! mid (packets, losses from sequence gaps, keyframes, the first keyframe's arrival).
//!
//! Signalling is the caller's: [`Synthetic::publish_offer`] / [`Synthetic::pub_answer`] /
//! [`Synthetic::sub_offer`] take and give SDP strings; [`run`] drives one over a UDP socket.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{
    Direction, KeyframeRequestKind, MediaKind, Mid, Rid, Simulcast, SimulcastLayer,
};
use str0m::net::{DatagramRecv, Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpWrite, SeqNo, Vp8Descriptor};
use str0m::{Candidate, Event, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::forward::LAYER_RIDS;
use crate::room::{local_pt, Source};

/// What a synthetic participant sends.
#[derive(Clone, Copy, Debug)]
pub struct PublishPlan {
    /// A camera m-line (with the layers below) at all.
    pub video: bool,
    /// Bits per second of each simulcast layer (`q`, `h`, `f`); 0 = layer not sent.
    pub layer_bps: [u64; 3],
    pub audio: bool,
    /// How the microphone talks.
    pub voice: Voice,
    pub fps: u32,
    pub keyframe_every: Duration,
}

impl Default for PublishPlan {
    fn default() -> Self {
        PublishPlan {
            video: true,
            layer_bps: [150_000, 500_000, 1_500_000],
            audio: true,
            voice: Voice::default(),
            fps: 30,
            keyframe_every: Duration::from_secs(3),
        }
    }
}

/// How a synthetic microphone talks: 20 ms Opus-sized frames at `level` during talk spurts;
/// between spurts Opus DTX — one small comfort-noise packet at `noise_level` every 400 ms
/// (sequence numbers continue; the timestamp jumps over the pause, as in a real encoder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Voice {
    /// Audio level while talking, dBov as str0m carries it (0 = loudest, −127 = silence).
    pub level: i8,
    /// Audio level of the DTX packets.
    pub noise_level: i8,
    /// Length of a talk spurt.
    pub talk: Duration,
    /// Silence after each spurt; zero = talks all the time.
    pub pause: Duration,
    /// How far into its talk/pause cycle the voice starts.
    pub phase: Duration,
}

impl Default for Voice {
    fn default() -> Self {
        Voice {
            level: -30,
            noise_level: -127,
            talk: Duration::from_secs(1),
            pause: Duration::ZERO,
            phase: Duration::ZERO,
        }
    }
}

impl Voice {
    /// A participant who never talks: DTX packets only.
    pub fn silent() -> Voice {
        Voice {
            talk: Duration::ZERO,
            pause: Duration::from_secs(1),
            ..Voice::default()
        }
    }

    /// Whether it is talking `since` after it started.
    pub fn talking(&self, since: Duration) -> bool {
        if self.pause.is_zero() {
            return true;
        }
        let cycle = self.talk + self.pause;
        let at = (since + self.phase).as_micros() % cycle.as_micros().max(1);
        at < self.talk.as_micros()
    }
}

/// Opus DTX: a comfort-noise packet every 20 frames (400 ms) while silent.
const DTX_EVERY: u32 = 20;

/// What arrived on one subscribe m-line.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub kind: Option<MediaKind>,
    pub packets: u64,
    pub bytes: u64,
    pub keyframes: u64,
    pub first_keyframe: Option<Instant>,
    /// Packets expected from the sequence numbers seen (highest − lowest + 1).
    pub expected: u64,
    lowest: Option<u64>,
    highest: Option<u64>,
}

impl Received {
    pub fn lost(&self) -> u64 {
        self.expected.saturating_sub(self.packets)
    }
}

/// Counters shared with the caller while [`run`] drives.
#[derive(Debug, Default)]
pub struct Stats {
    pub received: BTreeMap<String, Received>,
    pub sent_packets: u64,
    pub keyframe_requests: u64,
    pub connected: bool,
}

struct Layer {
    mid: Mid,
    rid: Option<Rid>,
    bps: u64,
    seq: u64,
    ts: u32,
    picture_id: u16,
    tl0: u8,
    want_keyframe: bool,
}

pub struct Synthetic {
    /// Each connection has its own address, as a browser's two RTCPeerConnections do (with
    /// one address str0m could not tell which connection a DTLS or SRTP datagram is for).
    local_pub: SocketAddr,
    local_sub: SocketAddr,
    publ: Rtc,
    sub: Option<Rtc>,
    pending: Option<SdpPendingOffer>,
    plan: Option<PublishPlan>,
    layers: Vec<Layer>,
    audio: Option<Layer>,
    next_frame: Option<Instant>,
    next_audio: Option<Instant>,
    next_keyframe: Option<Instant>,
    /// When audio started, and frames since the last packet sent in DTX.
    audio_start: Option<Instant>,
    dtx_frames: u32,
    out: VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>,
    pub stats: Arc<Mutex<Stats>>,
    sub_kinds: HashMap<Mid, MediaKind>,
}

fn new_rtc(local: SocketAddr, now: Instant) -> Rtc {
    let mut rtc = Rtc::builder()
        .set_rtp_mode(true)
        .clear_codecs()
        .enable_vp8(true)
        .enable_opus(true, false)
        .build(now);
    if let Ok(c) = Candidate::host(local, "udp") {
        rtc.add_local_candidate(c);
    }
    rtc
}

impl Synthetic {
    pub fn new(local_pub: SocketAddr, local_sub: SocketAddr, now: Instant) -> Synthetic {
        Synthetic {
            local_pub,
            local_sub,
            publ: new_rtc(local_pub, now),
            sub: None,
            pending: None,
            plan: None,
            layers: Vec::new(),
            audio: None,
            next_frame: None,
            next_audio: None,
            next_keyframe: None,
            audio_start: None,
            dtx_frames: 0,
            out: VecDeque::new(),
            stats: Arc::default(),
            sub_kinds: HashMap::new(),
        }
    }

    /// The publish offer for `plan` (at least video or audio), and which mid is which source.
    pub fn publish_offer(&mut self, plan: PublishPlan) -> (String, Vec<(String, Source)>) {
        let mut api = self.publ.sdp_api();
        let mut labels = Vec::new();
        let mut sim = Simulcast::new();
        for rid in LAYER_RIDS {
            sim.add_send_layer(SimulcastLayer::new(rid));
        }
        let video = plan.video.then(|| {
            let m = api.add_media(
                MediaKind::Video,
                Direction::SendOnly,
                Some("synthetic".into()),
                Some("cam".into()),
                Some(sim),
            );
            labels.push((m.to_string(), Source::Cam));
            m
        });
        let audio = plan.audio.then(|| {
            let m = api.add_media(
                MediaKind::Audio,
                Direction::SendOnly,
                Some("synthetic".into()),
                Some("mic".into()),
                None,
            );
            labels.push((m.to_string(), Source::Mic));
            m
        });
        let (offer, pending) = api.apply().expect("an offer with media");
        self.pending = Some(pending);
        self.plan = Some(plan);
        self.layers = LAYER_RIDS
            .iter()
            .zip(plan.layer_bps)
            .filter(|(_, bps)| *bps > 0)
            .filter_map(|(rid, bps)| Some((video?, rid, bps)))
            .map(|(video, rid, bps)| Layer {
                mid: video,
                rid: Some(Rid::from(*rid)),
                bps,
                seq: 1000,
                ts: 0,
                picture_id: 0,
                tl0: 0,
                want_keyframe: true,
            })
            .collect();
        self.audio = audio.map(|mid| Layer {
            mid,
            rid: None,
            bps: 32_000,
            seq: 1,
            ts: 0,
            picture_id: 0,
            tl0: 0,
            want_keyframe: false,
        });
        (offer.to_sdp_string(), labels)
    }

    pub fn pub_answer(&mut self, sdp: &str) -> Result<(), String> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
        let pending = self.pending.take().ok_or("no offer pending")?;
        self.publ
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| e.to_string())
    }

    /// Answers the room's subscribe offer (creating the subscribe connection first time). An
    /// offer the current connection cannot take is the room's fresh connection (it replaced
    /// one that failed): it is answered on a new connection.
    pub fn sub_offer(&mut self, sdp: &str, now: Instant) -> Result<String, String> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
        let local = self.local_sub;
        let sub = self.sub.get_or_insert_with(|| new_rtc(local, now));
        match sub.sdp_api().accept_offer(offer) {
            Ok(answer) => Ok(answer.to_sdp_string()),
            Err(_) => {
                let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| e.to_string())?;
                let mut fresh = new_rtc(local, now);
                let answer = fresh
                    .sdp_api()
                    .accept_offer(offer)
                    .map_err(|e| e.to_string())?;
                self.sub = Some(fresh);
                Ok(answer.to_sdp_string())
            }
        }
    }

    /// A datagram from `source` that arrived at `destination` (one of the two local
    /// addresses).
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        data: &[u8],
    ) {
        let Ok(contents) = DatagramRecv::try_from(data) else {
            return;
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
        if destination == self.local_pub {
            let _ = self.publ.handle_input(input);
        } else if let Some(sub) = self.sub.as_mut() {
            let _ = sub.handle_input(input);
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = self.publ.handle_input(Input::Timeout(now));
        if let Some(sub) = self.sub.as_mut() {
            let _ = sub.handle_input(Input::Timeout(now));
        }
        self.generate(now);
    }

    /// Polls both connections; returns the next time to call [`Synthetic::handle_timeout`].
    pub fn poll(&mut self) -> Instant {
        let mut next = self.poll_one(false);
        if self.sub.is_some() {
            next = next.min(self.poll_one(true));
        }
        for t in [self.next_frame, self.next_audio].into_iter().flatten() {
            next = next.min(t);
        }
        next
    }

    /// The next datagram to send: from which local address, to where, what.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, SocketAddr, Vec<u8>)> {
        self.out.pop_front()
    }

    fn poll_one(&mut self, sub: bool) -> Instant {
        loop {
            let rtc = if sub {
                match self.sub.as_mut() {
                    Some(s) => s,
                    None => return Instant::now() + Duration::from_secs(1),
                }
            } else {
                &mut self.publ
            };
            match rtc.poll_output() {
                Ok(Output::Timeout(t)) => return t,
                Ok(Output::Transmit(t)) => {
                    self.out
                        .push_back((t.source, t.destination, t.contents.to_vec()));
                }
                Ok(Output::Event(e)) => self.on_event(sub, e),
                Err(_) => return Instant::now() + Duration::from_millis(100),
            }
        }
    }

    fn on_event(&mut self, sub: bool, e: Event) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        match e {
            Event::Connected if !sub => stats.connected = true,
            Event::KeyframeRequest(req) if !sub => {
                stats.keyframe_requests += 1;
                for l in &mut self.layers {
                    if l.mid == req.mid && (req.rid.is_none() || l.rid == req.rid) {
                        l.want_keyframe = true;
                    }
                }
            }
            Event::MediaAdded(m) if sub => {
                self.sub_kinds.insert(m.mid, m.kind);
            }
            Event::RtpPacket(p) if sub => {
                let Some(mid) = self
                    .sub
                    .as_mut()
                    .and_then(|s| s.direct_api().stream_rx(&p.header.ssrc).map(|r| r.mid()))
                else {
                    return;
                };
                let r = stats.received.entry(mid.to_string()).or_default();
                r.kind = self.sub_kinds.get(&mid).copied();
                r.packets += 1;
                r.bytes += p.payload.len() as u64;
                let seq = *p.seq_no;
                r.lowest = Some(r.lowest.map_or(seq, |l| l.min(seq)));
                r.highest = Some(r.highest.map_or(seq, |h| h.max(seq)));
                if let (Some(l), Some(h)) = (r.lowest, r.highest) {
                    r.expected = h - l + 1;
                }
                let key = Vp8Descriptor::parse(&p.payload)
                    .map(|d| d.starts_keyframe(&p.payload))
                    .unwrap_or(false);
                if key && r.kind != Some(MediaKind::Audio) {
                    r.keyframes += 1;
                    r.first_keyframe.get_or_insert(p.timestamp);
                }
            }
            _ => {}
        }
    }

    /// Writes the media that is due at `now`.
    fn generate(&mut self, now: Instant) {
        let Some(plan) = self.plan else { return };
        if !self.publ.is_connected() {
            return;
        }
        let frame_gap = Duration::from_secs(1) / plan.fps.max(1);
        if self.next_keyframe.is_none_or(|t| now >= t) {
            self.next_keyframe = Some(now + plan.keyframe_every);
            for l in &mut self.layers {
                l.want_keyframe = true;
            }
        }
        let mut sent = 0;
        if self.next_frame.is_none_or(|t| now >= t) {
            self.next_frame = Some(
                self.next_frame
                    .map_or(now, |t| t + frame_gap)
                    .max(now - frame_gap),
            );
            let fps = u64::from(plan.fps.max(1));
            let vp8 = local_pt(&self.publ, Codec::Vp8);
            for l in &mut self.layers {
                let key = std::mem::take(&mut l.want_keyframe);
                let size = (l.bps / 8 / fps).max(200) as usize * if key { 3 } else { 1 };
                l.picture_id = (l.picture_id + 1) & 0x7fff;
                l.tl0 = l.tl0.wrapping_add(1);
                l.ts = l.ts.wrapping_add(90_000 / plan.fps.max(1));
                let mut left = size;
                let mut first = true;
                while left > 0 {
                    let chunk = left.min(1100);
                    left -= chunk;
                    let payload = vp8_payload(first, key, l.picture_id, l.tl0, chunk);
                    first = false;
                    let Some(pt) = vp8 else { break };
                    if let Some(tx) = self.publ.direct_api().stream_tx_by_mid(l.mid, l.rid) {
                        tx.write_rtp(
                            RtpWrite::new(pt, SeqNo::from(l.seq), l.ts, now, payload)
                                .marker(left == 0)
                                .nackable(true),
                        );
                        sent += 1;
                    }
                    l.seq += 1;
                }
            }
        }
        if let Some(a) = self.audio.as_mut() {
            if self.next_audio.is_none_or(|t| now >= t) {
                let gap = Duration::from_millis(20);
                self.next_audio = Some(self.next_audio.map_or(now, |t| t + gap).max(now - gap));
                a.ts = a.ts.wrapping_add(960);
                let start = *self.audio_start.get_or_insert(now);
                let voice = plan.voice;
                let talking = voice.talking(now.saturating_duration_since(start));
                // Talking: every frame. Silent: one DTX packet per 400 ms (the first at once).
                let send = talking || self.dtx_frames == 0;
                self.dtx_frames = if talking {
                    0
                } else {
                    (self.dtx_frames + 1) % DTX_EVERY
                };
                let pt = local_pt(&self.publ, Codec::Opus);
                if send {
                    if let (Some(pt), Some(tx)) =
                        (pt, self.publ.direct_api().stream_tx_by_mid(a.mid, None))
                    {
                        let ext = ExtensionValues {
                            audio_level: Some(if talking {
                                voice.level
                            } else {
                                voice.noise_level
                            }),
                            voice_activity: Some(talking),
                            ..Default::default()
                        };
                        let size = if talking { 80 } else { 3 };
                        tx.write_rtp(
                            RtpWrite::new(pt, SeqNo::from(a.seq), a.ts, now, vec![0x78u8; size])
                                .ext_vals(ext),
                        );
                        sent += 1;
                    }
                    a.seq += 1;
                }
            }
        }
        if sent > 0 {
            self.stats
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .sent_packets += sent;
        }
    }

    /// Asks for a keyframe on every received video stream (as a browser does after loss).
    pub fn request_keyframes(&mut self) {
        if let Some(sub) = self.sub.as_mut() {
            let mids: Vec<Mid> = self
                .sub_kinds
                .iter()
                .filter(|(_, k)| **k == MediaKind::Video)
                .map(|(m, _)| *m)
                .collect();
            for mid in mids {
                if let Some(rx) = sub.direct_api().stream_rx_by_mid(mid, None) {
                    rx.request_keyframe(KeyframeRequestKind::Pli);
                }
            }
        }
    }
}

/// A VP8 RTP payload: descriptor with 15-bit picture id, TL0PICIDX and TID, then (on the first
/// packet) a frame tag whose P bit says key or delta frame.
pub fn vp8_payload(first: bool, key: bool, picture_id: u16, tl0: u8, size: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(size.max(8));
    p.push(0x80 | if first { 0x10 } else { 0 });
    // I (picture id), L (TL0PICIDX), T (temporal layer index) present.
    p.push(0xe0);
    p.push(0x80 | ((picture_id >> 8) as u8 & 0x7f));
    p.push(picture_id as u8);
    p.push(tl0);
    // TID 0, Y 1.
    p.push(0x20);
    if first {
        // Frame tag: bit 0 = P (0 = keyframe), then a keyframe's start code and size.
        p.push(if key { 0x10 } else { 0x11 });
        p.push(0x02);
        p.push(0x00);
        if key {
            p.extend_from_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]);
        }
    }
    p.resize(size.max(p.len()), 0x55);
    p
}

/// What the caller tells a running synthetic participant.
pub enum Command {
    Publish(
        PublishPlan,
        oneshot::Sender<(String, Vec<(String, Source)>)>,
    ),
    PubAnswer(String, oneshot::Sender<Result<(), String>>),
    SubOffer(String, oneshot::Sender<Result<String, String>>),
    RequestKeyframes,
}

/// A synthetic participant running on its own UDP sockets until `commands` closes.
pub struct Handle {
    pub commands: mpsc::UnboundedSender<Command>,
    pub stats: Arc<Mutex<Stats>>,
}

impl Handle {
    pub async fn publish(&self, plan: PublishPlan) -> Option<(String, Vec<(String, Source)>)> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::Publish(plan, tx)).ok()?;
        rx.await.ok()
    }

    pub async fn pub_answer(&self, sdp: String) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::PubAnswer(sdp, tx))
            .map_err(|_| "stopped".to_string())?;
        rx.await.map_err(|_| "stopped".to_string())?
    }

    pub async fn sub_offer(&self, sdp: String) -> Result<String, String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::SubOffer(sdp, tx))
            .map_err(|_| "stopped".to_string())?;
        rx.await.map_err(|_| "stopped".to_string())?
    }
}

/// Binds two UDP sockets on `ip` and drives a new synthetic participant on them.
pub async fn spawn(ip: std::net::IpAddr) -> std::io::Result<Handle> {
    let pub_socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let sub_socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
    let synthetic = Synthetic::new(
        pub_socket.local_addr()?,
        sub_socket.local_addr()?,
        Instant::now(),
    );
    let stats = Arc::clone(&synthetic.stats);
    let (commands, rx) = mpsc::unbounded_channel();
    tokio::spawn(run(synthetic, pub_socket, sub_socket, rx));
    Ok(Handle { commands, stats })
}

async fn run(
    mut s: Synthetic,
    pub_socket: UdpSocket,
    sub_socket: UdpSocket,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut buf = vec![0u8; 2048];
    let mut buf2 = vec![0u8; 2048];
    let (pub_addr, sub_addr) = (s.local_pub, s.local_sub);
    loop {
        let next = s.poll();
        while let Some((from, to, data)) = s.poll_transmit() {
            let socket = if from == sub_addr {
                &sub_socket
            } else {
                &pub_socket
            };
            let _ = socket.try_send_to(&data, to);
        }
        let next = next.max(Instant::now() + Duration::from_micros(200));
        tokio::select! {
            cmd = commands.recv() => {
                let now = Instant::now();
                match cmd {
                    None => return,
                    Some(Command::Publish(plan, reply)) => {
                        let _ = reply.send(s.publish_offer(plan));
                    }
                    Some(Command::PubAnswer(sdp, reply)) => {
                        let _ = reply.send(s.pub_answer(&sdp));
                    }
                    Some(Command::SubOffer(sdp, reply)) => {
                        let _ = reply.send(s.sub_offer(&sdp, now));
                    }
                    Some(Command::RequestKeyframes) => s.request_keyframes(),
                }
            }
            r = pub_socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = r {
                    s.handle_datagram(Instant::now(), from, pub_addr, &buf[..n]);
                }
            }
            r = sub_socket.recv_from(&mut buf2) => {
                if let Ok((n, from)) = r {
                    s.handle_datagram(Instant::now(), from, sub_addr, &buf2[..n]);
                }
            }
            _ = tokio::time::sleep_until(next.into()) => {
                s.handle_timeout(Instant::now());
            }
        }
    }
}

//! The room driven without sockets: synthetic str0m participants and the SFU exchange datagrams
//! through an in-memory network on a simulated clock — real ICE, DTLS and SRTP, deterministic
//! time.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kantor_sfu::forward::Want;
use kantor_sfu::room::{Output, Room, RoomConfig, Signal, Source, TrackInfo};
use kantor_sfu::synthetic::{PublishPlan, Synthetic, Voice};
use uuid::Uuid;

const SFU: &str = "10.0.0.1:7882";

struct Net {
    now: Instant,
    room: Room,
    peers: Vec<(Uuid, Synthetic, [SocketAddr; 2])>,
    /// Signalling to deliver to peers.
    signals: Vec<(Uuid, Signal)>,
    speaker: Option<Uuid>,
    /// Per receiving peer: subscribe mid → whose track, from the latest offer.
    tracks: HashMap<Uuid, BTreeMap<String, TrackInfo>>,
    /// Tile size each peer asks for.
    tile: HashMap<Uuid, (u32, u32)>,
    /// Simulated time per step: datagrams sent within a step arrive together at its end.
    step: Duration,
}

impl Net {
    fn new() -> Net {
        Net::with(RoomConfig::default())
    }

    fn with(config: RoomConfig) -> Net {
        let now = Instant::now();
        let room = Room::new(RoomConfig {
            candidates: vec![SFU.parse().expect("addr")],
            ..config
        });
        Net {
            now,
            room,
            peers: Vec::new(),
            signals: Vec::new(),
            speaker: None,
            tracks: HashMap::new(),
            tile: HashMap::new(),
            step: Duration::from_millis(5),
        }
    }

    fn add(&mut self) -> usize {
        let i = self.peers.len();
        let a: SocketAddr = format!("10.0.1.{}:5000", i + 1).parse().expect("addr");
        let b: SocketAddr = format!("10.0.1.{}:5001", i + 1).parse().expect("addr");
        let id = Uuid::now_v7();
        self.peers
            .push((id, Synthetic::new(a, b, self.now), [a, b]));
        self.room.add_peer(id, self.now);
        self.pump();
        i
    }

    fn publish(&mut self, i: usize, plan: PublishPlan) {
        let (sdp, labels) = self.peers[i].1.publish_offer(plan);
        let id = self.peers[i].0;
        self.room.pub_offer(id, &sdp, self.now);
        self.room.label_tracks(id, &labels, self.now);
        self.pump();
    }

    /// Moves everything queued: signalling and datagrams, until quiet.
    fn pump(&mut self) {
        for _ in 0..100 {
            let mut moved = false;
            while let Some(out) = self.room.poll_output() {
                moved = true;
                match out {
                    Output::Transmit {
                        destination,
                        contents,
                        ..
                    } => {
                        if let Some(p) = self.peers.iter_mut().find(|p| p.2.contains(&destination))
                        {
                            let sfu = SFU.parse().expect("addr");
                            p.1.handle_datagram(self.now, sfu, destination, &contents);
                        }
                    }
                    Output::Signal { peer, signal } => self.signals.push((peer, signal)),
                    Output::Speaker(s) => self.speaker = s,
                    Output::Ufrag { .. } | Output::AddrGone(_) => {}
                }
            }
            for (id, signal) in std::mem::take(&mut self.signals) {
                let Some(p) = self.peers.iter_mut().find(|p| p.0 == id) else {
                    continue;
                };
                match signal {
                    Signal::PubAnswer { sdp } => p.1.pub_answer(&sdp).expect("pub answer"),
                    Signal::SubOffer { sdp, tracks } => {
                        let answer = p.1.sub_offer(&sdp, self.now).expect("sub offer");
                        self.room.sub_answer(id, &answer, self.now);
                        let (w, h) = self.tile.get(&id).copied().unwrap_or((640, 360));
                        let view = view_of(&tracks, w, h);
                        self.room.set_view(id, view, self.now);
                        self.tracks.insert(id, tracks);
                    }
                    Signal::Error { code, message } => panic!("{code}: {message}"),
                }
                moved = true;
            }
            let sfu: SocketAddr = SFU.parse().expect("addr");
            for (_, p, _) in &mut self.peers {
                p.poll();
                while let Some((from, to, data)) = p.poll_transmit() {
                    assert_eq!(to, sfu);
                    moved = true;
                    self.room.handle_packet(self.now, from, sfu, &data);
                }
            }
            if !moved {
                return;
            }
        }
    }

    /// Advances the simulated clock in small steps.
    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        while self.now < end {
            self.now += self.step;
            self.room.handle_timeout(self.now);
            for (_, p, _) in &mut self.peers {
                p.handle_timeout(self.now);
            }
            self.pump();
        }
    }

    /// Shows every remote video of peer `i` at `w`×`h`.
    fn set_tile(&mut self, i: usize, w: u32, h: u32) {
        let id = self.peers[i].0;
        self.tile.insert(id, (w, h));
        if let Some(tracks) = self.tracks.get(&id) {
            let view = view_of(tracks, w, h);
            self.room.set_view(id, view, self.now);
        }
        self.pump();
    }

    /// (packets, bytes, lost) peer `i` received so far from peer `from`'s camera.
    fn cam_from(&self, i: usize, from: usize) -> (u64, u64, u64) {
        let from_id = self.peers[from].0;
        let Some(tracks) = self.tracks.get(&self.peers[i].0) else {
            return (0, 0, 0);
        };
        let s = self.peers[i].1.stats.lock().expect("stats");
        tracks
            .iter()
            .filter(|(_, t)| t.peer == from_id && t.source == Source::Cam)
            .filter_map(|(mid, _)| s.received.get(mid))
            .fold((0, 0, 0), |a, r| {
                (a.0 + r.packets, a.1 + r.bytes, a.2 + r.lost())
            })
    }

    /// (packets, lost) peer `i` received so far from peer `from`'s microphone.
    fn mic_from(&self, i: usize, from: usize) -> (u64, u64) {
        let from_id = self.peers[from].0;
        let Some(tracks) = self.tracks.get(&self.peers[i].0) else {
            return (0, 0);
        };
        let s = self.peers[i].1.stats.lock().expect("stats");
        tracks
            .iter()
            .filter(|(_, t)| t.peer == from_id && t.source == Source::Mic)
            .filter_map(|(mid, _)| s.received.get(mid))
            .fold((0, 0), |a, r| (a.0 + r.packets, a.1 + r.lost()))
    }

    /// Whose microphones peer `i` received packets from during the next `d`.
    fn heard_during(&mut self, i: usize, d: Duration) -> Vec<usize> {
        let n = self.peers.len();
        let before: Vec<u64> = (0..n).map(|f| self.mic_from(i, f).0).collect();
        self.run(d);
        (0..n)
            .filter(|f| self.mic_from(i, *f).0 > before[*f])
            .collect()
    }

    fn videos_received(&self, i: usize) -> usize {
        let s = self.peers[i].1.stats.lock().expect("stats");
        s.received
            .values()
            .filter(|r| r.keyframes > 0 && r.packets > 10)
            .count()
    }
}

fn view_of(tracks: &BTreeMap<String, TrackInfo>, w: u32, h: u32) -> HashMap<String, Want> {
    tracks
        .values()
        .filter(|t| t.source != Source::Mic)
        .map(|t| {
            (
                t.track.clone(),
                Want {
                    visible: true,
                    width: w,
                    height: h,
                },
            )
        })
        .collect()
}

#[test]
fn three_peers_receive_each_others_video_and_audio() {
    let mut net = Net::new();
    for _ in 0..3 {
        net.add();
    }
    for i in 0..3 {
        net.publish(i, PublishPlan::default());
    }
    net.run(Duration::from_secs(4));
    for i in 0..3 {
        let s = net.peers[i].1.stats.lock().expect("stats");
        assert!(s.connected, "peer {i} connected");
        drop(s);
        assert_eq!(
            net.videos_received(i),
            2,
            "peer {i} gets two videos: {:?}",
            net.peers[i].1.stats.lock().expect("s")
        );
    }
    let stats = net.room.stats();
    assert!(stats.forwarded_packets > 1000, "{stats:?}");
    assert!(net.speaker.is_some(), "someone is speaking");
}

#[test]
fn the_layer_follows_the_tile_and_the_stream_stays_continuous() {
    let mut net = Net::new();
    // Fine steps: coarse ones look like queueing delay to the bandwidth estimator.
    net.step = Duration::from_millis(1);
    net.add();
    net.add();
    net.set_tile(1, 320, 180);
    net.publish(0, PublishPlan::default());
    net.run(Duration::from_secs(3));
    let (_, b0, _) = net.cam_from(1, 0);
    net.run(Duration::from_secs(2));
    let (_, b1, lost_small) = net.cam_from(1, 0);
    let small_bps = (b1 - b0) * 8 / 2;
    assert!(
        (100_000..250_000).contains(&small_bps),
        "a 320×180 tile gets the q layer (~150 kbps): {small_bps}"
    );
    // A big tile: the f layer after its next keyframe, numbering continuous (no loss seen).
    net.set_tile(1, 1280, 720);
    net.run(Duration::from_secs(3));
    let (_, b2, _) = net.cam_from(1, 0);
    net.run(Duration::from_secs(2));
    let (_, b3, lost_big) = net.cam_from(1, 0);
    let big_bps = (b3 - b2) * 8 / 2;
    assert!(
        big_bps > 1_000_000,
        "a 1280×720 tile gets the f layer: {big_bps}"
    );
    assert_eq!(
        (lost_small, lost_big),
        (0, 0),
        "the switch left no sequence gap"
    );
    // Hidden: nothing more.
    let id = net.peers[1].0;
    net.room.set_view(id, HashMap::new(), net.now);
    net.run(Duration::from_millis(300));
    let (p4, _, _) = net.cam_from(1, 0);
    net.run(Duration::from_secs(1));
    assert_eq!(net.cam_from(1, 0).0, p4, "a hidden tile gets no video");
}

#[test]
fn data_saver_keeps_the_lowest_layer() {
    let mut net = Net::new();
    net.add();
    net.add();
    net.set_tile(1, 1280, 720);
    net.publish(0, PublishPlan::default());
    let id = net.peers[1].0;
    net.room.set_mode(id, true, false, net.now);
    net.run(Duration::from_secs(3));
    let (_, b0, _) = net.cam_from(1, 0);
    net.run(Duration::from_secs(2));
    let (_, b1, _) = net.cam_from(1, 0);
    let bps = (b1 - b0) * 8 / 2;
    assert!(bps < 250_000, "hemat data: the q layer only ({bps} bps)");
}

#[test]
fn a_removed_peer_stops_at_once_and_its_tracks_are_withdrawn() {
    let mut net = Net::new();
    for _ in 0..3 {
        net.add();
    }
    for i in 0..3 {
        net.publish(i, PublishPlan::default());
    }
    net.run(Duration::from_secs(3));
    assert!(net.cam_from(0, 2).0 > 50);
    let gone = net.peers[2].0;
    net.room.remove_peer(gone, net.now);
    net.pump();
    let before = net.cam_from(0, 2).0;
    net.run(Duration::from_secs(1));
    assert_eq!(
        net.cam_from(0, 2).0,
        before,
        "nothing more from a removed peer"
    );
    for i in 0..2 {
        let tracks = &net.tracks[&net.peers[i].0];
        assert!(
            tracks.values().all(|t| t.peer != gone),
            "peer {i}'s latest offer no longer carries the removed peer's tracks"
        );
    }
    // The others go on.
    let (p, _, _) = net.cam_from(0, 1);
    net.run(Duration::from_secs(1));
    assert!(net.cam_from(0, 1).0 > p + 20);
    assert_eq!(net.room.peer_count(), 2);
}

#[test]
fn a_sender_above_its_cap_is_clamped() {
    let mut net = Net::with(RoomConfig {
        cap_cam_bps: 1_000_000,
        ..RoomConfig::default()
    });
    net.add();
    net.add();
    net.set_tile(1, 1280, 720);
    net.publish(
        0,
        PublishPlan {
            layer_bps: [150_000, 500_000, 4_000_000],
            ..PublishPlan::default()
        },
    );
    net.run(Duration::from_secs(3));
    let (_, b0, _) = net.cam_from(1, 0);
    net.run(Duration::from_secs(3));
    let (_, b1, _) = net.cam_from(1, 0);
    let bps = (b1 - b0) * 8 / 3;
    assert!(bps <= 1_100_000, "forwarded at most the cap: {bps}");
    assert!(
        net.room.stats().clamped_packets > 100,
        "{:?}",
        net.room.stats()
    );
}

/// Audio only, talking all the time at `level` dBov.
fn talker(level: i8) -> PublishPlan {
    PublishPlan {
        video: false,
        voice: Voice {
            level,
            ..Voice::default()
        },
        ..PublishPlan::default()
    }
}

#[test]
fn each_peer_hears_only_the_three_loudest_others() {
    let mut net = Net::new();
    let levels = [-20, -25, -30, -35, -40, -45];
    for _ in levels {
        net.add();
    }
    for (i, level) in levels.into_iter().enumerate() {
        net.publish(i, talker(level));
    }
    net.run(Duration::from_secs(2));
    for i in 0..levels.len() {
        let heard = net.heard_during(i, Duration::from_secs(1));
        let loudest_others: Vec<usize> = (0..levels.len()).filter(|f| *f != i).take(3).collect();
        assert_eq!(heard, loudest_others, "peer {i}");
    }
    assert_eq!(
        net.speaker,
        Some(net.peers[0].0),
        "the loudest is the speaker"
    );
    for i in 0..levels.len() {
        for from in 0..levels.len() {
            assert_eq!(net.mic_from(i, from).1, 0, "no loss from {from} at {i}");
        }
    }
}

#[test]
fn a_louder_talker_takes_a_place_while_talking_and_the_resumed_stream_shows_no_loss() {
    let mut net = Net::new();
    for _ in 0..5 {
        net.add();
    }
    for (i, level) in [-20, -25, -30].into_iter().enumerate() {
        net.publish(i, talker(level));
    }
    // Peer 3 talks loudly for 1 s, then is silent (DTX) for 1.5 s, and again; peer 4 listens.
    net.publish(
        3,
        PublishPlan {
            video: false,
            voice: Voice {
                level: -18,
                talk: Duration::from_secs(1),
                pause: Duration::from_millis(1500),
                phase: Duration::from_millis(1500),
                ..Voice::default()
            },
            ..PublishPlan::default()
        },
    );
    net.publish(
        4,
        PublishPlan {
            video: false,
            voice: Voice::silent(),
            ..PublishPlan::default()
        },
    );
    // Peer 3 starts silent: the three steady talkers are heard.
    net.run(Duration::from_millis(300));
    assert_eq!(
        net.heard_during(4, Duration::from_millis(700)),
        vec![0, 1, 2]
    );
    // While 3 talks it displaces the quietest (2); after it stops, 2 is back.
    net.run(Duration::from_millis(300));
    assert_eq!(
        net.heard_during(4, Duration::from_millis(600)),
        vec![0, 1, 3]
    );
    net.run(Duration::from_millis(600));
    assert_eq!(
        net.heard_during(4, Duration::from_millis(800)),
        vec![0, 1, 2]
    );
    // Several rounds later: 2's stream was paused and resumed each time, 3's came and went,
    // and the listener saw no gap in either (numbering continuous).
    net.run(Duration::from_secs(5));
    let (from2, lost2) = net.mic_from(4, 2);
    let (from3, lost3) = net.mic_from(4, 3);
    assert!(from2 > 100 && from3 > 100, "{from2} {from3}");
    assert_eq!((lost2, lost3), (0, 0));
    // Nobody ever hears themselves, and the silent listener is heard by nobody.
    for i in 0..5 {
        assert_eq!(net.mic_from(i, i).0, 0);
        assert_eq!(
            net.mic_from(i, 4).0,
            0,
            "peer {i} got the silent peer's DTX"
        );
    }
}

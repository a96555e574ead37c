//! The room driven without sockets: synthetic str0m participants and the SFU exchange datagrams
//! through an in-memory network on a simulated clock — real ICE, DTLS and SRTP, deterministic
//! time.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use kantor_sfu::forward::Want;
use kantor_sfu::room::{Output, Room, RoomConfig, Signal, TrackInfo};
use kantor_sfu::synthetic::{PublishPlan, Synthetic};
use uuid::Uuid;

const SFU: &str = "10.0.0.1:7882";

struct Net {
    now: Instant,
    room: Room,
    peers: Vec<(Uuid, Synthetic, [SocketAddr; 2])>,
    /// Signalling to deliver to peers.
    signals: Vec<(Uuid, Signal)>,
    speaker: Option<Uuid>,
}

impl Net {
    fn new() -> Net {
        let now = Instant::now();
        let room = Room::new(RoomConfig {
            candidates: vec![SFU.parse().expect("addr")],
            ..RoomConfig::default()
        });
        Net {
            now,
            room,
            peers: Vec::new(),
            signals: Vec::new(),
            speaker: None,
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
        let labels: Vec<(String, kantor_sfu::room::Source)> = labels;
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
                        let view = view_of(&tracks, 640, 360);
                        self.room.set_view(id, view, self.now);
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
            self.now += Duration::from_millis(5);
            self.room.handle_timeout(self.now);
            for (_, p, _) in &mut self.peers {
                p.handle_timeout(self.now);
            }
            self.pump();
        }
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
        .filter(|t| t.source != kantor_sfu::room::Source::Mic)
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

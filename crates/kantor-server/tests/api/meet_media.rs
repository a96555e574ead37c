//! Meeting media end to end: synthetic participants (str0m, real ICE/DTLS/SRTP) join through
//! the REST join and the meeting WebSocket, publish simulcast video and audio, and receive each
//! other through the SFU — on SQLite and PostgreSQL. Also: garbage on the media port during a
//! call, malformed signalling, host mute and removal cutting media.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use kantor_core::role::Role;
use kantor_sfu::synthetic::{self, Handle, PublishPlan};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{on_both, str_of, Client, TestServer, User};

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A participant: their meeting socket, driven by a task that answers SDP through the
/// synthetic peer and reports every other message.
struct Participant {
    id: String,
    peer: Handle,
    send: mpsc::UnboundedSender<Value>,
    msgs: mpsc::UnboundedReceiver<Value>,
    /// The media port, from the candidate in the room's SDP.
    media: Option<SocketAddr>,
}

async fn open_socket(base: &str, token: &str) -> Stream {
    let url = format!("{}/api/v1/meet/ws", base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("meeting ws");
    ws.send(Message::Text(
        json!({"t": "hello", "token": token}).to_string().into(),
    ))
    .await
    .expect("hello");
    ws
}

async fn join(client: &Client, number: &str, passcode: &str, name: Option<&str>) -> Value {
    let mut body = json!({"number": number, "passcode": passcode});
    if let Some(n) = name {
        body["name"] = json!(n);
        body["device_key"] = json!(uuid::Uuid::now_v7().to_string());
    }
    client.post("/api/v1/meet/join", body).await.expect(200)
}

impl Participant {
    /// Joins, opens the socket, and (when admitted) starts answering SDP.
    async fn enter(client: &Client, joined: &Value, view_wh: (u32, u32)) -> Participant {
        let token = str_of(&joined["token"]);
        let id = str_of(&joined["participant"]["id"]);
        let ws = open_socket(&client.base, &token).await;
        let peer = synthetic::spawn([127, 0, 0, 1].into()).await.expect("udp");
        let (send, mut outgoing) = mpsc::unbounded_channel::<Value>();
        let (report, msgs) = mpsc::unbounded_channel::<Value>();
        let commands = peer.commands.clone();
        let handle = Handle {
            commands,
            stats: peer.stats.clone(),
        };
        tokio::spawn(async move {
            let (mut sink, mut stream) = ws.split();
            loop {
                tokio::select! {
                    out = outgoing.recv() => {
                        let Some(v) = out else { break };
                        if sink.send(Message::Text(v.to_string().into())).await.is_err() { break; }
                    }
                    msg = stream.next() => {
                        let v: Value = match msg {
                            Some(Ok(Message::Text(t))) => serde_json::from_str(t.as_str()).expect("json"),
                            Some(Ok(Message::Close(f))) => {
                                let _ = report.send(json!({"t": "closed", "code": f.map(|f| u16::from(f.code))}));
                                break;
                            }
                            Some(Ok(_)) => continue,
                            _ => { let _ = report.send(json!({"t": "closed"})); break; }
                        };
                        match v["t"].as_str() {
                            Some("pub_answer") => {
                                handle.pub_answer(str_of(&v["sdp"])).await.expect("pub answer accepted");
                                let _ = report.send(v);
                            }
                            Some("sub_offer") => {
                                let answer = match handle.sub_offer(str_of(&v["sdp"])).await {
                                    Ok(a) => a,
                                    Err(e) => panic!("sub offer refused: {e}: {v}"),
                                };
                                let _ = sink.send(Message::Text(json!({"t": "sub_answer", "sdp": answer}).to_string().into())).await;
                                let tracks: BTreeMap<String, Value> = serde_json::from_value(v["tracks"].clone()).unwrap_or_default();
                                let view: serde_json::Map<String, Value> = tracks.values()
                                    .filter(|t| t["source"] != "mic")
                                    .map(|t| (str_of(&t["track"]), json!({"w": view_wh.0, "h": view_wh.1})))
                                    .collect();
                                let _ = sink.send(Message::Text(json!({"t": "view", "tracks": view}).to_string().into())).await;
                                let _ = report.send(v);
                            }
                            _ => { let _ = report.send(v); }
                        }
                    }
                }
            }
        });
        Participant {
            id,
            peer,
            send,
            msgs,
            media: None,
        }
    }

    /// The next message of type `t` (others are skipped).
    async fn expect(&mut self, t: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = tokio::time::timeout(left, self.msgs.recv())
                .await
                .unwrap_or_else(|_| panic!("no {t} message in time"))
                .unwrap_or_else(|| panic!("socket ended before {t}"));
            if v["t"] == "pub_answer" && self.media.is_none() {
                self.media = candidate_port(&str_of(&v["sdp"]));
            }
            if v["t"] == t {
                return v;
            }
            assert_ne!(v["t"], "closed", "socket closed while waiting for {t}: {v}");
        }
    }

    async fn publish(&mut self, plan: PublishPlan) {
        let (sdp, labels) = self.peer.publish(plan).await.expect("offer");
        let tracks: Vec<Value> = labels
            .iter()
            .map(|(mid, s)| json!({"mid": mid, "source": s}))
            .collect();
        self.send
            .send(json!({"t": "pub_offer", "sdp": sdp, "tracks": tracks}))
            .expect("send");
        self.send
            .send(json!({"t": "state", "mic": plan.audio, "cam": true, "screen": false}))
            .expect("send");
        self.expect("pub_answer").await;
    }

    /// Video packets received so far from each remote video m-line with a keyframe.
    fn video_streams_with_keyframes(&self) -> usize {
        let s = self.peer.stats.lock().expect("stats");
        s.received
            .values()
            .filter(|r| r.keyframes > 0 && r.packets > 10)
            .count()
    }

    fn packets(&self) -> u64 {
        let s = self.peer.stats.lock().expect("stats");
        s.received.values().map(|r| r.packets).sum()
    }

    fn audio_packets(&self) -> u64 {
        let s = self.peer.stats.lock().expect("stats");
        s.received
            .values()
            .filter(|r| r.kind == Some(kantor_sfu::str0m::media::MediaKind::Audio))
            .map(|r| r.packets)
            .sum()
    }
}

fn candidate_port(sdp: &str) -> Option<SocketAddr> {
    sdp.lines().find_map(|l| {
        let rest = l.strip_prefix("a=candidate:")?;
        let parts: Vec<&str> = rest.split_whitespace().collect();
        format!("{}:{}", parts.get(4)?, parts.get(5)?).parse().ok()
    })
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A host action on a participant (`mute`, `remove`, `admit`, …), answered 204.
async fn act(owner: &User, meeting_id: &str, participant: &str, action: &str) {
    owner
        .client
        .post(
            &owner.org_path(&format!(
                "/meetings/{meeting_id}/participants/{participant}/{action}"
            )),
            json!({}),
        )
        .await
        .expect(204);
}

/// Proves an absence: after in-flight packets have landed (0.5 s), `count` does not grow (by
/// more than a straggler or two) over the next 0.8 s. Only a wait can show that nothing comes.
async fn stays_quiet(what: &str, count: impl Fn() -> u64) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = count();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(count() <= before + 2, "{what}");
}

async fn meeting(owner: &User) -> (String, String, String) {
    let m = owner
        .client
        .post(&owner.org_path("/meetings"), json!({"title": "Rapat staf"}))
        .await
        .expect(201);
    (
        str_of(&m["id"]),
        str_of(&m["number"]),
        str_of(&m["passcode"]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_participants_receive_each_other_and_garbage_changes_nothing() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let budi = server.seed_member(&owner.org_id, Role::Member).await;
        let (_, number, passcode) = meeting(&owner).await;

        let mut people = Vec::new();
        for u in [&owner, &ani, &budi] {
            let joined = join(&u.client, &number, &passcode, None).await;
            assert_eq!(joined["participant"]["state"], "admitted");
            let mut p = Participant::enter(&u.client, &joined, (640, 360)).await;
            let welcome = p.expect("welcome").await;
            assert_eq!(welcome["you"]["id"], json!(p.id));
            people.push(p);
        }
        for p in &mut people {
            p.publish(PublishPlan::default()).await;
        }
        // Everyone receives the two others' video (with keyframes) and audio.
        for (i, p) in people.iter().enumerate() {
            let what = format!("participant {i} to receive two videos");
            wait_for(&what, || p.video_streams_with_keyframes() >= 2).await;
            wait_for("audio", || p.audio_packets() > 20).await;
        }

        // Garbage to the media port during the call: random bytes, a fake RTP header, STUN
        // naming an unknown ufrag and a known one with no valid integrity.
        let media = people[0].media.expect("media port in the answer");
        let before: Vec<u64> = people.iter().map(Participant::packets).collect();
        let junk = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("udp");
        let mut garbage: Vec<Vec<u8>> = vec![
            vec![0xff; 1200],
            vec![],
            vec![
                0x80, 0x60, 0, 1, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3,
            ],
            vec![0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3],
        ];
        let mut stun = vec![0x00, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42];
        stun.extend_from_slice(&[9; 12]);
        stun.extend_from_slice(&[0x00, 0x06, 0x00, 0x08]);
        stun.extend_from_slice(b"nope:abc");
        garbage.push(stun);
        for i in 0..500u32 {
            let mut g = garbage[(i as usize) % garbage.len()].clone();
            if let Some(b) = g.get_mut(3) {
                *b = i as u8;
            }
            let _ = junk.send_to(&g, media).await;
        }
        for (i, p) in people.iter().enumerate() {
            let was = before[i];
            wait_for("media to keep flowing after garbage", || {
                p.packets() > was + 50
            })
            .await;
        }

        // Malformed signalling: an error on that socket only, which stays usable.
        people[1]
            .send
            .send(json!({"t": "pub_offer", "sdp": "v=0 nonsense"}))
            .expect("send");
        let e = people[1].expect("error").await;
        assert_eq!(e["code"], "meeting.sdp_invalid");
        people[1]
            .send
            .send(json!({"t": "no_such_thing"}))
            .expect("send");
        let e = people[1].expect("error").await;
        assert_eq!(e["code"], "meeting.bad_message");
        people[1]
            .send
            .send(json!({"t": "hand", "up": true}))
            .expect("send");
        let raised = json!(people[1].id);
        loop {
            let peer = people[0].expect("peer").await;
            if peer["peer"]["id"] == raised && peer["peer"]["hand"] == true {
                break;
            }
        }
        let was = people[2].packets();
        wait_for("media after bad signalling", || {
            people[2].packets() > was + 50
        })
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_mute_stops_audio_and_removal_ends_media() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let (meeting_id, number, passcode) = meeting(&owner).await;
        let joined_host = join(&owner.client, &number, &passcode, None).await;
        let mut host = Participant::enter(&owner.client, &joined_host, (320, 180)).await;
        host.expect("welcome").await;
        let joined = join(&ani.client, &number, &passcode, None).await;
        let mut a = Participant::enter(&ani.client, &joined, (320, 180)).await;
        a.expect("welcome").await;
        a.publish(PublishPlan::default()).await;
        wait_for("host hears ani", || host.audio_packets() > 20).await;
        wait_for("host sees ani", || host.video_streams_with_keyframes() >= 1).await;

        // Mute: ani is told, and the host stops receiving her audio (video goes on).
        act(&owner, &meeting_id, &a.id, "mute").await;
        a.expect("muted_by_host").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let audio = host.audio_packets();
        let video = host.packets() - audio;
        // Video goes on (so time passes with media flowing), while her audio does not.
        wait_for("video while muted", || {
            host.packets() - host.audio_packets() > video + 40
        })
        .await;
        assert!(
            host.audio_packets() <= audio + 2,
            "no audio forwarded while muted"
        );
        // She unmutes herself: audio flows again.
        a.send
            .send(json!({"t": "state", "mic": true, "cam": true}))
            .expect("send");
        let again = host.audio_packets();
        wait_for("audio after self-unmute", || {
            host.audio_packets() > again + 20
        })
        .await;

        // Removal: her socket is closed and nothing more of hers is forwarded.
        act(&owner, &meeting_id, &a.id, "remove").await;
        a.expect("removed").await;
        host.expect("peer_left").await;
        stays_quiet("no media from a removed participant", || host.packets()).await;
        // The same link cannot bring her back.
        let r = ani
            .client
            .post(
                "/api/v1/meet/join",
                json!({"number": number, "passcode": passcode}),
            )
            .await;
        r.error(403, "meeting.removed");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiting_guest_sends_no_media_and_deactivation_ends_a_members_media() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let (meeting_id, number, passcode) = meeting(&owner).await;
        let joined_host = join(&owner.client, &number, &passcode, None).await;
        let mut host = Participant::enter(&owner.client, &joined_host, (320, 180)).await;
        host.expect("welcome").await;

        // A guest waits: the socket opens, but media is refused until admitted.
        let guest_client = server.client();
        let joined = join(&guest_client, &number, &passcode, Some("Tamu Dinas PU")).await;
        assert_eq!(joined["participant"]["state"], "waiting");
        let mut guest = Participant::enter(&guest_client, &joined, (320, 180)).await;
        guest.expect("waiting").await;
        // The host's waiting list gains the guest once their socket is there.
        loop {
            let list = host.expect("waiting_list").await;
            if list["waiting"][0]["id"] == json!(guest.id) {
                break;
            }
        }
        let (sdp, _) = guest
            .peer
            .publish(PublishPlan::default())
            .await
            .expect("offer");
        guest
            .send
            .send(json!({"t": "pub_offer", "sdp": sdp}))
            .expect("send");
        assert_eq!(guest.expect("error").await["code"], "meeting.not_admitted");
        act(&owner, &meeting_id, &guest.id, "admit").await;
        guest.expect("admitted").await;
        guest.expect("welcome").await;

        // A member in the call is deactivated: their media ends at once.
        let joined = join(&ani.client, &number, &passcode, None).await;
        let mut a = Participant::enter(&ani.client, &joined, (320, 180)).await;
        a.expect("welcome").await;
        a.publish(PublishPlan::default()).await;
        wait_for("host hears ani", || host.audio_packets() > 20).await;
        owner
            .client
            .post_empty(&owner.org_path(&format!("/members/{}/deactivate", ani.id)))
            .await
            .expect(200);
        a.expect("removed").await;
        host.expect("peer_left").await;
        stays_quiet("no media after deactivation", || host.audio_packets()).await;
    })
    .await;
}

//! Meetings over real media. Synthetic participants ([`kantor_sfu::synthetic`]: str0m with real
//! ICE, DTLS and SRTP, generated VP8-shaped video and Opus-sized audio) join the way the web app
//! does (docs/meet-protocol.md): `POST /api/v1/meet/join`, the meeting WebSocket's
//! `hello` → `welcome`, a `pub_offer` with its track labels → `pub_answer`, and for every
//! `sub_offer` a `sub_answer` and a `view` naming the remote video tracks at 640×360 (so the
//! room forwards the middle simulcast layer, `h`).
//!
//! - [`sfu`]: one publisher (three layers of about 150/500/1500 kbit/s plus audio) and N guests
//!   watching it, joined 20 at a time. Once every guest receives video, a window of fixed length
//!   is measured: packets the guests received per second, the server's CPU (from
//!   /proc/PID/stat), video streams per core of it, loss on the guests' video m-lines (sequence
//!   gaps), the server's media counters from /metrics, and this process's own CPU — a load
//!   generator near one full core means the figures measure it, not the server.
//! - [`join`]: while the publisher sends, participants join one after another; each is timed
//!   from its `POST /meet/join` to the first keyframe on its video m-line, with the stages in
//!   between (join answered, `welcome`, `sub_offer` answered).
//! - [`meeting`]: a large call — everyone publishes a microphone (a few talking in spurts at
//!   different levels, the rest silent with DTX), the first few also a camera; everyone views
//!   every camera at 320×180 (the `q` layer) and is forwarded the 3 loudest other microphones.
//!   Measured like `sfu` once everyone receives every camera: loss over every received m-line
//!   (audio and video), the server's CPU, audio streams heard at once.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use kantor_sfu::str0m::media::MediaKind;
use kantor_sfu::synthetic::{self, Handle, PublishPlan, Voice};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::server;

/// Tile size every viewer asks for in sfu and meeting-join: the room forwards the `h` layer.
const VIEW: (u32, u32) = (640, 360);
/// Tile size in the meeting bench's gallery: the room forwards the `q` layer.
const GALLERY_VIEW: (u32, u32) = (320, 180);
/// How long one signalling step (welcome, pub_answer) may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// Bytes each WebSocket read asks for (tungstenite zeroes its read buffer before each read).
const READ_BUFFER: usize = 16 * 1024;
/// After every subscriber receives video, before the window: the bandwidth estimates and layer
/// choices settle.
const SETTLE: Duration = Duration::from_secs(3);
/// meeting-join: the pause between one participant's first keyframe and the next join.
const JOIN_GAP: Duration = Duration::from_millis(250);
/// meeting-join: a participant without a keyframe by then counts as failed.
const KEYFRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// The server under test, as the sockets reach it.
pub struct Target {
    addr: SocketAddr,
    authority: String,
}

impl Target {
    pub async fn new(url: &str) -> anyhow::Result<Self> {
        let (addr, authority) = crate::http::resolve(url).await?;
        Ok(Self { addr, authority })
    }

    /// One HTTP/1.1 request on a fresh connection (`Connection: close`): status and body.
    async fn request(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let body = body.map(Value::to_string).unwrap_or_default();
        let auth = bearer
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{auth}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.authority,
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body.as_bytes());
        let mut stream = TcpStream::connect(self.addr)
            .await
            .with_context(|| format!("cannot connect to {}", self.authority))?;
        stream.set_nodelay(true)?;
        stream.write_all(&request).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(offset) = response.parse(&raw)? else {
            bail!("incomplete response to {method} {path}")
        };
        Ok((response.code.unwrap_or(0), raw[offset..].to_vec()))
    }

    async fn json(
        &self,
        method: &str,
        path: &str,
        bearer: Option<&str>,
        body: &Value,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, raw) = self.request(method, path, bearer, Some(body)).await?;
        if status != want {
            bail!(
                "{method} {path}: {status} (wanted {want}): {}",
                String::from_utf8_lossy(&raw)
            );
        }
        serde_json::from_slice(&raw).with_context(|| format!("{method} {path}: not JSON"))
    }

    /// The server's media counters from /metrics.
    async fn media_counters(&self) -> anyhow::Result<MediaCounters> {
        let (status, raw) = self.request("GET", "/metrics", None, None).await?;
        if status != 200 {
            bail!("GET /metrics: {status}");
        }
        let text = String::from_utf8_lossy(&raw);
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or(0u64)
        };
        Ok(MediaCounters {
            received: value("kantor_media_datagrams_received_total"),
            sent: value("kantor_media_datagrams_sent_total"),
            unrouted: value("kantor_media_datagrams_unrouted_total"),
            queue_full: value("kantor_media_datagrams_queue_full_total"),
            send_failed: value("kantor_media_send_failed_total"),
        })
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct MediaCounters {
    received: u64,
    sent: u64,
    unrouted: u64,
    queue_full: u64,
    send_failed: u64,
}

/// A meeting to join.
pub struct Meeting {
    number: String,
    passcode: String,
}

/// Creates a live meeting as the owner (API token): no waiting room, guests allowed.
pub async fn create_meeting(target: &Target, org_id: &str, token: &str) -> anyhow::Result<Meeting> {
    let m = target
        .json(
            "POST",
            &format!("/api/v1/orgs/{org_id}/meetings"),
            Some(token),
            &json!({"title": "Kantor bench", "waiting_room": "off", "allow_guests": true}),
            201,
        )
        .await?;
    let field = |k: &str| {
        m[k].as_str()
            .map(str::to_string)
            .with_context(|| format!("the new meeting has no {k}"))
    };
    if m["waiting_room"] != "off" || m["allow_guests"] != true {
        bail!("the meeting was created with other settings: {m}");
    }
    Ok(Meeting {
        number: field("number")?,
        passcode: field("passcode")?,
    })
}

/// Who joins: the owner (by API token, so as host) or a guest.
enum Who<'a> {
    Member(&'a str),
    Guest(String),
}

/// The participant token from `POST /meet/join`.
async fn join_meeting(target: &Target, meeting: &Meeting, who: Who<'_>) -> anyhow::Result<String> {
    let mut body = json!({"number": meeting.number, "passcode": meeting.passcode});
    let bearer = match who {
        Who::Member(token) => Some(token),
        Who::Guest(name) => {
            body["name"] = json!(name);
            body["device_key"] = json!(crate::server::unique());
            None
        }
    };
    let joined = target
        .json("POST", "/api/v1/meet/join", bearer, &body, 200)
        .await?;
    if joined["participant"]["state"] != "admitted" {
        bail!("joined but not admitted: {}", joined["participant"]);
    }
    joined["token"]
        .as_str()
        .map(str::to_string)
        .context("join answered without a token")
}

/// One synthetic participant and its meeting socket. A task answers the room's SDP through the
/// synthetic peer and reports the frames the bench waits for (others are skipped).
struct Participant {
    peer: Handle,
    send: mpsc::UnboundedSender<Value>,
    events: mpsc::UnboundedReceiver<Value>,
    /// When the first `sub_offer` was answered (and the view sent).
    answered: Arc<OnceLock<Instant>>,
}

impl Participant {
    /// Opens the socket with the participant token and says hello; every remote video is
    /// viewed at `view` (device pixels).
    async fn enter(target: &Target, token: &str, view: (u32, u32)) -> anyhow::Result<Participant> {
        let peer = synthetic::spawn([127, 0, 0, 1].into())
            .await
            .context("cannot bind the synthetic participant's UDP sockets")?;
        let req = format!("ws://{}/api/v1/meet/ws", target.authority).into_client_request()?;
        let tcp = TcpStream::connect(target.addr).await?;
        tcp.set_nodelay(true)?;
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
        let (ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config))
            .await
            .context("meeting WebSocket")?;
        let (mut sink, mut stream) = ws.split();
        sink.send(Message::Text(
            json!({"t": "hello", "token": token}).to_string().into(),
        ))
        .await?;
        let (send, mut outgoing) = mpsc::unbounded_channel::<Value>();
        let (report, events) = mpsc::unbounded_channel::<Value>();
        let answered = Arc::new(OnceLock::new());
        let handle = Handle {
            commands: peer.commands.clone(),
            stats: Arc::clone(&peer.stats),
        };
        let first_answer = Arc::clone(&answered);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    out = outgoing.recv() => {
                        let Some(v) = out else { break };
                        if sink.send(Message::Text(v.to_string().into())).await.is_err() {
                            break;
                        }
                    }
                    msg = stream.next() => {
                        let text = match msg {
                            Some(Ok(Message::Text(t))) => t,
                            Some(Ok(Message::Close(f))) => {
                                let code = f.map(|f| u16::from(f.code));
                                let _ = report.send(json!({"t": "closed", "code": code}));
                                break;
                            }
                            Some(Ok(_)) => continue,
                            Some(Err(e)) => {
                                let _ = report.send(json!({"t": "closed", "error": e.to_string()}));
                                break;
                            }
                            None => {
                                let _ = report.send(json!({"t": "closed"}));
                                break;
                            }
                        };
                        let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                            continue;
                        };
                        let t = v["t"].as_str().unwrap_or_default().to_string();
                        match t.as_str() {
                            // Other people's comings and goings, chat, the speaker: not
                            // needed here.
                            "peer" | "peer_left" | "speaker" | "chat_history" | "chat"
                            | "reaction" | "waiting_list" | "meeting" => {}
                            "sub_offer" => {
                                let sdp = v["sdp"].as_str().unwrap_or_default().to_string();
                                let answer = match handle.sub_offer(sdp).await {
                                    Ok(a) => a,
                                    Err(e) => {
                                        let _ = report.send(json!({"t": "error", "code": "bench.sub_offer", "message": e}));
                                        continue;
                                    }
                                };
                                let view: serde_json::Map<String, Value> = v["tracks"]
                                    .as_object()
                                    .into_iter()
                                    .flat_map(|m| m.values())
                                    .filter(|t| t["source"] != "mic")
                                    .filter_map(|t| t["track"].as_str())
                                    .map(|id| (id.to_string(), json!({"w": view.0, "h": view.1})))
                                    .collect();
                                let frames = [
                                    json!({"t": "sub_answer", "sdp": answer}),
                                    json!({"t": "view", "tracks": view}),
                                ];
                                for f in frames {
                                    if sink.send(Message::Text(f.to_string().into())).await.is_err() {
                                        break;
                                    }
                                }
                                let _ = first_answer.set(Instant::now());
                            }
                            "pub_answer" => {
                                let sdp = v["sdp"].as_str().unwrap_or_default().to_string();
                                let reply = match handle.pub_answer(sdp).await {
                                    Ok(()) => json!({"t": "pub_answer"}),
                                    Err(e) => json!({"t": "error", "code": "bench.pub_answer", "message": e}),
                                };
                                let _ = report.send(reply);
                            }
                            _ => {
                                let _ = report.send(v);
                            }
                        }
                    }
                }
            }
        });
        Ok(Participant {
            peer,
            send,
            events,
            answered,
        })
    }

    /// Waits for the next frame of type `t`; a closed socket or an error frame fails.
    async fn expect(&mut self, t: &str) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let v = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .with_context(|| format!("no {t} within {} s", STEP_TIMEOUT.as_secs()))?
                .with_context(|| format!("the socket task ended before {t}"))?;
            if v["t"] == t {
                return Ok(v);
            }
            if v["t"] == "closed" || v["t"] == "error" {
                bail!("waiting for {t}: {v}");
            }
        }
    }

    /// Offers `plan` on the publish connection and waits for the answer.
    async fn publish(&mut self, plan: PublishPlan) -> anyhow::Result<()> {
        let (sdp, labels) = self
            .peer
            .publish(plan)
            .await
            .context("the synthetic participant stopped")?;
        let tracks: Vec<Value> = labels
            .iter()
            .map(|(mid, s)| json!({"mid": mid, "source": s}))
            .collect();
        for frame in [
            json!({"t": "pub_offer", "sdp": sdp, "tracks": tracks}),
            json!({"t": "state", "mic": plan.audio, "cam": plan.video, "screen": false}),
        ] {
            self.send.send(frame).context("the socket task ended")?;
        }
        self.expect("pub_answer").await?;
        Ok(())
    }

    fn counts(&self) -> Counts {
        let s = self.peer.stats.lock().unwrap_or_else(|e| e.into_inner());
        let mut c = Counts::default();
        for r in s.received.values() {
            if r.kind == Some(MediaKind::Video) {
                c.video_packets += r.packets;
                c.video_expected += r.expected;
                c.video_bytes += r.bytes;
                c.keyframes += r.keyframes;
                if r.keyframes > 0 && r.packets > 10 {
                    c.video_lines += 1;
                }
            } else {
                c.audio_packets += r.packets;
            }
        }
        c
    }

    /// The first keyframe on any of its video m-lines.
    fn first_keyframe(&self) -> Option<Instant> {
        let s = self.peer.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.received
            .values()
            .filter(|r| r.kind == Some(MediaKind::Video))
            .filter_map(|r| r.first_keyframe)
            .min()
    }

    fn sent_packets(&self) -> u64 {
        let s = self.peer.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.sent_packets
    }
}

/// What one participant has received so far.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    video_packets: u64,
    video_expected: u64,
    video_bytes: u64,
    keyframes: u64,
    audio_packets: u64,
    /// Video m-lines with a keyframe and more than a few packets.
    video_lines: u64,
}

/// The owner joins as host and publishes [`PublishPlan::default`]; returns once media flows.
async fn start_publisher(
    target: &Target,
    meeting: &Meeting,
    token: &str,
) -> anyhow::Result<Participant> {
    let token = join_meeting(target, meeting, Who::Member(token)).await?;
    let mut publisher = Participant::enter(target, &token, VIEW).await?;
    publisher.expect("welcome").await?;
    publisher.publish(PublishPlan::default()).await?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    while publisher.sent_packets() < 100 {
        if Instant::now() > deadline {
            bail!(
                "the publisher connected no media within {} s",
                STEP_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(publisher)
}

/// A guest joins and gets its welcome.
async fn guest(target: &Target, meeting: &Meeting, i: usize) -> anyhow::Result<Participant> {
    let token = join_meeting(target, meeting, Who::Guest(format!("Tamu {i}"))).await?;
    let mut p = Participant::enter(target, &token, VIEW).await?;
    p.expect("welcome").await?;
    Ok(p)
}

pub struct SfuOptions {
    pub subscribers: usize,
    pub window: Duration,
    /// Guests joining at once during the ramp.
    pub concurrency: usize,
    /// How long after the ramp every guest may take to receive video.
    pub video_timeout: Duration,
}

/// The sfu benchmark's figures over the measured window.
pub struct SfuOutcome {
    pub subscribers: usize,
    /// Guests whose video advanced during the window.
    pub receiving: usize,
    pub ramp: Duration,
    /// From the end of the ramp until every guest had video (or the timeout).
    pub all_video_after: Duration,
    pub window: Duration,
    /// Packets the guests received per second (video + audio).
    pub received_pps: f64,
    pub video_pps: f64,
    /// Video payload per receiving guest, kbit/s (tells which layer they get).
    pub video_kbps_per_subscriber: f64,
    pub loss_pct: f64,
    pub keyframes: u64,
    pub publisher_pps: f64,
    pub server_sent_pps: f64,
    pub server_received_pps: f64,
    pub server_unrouted: u64,
    pub server_queue_full: u64,
    pub server_send_failed: u64,
    /// Cores' worth of CPU over the window.
    pub sfu_cpu: f64,
    pub client_cpu: f64,
    pub other_cpu: Option<f64>,
}

struct Snapshot {
    at: Instant,
    counts: Vec<Counts>,
    publisher_sent: u64,
    server_cpu: Option<Duration>,
    client_cpu: Option<Duration>,
    busy: Option<Duration>,
    media: MediaCounters,
}

async fn snapshot(
    target: &Target,
    server_pid: &str,
    publisher: &Participant,
    guests: &[Participant],
) -> anyhow::Result<Snapshot> {
    let media = target.media_counters().await?;
    Ok(Snapshot {
        at: Instant::now(),
        counts: guests.iter().map(Participant::counts).collect(),
        publisher_sent: publisher.sent_packets(),
        server_cpu: server::cpu_time(server_pid),
        client_cpu: server::cpu_time("self"),
        busy: server::machine_busy(),
        media,
    })
}

/// One publisher, `subscribers` guests watching it at 640×360; a window measured once all
/// receive video.
pub async fn sfu(
    url: &str,
    server_pid: u32,
    org_id: &str,
    token: &str,
    options: &SfuOptions,
) -> anyhow::Result<SfuOutcome> {
    let target = Target::new(url).await?;
    let meeting = create_meeting(&target, org_id, token).await?;
    let publisher = start_publisher(&target, &meeting, token).await?;
    eprintln!(
        "publisher sending; {} guests joining, {} at a time …",
        options.subscribers, options.concurrency
    );
    let ramp_start = Instant::now();
    let target_ref = &target;
    let meeting_ref = &meeting;
    let mut joined = futures::stream::iter(0..options.subscribers)
        .map(|i| async move { (i, guest(target_ref, meeting_ref, i).await) })
        .buffer_unordered(options.concurrency.max(1));
    let mut guests = Vec::with_capacity(options.subscribers);
    while let Some((i, result)) = joined.next().await {
        let p = result.with_context(|| format!("guest {i} could not join"))?;
        guests.push(p);
        if guests.len() % 50 == 0 {
            eprintln!(
                "  {} joined after {:.1} s",
                guests.len(),
                ramp_start.elapsed().as_secs_f64()
            );
        }
    }
    drop(joined);
    let ramp = ramp_start.elapsed();
    eprintln!(
        "{} guests joined in {:.1} s; waiting for all to receive video …",
        guests.len(),
        ramp.as_secs_f64()
    );
    let wait_start = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let with_video = guests.iter().filter(|g| g.counts().video_lines > 0).count();
        if with_video == guests.len() {
            break;
        }
        if wait_start.elapsed() > options.video_timeout {
            eprintln!(
                "only {with_video} of {} guests receive video after {} s; measuring anyway",
                guests.len(),
                options.video_timeout.as_secs()
            );
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!("  {with_video} of {} receive video", guests.len());
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all_video_after = wait_start.elapsed();
    tokio::time::sleep(SETTLE).await;
    eprintln!(
        "measuring {} s (server pid {server_pid}) …",
        options.window.as_secs()
    );
    let pid = server_pid.to_string();
    let before = snapshot(&target, &pid, &publisher, &guests).await?;
    tokio::time::sleep(options.window).await;
    let after = snapshot(&target, &pid, &publisher, &guests).await?;
    let wall = (after.at - before.at).as_secs_f64();
    let cores = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64() / wall),
        _ => None,
    };
    let sfu_cpu =
        cores(before.server_cpu, after.server_cpu).context("no CPU time for the server")?;
    let client_cpu =
        cores(before.client_cpu, after.client_cpu).context("no CPU time for myself")?;
    let other_cpu = cores(before.busy, after.busy).map(|b| (b - sfu_cpu - client_cpu).max(0.0));
    let (mut video, mut audio, mut expected, mut bytes, mut keyframes, mut receiving) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0usize);
    for (b, a) in before.counts.iter().zip(&after.counts) {
        let v = a.video_packets.saturating_sub(b.video_packets);
        video += v;
        audio += a.audio_packets.saturating_sub(b.audio_packets);
        expected += a.video_expected.saturating_sub(b.video_expected);
        bytes += a.video_bytes.saturating_sub(b.video_bytes);
        keyframes += a.keyframes.saturating_sub(b.keyframes);
        if v > 0 {
            receiving += 1;
        }
    }
    let lost = expected.saturating_sub(video);
    let (m0, m1) = (before.media, after.media);
    let rate = |a: u64, b: u64| b.saturating_sub(a) as f64 / wall;
    drop(guests);
    drop(publisher);
    Ok(SfuOutcome {
        subscribers: options.subscribers,
        receiving,
        ramp,
        all_video_after,
        window: after.at - before.at,
        received_pps: (video + audio) as f64 / wall,
        video_pps: video as f64 / wall,
        video_kbps_per_subscriber: bytes as f64 * 8.0 / 1000.0 / wall / receiving.max(1) as f64,
        loss_pct: if expected == 0 {
            100.0
        } else {
            lost as f64 * 100.0 / expected as f64
        },
        keyframes,
        publisher_pps: rate(before.publisher_sent, after.publisher_sent),
        server_sent_pps: rate(m0.sent, m1.sent),
        server_received_pps: rate(m0.received, m1.received),
        server_unrouted: m1.unrouted.saturating_sub(m0.unrouted),
        server_queue_full: m1.queue_full.saturating_sub(m0.queue_full),
        server_send_failed: m1.send_failed.saturating_sub(m0.send_failed),
        sfu_cpu,
        client_cpu,
        other_cpu,
    })
}

pub struct MeetingOptions {
    pub participants: usize,
    /// Participants who also send simulcast video (the first ones to join).
    pub cameras: usize,
    /// Participants who talk (in spurts); the rest are silent with DTX.
    pub talkers: usize,
    /// Participants who publish a microphone at all (the first ones; normally everyone).
    pub mics: usize,
    pub window: Duration,
    /// Participants joining at once during the ramp.
    pub concurrency: usize,
    /// How long after the ramp everyone may take to receive every camera.
    pub video_timeout: Duration,
}

/// The meeting benchmark's figures over the measured window.
pub struct MeetingOutcome {
    pub participants: usize,
    pub cameras: usize,
    pub talkers: usize,
    pub ramp: Duration,
    /// From the end of the ramp until everyone received every camera (or the timeout).
    pub all_video_after: Duration,
    /// Participants receiving every camera when the window started.
    pub full_gallery: usize,
    pub window: Duration,
    /// Σ lost ÷ Σ expected over every received m-line (audio and video), in %.
    pub loss_pct: f64,
    pub video_loss_pct: f64,
    pub audio_loss_pct: f64,
    /// Packets everyone received per second.
    pub received_pps: f64,
    pub video_pps: f64,
    pub audio_pps: f64,
    /// Audio streams each participant received on average (packets ÷ 50 per second): at most
    /// the 3 loudest others.
    pub audio_streams_each: f64,
    /// The most audio packets one participant received per second, ÷ 50.
    pub audio_streams_max: f64,
    /// Video streams with packets in the window, per participant (mean).
    pub video_streams_each: f64,
    /// Video payload per participant, kbit/s.
    pub video_kbps_each: f64,
    pub keyframes: u64,
    /// Packets all participants sent per second (their audio, DTX and video).
    pub sent_pps: f64,
    pub server_sent_pps: f64,
    pub server_received_pps: f64,
    pub server_unrouted: u64,
    pub server_queue_full: u64,
    pub server_send_failed: u64,
    pub sfu_cpu: f64,
    pub client_cpu: f64,
    pub other_cpu: Option<f64>,
}

/// One participant's received m-lines: mid → (video?, packets, expected, bytes, keyframes).
type Lines = std::collections::BTreeMap<String, (bool, u64, u64, u64, u64)>;

impl Participant {
    fn lines(&self) -> Lines {
        let s = self.peer.stats.lock().unwrap_or_else(|e| e.into_inner());
        s.received
            .iter()
            .map(|(mid, r)| {
                let video = r.kind == Some(MediaKind::Video);
                (
                    mid.clone(),
                    (video, r.packets, r.expected, r.bytes, r.keyframes),
                )
            })
            .collect()
    }
}

/// What participant `i` of the meeting bench sends: the first `cameras` a simulcast camera;
/// the first `talkers` talk in spurts at levels 4 dB apart (−18 dBov down), so the loudest
/// three change every few seconds; everyone else is silent — Opus DTX, one packet at −80 dBov
/// every 400 ms.
fn meeting_plan(i: usize, options: &MeetingOptions) -> PublishPlan {
    let voice = if i < options.talkers {
        Voice {
            level: -18 - 4 * i8::try_from(i.min(20)).unwrap_or(20),
            noise_level: -80,
            talk: Duration::from_secs(3),
            pause: Duration::from_secs(2),
            phase: Duration::from_millis(1300 * i as u64),
        }
    } else {
        Voice {
            noise_level: -80,
            ..Voice::silent()
        }
    };
    PublishPlan {
        video: i < options.cameras,
        audio: i < options.mics,
        voice,
        ..PublishPlan::default()
    }
}

/// `participants` people in one meeting: the owner first (as host), then guests; everyone
/// publishes audio, the first `cameras` also video; everyone views every camera at 320×180
/// (the `q` layer). A window is measured once everyone receives every camera.
pub async fn meeting(
    url: &str,
    server_pid: u32,
    org_id: &str,
    token: &str,
    options: &MeetingOptions,
) -> anyhow::Result<MeetingOutcome> {
    let target = Target::new(url).await?;
    let meeting = create_meeting(&target, org_id, token).await?;
    eprintln!(
        "{} participants joining ({} with cameras, {} talking), {} at a time …",
        options.participants, options.cameras, options.talkers, options.concurrency
    );
    let ramp_start = Instant::now();
    let (target_ref, meeting_ref) = (&target, &meeting);
    let enter = |i: usize| async move {
        let who = if i == 0 {
            Who::Member(token)
        } else {
            Who::Guest(format!("Peserta {i}"))
        };
        let t = join_meeting(target_ref, meeting_ref, who).await?;
        let mut p = Participant::enter(target_ref, &t, GALLERY_VIEW).await?;
        p.expect("welcome").await?;
        let plan = meeting_plan(i, options);
        if plan.video || plan.audio {
            p.publish(plan).await?;
        }
        anyhow::Ok(p)
    };
    // The host first, so that guests are admitted into a meeting that has one.
    let mut people = vec![enter(0).await.context("the host could not join")?];
    let mut joined = futures::stream::iter(1..options.participants)
        .map(|i| {
            let enter = &enter;
            async move { (i, enter(i).await) }
        })
        .buffered(options.concurrency.max(1));
    while let Some((i, result)) = joined.next().await {
        people.push(result.with_context(|| format!("participant {i} could not join"))?);
        if people.len() % 25 == 0 {
            eprintln!(
                "  {} joined after {:.1} s",
                people.len(),
                ramp_start.elapsed().as_secs_f64()
            );
        }
    }
    drop(joined);
    let ramp = ramp_start.elapsed();
    // Everyone should see every camera but their own.
    let wanted = |i: usize| {
        let own = usize::from(i < options.cameras);
        options.cameras.min(options.participants) - own
    };
    let full = |people: &[Participant]| {
        people
            .iter()
            .enumerate()
            .filter(|(i, p)| p.counts().video_lines >= wanted(*i) as u64)
            .count()
    };
    eprintln!(
        "{} joined in {:.1} s; waiting for everyone to receive {} cameras …",
        people.len(),
        ramp.as_secs_f64(),
        options.cameras
    );
    let wait_start = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let n = full(&people);
        if n == people.len() {
            break;
        }
        if wait_start.elapsed() > options.video_timeout {
            eprintln!(
                "only {n} of {} receive every camera after {} s; measuring anyway",
                people.len(),
                options.video_timeout.as_secs()
            );
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            eprintln!("  {n} of {} receive every camera", people.len());
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let all_video_after = wait_start.elapsed();
    tokio::time::sleep(SETTLE).await;
    let full_gallery = full(&people);
    eprintln!(
        "measuring {} s (server pid {server_pid}) …",
        options.window.as_secs()
    );
    let pid = server_pid.to_string();
    let snap = |people: &[Participant]| {
        let lines: Vec<Lines> = people.iter().map(Participant::lines).collect();
        let sent: u64 = people.iter().map(Participant::sent_packets).sum();
        (Instant::now(), lines, sent)
    };
    let media0 = target.media_counters().await?;
    let (cpu0, self0, busy0) = (
        server::cpu_time(&pid),
        server::cpu_time("self"),
        server::machine_busy(),
    );
    let (t0, lines0, sent0) = snap(&people);
    tokio::time::sleep(options.window).await;
    let (t1, lines1, sent1) = snap(&people);
    let (cpu1, self1, busy1) = (
        server::cpu_time(&pid),
        server::cpu_time("self"),
        server::machine_busy(),
    );
    let media1 = target.media_counters().await?;
    let wall = (t1 - t0).as_secs_f64();
    let cores = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a).as_secs_f64() / wall),
        _ => None,
    };
    let sfu_cpu = cores(cpu0, cpu1).context("no CPU time for the server")?;
    let client_cpu = cores(self0, self1).context("no CPU time for myself")?;
    let other_cpu = cores(busy0, busy1).map(|b| (b - sfu_cpu - client_cpu).max(0.0));
    // (packets, expected) per kind, video bytes, keyframes, video lines with packets.
    let (mut video, mut audio) = ((0u64, 0u64), (0u64, 0u64));
    let (mut bytes, mut keyframes, mut video_lines) = (0u64, 0u64, 0u64);
    let mut audio_max = 0u64;
    for (before, after) in lines0.iter().zip(&lines1) {
        let mut audio_here = 0;
        for (mid, &(is_video, packets, expected, b, k)) in after {
            let (_, p0, e0, b0, k0) = before.get(mid).copied().unwrap_or_default();
            let (dp, de) = (packets - p0, expected.saturating_sub(e0));
            let sum = if is_video { &mut video } else { &mut audio };
            sum.0 += dp;
            sum.1 += de;
            if is_video {
                bytes += b - b0;
                keyframes += k - k0;
                video_lines += u64::from(dp > 0);
            } else {
                audio_here += dp;
            }
        }
        audio_max = audio_max.max(audio_here);
    }
    let pct = |(got, expected): (u64, u64)| {
        if expected == 0 {
            0.0
        } else {
            expected.saturating_sub(got) as f64 * 100.0 / expected as f64
        }
    };
    let n = people.len().max(1) as f64;
    let rate = |a: u64, b: u64| b.saturating_sub(a) as f64 / wall;
    drop(people);
    Ok(MeetingOutcome {
        participants: options.participants,
        cameras: options.cameras,
        talkers: options.talkers,
        ramp,
        all_video_after,
        full_gallery,
        window: t1 - t0,
        loss_pct: pct((video.0 + audio.0, video.1 + audio.1)),
        video_loss_pct: pct(video),
        audio_loss_pct: pct(audio),
        received_pps: (video.0 + audio.0) as f64 / wall,
        video_pps: video.0 as f64 / wall,
        audio_pps: audio.0 as f64 / wall,
        audio_streams_each: audio.0 as f64 / wall / n / 50.0,
        audio_streams_max: audio_max as f64 / wall / 50.0,
        video_streams_each: video_lines as f64 / n,
        video_kbps_each: bytes as f64 * 8.0 / 1000.0 / wall / n,
        keyframes,
        sent_pps: rate(sent0, sent1),
        server_sent_pps: rate(media0.sent, media1.sent),
        server_received_pps: rate(media0.received, media1.received),
        server_unrouted: media1.unrouted.saturating_sub(media0.unrouted),
        server_queue_full: media1.queue_full.saturating_sub(media0.queue_full),
        server_send_failed: media1.send_failed.saturating_sub(media0.send_failed),
        sfu_cpu,
        client_cpu,
        other_cpu,
    })
}

/// Each join's stages, from the moment its `POST /meet/join` was sent.
pub struct JoinTiming {
    pub joined: Duration,
    pub welcome: Duration,
    pub answered: Duration,
    pub first_keyframe: Duration,
}

/// While one publisher sends, `joins` guests join one after another (each staying); each timed
/// from its join request to its first keyframe.
pub async fn join(
    url: &str,
    org_id: &str,
    token: &str,
    joins: usize,
) -> anyhow::Result<Vec<JoinTiming>> {
    let target = Target::new(url).await?;
    let meeting = create_meeting(&target, org_id, token).await?;
    let publisher = start_publisher(&target, &meeting, token).await?;
    let mut present = Vec::with_capacity(joins);
    let mut timings = Vec::with_capacity(joins);
    for i in 0..joins {
        tokio::time::sleep(JOIN_GAP).await;
        let start = Instant::now();
        let token = join_meeting(&target, &meeting, Who::Guest(format!("Tamu {i}"))).await?;
        let joined = start.elapsed();
        let mut p = Participant::enter(&target, &token, VIEW).await?;
        p.expect("welcome").await?;
        let welcome = start.elapsed();
        let deadline = start + KEYFRAME_TIMEOUT;
        let keyframe = loop {
            if let Some(k) = p.first_keyframe() {
                break k;
            }
            if Instant::now() > deadline {
                bail!(
                    "join {}: no keyframe within {} s",
                    i + 1,
                    KEYFRAME_TIMEOUT.as_secs()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        let answered = p
            .answered
            .get()
            .map_or(Duration::ZERO, |a| a.saturating_duration_since(start));
        let t = JoinTiming {
            joined,
            welcome,
            answered,
            first_keyframe: keyframe.saturating_duration_since(start),
        };
        eprintln!(
            "join {:>2}: join answered {:>6.1} ms, welcome {:>6.1} ms, sub_offer answered \
             {:>6.1} ms, first keyframe {:>6.1} ms",
            i + 1,
            ms(t.joined),
            ms(t.welcome),
            ms(t.answered),
            ms(t.first_keyframe)
        );
        timings.push(t);
        present.push(p);
    }
    drop(present);
    drop(publisher);
    Ok(timings)
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q` quantile (0–1) of `values`, nearest rank.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

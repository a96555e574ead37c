//! Chat under load: N people each with one WebSocket open, posting into channels of 10–50 at
//! a rising rate until delivery gets slow.
//!
//! - Every person's socket is opened (Bearer API token) and waits for `hello` before posting
//!   starts; then the bench waits for the presence pushes of the mass connect to die down.
//! - Posts are an open-loop Poisson process at the step's rate: a scheduler draws exponential
//!   gaps, and at each arrival a random (member, channel) pair posts
//!   `POST …/conversations/{cid}/messages` with a fresh `client_key`, over a pool of keep-alive
//!   HTTP/1.1 connections. Each post's *intended* send time (micro-seconds since the run began)
//!   travels in its `client_key`, so a generator that falls behind is charged for it.
//! - Every socket looks for `"client_key":"kb.` in the `chat.message.created` events it gets and
//!   records now − send time: one sample per member per post (the author's own socket included).
//! - A step holds its rate for `step_secs`, then the bench waits for the step's posts to finish
//!   and its deliveries to arrive (up to [`DELIVERY_GRACE`]) and judges it: it holds if no post
//!   failed, every expected delivery arrived, no socket was closed, the p99 delivery latency is at
//!   most the limit, the generator kept within [`MAX_GENERATOR_LAG`] at p99 and reached 90 % of the
//!   rate. The next step is `step_factor` × faster. The first step that does not hold ends the run.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rand::Rng;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::http::{resolve, Conn};
use crate::seed::{Channel, Person};
use crate::server;

/// How long after a step's last post its deliveries may still arrive.
const DELIVERY_GRACE: Duration = Duration::from_secs(5);
/// How long a step's posts may still be in flight after it ends.
const POST_GRACE: Duration = Duration::from_secs(30);
/// A step fails when the generator starts posts this late (p99) behind their schedule.
const MAX_GENERATOR_LAG: Duration = Duration::from_millis(50);
/// Bytes each WebSocket read asks for.
const READ_BUFFER: usize = 8 * 1024;
/// How long a new socket may wait for the server's hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(30);
/// Sockets opened at once while connecting.
const CONNECT_CONCURRENCY: usize = 64;
/// The connect phase counts as settled once no non-event message arrived for this long.
const SETTLE_QUIET: Duration = Duration::from_secs(2);
const SETTLE_MAX: Duration = Duration::from_secs(60);

pub struct Options {
    pub step: Duration,
    pub start_rate: f64,
    pub max_rate: Option<f64>,
    pub step_factor: f64,
    pub max_steps: usize,
    pub p99_limit: Duration,
    /// Most HTTP connections open at once for posting.
    pub max_connections: usize,
}

/// One step's figures.
pub struct Step {
    pub rate: f64,
    pub posts_per_s: f64,
    pub deliveries_per_s: f64,
    pub posts: u64,
    pub post_errors: u64,
    pub expected: u64,
    pub delivered: u64,
    pub closed: u64,
    /// Delivery latency (intended send → socket), ms.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// POST latency (intended send → 201 read), ms.
    pub post_p99_ms: f64,
    /// Intended send → request written, p99, ms.
    pub lag_p99_ms: f64,
    /// Cores' worth of CPU used over the step by the server, this process, and everything else
    /// on the machine (other work competes for the same cores).
    pub server_cpu: Option<f64>,
    pub client_cpu: Option<f64>,
    pub other_cpu: Option<f64>,
    /// Why it did not hold (`None`: held).
    pub failure: Option<String>,
}

pub struct Outcome {
    pub steps: Vec<Step>,
    pub connect: Duration,
    pub presence_bytes: u64,
}

pub(crate) fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("1 µs to 600 s at 3 digits is valid")
}

fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    crate::http::quantile_ms(h, q)
}

/// What the sockets and the posting tasks record, per step (chat-fanout: per announcement).
pub(crate) struct StepStats {
    pub(crate) delivered: AtomicU64,
    pub(crate) deliver: Mutex<Histogram<u64>>,
    posts: AtomicU64,
    post_errors: AtomicU64,
    expected: AtomicU64,
    post_latency: Mutex<Histogram<u64>>,
    lag: Mutex<Histogram<u64>>,
}

/// What every socket's reader records; shared with chat-fanout.
pub(crate) struct Recorder {
    /// Send times in `client_key`s are micro-seconds since this instant.
    pub(crate) epoch: Instant,
    pub(crate) steps: Vec<StepStats>,
    /// Sockets closed by the server or failed.
    pub(crate) closed: AtomicU64,
    /// Bytes of non-event messages (presence, pings) received.
    other_bytes: AtomicU64,
    /// Last time a non-event message arrived, µs since `epoch`.
    last_other: AtomicU64,
    stopping: AtomicBool,
}

impl Recorder {
    /// A recorder for deliveries tagged with steps `0..steps`.
    pub(crate) fn new(steps: usize) -> Arc<Self> {
        Arc::new(Recorder {
            epoch: Instant::now(),
            steps: (0..steps)
                .map(|_| StepStats {
                    delivered: AtomicU64::new(0),
                    deliver: Mutex::new(histogram()),
                    posts: AtomicU64::new(0),
                    post_errors: AtomicU64::new(0),
                    expected: AtomicU64::new(0),
                    post_latency: Mutex::new(histogram()),
                    lag: Mutex::new(histogram()),
                })
                .collect(),
            closed: AtomicU64::new(0),
            other_bytes: AtomicU64::new(0),
            last_other: AtomicU64::new(0),
            stopping: AtomicBool::new(false),
        })
    }

    fn micros(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicking task cannot leave a histogram half-written in a way that matters here.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `kb.{step}.{send_us}.{n}` after `"client_key":"` in an event's text.
fn parse_key(text: &str) -> Option<(usize, u64)> {
    const NEEDLE: &str = "\"client_key\":\"kb.";
    let at = text.find(NEEDLE)? + NEEDLE.len();
    let mut parts = text[at..].split(['.', '"']);
    let step = parts.next()?.parse().ok()?;
    let sent = parts.next()?.parse().ok()?;
    Some((step, sent))
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn open_socket(addr: SocketAddr, authority: &str, token: &str) -> anyhow::Result<Ws> {
    let mut req = format!("ws://{authority}/api/v1/ws").into_client_request()?;
    req.headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse()?);
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    // tungstenite zeroes its whole read buffer (128 KiB by default) before every read; small
    // reads keep that off the client's profile.
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let (mut ws, _) = tokio_tungstenite::client_async_with_config(req, tcp, Some(config)).await?;
    // The server says hello once the socket is registered with the hub.
    let hello = async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) if t.as_str().contains(r#""type":"hello""#) => break,
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e.into()),
                None => bail!("the socket closed before hello"),
            }
        }
        anyhow::Ok(())
    };
    tokio::time::timeout(HELLO_TIMEOUT, hello)
        .await
        .context("no hello from the server")??;
    Ok(ws)
}

async fn read_loop(mut ws: Ws, rec: Arc<Recorder>) {
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Text(t)) => {
                let text = t.as_str();
                if let Some((step, sent)) = parse_key(text) {
                    if let Some(s) = rec.steps.get(step) {
                        let now = rec.micros();
                        lock(&s.deliver).saturating_record(now.saturating_sub(sent).max(1));
                        s.delivered.fetch_add(1, Ordering::Relaxed);
                    }
                } else {
                    rec.other_bytes
                        .fetch_add(text.len() as u64, Ordering::Relaxed);
                    rec.last_other.store(rec.micros(), Ordering::Relaxed);
                    if text.starts_with(r#"{"type":"ping""#)
                        && ws.send(Message::text(r#"{"type":"pong"}"#)).await.is_err()
                    {
                        break;
                    }
                }
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    if !rec.stopping.load(Ordering::Relaxed) {
        rec.closed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every person's socket open, each with a reader task recording into the [`Recorder`].
pub(crate) struct Connected {
    pub(crate) readers: Vec<tokio::task::JoinHandle<()>>,
    /// Opening all sockets (each up to its hello).
    pub(crate) connect: Duration,
    /// Bytes of non-event messages (presence, pings) received while settling.
    pub(crate) presence_bytes: u64,
}

/// Opens one socket per person, [`CONNECT_CONCURRENCY`] at a time (each waits for `hello`),
/// starts their readers, then waits until no presence or other non-event message has arrived
/// for [`SETTLE_QUIET`]. Fails if a socket did not open or was closed meanwhile.
pub(crate) async fn connect_all(
    addr: SocketAddr,
    authority: &str,
    people: &[Person],
    rec: &Arc<Recorder>,
) -> anyhow::Result<Connected> {
    eprintln!(
        "opening {} WebSockets ({CONNECT_CONCURRENCY} at a time) …",
        people.len()
    );
    let started = Instant::now();
    let sockets: Vec<anyhow::Result<Ws>> = futures::stream::iter(people.iter())
        .map(|p| open_socket(addr, authority, &p.token))
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect()
        .await;
    let connect = started.elapsed();
    let mut readers = Vec::with_capacity(sockets.len());
    for s in sockets {
        let ws = match s.context("a WebSocket did not open") {
            Ok(ws) => ws,
            Err(e) => {
                rec.stop(readers);
                return Err(e);
            }
        };
        readers.push(tokio::spawn(read_loop(ws, rec.clone())));
    }
    eprintln!(
        "{} sockets open in {} ms; waiting for presence pushes to settle …",
        readers.len(),
        connect.as_millis()
    );
    let settle_start = Instant::now();
    // Quiet counts from the last other message, or from now if none came yet.
    let settle_from = rec.micros();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let last = rec.last_other.load(Ordering::Relaxed).max(settle_from);
        let quiet = rec.micros().saturating_sub(last);
        if quiet >= SETTLE_QUIET.as_micros() as u64 || settle_start.elapsed() > SETTLE_MAX {
            break;
        }
    }
    let presence_bytes = rec.other_bytes.load(Ordering::Relaxed);
    eprintln!(
        "settled after {:.1} s; {:.1} MiB of presence/other messages received across all sockets",
        settle_start.elapsed().as_secs_f64(),
        presence_bytes as f64 / (1024.0 * 1024.0)
    );
    let closed = rec.closed.load(Ordering::Relaxed);
    if closed > 0 {
        rec.stop(readers);
        bail!("{closed} sockets were closed while connecting");
    }
    Ok(Connected {
        readers,
        connect,
        presence_bytes,
    })
}

impl Recorder {
    /// Stops the readers; sockets closing from now on are not counted as closed.
    pub(crate) fn stop(&self, readers: Vec<tokio::task::JoinHandle<()>>) {
        self.stopping.store(true, Ordering::Relaxed);
        for r in readers {
            r.abort();
        }
    }
}

/// Idle keep-alive connections for posting, and a cap on how many are open.
struct Pool {
    addr: SocketAddr,
    idle: Mutex<Vec<Conn>>,
    permits: tokio::sync::Semaphore,
}

struct Post {
    request: Vec<u8>,
    step: usize,
    intended: Instant,
    members: u64,
}

async fn post(pool: Arc<Pool>, rec: Arc<Recorder>, p: Post, in_flight: Arc<AtomicUsize>) {
    let s = &rec.steps[p.step];
    let result = async {
        let _permit = pool.permits.acquire().await?;
        let idle = lock(&pool.idle).pop();
        let mut conn = match idle {
            Some(c) => c,
            None => Conn::connect(pool.addr, false).await?,
        };
        lock(&s.lag).saturating_record(p.intended.elapsed().as_micros().max(1) as u64);
        let answer = conn.exchange(&p.request).await?;
        if answer.keep_alive {
            lock(&pool.idle).push(conn);
        }
        anyhow::Ok(answer.status)
    }
    .await;
    lock(&s.post_latency).saturating_record(p.intended.elapsed().as_micros().max(1) as u64);
    match result {
        Ok(201) => {
            s.posts.fetch_add(1, Ordering::Relaxed);
            s.expected.fetch_add(p.members, Ordering::Relaxed);
        }
        _ => {
            s.post_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    in_flight.fetch_sub(1, Ordering::Relaxed);
}

/// Runs the ramp against a server whose people and channels are seeded.
pub async fn run(
    url: &str,
    server_pid: u32,
    org_id: &str,
    people: &[Person],
    channels: &[Channel],
    o: &Options,
) -> anyhow::Result<Outcome> {
    let (addr, authority) = resolve(url).await?;
    let rec = Recorder::new(o.max_steps);
    let Connected {
        readers,
        connect,
        presence_bytes,
    } = connect_all(addr, &authority, people, &rec).await?;

    // Who may post where, and the request line of each channel.
    let pairs: Vec<(usize, usize)> = channels
        .iter()
        .enumerate()
        .flat_map(|(c, ch)| ch.members.iter().map(move |&p| (p, c)))
        .collect();
    let paths: Vec<String> = channels
        .iter()
        .map(|c| format!("/api/v1/orgs/{org_id}/chat/conversations/{}/messages", c.id))
        .collect();
    let pool = Arc::new(Pool {
        addr,
        idle: Mutex::new(Vec::new()),
        permits: tokio::sync::Semaphore::new(o.max_connections),
    });
    let in_flight = Arc::new(AtomicUsize::new(0));
    let pid = server_pid.to_string();
    let mut steps = Vec::new();
    let mut rate = o.start_rate;
    let mut n: u64 = 0;
    for step in 0..o.max_steps {
        let cpu_before = (
            server::cpu_time(&pid),
            server::cpu_time("self"),
            server::machine_busy(),
        );
        let closed_before = rec.closed.load(Ordering::Relaxed);
        let begin = Instant::now();
        let end = begin + o.step;
        let mut next = begin;
        let mut rng = rand::thread_rng();
        loop {
            // Exponential gaps: a Poisson process at `rate` posts per second.
            let u: f64 = 1.0 - rng.gen::<f64>();
            next += Duration::from_secs_f64(-u.ln() / rate);
            if next >= end {
                break;
            }
            if next > Instant::now() {
                tokio::time::sleep_until(next.into()).await;
            }
            let (p, c) = pairs[rng.gen_range(0..pairs.len())];
            n += 1;
            let sent_us = (next - rec.epoch).as_micros();
            let body = format!(
                r#"{{"client_key":"kb.{step}.{sent_us}.{n}","body":{}}}"#,
                serde_json::Value::from(crate::seed::message_text(&mut rng, n as usize))
            );
            let request = format!(
                "POST {} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                paths[c],
                people[p].token,
                body.len()
            )
            .into_bytes();
            in_flight.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(post(
                pool.clone(),
                rec.clone(),
                Post {
                    request,
                    step,
                    intended: next,
                    members: channels[c].members.len() as u64,
                },
                in_flight.clone(),
            ));
        }
        tokio::time::sleep_until(end.into()).await;
        let wall = begin.elapsed();
        let cpu_after = (
            server::cpu_time(&pid),
            server::cpu_time("self"),
            server::machine_busy(),
        );
        // Let the step's posts finish and their deliveries arrive.
        let wait_start = Instant::now();
        while in_flight.load(Ordering::Relaxed) > 0 && wait_start.elapsed() < POST_GRACE {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let stuck = in_flight.load(Ordering::Relaxed);
        let s = &rec.steps[step];
        let wait_start = Instant::now();
        while s.delivered.load(Ordering::Relaxed) < s.expected.load(Ordering::Relaxed)
            && wait_start.elapsed() < DELIVERY_GRACE
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let share = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => Some((b - a).as_secs_f64() / wall.as_secs_f64()),
            _ => None,
        };
        let deliver = lock(&s.deliver).clone();
        let post_latency = lock(&s.post_latency).clone();
        let lag = lock(&s.lag).clone();
        let secs = o.step.as_secs_f64();
        let mut r = Step {
            rate,
            posts: s.posts.load(Ordering::Relaxed),
            post_errors: s.post_errors.load(Ordering::Relaxed),
            expected: s.expected.load(Ordering::Relaxed),
            delivered: s.delivered.load(Ordering::Relaxed),
            closed: rec.closed.load(Ordering::Relaxed) - closed_before,
            posts_per_s: 0.0,
            deliveries_per_s: 0.0,
            p50_ms: quantile_ms(&deliver, 0.5),
            p99_ms: quantile_ms(&deliver, 0.99),
            max_ms: deliver.max() as f64 / 1000.0,
            post_p99_ms: quantile_ms(&post_latency, 0.99),
            lag_p99_ms: quantile_ms(&lag, 0.99),
            server_cpu: share(cpu_before.0, cpu_after.0),
            client_cpu: share(cpu_before.1, cpu_after.1),
            other_cpu: None,
            failure: None,
        };
        if let (Some(all), Some(srv), Some(cli)) =
            (share(cpu_before.2, cpu_after.2), r.server_cpu, r.client_cpu)
        {
            r.other_cpu = Some((all - srv - cli).max(0.0));
        }
        r.posts_per_s = r.posts as f64 / secs;
        r.deliveries_per_s = r.delivered as f64 / secs;
        let limit_ms = o.p99_limit.as_secs_f64() * 1000.0;
        r.failure = if stuck > 0 {
            Some(format!(
                "{stuck} posts still unanswered {} s after the step",
                POST_GRACE.as_secs()
            ))
        } else if r.post_errors > 0 {
            Some(format!("{} posts failed", r.post_errors))
        } else if r.closed > 0 {
            Some(format!("the server closed {} sockets", r.closed))
        } else if r.delivered < r.expected {
            Some(format!(
                "{} of {} deliveries missing {} s after the step",
                r.expected - r.delivered,
                r.expected,
                DELIVERY_GRACE.as_secs()
            ))
        } else if r.p99_ms > limit_ms {
            Some(format!(
                "p99 delivery {:.1} ms > {limit_ms:.0} ms",
                r.p99_ms
            ))
        } else if r.lag_p99_ms > MAX_GENERATOR_LAG.as_secs_f64() * 1000.0 {
            Some(format!(
                "the generator lagged {:.1} ms at p99",
                r.lag_p99_ms
            ))
        } else if r.posts_per_s < 0.9 * rate {
            Some(format!(
                "only {:.0} of {rate:.0} posts/s were made",
                r.posts_per_s
            ))
        } else {
            None
        };
        let pct = |x: Option<f64>| x.map_or("?".into(), |x| format!("{x:.2}"));
        eprintln!(
            "step {}: target {rate:.0} posts/s → {:.0} posts/s, {:.0} deliveries/s; delivery p50 \
             {:.1} ms, p99 {:.1} ms, max {:.1} ms; post p99 {:.1} ms; generator lag p99 {:.1} ms; \
             {} errors, {}/{} delivered, {} closed; CPU cores: server {} client {} other \
             processes {}: {}",
            step + 1,
            r.posts_per_s,
            r.deliveries_per_s,
            r.p50_ms,
            r.p99_ms,
            r.max_ms,
            r.post_p99_ms,
            r.lag_p99_ms,
            r.post_errors,
            r.delivered,
            r.expected,
            r.closed,
            pct(r.server_cpu),
            pct(r.client_cpu),
            pct(r.other_cpu),
            r.failure.as_deref().unwrap_or("held")
        );
        let failed = r.failure.is_some();
        steps.push(r);
        if failed {
            break;
        }
        let Some(next_rate) = next_rate(rate, o) else {
            eprintln!("reached --max-rate; stopping");
            break;
        };
        rate = next_rate;
    }
    rec.stop(readers);
    Ok(Outcome {
        steps,
        connect,
        presence_bytes,
    })
}

fn next_rate(rate: f64, o: &Options) -> Option<f64> {
    let next = rate * o.step_factor;
    match o.max_rate {
        Some(max) if rate >= max => None,
        Some(max) => Some(next.min(max)),
        None => Some(next),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_found_in_events() {
        let text = r#"{"type":"event","seq":9,"kind":"chat.message.created","org_id":"o","data":{"id":"m","conversation_id":"c","seq":3,"client_key":"kb.2.123456.77","author":{}}}"#;
        assert_eq!(super::parse_key(text), Some((2, 123456)));
        assert_eq!(super::parse_key(r#"{"type":"presence"}"#), None);
    }
}

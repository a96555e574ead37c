//! Announcements to a super group: N members each with one WebSocket open, one admin posting.
//!
//! - The group holds the admin and every member. It is made through the API as an org-wide
//!   group in announcement mode when the server accepts `org_wide`/`announcement` on
//!   `POST …/chat/conversations`; otherwise it is a private channel of all of them, seeded
//!   straight into the store before the server starts ([`crate::seed::private_group`]).
//! - The server's resident memory (`VmRSS`) is read before the sockets open and again once they
//!   are all open and idle (every socket waits for `hello`, then the presence pushes of the mass
//!   connect die down): the growth divided by N is the memory per idle connection.
//! - The admin posts `messages` announcements over one keep-alive HTTP/1.1 connection, one every
//!   `every`, open loop: each post's *intended* send time (micro-seconds since the run began)
//!   travels in its `client_key` (`kb.{announcement}.{send_us}.{n}`, as chat-load's), so a post
//!   that starts late is charged for it.
//! - Every member's socket records now − send time for each announcement it receives
//!   (chat-load's reader). The admin holds no socket: **a delivery is one announcement reaching
//!   one member's socket, so N per announcement are expected**; an announcement whose post
//!   failed counts as missed at every member. After the last post the bench waits up to `grace`
//!   for the rest.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};

use crate::chat_load::{self, connect_all, Connected, Recorder};
use crate::http::{resolve, Conn};
use crate::seed::Person;
use crate::server;

pub struct Options {
    pub messages: usize,
    /// Between one announcement's intended send time and the next's.
    pub every: Duration,
    /// How long after the last post deliveries may still arrive.
    pub grace: Duration,
}

pub struct Outcome {
    /// Announcements the server accepted (201).
    pub posted: usize,
    pub delivered: u64,
    pub missed: u64,
    /// Deliveries of each announcement, in order.
    pub per_message: Vec<u64>,
    /// Delivery latency (intended send → member's socket), ms, over all deliveries.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// POST latency (intended send → 201 read), ms: the largest.
    pub post_max_ms: f64,
    /// Server RSS before the sockets opened, once they were idle, and after the announcements.
    pub rss_before_kib: u64,
    pub rss_idle_kib: u64,
    pub rss_end_kib: u64,
    pub connect: Duration,
    pub presence_bytes: u64,
    /// Sockets the server closed during the announcements.
    pub closed: u64,
    /// CPU time per announcement posted (from the first post to the end of the grace wait,
    /// idle time included), ms: the server's and this process's.
    pub server_cpu_ms: Option<f64>,
    pub client_cpu_ms: Option<f64>,
}

impl Outcome {
    /// Server memory per idle connection, KiB.
    pub fn rss_per_conn_kib(&self, members: usize) -> f64 {
        self.rss_idle_kib.saturating_sub(self.rss_before_kib) as f64 / members.max(1) as f64
    }
}

/// Asks the server for an org-wide group in announcement mode; `None` if it does not offer one
/// (an older server refuses the unknown fields), so the seeded channel is used.
pub async fn create_org_wide(
    url: &str,
    org_id: &str,
    admin: &Person,
    members: usize,
) -> anyhow::Result<Option<String>> {
    let body = json!({
        "kind": "private",
        "name": format!("pengumuman-{}", server::unique()),
        "org_wide": true,
        "announcement": true,
    });
    let path = format!("/api/v1/orgs/{org_id}/chat/conversations");
    let (status, raw) = crate::import::request(
        url,
        "POST",
        &path,
        &admin.token,
        "application/json",
        body.to_string().as_bytes(),
    )
    .await?;
    if status != 201 {
        eprintln!(
            "the server made no org-wide group ({status}: {}); using the seeded private channel",
            String::from_utf8_lossy(&raw)
                .chars()
                .take(200)
                .collect::<String>()
        );
        return Ok(None);
    }
    let group: Value = serde_json::from_slice(&raw).context("the new group is not JSON")?;
    let count = group["member_count"].as_u64().unwrap_or(0);
    if count < members as u64 + 1 {
        bail!("the org-wide group has {count} members, not every one of the {members} + admin");
    }
    let id = group["id"].as_str().context("the new group has no id")?;
    eprintln!("created an org-wide group in announcement mode of {count} members");
    Ok(Some(id.to_string()))
}

/// Connects every member, measures the server's memory, posts the announcements and counts
/// their deliveries.
pub async fn run(
    url: &str,
    server_pid: u32,
    org_id: &str,
    conversation_id: &str,
    admin: &Person,
    members: &[Person],
    o: &Options,
) -> anyhow::Result<Outcome> {
    let (addr, authority) = resolve(url).await?;
    let rec = Recorder::new(o.messages);
    let rss_before_kib = server::rss_kib(server_pid)?;
    let Connected {
        readers,
        connect,
        presence_bytes,
    } = connect_all(addr, &authority, members, &rec).await?;
    let rss_idle_kib = server::rss_kib(server_pid)?;
    let n = members.len() as u64;
    eprintln!(
        "server RSS {:.1} MiB before, {:.1} MiB with {n} idle sockets: {:.1} KiB per connection",
        rss_before_kib as f64 / 1024.0,
        rss_idle_kib as f64 / 1024.0,
        rss_idle_kib.saturating_sub(rss_before_kib) as f64 / n.max(1) as f64
    );

    let pid = server_pid.to_string();
    let cpu_before = (server::cpu_time(&pid), server::cpu_time("self"));
    let result = announce(&rec, addr, &authority, org_id, conversation_id, admin, n, o).await;
    let cpu_after = (server::cpu_time(&pid), server::cpu_time("self"));
    let closed = rec.closed.load(Ordering::Relaxed);
    rec.stop(readers);
    let (posted, post_max_ms) = result?;
    let per_post = |a: Option<Duration>, b: Option<Duration>| {
        Some((b? - a?).as_secs_f64() * 1000.0 / posted.max(1) as f64)
    };
    let rss_end_kib = server::rss_kib(server_pid)?;

    let per_message: Vec<u64> = rec
        .steps
        .iter()
        .map(|s| s.delivered.load(Ordering::Relaxed))
        .collect();
    let delivered: u64 = per_message.iter().sum();
    let mut all = chat_load::histogram();
    for s in &rec.steps {
        all.add(&*chat_load::lock(&s.deliver))
            .context("the delivery histograms share their bounds")?;
    }
    Ok(Outcome {
        posted,
        delivered,
        missed: (n * o.messages as u64).saturating_sub(delivered),
        per_message,
        p50_ms: crate::http::quantile_ms(&all, 0.5),
        p99_ms: crate::http::quantile_ms(&all, 0.99),
        max_ms: all.max() as f64 / 1000.0,
        post_max_ms,
        rss_before_kib,
        rss_idle_kib,
        rss_end_kib,
        connect,
        presence_bytes,
        closed,
        server_cpu_ms: per_post(cpu_before.0, cpu_after.0),
        client_cpu_ms: per_post(cpu_before.1, cpu_after.1),
    })
}

/// Posts the announcements on schedule and waits for their deliveries: how many posts the
/// server accepted, and the slowest post in ms.
#[allow(clippy::too_many_arguments)]
async fn announce(
    rec: &Arc<Recorder>,
    addr: std::net::SocketAddr,
    authority: &str,
    org_id: &str,
    conversation_id: &str,
    admin: &Person,
    members: u64,
    o: &Options,
) -> anyhow::Result<(usize, f64)> {
    let path = format!("/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages");
    let mut conn = Conn::connect(addr, true)
        .await
        .context("cannot connect to post")?;
    let mut rng = rand::thread_rng();
    let mut posted = 0;
    let mut post_max = Duration::ZERO;
    eprintln!(
        "posting {} announcements, one every {} ms …",
        o.messages,
        o.every.as_millis()
    );
    let begin = Instant::now();
    for i in 0..o.messages {
        let intended = begin + o.every * i as u32;
        tokio::time::sleep_until(intended.into()).await;
        let sent_us = (intended - rec.epoch).as_micros();
        let body = format!(
            r#"{{"client_key":"kb.{i}.{sent_us}.{i}","body":{}}}"#,
            Value::from(format!(
                "Pengumuman {}: {}",
                i + 1,
                crate::seed::message_text(&mut rng, i)
            ))
        );
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            admin.token,
            body.len()
        );
        let answer = conn
            .exchange(request.as_bytes())
            .await
            .with_context(|| format!("announcement {} failed", i + 1))?;
        post_max = post_max.max(intended.elapsed());
        if answer.status == 201 {
            posted += 1;
        } else {
            eprintln!(
                "announcement {} refused ({}): {}",
                i + 1,
                answer.status,
                String::from_utf8_lossy(conn.body())
            );
        }
        if !answer.keep_alive {
            conn = Conn::connect(addr, true).await?;
        }
    }
    let expected = members * posted as u64;
    let delivered = || {
        rec.steps
            .iter()
            .map(|s| s.delivered.load(Ordering::Relaxed))
            .sum::<u64>()
    };
    let wait = Instant::now();
    while delivered() < expected && wait.elapsed() < o.grace {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "{posted} of {} announcements posted; {} of {} deliveries {} ms after the last post",
        o.messages,
        delivered(),
        members * o.messages as u64,
        wait.elapsed().as_millis()
    );
    Ok((posted, post_max.as_secs_f64() * 1000.0))
}

//! Scrolling back through a long channel: random pages of 50 out of 100,000 messages.
//!
//! The channel is seeded straight into the store ([`crate::seed::history`]); then N keep-alive
//! connections each send `GET …/messages?before=<random seq>&limit=50` one after another,
//! `before` uniform over the whole history (so nearly every page is cold in the server's
//! caches, if not in SQLite's page cache), and every answer must be 200 with 50 messages.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use rand::Rng;

use crate::http::{resolve, Conn};

pub struct Outcome {
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
    pub errors: u64,
    pub elapsed: Duration,
}

fn request(authority: &str, path: &str, token: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\n\
         Accept: application/json\r\nUser-Agent: kantor-bench\r\n\r\n"
    )
    .into_bytes()
}

/// Checks one page, then sends `requests` page reads over `connections` connections.
pub async fn run(
    url: &str,
    token: &str,
    org_id: &str,
    conversation_id: &str,
    messages: usize,
    requests: usize,
    connections: usize,
) -> anyhow::Result<Outcome> {
    let (addr, authority) = resolve(url).await?;
    let base = format!("/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/messages");
    // The oldest full page and the newest, checked for shape once.
    let mut conn = Conn::connect(addr, true).await?;
    for before in [51, messages as i64 + 1] {
        let answer = conn
            .exchange(&request(
                &authority,
                &format!("{base}?before={before}&limit=50"),
                token,
            ))
            .await
            .context("the first page request failed")?;
        let body: serde_json::Value = serde_json::from_slice(conn.body())
            .with_context(|| format!("page before {before}: not JSON"))?;
        let got = body["messages"].as_array().map_or(0, Vec::len);
        if answer.status != 200 || got != 50 {
            bail!(
                "page before {before}: status {} with {got} messages (want 200 with 50): {}",
                answer.status,
                String::from_utf8_lossy(conn.body())
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
    }
    let started = Instant::now();
    let per_connection = requests.div_ceil(connections);
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let n = per_connection.min(requests.saturating_sub(c * per_connection));
        let (authority, base, token) = (authority.clone(), base.clone(), token.to_string());
        tasks.push(tokio::spawn(async move {
            drive(addr, &authority, &base, &token, messages as i64, n).await
        }));
    }
    let mut latency = histogram();
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await.context("a connection task panicked")??;
        latency.add(&h).context("merging histograms")?;
        errors += e;
    }
    Ok(Outcome {
        latency,
        errors,
        elapsed: started.elapsed(),
    })
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("1 µs to 60 s at 3 digits is valid")
}

async fn drive(
    addr: SocketAddr,
    authority: &str,
    base: &str,
    token: &str,
    messages: i64,
    n: usize,
) -> anyhow::Result<(Histogram<u64>, u64)> {
    let mut h = histogram();
    let mut errors = 0;
    let mut conn = Conn::connect(addr, false).await?;
    for _ in 0..n {
        // Any `before` from 51 to the newest + 1 gives a full page.
        let before = rand::thread_rng().gen_range(51..=messages + 1);
        let req = request(
            authority,
            &format!("{base}?before={before}&limit=50"),
            token,
        );
        let sent = Instant::now();
        match conn.exchange(&req).await {
            Ok(a) => {
                h.saturating_record(sent.elapsed().as_micros().max(1) as u64);
                if a.status != 200 {
                    errors += 1;
                }
                if !a.keep_alive {
                    conn = Conn::connect(addr, false).await?;
                }
            }
            Err(_) => {
                errors += 1;
                conn = Conn::connect(addr, false).await?;
            }
        }
    }
    Ok((h, errors))
}

//! The HTTP load generator: N keep-alive HTTP/1.1 connections, each one task sending the same
//! pre-built request and reading the whole response before the next (no pipelining).
//!
//! It is hand-written over `TcpStream` (httparse reads the head) because on a 2-core machine
//! the client shares the CPU with the server: every cycle the client spends is one the server
//! cannot.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where to send what.
pub struct Target {
    pub addr: SocketAddr,
    pub request: Arc<[u8]>,
}

impl Target {
    /// `GET path` on `url` (`http://host:port`) with a bearer token.
    pub async fn new(url: &str, path: &str, token: &str) -> anyhow::Result<Self> {
        let (addr, authority) = resolve(url).await?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer {token}\r\n\
             Accept: application/json\r\nUser-Agent: kantor-bench\r\n\r\n"
        );
        Ok(Self {
            addr,
            request: request.into_bytes().into(),
        })
    }

    /// One request on a fresh connection; fails unless the answer is 200.
    pub async fn check(&self) -> anyhow::Result<()> {
        let mut conn = Conn::connect(self.addr, true)
            .await
            .with_context(|| format!("cannot connect to {}", self.addr))?;
        let answer = conn
            .exchange(&self.request)
            .await
            .context("the first request failed")?;
        if answer.status != 200 {
            bail!(
                "the first request was answered {} (not 200): {}",
                answer.status,
                String::from_utf8_lossy(&conn.last_body)
                    .chars()
                    .take(300)
                    .collect::<String>()
            );
        }
        Ok(())
    }
}

/// The socket address and `host:port` authority of a server's root URL (`http://host:port`).
pub async fn resolve(url: &str) -> anyhow::Result<(SocketAddr, String)> {
    let authority = url
        .strip_prefix("http://")
        .with_context(|| format!("{url}: only http:// URLs can be benchmarked"))?
        .trim_end_matches('/');
    if authority.contains('/') {
        bail!("{url}: give the server's root URL, like http://127.0.0.1:8080");
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = tokio::net::lookup_host(&with_port)
        .await
        .with_context(|| format!("cannot resolve {authority}"))?
        .next()
        .with_context(|| format!("{authority} resolves to no address"))?;
    Ok((addr, authority.to_string()))
}

/// What a load run measured.
pub struct Outcome {
    /// Responses completed inside the measured window.
    pub requests: u64,
    /// Non-200 responses plus failed exchanges (connect or I/O errors) inside the window.
    pub errors: u64,
    pub io_errors: u64,
    pub reconnects: u64,
    /// Latencies in microseconds.
    pub latency: Histogram<u64>,
    pub measured: Duration,
}

/// Drives `connections` connections for `warmup` (not counted) and then `duration`.
pub async fn run(
    target: &Target,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let begin = Instant::now();
    let window_start = begin + warmup;
    let window_end = window_start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for _ in 0..connections {
        let addr = target.addr;
        let request = Arc::clone(&target.request);
        tasks.push(tokio::spawn(async move {
            let mut stats = Stats::new();
            // A server that stops answering must not hang the benchmark.
            let deadline = tokio::time::Instant::from_std(window_end + Duration::from_secs(5));
            let _ = tokio::time::timeout_at(
                deadline,
                drive(addr, &request, window_start, window_end, &mut stats),
            )
            .await;
            stats
        }));
    }
    let mut total = Stats::new();
    for t in tasks {
        let s = t.await.context("a connection task panicked")?;
        total.ok += s.ok;
        total.errors += s.errors;
        total.io_errors += s.io_errors;
        total.reconnects += s.reconnects;
        total
            .latency
            .add(&s.latency)
            .context("merging latency histograms")?;
    }
    Ok(Outcome {
        requests: total.ok + total.errors,
        errors: total.errors,
        io_errors: total.io_errors,
        reconnects: total.reconnects,
        latency: total.latency,
        measured: window_end - window_start,
    })
}

struct Stats {
    ok: u64,
    /// Non-200 answers and failed exchanges.
    errors: u64,
    io_errors: u64,
    reconnects: u64,
    latency: Histogram<u64>,
}

impl Stats {
    fn new() -> Self {
        Self {
            ok: 0,
            errors: 0,
            io_errors: 0,
            reconnects: 0,
            // 1 µs to 60 s at 3 significant digits.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3)
                .expect("1 µs to 60 s at 3 digits is a valid histogram"),
        }
    }
}

async fn drive(
    addr: SocketAddr,
    request: &[u8],
    window_start: Instant,
    window_end: Instant,
    stats: &mut Stats,
) {
    let mut conn: Option<Conn> = None;
    loop {
        let now = Instant::now();
        if now >= window_end {
            return;
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::connect(addr, false).await {
                Ok(c) => {
                    stats.reconnects += 1;
                    conn.insert(c)
                }
                Err(_) => {
                    if now >= window_start {
                        stats.errors += 1;
                        stats.io_errors += 1;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        let result = c.exchange(request).await;
        let done = Instant::now();
        let counted = done > window_start && done <= window_end;
        match result {
            Ok(answer) => {
                if counted {
                    if answer.status == 200 {
                        stats.ok += 1;
                    } else {
                        stats.errors += 1;
                    }
                    let micros = (done - sent).as_micros().max(1) as u64;
                    stats.latency.saturating_record(micros);
                }
                if !answer.keep_alive {
                    conn = None;
                }
            }
            Err(_) => {
                if counted {
                    stats.errors += 1;
                    stats.io_errors += 1;
                }
                conn = None;
            }
        }
    }
}

pub struct Answer {
    pub status: u16,
    pub keep_alive: bool,
}

enum Body {
    Length(usize),
    Chunked,
    UntilClose,
}

/// One keep-alive connection and its read buffer (`buf[start..end]` is unread).
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The body of the last answer, kept only for `check`'s error message.
    last_body: Vec<u8>,
    keep_body: bool,
}

impl Conn {
    /// `keep_body` keeps each answer's body for error messages (not in the hot loop).
    pub async fn connect(addr: SocketAddr, keep_body: bool) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; 16 * 1024],
            start: 0,
            end: 0,
            last_body: Vec::new(),
            keep_body,
        })
    }

    /// The body of the last answer (only kept when connected with `keep_body`).
    pub fn body(&self) -> &[u8] {
        &self.last_body
    }

    /// Reads more bytes into the buffer; EOF is an error.
    async fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() && self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = self.buf.len() * 2;
            self.buf.resize(grown, 0);
        }
        let n = self.stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.end += n;
        Ok(())
    }

    fn available(&self) -> usize {
        self.end - self.start
    }

    /// Consumes `n` buffered bytes as body.
    fn take(&mut self, n: usize) {
        if self.keep_body {
            self.last_body
                .extend_from_slice(&self.buf[self.start..self.start + n]);
        }
        self.start += n;
    }

    /// Sends the request and reads one whole response.
    pub async fn exchange(&mut self, request: &[u8]) -> io::Result<Answer> {
        self.stream.write_all(request).await?;
        self.last_body.clear();
        let (status, keep_alive, body) = loop {
            if self.available() > 0 {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut response = httparse::Response::new(&mut headers);
                match response.parse(&self.buf[self.start..self.end]) {
                    Ok(httparse::Status::Complete(head_len)) => {
                        let status = response.code.unwrap_or(0);
                        let mut keep_alive = response.version == Some(1);
                        let mut body = Body::UntilClose;
                        for h in response.headers.iter() {
                            if h.name.eq_ignore_ascii_case("content-length") {
                                let n = std::str::from_utf8(h.value)
                                    .ok()
                                    .and_then(|v| v.trim().parse().ok())
                                    .ok_or(io::ErrorKind::InvalidData)?;
                                body = Body::Length(n);
                            } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                                if h.value.eq_ignore_ascii_case(b"chunked") {
                                    body = Body::Chunked;
                                }
                            } else if h.name.eq_ignore_ascii_case("connection") {
                                keep_alive = !h.value.eq_ignore_ascii_case(b"close");
                            }
                        }
                        if matches!(status, 100..=199 | 204 | 304) {
                            body = Body::Length(0);
                        }
                        self.start += head_len;
                        if (100..=199).contains(&status) {
                            continue; // an interim answer; the real one follows
                        }
                        break (status, keep_alive, body);
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(_) => return Err(io::ErrorKind::InvalidData.into()),
                }
            }
            self.fill().await?;
        };
        match body {
            Body::Length(n) => {
                while self.available() < n {
                    self.fill().await?;
                }
                self.take(n);
            }
            Body::Chunked => self.read_chunked().await?,
            Body::UntilClose => {
                loop {
                    let n = self.available();
                    self.take(n);
                    match self.fill().await {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                        Err(e) => return Err(e),
                    }
                }
                return Ok(Answer {
                    status,
                    keep_alive: false,
                });
            }
        }
        Ok(Answer { status, keep_alive })
    }

    /// The position just past the next CRLF in the buffer, reading more as needed.
    async fn line(&mut self) -> io::Result<(usize, usize)> {
        loop {
            if let Some(i) = self.buf[self.start..self.end]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                return Ok((self.start, self.start + i));
            }
            self.fill().await?;
        }
    }

    async fn read_chunked(&mut self) -> io::Result<()> {
        loop {
            let (from, to) = self.line().await?;
            let size_text = std::str::from_utf8(&self.buf[from..to])
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
            let size_text = size_text.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
            self.start = to + 2;
            if size == 0 {
                // Trailers, then an empty line.
                loop {
                    let (from, to) = self.line().await?;
                    self.start = to + 2;
                    if from == to {
                        return Ok(());
                    }
                }
            }
            while self.available() < size + 2 {
                self.fill().await?;
            }
            self.take(size);
            self.start += 2;
        }
    }
}

/// A latency quantile in milliseconds.
pub fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    h.value_at_quantile(q) as f64 / 1000.0
}

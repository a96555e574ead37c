//! `kantor-bench`: benchmarks of a real Kantor server over real sockets.
//!
//! It runs the `kantor` binary that sits beside its own executable (build both with
//! `cargo build --release -p kantor -p kantor-bench`) on a temporary data directory and a free
//! loopback port, seeds it with `kantor admin`, measures, stops it and removes the directory.
//! Progress goes to stderr; the last line of stdout is one JSON object with the figures.
//!
//! - `http`: authenticated `GET /api/v1/me`, N keep-alive connections, for a fixed time after a
//!   one-second warm-up: requests per second, p50/p99 latency, errors (non-200 or failed).
//! - `startup`: start-to-ready time on an existing database (median of 5) and the resident
//!   memory of the idle server.
//! - `import`: upload and confirm a CSV of `--rows` staff (5,000 by default), timed.
//!
//! # Layout
//!
//! - `main.rs`: the command line and the two benchmarks.
//! - [`server`]: spawning, seeding and stopping `kantor`; /proc readings.
//! - [`http`]: the load generator.
//! - [`import`]: the staff-import scenario.

mod http;
mod import;
mod server;

use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Parser, ValueEnum};
use serde_json::json;

use server::{Kantor, TempDir};

#[derive(Parser)]
#[command(
    name = "kantor-bench",
    version,
    about = "Benchmarks a Kantor server; prints one JSON line of figures last"
)]
struct Cli {
    /// Which benchmark.
    #[arg(value_enum)]
    bench: Bench,
    /// Benchmark an already running server (http only) instead of starting one; needs --token.
    #[arg(long)]
    url: Option<String>,
    /// An API token for --url (`kantor admin token issue`).
    #[arg(long)]
    token: Option<String>,
    /// PostgreSQL for the spawned server (passed as KANTOR_DATABASE_URL); SQLite otherwise.
    #[arg(long)]
    database_url: Option<String>,
    /// Measured seconds (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Threads of the load generator; it shares the machine with the server, so few is best.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// People in the generated staff file (import).
    #[arg(long, default_value_t = 5000)]
    rows: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum Bench {
    /// Authenticated GET /api/v1/me under load.
    Http,
    /// Start-to-ready time and idle memory.
    Startup,
    /// Upload and confirm a staff import of --rows people.
    Import,
}

const WARMUP: Duration = Duration::from_secs(1);
const STARTUP_RUNS: usize = 5;
const IDLE_SETTLE: Duration = Duration::from_secs(2);

fn main() {
    let cli = Cli::parse();
    match run(cli) {
        Ok(line) => println!("{line}"),
        Err(e) => {
            eprintln!("kantor-bench: {e:#}");
            std::process::exit(1);
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<String> {
    if cli.connections == 0 || cli.duration_secs == 0 || cli.client_threads == 0 {
        bail!("--connections, --duration-secs and --client-threads must be at least 1");
    }
    let runtime = if cli.client_threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(cli.client_threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async {
        match cli.bench {
            Bench::Http => http_bench(&cli).await,
            Bench::Startup => startup_bench(&cli).await,
            Bench::Import => import_bench(&cli).await,
        }
    })
}

async fn http_bench(cli: &Cli) -> anyhow::Result<String> {
    if let Some(url) = &cli.url {
        let token = cli
            .token
            .as_deref()
            .context("--url needs --token (issue one with kantor admin token issue)")?;
        if cli.database_url.is_some() {
            bail!("--database-url is for a server kantor-bench starts, not with --url");
        }
        return load(cli, url, token, None).await;
    }
    let dir = TempDir::new()?;
    let kantor = Kantor::beside_me(dir.path(), cli.database_url.clone())?;
    eprintln!("seeding an organisation and an API token …");
    let token = kantor.bootstrap().await?;
    let server = kantor.start().await?;
    eprintln!(
        "server {} (pid {}) ready in {} ms",
        server.url,
        server.pid,
        server.ready_after.as_millis()
    );
    let result = load(cli, &server.url, &token, Some(server.pid)).await;
    let stopped = server.stop().await;
    if result.is_err() {
        eprintln!("server log (last lines):\n{}", kantor.log_tail());
    }
    drop(dir);
    let value = result?;
    stopped?;
    Ok(value)
}

async fn import_bench(cli: &Cli) -> anyhow::Result<String> {
    if cli.url.is_some() {
        bail!("import writes people into an organisation: it runs on a server kantor-bench starts, not with --url");
    }
    let dir = TempDir::new()?;
    let kantor = Kantor::beside_me(dir.path(), cli.database_url.clone())?;
    let token = kantor.bootstrap().await?;
    let server = kantor.start().await?;
    eprintln!("importing {} people into a fresh organisation …", cli.rows);
    let result = import::run(&server.url, &token, cli.rows).await;
    let stopped = server.stop().await;
    if result.is_err() {
        eprintln!("server log (last lines):\n{}", kantor.log_tail());
    }
    drop(dir);
    let t = result?;
    stopped?;
    eprintln!(
        "preview {} ms, confirm {} ms, {} imported",
        t.preview.as_millis(),
        t.confirm.as_millis(),
        t.imported
    );
    Ok(json_line(&[
        ("bench", json!("import")),
        ("rows", json!(cli.rows)),
        ("imported", json!(t.imported)),
        ("preview_ms", json!(t.preview.as_millis() as u64)),
        ("confirm_ms", json!(t.confirm.as_millis() as u64)),
    ]))
}

async fn load(
    cli: &Cli,
    url: &str,
    token: &str,
    server_pid: Option<u32>,
) -> anyhow::Result<String> {
    let target = http::Target::new(url, "/api/v1/me", token).await?;
    target.check().await?;
    let duration = Duration::from_secs(cli.duration_secs);
    eprintln!(
        "GET /api/v1/me: {} connections, {} s warm-up + {} s measured, {} client thread(s) …",
        cli.connections,
        WARMUP.as_secs(),
        cli.duration_secs,
        cli.client_threads
    );
    let server_pid = server_pid.map(|p| p.to_string());
    let cpu = |pid: &str| server::cpu_time(pid);
    let before = (
        server_pid.as_deref().and_then(cpu),
        cpu("self"),
        std::time::Instant::now(),
    );
    let outcome = http::run(&target, cli.connections, WARMUP, duration).await?;
    let after = (
        server_pid.as_deref().and_then(cpu),
        cpu("self"),
        std::time::Instant::now(),
    );
    let wall = (after.2 - before.2).as_secs_f64();
    let share = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
        (Some(a), Some(b)) => format!("{:.0}%", (b - a).as_secs_f64() / wall * 100.0),
        _ => "?".to_string(),
    };
    let secs = outcome.measured.as_secs_f64();
    let rps = outcome.requests as f64 / secs;
    let h = &outcome.latency;
    eprintln!(
        "{} responses in {:.1} s: {:.0} req/s; latency p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, \
         p99.9 {:.3} ms, max {:.3} ms; {} errors ({} I/O), {} connects",
        outcome.requests,
        secs,
        rps,
        http::quantile_ms(h, 0.5),
        http::quantile_ms(h, 0.9),
        http::quantile_ms(h, 0.99),
        http::quantile_ms(h, 0.999),
        h.max() as f64 / 1000.0,
        outcome.errors,
        outcome.io_errors,
        outcome.reconnects,
    );
    let server_share = if server_pid.is_some() {
        format!("server {}, ", share(before.0, after.0))
    } else {
        String::new()
    };
    eprintln!(
        "CPU over the run (warm-up included; 100% = one core): {server_share}client {}",
        share(before.1, after.1)
    );
    Ok(json_line(&[
        ("bench", json!("http")),
        ("rps", json!(round(rps, 1))),
        ("p50_ms", json!(round(http::quantile_ms(h, 0.5), 3))),
        ("p99_ms", json!(round(http::quantile_ms(h, 0.99), 3))),
        ("errors", json!(outcome.errors)),
        ("connections", json!(cli.connections)),
        ("duration_s", json!(cli.duration_secs)),
    ]))
}

async fn startup_bench(cli: &Cli) -> anyhow::Result<String> {
    if cli.url.is_some() {
        bail!("startup starts its own server; --url cannot be used with it");
    }
    let dir = TempDir::new()?;
    let kantor = Kantor::beside_me(dir.path(), cli.database_url.clone())?;
    eprintln!("creating and migrating the database (kantor admin bootstrap) …");
    kantor.bootstrap().await?;
    // A first start, not counted, so that later ones find everything as a restart would.
    let first = kantor.start().await?;
    eprintln!(
        "first start ready in {} ms (not counted)",
        first.ready_after.as_millis()
    );
    first.stop().await?;
    let mut ready_ms = Vec::with_capacity(STARTUP_RUNS);
    let mut rss_kib = Vec::with_capacity(STARTUP_RUNS);
    for i in 1..=STARTUP_RUNS {
        let server = kantor.start().await?;
        let ready = server.ready_after.as_secs_f64() * 1000.0;
        tokio::time::sleep(IDLE_SETTLE).await;
        let rss = server.rss_kib();
        server.stop().await?;
        let rss = rss?;
        eprintln!(
            "start {i}/{STARTUP_RUNS}: ready in {ready:.1} ms; idle RSS after {} s {:.1} MiB",
            IDLE_SETTLE.as_secs(),
            rss as f64 / 1024.0
        );
        ready_ms.push(ready);
        rss_kib.push(rss);
    }
    drop(dir);
    ready_ms.sort_by(f64::total_cmp);
    let median_ready = ready_ms[ready_ms.len() / 2];
    // The largest of the runs, to be on the safe side of the budget.
    let rss_mib = rss_kib.iter().copied().max().unwrap_or(0) as f64 / 1024.0;
    eprintln!("median ready {median_ready:.1} ms; largest idle RSS {rss_mib:.1} MiB");
    Ok(json_line(&[
        ("bench", json!("startup")),
        ("rss_mib", json!(round(rss_mib, 1))),
        ("ready_ms", json!(round(median_ready, 1))),
    ]))
}

/// One JSON object with its keys in the given order (serde_json's own map sorts them, and
/// turning on its `preserve_order` would change the server's JSON too).
fn json_line(fields: &[(&str, serde_json::Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(*k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

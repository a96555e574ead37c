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
//! - `chat-load`: `--users` people (5,000) each with a WebSocket open, posting into channels of
//!   10–50 at a Poisson rate that rises step by step until p99 post→delivery latency passes
//!   200 ms (or posts fail): the highest rate held.
//! - `chat-fanout`: `--members` people (10,000) each with a WebSocket open in one super group;
//!   an admin posts `--messages` (20) announcements, one every `--every-ms` (500): post→receipt
//!   latency at every member (p50/p99), deliveries missed, and the server's memory per idle
//!   connection.
//! - `chat-history`: random pages of 50 from a channel of `--messages` (100,000) messages.
//! - `chat-store`: no server; `--requests` chat posts replayed through `kantor_store` one at a
//!   time, timing the transaction's statements, its commit and the relay's numbering apart.
//! - `sfu`: one publisher (three simulcast layers + audio) and `--subscribers` (300) synthetic
//!   guests watching it at 640×360, the server pinned to CPU 0 and this process to CPU 1; over
//!   `--seconds` (20): packets forwarded per second, the server's CPU, video streams per core,
//!   loss on the video m-lines, and whether this process was saturated.
//! - `meeting-join`: `--joins` (30) guests join one after another while a publisher sends; each
//!   timed from `POST /meet/join` to its first keyframe (p50/p95).
//! - `meeting`: `--participants` (100) in one meeting, all sending audio (`--talkers`, 6, talk
//!   in spurts; the rest are silent with DTX), the first `--cameras` (25) also simulcast video;
//!   everyone views every camera at 320×180 and hears the 3 loudest others. Over `--seconds`:
//!   loss on every received m-line and the server's CPU (pinned as for `sfu`). `--mics N`
//!   lets only the first N publish a microphone (to see what per-microphone m-lines cost).
//!
//! # Layout
//!
//! - `main.rs`: the command line and the small benchmarks.
//! - [`server`]: spawning, seeding and stopping `kantor`; /proc readings.
//! - [`http`]: the load generator and its keep-alive connection.
//! - [`import`]: the staff-import scenario.
//! - [`seed`]: people, API tokens, channels and messages written straight into the store.
//! - [`chat_load`]: the WebSocket fan-out ramp.
//! - [`chat_fanout`]: announcements to a super group of connected members.
//! - [`chat_history`]: the history-paging scenario.
//! - [`chat_store`]: a chat post's writer work replayed through the store, stage by stage.
//! - [`meet`]: synthetic meeting participants over the REST join, the meeting WebSocket and
//!   real media; the sfu and meeting-join scenarios.

mod chat_fanout;
mod chat_history;
mod chat_load;
mod chat_search;
mod chat_store;
mod http;
mod import;
mod meet;
mod seed;
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
    /// For chat-load and chat-history: the PostgreSQL server on which a fresh database is made
    /// (and dropped after); defaults to $KANTOR_TEST_PG_URL with --backend postgres.
    #[arg(long)]
    database_url: Option<String>,
    /// chat-load, chat-history: the database of the spawned server.
    #[arg(long, value_enum, default_value_t = DbBackend::Sqlite)]
    backend: DbBackend,
    /// Measured seconds (after a one-second warm-up).
    #[arg(long, default_value_t = 10)]
    duration_secs: u64,
    /// Concurrent keep-alive connections (http: 64; chat-history: 4; chat-load: the most
    /// posting connections open at once, 256).
    #[arg(long)]
    connections: Option<usize>,
    /// Threads of the load generator; it shares the machine with the server, so few is best.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// People in the generated staff file (import).
    #[arg(long, default_value_t = 5000)]
    rows: usize,
    /// chat-load: people, each with one WebSocket.
    #[arg(long, default_value_t = 5000)]
    users: usize,
    /// chat-load: seconds each rate is held.
    #[arg(long, default_value_t = 60)]
    step_secs: u64,
    /// chat-load: posts per second of the first step.
    #[arg(long, default_value_t = 250.0)]
    start_rate: f64,
    /// chat-load: the rate is never raised past this.
    #[arg(long)]
    max_rate: Option<f64>,
    /// chat-load: each step's rate is the previous one's times this (1.25–1.5 is sensible).
    #[arg(long, default_value_t = 1.4)]
    step_factor: f64,
    /// chat-load: at most this many steps, so the run is bounded.
    #[arg(long, default_value_t = 8)]
    max_steps: usize,
    /// chat-load: a step holds only if p99 post→delivery latency is at most this.
    #[arg(long, default_value_t = 200)]
    p99_limit_ms: u64,
    /// chat-history: messages in the channel (100,000); chat-fanout: announcements posted (20).
    #[arg(long)]
    messages: Option<usize>,
    /// chat-fanout: people in the super group, each with one WebSocket (the admin who posts
    /// comes on top).
    #[arg(long, default_value_t = 10_000)]
    members: usize,
    /// chat-fanout: milliseconds between announcements.
    #[arg(long, default_value_t = 500)]
    every_ms: u64,
    /// chat-history: page requests measured.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// sfu: guests watching the publisher.
    #[arg(long, default_value_t = 300)]
    subscribers: usize,
    /// sfu: measured seconds, once every guest receives video.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// sfu: guests joining at once during the ramp.
    #[arg(long, default_value_t = 20)]
    join_concurrency: usize,
    /// meeting-join: participants joining one after another.
    #[arg(long, default_value_t = 30)]
    joins: usize,
    /// meeting: people in the meeting, all sending audio.
    #[arg(long, default_value_t = 100)]
    participants: usize,
    /// meeting: participants who also send simulcast video.
    #[arg(long, default_value_t = 25)]
    cameras: usize,
    /// meeting: participants who talk (in spurts); the others are silent (DTX).
    #[arg(long, default_value_t = 6)]
    talkers: usize,
    /// meeting: participants who publish a microphone at all (default: everyone) — to see
    /// what the per-microphone m-lines cost.
    #[arg(long)]
    mics: Option<usize>,
    /// sfu, meeting-join, meeting: do not pin the server to CPU 0 and this process to CPU 1.
    #[arg(long)]
    no_pin: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DbBackend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy, ValueEnum)]
enum Bench {
    /// Authenticated GET /api/v1/me under load.
    Http,
    /// Start-to-ready time and idle memory.
    Startup,
    /// Upload and confirm a staff import of --rows people.
    Import,
    /// --users WebSockets, posts at a rising rate into channels of 10–50: highest rate held.
    ChatLoad,
    /// --members WebSockets in one super group, --messages announcements: latency and memory.
    ChatFanout,
    /// Random pages of 50 from a channel of --messages messages.
    ChatHistory,
    /// --messages (1,000,000) indexed across 1,000 channels, --requests (1,000) searches over
    /// HTTP by people in some of the channels: indexing rate and search latency.
    ChatSearch,
    /// Diagnosis without a server: --requests posts through the store, stage by stage.
    ChatStore,
    /// One publisher, --subscribers guests viewing it: forwarding cost and loss.
    Sfu,
    /// --joins guests join one after another: join request to first keyframe.
    MeetingJoin,
    /// --participants in one call, everyone's audio, --cameras videos: loss and SFU CPU.
    Meeting,
}

const WARMUP: Duration = Duration::from_secs(1);
/// sfu, meeting-join: the server runs on this CPU and the load generator on the other.
const SERVER_CPU: &str = "0";
const BENCH_CPU: &str = "1";
const STARTUP_RUNS: usize = 5;
const IDLE_SETTLE: Duration = Duration::from_secs(2);
const HISTORY_MESSAGES: usize = 100_000;
const FANOUT_MESSAGES: usize = 20;
/// chat-fanout: how long after the last announcement deliveries may still arrive.
const FANOUT_GRACE: Duration = Duration::from_secs(10);

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

fn run(mut cli: Cli) -> anyhow::Result<String> {
    if cli.connections == Some(0) || cli.duration_secs == 0 || cli.client_threads == 0 {
        bail!("--connections, --duration-secs and --client-threads must be at least 1");
    }
    if matches!(cli.bench, Bench::ChatLoad) {
        // Both ends of every socket live on this machine; the server is another process, but
        // this one holds --users sockets plus the posting pool.
        raise_open_files(cli.users as u64 + 1024)?;
    }
    if matches!(cli.bench, Bench::ChatFanout) {
        raise_open_files(cli.members as u64 + 1024)?;
    }
    let meeting_bench = matches!(cli.bench, Bench::Sfu | Bench::MeetingJoin | Bench::Meeting);
    if meeting_bench {
        // Each synthetic participant holds two UDP sockets and a WebSocket; the server the
        // other end of the WebSocket.
        let people = match cli.bench {
            Bench::Sfu => cli.subscribers,
            Bench::Meeting => cli.participants,
            _ => cli.joins,
        };
        raise_open_files(people as u64 * 4 + 1024)?;
        if pin_cpus(cli.no_pin) {
            // Before the runtime starts, so that every thread of this process stays on CPU 1.
            server::pin_self(BENCH_CPU)?;
        } else {
            cli.no_pin = true;
        }
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
            Bench::ChatLoad => chat_load_bench(&cli).await,
            Bench::ChatFanout => chat_fanout_bench(&cli).await,
            Bench::ChatHistory => chat_history_bench(&cli).await,
            Bench::ChatSearch => chat_search_bench(&cli).await,
            Bench::ChatStore => chat_store_bench(&cli).await,
            Bench::Sfu => sfu_bench(&cli).await,
            Bench::MeetingJoin => meeting_join_bench(&cli).await,
            Bench::Meeting => meeting_call_bench(&cli).await,
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
    say_ready(&server);
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

/// The PostgreSQL server for the chat benchmarks' fresh database, if PostgreSQL was asked for.
fn pg_base(cli: &Cli) -> anyhow::Result<Option<String>> {
    if cli.url.is_some() {
        bail!("the chat benchmarks seed their own server; --url cannot be used with them");
    }
    match (cli.backend, &cli.database_url) {
        (DbBackend::Sqlite, None) => Ok(None),
        (_, Some(url)) => Ok(Some(url.clone())),
        (DbBackend::Postgres, None) => std::env::var("KANTOR_TEST_PG_URL").map(Some).context(
            "--backend postgres needs --database-url postgres://… or $KANTOR_TEST_PG_URL \
             (scripts/testenv.sh writes it)",
        ),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Raises this process's (and so the spawned server's) open-file soft limit towards `want`;
/// fails if it cannot reach at least `need`.
fn raise_open_files(need: u64) -> anyhow::Result<()> {
    let want = need * 2 + 4096;
    let got = rlimit::increase_nofile_limit(want).context("cannot raise the open-file limit")?;
    if got < need {
        bail!(
            "the open-file limit is {got} but {need} are needed (raise the hard limit: ulimit -Hn)"
        );
    }
    Ok(())
}

async fn chat_load_bench(cli: &Cli) -> anyhow::Result<String> {
    let pg = pg_base(cli)?;
    if cli.users < 50 || cli.step_secs == 0 || cli.max_steps == 0 {
        bail!("chat-load needs --users ≥ 50, --step-secs ≥ 1 and --max-steps ≥ 1");
    }
    if cli.start_rate <= 0.0 || cli.step_factor <= 1.0 {
        bail!("--start-rate must be above 0 and --step-factor above 1");
    }
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = TempDir::new()?;
    let db = seed::Database::new(dir.path(), pg.as_deref()).await?;
    let result = chat_load_on(cli, &dir, &db).await;
    db.drop_if_postgres().await;
    drop(dir);
    let (outcome, channels, memberships) = result?;
    let held = outcome.steps.iter().rev().find(|s| s.failure.is_none());
    let stop = outcome
        .steps
        .last()
        .and_then(|s| s.failure.as_ref().map(|f| (s.rate, f.clone())));
    match (&held, &stop) {
        (Some(h), _) => eprintln!(
            "highest step held: {:.0} posts/s, {:.0} deliveries/s, p99 {:.1} ms",
            h.posts_per_s, h.deliveries_per_s, h.p99_ms
        ),
        (None, _) => eprintln!("not even the first step held"),
    }
    let fig = |f: fn(&chat_load::Step) -> f64, digits| json!(round(held.map_or(0.0, f), digits));
    let last = outcome.steps.last().filter(|s| s.failure.is_some());
    let cpu = |f: fn(&chat_load::Step) -> Option<f64>| {
        held.or(outcome.steps.last())
            .and_then(f)
            .map(|c| round(c, 2))
    };
    Ok(json_line(&[
        ("bench", json!("chat-load")),
        ("users", json!(cli.users)),
        ("posts_per_s", fig(|s| s.posts_per_s, 1)),
        ("deliveries_per_s", fig(|s| s.deliveries_per_s, 1)),
        ("p99_ms", fig(|s| s.p99_ms, 1)),
        ("backend", json!(backend)),
        ("p50_ms", fig(|s| s.p50_ms, 1)),
        ("target_rate", fig(|s| s.rate, 0)),
        (
            "steps_held",
            json!(outcome.steps.iter().filter(|s| s.failure.is_none()).count()),
        ),
        (
            "stopped_at_rate",
            json!(stop.as_ref().map(|(r, _)| round(*r, 0))),
        ),
        ("stop_reason", json!(stop.map(|(_, f)| f))),
        ("step_secs", json!(cli.step_secs)),
        ("channels", json!(channels)),
        ("memberships", json!(memberships)),
        ("connect_ms", json!(outcome.connect.as_millis() as u64)),
        (
            "connect_other_mib",
            json!(round(outcome.presence_bytes as f64 / 1048576.0, 1)),
        ),
        ("client_threads", json!(cli.client_threads)),
        ("stopped_p50_ms", json!(last.map(|s| round(s.p50_ms, 1)))),
        ("stopped_p99_ms", json!(last.map(|s| round(s.p99_ms, 1)))),
        // Of the step reported (the highest held, else the one that stopped the run).
        ("server_cpu_cores", json!(cpu(|s| s.server_cpu))),
        ("client_cpu_cores", json!(cpu(|s| s.client_cpu))),
        ("other_cpu_cores", json!(cpu(|s| s.other_cpu))),
    ]))
}

async fn chat_load_on(
    cli: &Cli,
    dir: &TempDir,
    db: &seed::Database,
) -> anyhow::Result<(chat_load::Outcome, usize, usize)> {
    let (kantor, boot, org, store) = bootstrap_to_seed(dir, db).await?;
    let now = now_ms();
    let people = seed::people(&store, org, cli.users, now).await?;
    let channels = seed::channels(&store, org, &people, (10, 50), now).await?;
    store.close().await;
    let memberships = channels.iter().map(|c| c.members.len()).sum();
    let server = kantor.start().await?;
    say_ready(&server);
    let options = chat_load::Options {
        step: Duration::from_secs(cli.step_secs),
        start_rate: cli.start_rate,
        max_rate: cli.max_rate,
        step_factor: cli.step_factor,
        max_steps: cli.max_steps,
        p99_limit: Duration::from_millis(cli.p99_limit_ms),
        max_connections: cli.connections.unwrap_or(256),
    };
    // Bounded whatever happens: every step plus its grace periods, plus connecting.
    let bound = Duration::from_secs(cli.max_steps as u64 * (cli.step_secs + 60) + 300);
    let url = server.url.clone();
    let work = chat_load::run(&url, server.pid, &boot.org_id, &people, &channels, &options);
    let outcome = bounded("chat-load", bound, work, &kantor, server).await?;
    Ok((outcome, channels.len(), memberships))
}

/// Tells where the spawned server listens and how soon it was ready.
fn say_ready(server: &server::Running) {
    eprintln!(
        "server {} (pid {}) ready in {} ms",
        server.url,
        server.pid,
        server.ready_after.as_millis()
    );
}

/// chat-history: messages in the channel.
fn history_messages(cli: &Cli) -> usize {
    cli.messages.unwrap_or(HISTORY_MESSAGES)
}

/// A `kantor` on the benchmark's database, an organisation made by `kantor admin bootstrap`
/// (which also creates and migrates the database), and the store open to seed it.
async fn bootstrap_to_seed(
    dir: &TempDir,
    db: &seed::Database,
) -> anyhow::Result<(
    Kantor,
    server::Bootstrap,
    kantor_core::ids::OrgId,
    kantor_store::Store,
)> {
    let kantor = Kantor::beside_me(dir.path(), db.server_url.clone())?;
    eprintln!("creating the database and an organisation (kantor admin bootstrap) …");
    let boot = kantor.bootstrap_org().await?;
    let org = boot.org_id.parse().context("bootstrap's org_id")?;
    let store = db.open().await?;
    Ok((kantor, boot, org, store))
}

async fn chat_fanout_bench(cli: &Cli) -> anyhow::Result<String> {
    let pg = pg_base(cli)?;
    let messages = cli.messages.unwrap_or(FANOUT_MESSAGES);
    if cli.members == 0 || messages == 0 || cli.every_ms == 0 {
        bail!("chat-fanout needs --members, --messages and --every-ms of at least 1");
    }
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = TempDir::new()?;
    let db = seed::Database::new(dir.path(), pg.as_deref()).await?;
    let result = chat_fanout_on(cli, messages, &dir, &db).await;
    db.drop_if_postgres().await;
    drop(dir);
    let (o, group) = result?;
    let per_conn = o.rss_per_conn_kib(cli.members);
    eprintln!(
        "{} of {} deliveries ({} missed) of {} announcements to {} members: p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms; slowest post {:.1} ms; server RSS {:.1} KiB per idle \
         connection, {:.1} MiB at the end; CPU per announcement: server {} ms, bench {} ms; \
         per announcement: {:?}",
        o.delivered,
        cli.members as u64 * messages as u64,
        o.missed,
        o.posted,
        cli.members,
        o.p50_ms,
        o.p99_ms,
        o.max_ms,
        o.post_max_ms,
        per_conn,
        o.rss_end_kib as f64 / 1024.0,
        o.server_cpu_ms.map_or("?".into(), |c| format!("{c:.1}")),
        o.client_cpu_ms.map_or("?".into(), |c| format!("{c:.1}")),
        o.per_message
    );
    let cpu = |c: Option<f64>| json!(c.map(|c| round(c, 1)));
    let mib = |kib: u64| json!(round(kib as f64 / 1024.0, 1));
    Ok(json_line(&[
        ("bench", json!("chat-fanout")),
        ("members", json!(cli.members)),
        ("messages", json!(messages)),
        ("delivered", json!(o.delivered)),
        ("missed", json!(o.missed)),
        ("p50_ms", json!(round(o.p50_ms, 1))),
        ("p99_ms", json!(round(o.p99_ms, 1))),
        ("rss_mib", mib(o.rss_idle_kib)),
        ("rss_per_conn_kib", json!(round(per_conn, 1))),
        ("backend", json!(backend)),
        ("group", json!(group)),
        ("posted", json!(o.posted)),
        ("max_ms", json!(round(o.max_ms, 1))),
        ("post_max_ms", json!(round(o.post_max_ms, 1))),
        ("rss_before_mib", mib(o.rss_before_kib)),
        ("rss_end_mib", mib(o.rss_end_kib)),
        ("connect_ms", json!(o.connect.as_millis() as u64)),
        (
            "connect_other_mib",
            json!(round(o.presence_bytes as f64 / 1048576.0, 1)),
        ),
        ("closed", json!(o.closed)),
        ("server_cpu_ms_per_message", cpu(o.server_cpu_ms)),
        ("client_cpu_ms_per_message", cpu(o.client_cpu_ms)),
        ("every_ms", json!(cli.every_ms)),
    ]))
}

/// Seeds the admin, the members and a private channel of them all, starts the server, prefers
/// an org-wide group if the server makes one, and runs the announcements (bounded in time).
async fn chat_fanout_on(
    cli: &Cli,
    messages: usize,
    dir: &TempDir,
    db: &seed::Database,
) -> anyhow::Result<(chat_fanout::Outcome, &'static str)> {
    let (kantor, boot, org, store) = bootstrap_to_seed(dir, db).await?;
    let now = now_ms();
    let mut everyone = seed::people_as(&store, org, 1, kantor_core::role::Role::Admin, now).await?;
    everyone.extend(seed::people(&store, org, cli.members, now).await?);
    let channel = seed::private_group(&store, org, &everyone, now).await?;
    store.close().await;
    let (admin, members) = everyone.split_first().context("the admin was seeded")?;
    let server = kantor.start().await?;
    say_ready(&server);
    let options = chat_fanout::Options {
        messages,
        every: Duration::from_millis(cli.every_ms),
        grace: FANOUT_GRACE,
    };
    // Connecting (generously 20 ms a socket), settling, the announcements and their grace.
    let bound =
        Duration::from_millis(cli.members as u64 * 20 + messages as u64 * cli.every_ms + 180_000)
            + FANOUT_GRACE;
    let url = server.url.clone();
    let pid = server.pid;
    let work = async {
        let org_wide = chat_fanout::create_org_wide(&url, &boot.org_id, admin, cli.members).await?;
        let group = if org_wide.is_some() {
            "org_wide"
        } else {
            "private_channel"
        };
        let conversation = org_wide.unwrap_or_else(|| channel.to_string());
        let o = chat_fanout::run(
            &url,
            pid,
            &boot.org_id,
            &conversation,
            admin,
            members,
            &options,
        )
        .await?;
        anyhow::Ok((o, group))
    };
    bounded("chat-fanout", bound, work, &kantor, server).await
}

/// Whether the meeting benches pin the server and themselves to separate CPUs: unless told not
/// to, on a machine with at least two. Asked once, before this process pins itself.
fn pin_cpus(no_pin: bool) -> bool {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if !no_pin && cpus < 2 {
        eprintln!("only {cpus} CPU available: the server and the load generator share it");
    }
    !no_pin && cpus >= 2
}

/// A fresh server (pinned to CPU 0 unless --no-pin) with an organisation; its API token.
async fn meeting_server(
    cli: &Cli,
    dir: &TempDir,
) -> anyhow::Result<(Kantor, server::Bootstrap, server::Running)> {
    if cli.url.is_some() || cli.database_url.is_some() {
        bail!("the meeting benchmarks start their own server on SQLite; --url and --database-url cannot be used with them");
    }
    let mut kantor = Kantor::beside_me(dir.path(), None)?;
    if !cli.no_pin {
        kantor = kantor.pinned_to(SERVER_CPU);
    }
    eprintln!("creating the database and an organisation (kantor admin bootstrap) …");
    let boot = kantor.bootstrap_org().await?;
    let server = kantor.start().await?;
    say_ready(&server);
    Ok((kantor, boot, server))
}

/// Runs `work` within `bound`, then stops the server (showing its log's tail if the work
/// failed); the work's error comes first, then the stop's.
async fn bounded<T>(
    name: &str,
    bound: Duration,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
    kantor: &Kantor,
    server: server::Running,
) -> anyhow::Result<T> {
    let result = tokio::time::timeout(bound, work).await.unwrap_or_else(|_| {
        Err(anyhow::anyhow!(
            "{name} ran past its bound of {} s",
            bound.as_secs()
        ))
    });
    let stopped = server.stop().await;
    if result.is_err() {
        eprintln!("server log (last lines):\n{}", kantor.log_tail());
    }
    let value = result?;
    stopped?;
    Ok(value)
}

async fn sfu_bench(cli: &Cli) -> anyhow::Result<String> {
    if cli.subscribers == 0 || cli.seconds == 0 || cli.join_concurrency == 0 {
        bail!("sfu needs --subscribers, --seconds and --join-concurrency of at least 1");
    }
    let dir = TempDir::new()?;
    let (kantor, boot, server) = meeting_server(cli, &dir).await?;
    let options = meet::SfuOptions {
        subscribers: cli.subscribers,
        window: Duration::from_secs(cli.seconds),
        concurrency: cli.join_concurrency,
        video_timeout: Duration::from_secs(60),
    };
    let bound = Duration::from_secs(cli.seconds + 600);
    let url = server.url.clone();
    let work = meet::sfu(&url, server.pid, &boot.org_id, &boot.token, &options);
    let o = bounded("sfu", bound, work, &kantor, server).await;
    drop(dir);
    let o = o?;
    let per_core = o.receiving as f64 / o.sfu_cpu.max(1e-9);
    let saturated = o.client_cpu >= 0.9;
    eprintln!(
        "{} of {} guests received video over {:.1} s: {:.0} packets/s received ({:.0} video), \
         {:.0} kbit/s of video each, loss {:.3} %, {} keyframes",
        o.receiving,
        o.subscribers,
        o.window.as_secs_f64(),
        o.received_pps,
        o.video_pps,
        o.video_kbps_per_subscriber,
        o.loss_pct,
        o.keyframes
    );
    eprintln!(
        "server: {:.0} datagrams/s sent, {:.0} received; {} unrouted, {} dropped (room behind), \
         {} refused by the socket",
        o.server_sent_pps,
        o.server_received_pps,
        o.server_unrouted,
        o.server_queue_full,
        o.server_send_failed
    );
    eprintln!(
        "CPU (cores): server {:.3}, bench {:.3}{}, others {}; {per_core:.0} video streams per \
         server core",
        o.sfu_cpu,
        o.client_cpu,
        if saturated { " (saturated)" } else { "" },
        o.other_cpu.map_or("?".into(), |c| format!("{c:.3}"))
    );
    Ok(json_line(&[
        ("bench", json!("sfu")),
        ("subscribers", json!(o.subscribers)),
        ("streams_per_core", json!(round(per_core, 1))),
        ("loss_pct", json!(round(o.loss_pct, 3))),
        ("sfu_cpu", json!(round(o.sfu_cpu, 3))),
        ("client_saturated", json!(saturated)),
        ("client_cpu", json!(round(o.client_cpu, 3))),
        ("other_cpu", json!(o.other_cpu.map(|c| round(c, 3)))),
        ("receiving", json!(o.receiving)),
        ("forwarded_pps", json!(round(o.received_pps, 0))),
        ("video_pps", json!(round(o.video_pps, 0))),
        (
            "video_kbps_each",
            json!(round(o.video_kbps_per_subscriber, 0)),
        ),
        ("keyframes", json!(o.keyframes)),
        ("publisher_pps", json!(round(o.publisher_pps, 0))),
        ("server_sent_pps", json!(round(o.server_sent_pps, 0))),
        (
            "server_received_pps",
            json!(round(o.server_received_pps, 0)),
        ),
        ("server_unrouted", json!(o.server_unrouted)),
        ("server_queue_full", json!(o.server_queue_full)),
        ("server_send_failed", json!(o.server_send_failed)),
        ("ramp_s", json!(round(o.ramp.as_secs_f64(), 1))),
        (
            "all_video_after_s",
            json!(round(o.all_video_after.as_secs_f64(), 1)),
        ),
        ("seconds", json!(round(o.window.as_secs_f64(), 1))),
        ("pinned", json!(!cli.no_pin)),
    ]))
}

async fn meeting_call_bench(cli: &Cli) -> anyhow::Result<String> {
    if cli.participants < 2 || cli.seconds == 0 || cli.join_concurrency == 0 {
        bail!("meeting needs --participants of at least 2, --seconds and --join-concurrency of at least 1");
    }
    let dir = TempDir::new()?;
    let (kantor, boot, server) = meeting_server(cli, &dir).await?;
    let options = meet::MeetingOptions {
        participants: cli.participants,
        cameras: cli.cameras.min(cli.participants),
        talkers: cli.talkers.min(cli.participants),
        mics: cli.mics.unwrap_or(cli.participants).min(cli.participants),
        window: Duration::from_secs(cli.seconds),
        concurrency: cli.join_concurrency,
        video_timeout: Duration::from_secs(90),
    };
    let bound = Duration::from_secs(cli.seconds + 900);
    let url = server.url.clone();
    let work = meet::meeting(&url, server.pid, &boot.org_id, &boot.token, &options);
    let o = bounded("meeting", bound, work, &kantor, server).await;
    drop(dir);
    let o = o?;
    let saturated = o.client_cpu >= 0.9;
    eprintln!(
        "{} participants ({} with every camera) over {:.1} s: {:.0} packets/s received ({:.0} \
         video, {:.0} audio); each: {:.1} videos at {:.0} kbit/s, {:.2} audio streams (most {:.2})",
        o.participants,
        o.full_gallery,
        o.window.as_secs_f64(),
        o.received_pps,
        o.video_pps,
        o.audio_pps,
        o.video_streams_each,
        o.video_kbps_each,
        o.audio_streams_each,
        o.audio_streams_max
    );
    eprintln!(
        "loss {:.3} % (video {:.3} %, audio {:.3} %), {} keyframes; participants sent {:.0} \
         packets/s",
        o.loss_pct, o.video_loss_pct, o.audio_loss_pct, o.keyframes, o.sent_pps
    );
    eprintln!(
        "server: {:.0} datagrams/s sent, {:.0} received; {} unrouted, {} dropped (room behind), \
         {} refused by the socket",
        o.server_sent_pps,
        o.server_received_pps,
        o.server_unrouted,
        o.server_queue_full,
        o.server_send_failed
    );
    eprintln!(
        "CPU (cores): server {:.3}, bench {:.3}{}, others {}",
        o.sfu_cpu,
        o.client_cpu,
        if saturated { " (saturated)" } else { "" },
        o.other_cpu.map_or("?".into(), |c| format!("{c:.3}"))
    );
    Ok(json_line(&[
        ("bench", json!("meeting")),
        ("participants", json!(o.participants)),
        ("loss_pct", json!(round(o.loss_pct, 3))),
        ("sfu_cpu", json!(round(o.sfu_cpu, 3))),
        ("video_loss_pct", json!(round(o.video_loss_pct, 3))),
        ("audio_loss_pct", json!(round(o.audio_loss_pct, 3))),
        ("cameras", json!(o.cameras)),
        ("talkers", json!(o.talkers)),
        ("full_gallery", json!(o.full_gallery)),
        ("videos_each", json!(round(o.video_streams_each, 1))),
        ("video_kbps_each", json!(round(o.video_kbps_each, 0))),
        ("audio_streams_each", json!(round(o.audio_streams_each, 2))),
        ("audio_streams_max", json!(round(o.audio_streams_max, 2))),
        ("forwarded_pps", json!(round(o.received_pps, 0))),
        ("video_pps", json!(round(o.video_pps, 0))),
        ("audio_pps", json!(round(o.audio_pps, 0))),
        ("keyframes", json!(o.keyframes)),
        ("participants_sent_pps", json!(round(o.sent_pps, 0))),
        ("server_sent_pps", json!(round(o.server_sent_pps, 0))),
        (
            "server_received_pps",
            json!(round(o.server_received_pps, 0)),
        ),
        ("server_unrouted", json!(o.server_unrouted)),
        ("server_queue_full", json!(o.server_queue_full)),
        ("server_send_failed", json!(o.server_send_failed)),
        ("client_cpu", json!(round(o.client_cpu, 3))),
        ("client_saturated", json!(saturated)),
        ("other_cpu", json!(o.other_cpu.map(|c| round(c, 3)))),
        ("ramp_s", json!(round(o.ramp.as_secs_f64(), 1))),
        (
            "all_video_after_s",
            json!(round(o.all_video_after.as_secs_f64(), 1)),
        ),
        ("seconds", json!(round(o.window.as_secs_f64(), 1))),
        ("pinned", json!(!cli.no_pin)),
    ]))
}

async fn meeting_join_bench(cli: &Cli) -> anyhow::Result<String> {
    if cli.joins == 0 {
        bail!("meeting-join needs --joins of at least 1");
    }
    let dir = TempDir::new()?;
    let (kantor, boot, server) = meeting_server(cli, &dir).await?;
    let bound = Duration::from_secs(cli.joins as u64 * 15 + 120);
    let url = server.url.clone();
    let work = meet::join(&url, &boot.org_id, &boot.token, cli.joins);
    let timings = bounded("meeting-join", bound, work, &kantor, server).await;
    drop(dir);
    let timings = timings?;
    let stage = |f: fn(&meet::JoinTiming) -> Duration, q| {
        let v: Vec<f64> = timings.iter().map(|t| meet::ms(f(t))).collect();
        round(meet::quantile(&v, q), 1)
    };
    let p50 = stage(|t| t.first_keyframe, 0.5);
    let p95 = stage(|t| t.first_keyframe, 0.95);
    let max = stage(|t| t.first_keyframe, 1.0);
    eprintln!(
        "join → first keyframe over {} joins: p50 {p50} ms, p95 {p95} ms, max {max} ms",
        timings.len()
    );
    Ok(json_line(&[
        ("bench", json!("meeting-join")),
        ("joins", json!(timings.len())),
        ("p50_ms", json!(p50)),
        ("p95_ms", json!(p95)),
        ("max_ms", json!(max)),
        ("join_p50_ms", json!(stage(|t| t.joined, 0.5))),
        ("welcome_p50_ms", json!(stage(|t| t.welcome, 0.5))),
        ("sub_answered_p50_ms", json!(stage(|t| t.answered, 0.5))),
        ("pinned", json!(!cli.no_pin)),
    ]))
}

async fn chat_history_bench(cli: &Cli) -> anyhow::Result<String> {
    let pg = pg_base(cli)?;
    if history_messages(cli) < 100 || cli.requests == 0 {
        bail!("chat-history needs --messages ≥ 100 and --requests ≥ 1");
    }
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = TempDir::new()?;
    let db = seed::Database::new(dir.path(), pg.as_deref()).await?;
    let result = chat_history_on(cli, &dir, &db).await;
    db.drop_if_postgres().await;
    drop(dir);
    let o = result?;
    let h = &o.latency;
    let connections = cli.connections.unwrap_or(4);
    eprintln!(
        "{} pages in {:.2} s over {connections} connections ({:.0} pages/s): p50 {:.3} ms, \
         p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {} errors",
        h.len(),
        o.elapsed.as_secs_f64(),
        h.len() as f64 / o.elapsed.as_secs_f64(),
        http::quantile_ms(h, 0.5),
        http::quantile_ms(h, 0.9),
        http::quantile_ms(h, 0.99),
        h.max() as f64 / 1000.0,
        o.errors
    );
    if o.errors > 0 {
        bail!("{} page requests failed", o.errors);
    }
    Ok(json_line(&[
        ("bench", json!("chat-history")),
        ("p50_ms", json!(round(http::quantile_ms(h, 0.5), 3))),
        ("p99_ms", json!(round(http::quantile_ms(h, 0.99), 3))),
        ("backend", json!(backend)),
        ("messages", json!(history_messages(cli))),
        ("requests", json!(h.len())),
        ("connections", json!(connections)),
    ]))
}

async fn chat_search_bench(cli: &Cli) -> anyhow::Result<String> {
    let pg = pg_base(cli)?;
    let messages = cli.messages.unwrap_or(1_000_000);
    let requests = if cli.requests == 2000 {
        1000
    } else {
        cli.requests
    };
    if messages < 1000 || requests == 0 {
        bail!("chat-search needs --messages ≥ 1000 and --requests ≥ 1");
    }
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = TempDir::new()?;
    let db = seed::Database::new(dir.path(), pg.as_deref()).await?;
    let result = async {
        let (kantor, boot, org, store) = bootstrap_to_seed(&dir, &db).await?;
        let now = now_ms();
        let seeded = chat_search::seed(&store, org, messages, now).await?;
        store.close().await;
        let server = kantor.start().await?;
        say_ready(&server);
        eprintln!(
            "searching {requests} times as {} people …",
            seeded.searchers.len()
        );
        let out = chat_search::run(&server.url, &boot.org_id, &seeded, requests, now).await;
        let stopped = server.stop().await;
        if out.is_err() {
            eprintln!("server log (last lines):\n{}", kantor.log_tail());
        }
        stopped?;
        Ok::<_, anyhow::Error>((seeded.index_per_s, out?))
    }
    .await;
    db.drop_if_postgres().await;
    drop(dir);
    let (index_per_s, o) = result?;
    let h = &o.latency;
    eprintln!(
        "{} searches in {:.2} s: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} results each",
        h.len(),
        o.elapsed.as_secs_f64(),
        http::quantile_ms(h, 0.5),
        http::quantile_ms(h, 0.95),
        http::quantile_ms(h, 0.99),
        h.max() as f64 / 1000.0,
        o.results as f64 / h.len().max(1) as f64
    );
    Ok(json_line(&[
        ("bench", json!("chat-search")),
        ("messages", json!(messages)),
        ("index_per_s", json!(round(index_per_s, 0))),
        ("p50_ms", json!(round(http::quantile_ms(h, 0.5), 2))),
        ("p95_ms", json!(round(http::quantile_ms(h, 0.95), 2))),
        ("p99_ms", json!(round(http::quantile_ms(h, 0.99), 2))),
        ("backend", json!(backend)),
        ("requests", json!(h.len())),
    ]))
}

async fn chat_history_on(
    cli: &Cli,
    dir: &TempDir,
    db: &seed::Database,
) -> anyhow::Result<chat_history::Outcome> {
    let (kantor, boot, org, store) = bootstrap_to_seed(dir, db).await?;
    let now = now_ms();
    let authors = seed::people(&store, org, 50, now).await?;
    let channel = seed::history(&store, org, &authors, history_messages(cli), now).await?;
    store.close().await;
    let server = kantor.start().await?;
    eprintln!(
        "reading {} random pages of 50 over {} connections …",
        cli.requests,
        cli.connections.unwrap_or(4)
    );
    let result = chat_history::run(
        &server.url,
        &boot.token,
        &boot.org_id,
        &channel.to_string(),
        history_messages(cli),
        cli.requests,
        cli.connections.unwrap_or(4),
    )
    .await;
    let stopped = server.stop().await;
    if result.is_err() {
        eprintln!("server log (last lines):\n{}", kantor.log_tail());
    }
    let outcome = result?;
    stopped?;
    Ok(outcome)
}

async fn chat_store_bench(cli: &Cli) -> anyhow::Result<String> {
    let pg = pg_base(cli)?;
    let backend = if pg.is_some() { "postgres" } else { "sqlite" };
    let dir = TempDir::new()?;
    let db = seed::Database::new(dir.path(), pg.as_deref()).await?;
    let result = async {
        let store = db.open().await?;
        let now = now_ms();
        let mut tx = store.begin().await?;
        let org =
            kantor_store::orgs::insert_org(&mut tx, "Kantor Bench", "Asia/Jakarta", now).await?;
        tx.commit().await?;
        let people = seed::people(&store, org.id, 50, now).await?;
        let channel = seed::history(&store, org.id, &people, 0, now).await?;
        eprintln!(
            "posting {} messages one at a time through the store …",
            cli.requests
        );
        let b = chat_store::run(&store, org.id, &people, channel, cli.requests, now).await;
        store.close().await;
        b
    }
    .await;
    db.drop_if_postgres().await;
    drop(dir);
    let b = result?;
    let ms = |h: &hdrhistogram::Histogram<u64>, q| round(http::quantile_ms(h, q), 3);
    let mean = |h: &hdrhistogram::Histogram<u64>| round(h.mean() / 1000.0, 3);
    for (name, h) in [
        ("statements", &b.statements),
        ("commit", &b.commit),
        ("relay", &b.relay),
        ("total", &b.total),
    ] {
        eprintln!(
            "{name:>10}: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            mean(h),
            ms(h, 0.5),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
    let ceiling = 1000.0 / (b.total.mean() / 1000.0);
    let batched = 1000.0 / ((b.statements.mean() + b.commit.mean()) / 1000.0);
    eprintln!(
        "one writer: at most {ceiling:.0} posts/s with a relay transaction per post, \
         {batched:.0} posts/s if the relay batched everything"
    );
    Ok(json_line(&[
        ("bench", json!("chat-store")),
        ("backend", json!(backend)),
        ("posts", json!(cli.requests)),
        ("statements_ms", json!(mean(&b.statements))),
        ("commit_ms", json!(mean(&b.commit))),
        ("relay_ms", json!(mean(&b.relay))),
        ("total_p99_ms", json!(ms(&b.total, 0.99))),
        ("ceiling_posts_per_s", json!(round(ceiling, 0))),
        (
            "ceiling_batched_relay_posts_per_s",
            json!(round(batched, 0)),
        ),
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
    let connections = cli.connections.unwrap_or(64);
    eprintln!(
        "GET /api/v1/me: {} connections, {} s warm-up + {} s measured, {} client thread(s) …",
        connections,
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
    let outcome = http::run(&target, connections, WARMUP, duration).await?;
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
        ("connections", json!(connections)),
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

//! Kill -9 durability of chat messages, against the real binary on SQLite and on PostgreSQL.
//!
//! **An acknowledged write is on disk** (ARCHITECTURE.md): several clients post to one channel
//! at once; after some hundreds of acknowledgements the process gets SIGKILL mid-stream. On
//! restart every acknowledged message is there with the id and `seq` it was acknowledged with,
//! the channel's `seq`s run 1..N without a gap, every stored message is one a client sent, and
//! retrying each post that was in flight at the kill (same `client_key`) leaves exactly one copy.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use kantor_store::testing::{TestBackend, TestDb};
use serde_json::{json, Value};

/// The longest any one wait (startup, a response, the posters) may take before the test fails.
const WAIT: Duration = Duration::from_secs(60);
/// Concurrent posters.
const POSTERS: usize = 4;
/// Acknowledgements to collect before the kill.
const ACKS_BEFORE_KILL: usize = 300;
/// A poster gives up after this many posts, so a kill that never lands cannot loop forever.
const MAX_POSTS_PER_POSTER: usize = 1_000;
const PASSWORD: &str = "rahasia-sekali-123";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_messages_survive_kill_9_on_sqlite() {
    kill_9_loses_no_acknowledged_message(TestBackend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_messages_survive_kill_9_on_postgres() {
    kill_9_loses_no_acknowledged_message(TestBackend::Postgres).await;
}

async fn kill_9_loses_no_acknowledged_message(backend: TestBackend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // Kept alive until the end: dropping a SQLite TestDb removes its directory.
    let db = TestDb::new(backend).await.expect("a fresh database");
    let database_url = match backend {
        TestBackend::Sqlite => None,
        TestBackend::Postgres => Some(db.url.clone()),
    };
    let run = dir
        .path()
        .file_name()
        .expect("temp dir name")
        .to_string_lossy()
        .to_string();

    // First start: setup, a channel, then posters until the kill.
    let mut first = Kantor::start(
        &data,
        database_url.as_deref(),
        &dir.path().join("first.log"),
        Setup::Needed,
    );
    let api = Api::setup(&first).await;
    let (tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let posters: Vec<_> = (0..POSTERS)
        .map(|n| tokio::spawn(poster(api.clone(), format!("{run}-{n}"), tx.clone())))
        .collect();
    drop(tx);
    let counted = tokio::time::timeout(WAIT, async {
        for _ in 0..ACKS_BEFORE_KILL {
            acks_rx
                .recv()
                .await
                .unwrap_or_else(|| panic!("every poster stopped before the kill"));
        }
    })
    .await;
    assert!(
        counted.is_ok(),
        "{ACKS_BEFORE_KILL} acknowledgements in time; server log:\n{}",
        first.log_tail()
    );
    first.kill_9();

    let mut acked: Vec<Ack> = Vec::new();
    let mut in_flight: Vec<String> = Vec::new();
    for p in posters {
        let outcome = tokio::time::timeout(WAIT, p)
            .await
            .expect("posters stop once the server is gone")
            .expect("a poster panicked (see above)");
        acked.extend(outcome.acked);
        in_flight.extend(outcome.in_flight);
    }
    assert!(acked.len() >= ACKS_BEFORE_KILL, "{} acks", acked.len());
    assert_eq!(
        in_flight.len(),
        POSTERS,
        "the kill, not the post limit, stopped every poster"
    );

    // Restart on the same data dir and database.
    let second = Kantor::start(
        &data,
        database_url.as_deref(),
        &dir.path().join("second.log"),
        Setup::Done,
    );
    assert!(second.setup_token.is_none(), "setup stays done");
    let api = api.on(&second.base);

    let stored = api.all_messages().await;
    let seqs: Vec<i64> = stored.iter().map(|m| int(&m["seq"])).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "seqs run 1..N without a gap after the kill"
    );
    let by_key: std::collections::HashMap<String, &Value> =
        stored.iter().map(|m| (text(&m["client_key"]), m)).collect();
    assert_eq!(by_key.len(), stored.len(), "one message per client_key");
    for a in &acked {
        let m = by_key.get(&a.key).unwrap_or_else(|| {
            panic!(
                "acknowledged message {} (seq {}) lost by the kill; {} of {} acknowledged are stored",
                a.key,
                a.seq,
                acked.iter().filter(|a| by_key.contains_key(&a.key)).count(),
                acked.len()
            )
        });
        assert_eq!(
            (text(&m["id"]), int(&m["seq"]), text(&m["body"])),
            (a.id.clone(), a.seq, a.body.clone()),
            "stored as acknowledged"
        );
    }
    // Anything stored but not acknowledged was in flight at the kill.
    for m in &stored {
        let key = text(&m["client_key"]);
        assert!(
            acked.iter().any(|a| a.key == key) || in_flight.contains(&key),
            "a stored message no client sent: {m}"
        );
    }
    assert!(stored.len() <= acked.len() + in_flight.len());

    eprintln!(
        "{backend:?}: {} acknowledged, {} stored after the kill, {} in flight",
        acked.len(),
        stored.len(),
        in_flight.len()
    );
    // An acknowledged post retried after the restart (its answer lost, say): the same message.
    for a in [acked.first(), acked.last()].into_iter().flatten() {
        let (status, m) = api
            .post_message(&a.key, "dikirim ulang")
            .await
            .expect("the restarted server answers");
        assert_eq!(
            (status, text(&m["id"]), int(&m["seq"])),
            (200, a.id.clone(), a.seq),
            "idempotent across the restart: {m}"
        );
    }
    // Retrying the in-flight posts, twice at once as two tabs might: one message either way —
    // the stored one (200, 200) if it committed before the kill, else a new one (201, 200).
    for key in &in_flight {
        let body = format!("ulang {key}");
        let (first, second) =
            tokio::join!(api.post_message(key, &body), api.post_message(key, &body),);
        let (first, second) = (
            first.expect("the restarted server answers"),
            second.expect("the restarted server answers"),
        );
        assert_eq!(first.1["id"], second.1["id"], "one message for {key}");
        let mut statuses = [first.0, second.0];
        statuses.sort_unstable();
        match by_key.get(key) {
            Some(before) => {
                assert_eq!(statuses, [200, 200], "committed before the kill");
                assert_eq!(first.1["id"], before["id"], "the original message");
            }
            None => assert_eq!(statuses, [200, 201], "not committed before the kill"),
        }
    }
    let after = api.all_messages().await;
    let seqs: Vec<i64> = after.iter().map(|m| int(&m["seq"])).collect();
    assert_eq!(
        seqs,
        (1..=(acked.len() + in_flight.len()) as i64).collect::<Vec<_>>(),
        "every acknowledged and every retried message exactly once, seqs without a gap"
    );
    for key in &in_flight {
        let copies = after
            .iter()
            .filter(|m| m["client_key"] == key.as_str())
            .count();
        assert_eq!(copies, 1, "one message for retried key {key}");
    }
    let conversation = api
        .get(&api.conv_path(""))
        .await
        .expect("conversation answers");
    assert_eq!(int(&conversation["last_seq"]), after.len() as i64);
    drop(second);
    drop(db);
}

/// One message a client got a 201/200 for.
struct Ack {
    key: String,
    id: String,
    seq: i64,
    body: String,
}

struct Outcome {
    acked: Vec<Ack>,
    /// The post whose answer never came (the server died under it).
    in_flight: Option<String>,
}

/// Posts messages one after another with fresh client keys until the server stops answering.
async fn poster(api: Api, name: String, acks: tokio::sync::mpsc::UnboundedSender<()>) -> Outcome {
    let mut acked = Vec::new();
    for i in 0..MAX_POSTS_PER_POSTER {
        let key = format!("dur-{name}-{i}");
        let body = format!("pesan {name} nomor {i}");
        match api.post_message(&key, &body).await {
            Ok((201 | 200, m)) => {
                assert_eq!(m["client_key"], key.as_str(), "{m}");
                acked.push(Ack {
                    key,
                    id: text(&m["id"]),
                    seq: int(&m["seq"]),
                    body,
                });
                let _ = acks.send(());
            }
            Ok((status, m)) => panic!("post {key} answered {status}: {m}"),
            Err(_) => {
                return Outcome {
                    acked,
                    in_flight: Some(key),
                }
            }
        }
    }
    Outcome {
        acked,
        in_flight: None,
    }
}

/// A signed-in owner's HTTP client for one channel.
#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    csrf: String,
    org: String,
    cid: String,
}

impl Api {
    /// Creates the first organisation through the setup link and a public channel.
    async fn setup(server: &Kantor) -> Api {
        let token = server
            .setup_token
            .clone()
            .expect("a fresh server prints a setup link");
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(WAIT)
            .build()
            .expect("http client");
        let mut api = Api {
            http,
            base: server.base.clone(),
            csrf: String::new(),
            org: String::new(),
            cid: String::new(),
        };
        let (status, me) = api
            .send(
                api.http
                    .post(format!("{}/api/v1/setup", api.base))
                    .json(&json!({
                        "token": token, "org_name": "Dinas Kominfo Luwu", "name": "Budi Santoso",
                        "email": "owner@luwu.go.id", "password": PASSWORD,
                        "time_zone": "Asia/Makassar", "language": "id"
                    })),
            )
            .await
            .expect("setup answers");
        assert_eq!(status, 200, "setup: {me}");
        api.csrf = text(&me["csrf_token"]);
        api.org = text(&me["memberships"][0]["org"]["id"]);
        let (status, channel) = api
            .post(
                &format!("/api/v1/orgs/{}/chat/conversations", api.org),
                json!({"kind": "public", "name": "tahan-banting"}),
            )
            .await
            .expect("channel answers");
        assert_eq!(status, 201, "channel: {channel}");
        api.cid = text(&channel["id"]);
        api
    }

    /// The same session against a restarted server (the cookie is per host, not per port).
    fn on(&self, base: &str) -> Api {
        Api {
            base: base.to_string(),
            ..self.clone()
        }
    }

    fn conv_path(&self, rest: &str) -> String {
        format!(
            "/api/v1/orgs/{}/chat/conversations/{}{rest}",
            self.org, self.cid
        )
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> reqwest::Result<(u16, Value)> {
        let res = req.send().await?;
        let status = res.status().as_u16();
        let body = res.bytes().await?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Result<(u16, Value)> {
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .header("x-csrf-token", &self.csrf)
                .json(&body),
        )
        .await
    }

    async fn get(&self, path: &str) -> reqwest::Result<Value> {
        let (status, body) = self
            .send(self.http.get(format!("{}{path}", self.base)))
            .await?;
        assert_eq!(status, 200, "GET {path}: {body}");
        Ok(body)
    }

    async fn post_message(&self, key: &str, body: &str) -> reqwest::Result<(u16, Value)> {
        self.post(
            &self.conv_path("/messages"),
            json!({"client_key": key, "body": body}),
        )
        .await
    }

    /// Every message of the channel view, oldest first, paging backwards with `before`.
    async fn all_messages(&self) -> Vec<Value> {
        let mut pages: Vec<Vec<Value>> = Vec::new();
        let mut query = "?limit=200".to_string();
        for _ in 0..1_000 {
            let page = self
                .get(&self.conv_path(&format!("/messages{query}")))
                .await
                .expect("messages answer");
            let messages = page["messages"].as_array().expect("messages").clone();
            let more = page["has_more_before"].as_bool().expect("has_more_before");
            let oldest = messages.first().map(|m| int(&m["seq"]));
            pages.push(messages);
            match (more, oldest) {
                (true, Some(oldest)) => query = format!("?limit=200&before={oldest}"),
                (true, None) => panic!("an empty page says there is more before it"),
                (false, _) => return pages.into_iter().rev().flatten().collect(),
            }
        }
        panic!("more than 1000 pages of messages");
    }
}

/// Whether a starting server should print a setup link (a fresh database) or not.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    Needed,
    Done,
}

/// `kantor serve` on 127.0.0.1:0, with its log in a file; killed (SIGKILL) when dropped.
struct Kantor {
    child: Child,
    base: String,
    setup_token: Option<String>,
    log: PathBuf,
}

impl Kantor {
    /// Starts the binary and waits for its ready line (and the setup link when it is needed).
    fn start(data_dir: &Path, database_url: Option<&str>, log: &Path, setup: Setup) -> Kantor {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kantor"));
        cmd.arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"]);
        // Only this test's configuration: nothing from the environment the tests run in.
        for (k, _) in std::env::vars() {
            if k.starts_with("KANTOR_") {
                cmd.env_remove(k);
            }
        }
        if let Some(url) = database_url {
            cmd.env("KANTOR_DATABASE_URL", url);
        }
        // A free media port each, so both databases' servers run side by side.
        cmd.env("KANTOR_MEDIA_PORT", "0")
            .env("KANTOR_MEDIA_BIND", "127.0.0.1");
        let log_file = std::fs::File::create(log).expect("log file");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("kantor starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel::<String>();
        // Reads stdout to its end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = tx.send(line);
            }
        });
        let mut server = Kantor {
            child,
            base: String::new(),
            setup_token: None,
            log: log.to_path_buf(),
        };
        while server.base.is_empty() || (setup == Setup::Needed && server.setup_token.is_none()) {
            let line = rx.recv_timeout(WAIT).unwrap_or_else(|e| {
                panic!(
                    "kantor did not print its ready line ({e}); log:\n{}",
                    server.log_tail()
                )
            });
            if let Some(base) = line.strip_prefix("Kantor is ready at ") {
                server.base = base.trim().trim_end_matches('/').to_string();
            } else if let Some(link) = line.strip_prefix("Setup link: ") {
                let token = link.split("token=").nth(1).expect("a token in the link");
                server.setup_token = Some(token.trim().to_string());
            }
        }
        assert!(
            server.base.starts_with("http://127.0.0.1:"),
            "{}",
            server.base
        );
        server
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill_9(&mut self) {
        self.child.kill().expect("SIGKILL");
        let status = self.child.wait().expect("reaped");
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed, not exited: {status}");
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read(&self.log).unwrap_or_default();
        let start = log.len().saturating_sub(4_000);
        String::from_utf8_lossy(&log[start..]).to_string()
    }
}

impl Drop for Kantor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[track_caller]
fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}

#[track_caller]
fn int(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected an integer, got {v}"))
}

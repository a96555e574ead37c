//! The integration-test harness: a real server on port 0 over a fresh database, HTTP clients
//! that sign in and send CSRF headers the way the web app does, WebSocket clients, and
//! [`on_both`] to run one test body on SQLite and on PostgreSQL.
//!
//! Time is a manual [`Clock`] starting at the real time unless a test says otherwise, so tests
//! move time forward (invite expiry, TOTP) instead of sleeping. Every wait on the network is
//! bounded by [`WAIT`]: a test fails instead of hanging.
//!
//! Signing in costs an argon2 hash, which is slow in debug builds, so tests that are not about
//! signing in get their people from [`TestServer::seed_member`] and [`TestServer::seed_org`],
//! which write the account, membership and session rows directly (what `kantor admin
//! bootstrap` does for an organisation).

#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use kantor_core::ids::{OrgId, UserId};
use kantor_core::role::{MemberStatus, Role};
use kantor_server::{AppState, Clock, Config, Server};
use kantor_store::testing::{TestBackend, TestDb, BOTH};
use kantor_store::{accounts, orgs};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// The password every test account is given.
pub const PASSWORD: &str = "rahasia-sekali-123";

/// The longest any single wait (a response, a WebSocket message) may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// A short unique suffix for names and emails.
pub fn unique() -> String {
    let id = uuid::Uuid::now_v7().simple().to_string();
    id[id.len() - 10..].to_string()
}

/// Runs `body` on SQLite and on PostgreSQL at the same time (interleaved in one task, so the
/// body need not be `Send`); fails naming each backend whose run panicked (the panic itself is
/// printed above the summary).
pub async fn on_both<F, Fut>(body: F)
where
    F: Fn(TestBackend) -> Fut,
    Fut: Future<Output = ()>,
{
    use futures::FutureExt;
    let runs = BOTH.map(|b| std::panic::AssertUnwindSafe(body(b)).catch_unwind());
    let results = futures::future::join_all(runs).await;
    let failed: Vec<String> = BOTH
        .iter()
        .zip(results)
        .filter(|(_, r)| r.is_err())
        .map(|(b, _)| format!("{b:?}"))
        .collect();
    assert!(failed.is_empty(), "failed on {}", failed.join(" and "));
}

/// The NATS server of the test environment (`make test` starts one).
pub fn nats_url() -> String {
    std::env::var("KANTOR_TEST_NATS_URL").unwrap_or_else(|_| {
        panic!("KANTOR_TEST_NATS_URL is not set: run the tests with `make test`, which starts a throwaway NATS")
    })
}

/// How to start a test server.
#[derive(Clone)]
pub struct Options {
    /// Shared by every node started with these options (clones share the time).
    pub clock: Clock,
    /// Adjusts the configuration after the harness filled in the data dir and database.
    pub configure: Arc<dyn Fn(&mut Config) + Send + Sync>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: Clock::manual(Clock::system().now_ms()),
            configure: Arc::new(|_| {}),
        }
    }
}

/// A running server on a fresh (or shared) test database.
pub struct TestServer {
    pub backend: TestBackend,
    pub db: Arc<TestDb>,
    pub clock: Clock,
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub setup_token: Option<String>,
    options: Options,
    server: Option<Server>,
    _data: tempfile::TempDir,
}

impl TestServer {
    pub async fn start(backend: TestBackend) -> TestServer {
        TestServer::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: TestBackend, options: Options) -> TestServer {
        let db = Arc::new(TestDb::new(backend).await.expect("a fresh test database"));
        TestServer::on_db(backend, db, options).await
    }

    /// Starts a server (another node, or the same one again) on an existing database.
    pub async fn on_db(backend: TestBackend, db: Arc<TestDb>, options: Options) -> TestServer {
        let data = tempfile::tempdir().expect("a data dir");
        let mut config = Config {
            data_dir: data.path().to_path_buf(),
            database_url: Some(db.url.clone()),
            db_max_connections: 4,
            media_port: 0,
            media_bind: std::net::IpAddr::from([127, 0, 0, 1]),
            ..Config::default()
        };
        (options.configure)(&mut config);
        let (store, bus) = kantor_server::connect(&config)
            .await
            .expect("connect to the database and bus");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let server = kantor_server::launch(config, listener, store, bus, options.clock.clone())
            .await
            .expect("launch the server");
        let addr = server.addr;
        let test = TestServer {
            backend,
            db,
            clock: options.clock.clone(),
            addr,
            base: format!("http://{addr}"),
            setup_token: server.setup_token.clone(),
            options,
            server: Some(server),
            _data: data,
        };
        // The listener is bound before `launch` returns; readiness also needs the database and
        // the bus. The NATS client connects in the background (`retry_on_initial_connect`), so
        // `/readyz` may answer 503 `bus: false` for a moment after launch: poll, within `WAIT`.
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let ready = test.client().get("/readyz").await;
            if ready.status == 200 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "server not ready: {ready}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        test
    }

    pub fn state(&self) -> &AppState {
        &self.server.as_ref().expect("server running").state
    }

    /// Stops the server gracefully (sockets get close code 1012).
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Stops this server and starts a new one on the same database, with the same clock.
    pub async fn restart(mut self) -> TestServer {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
        TestServer::on_db(self.backend, self.db.clone(), self.options.clone()).await
    }

    /// Another node on the same database, with these options' clock and configuration.
    pub async fn another_node(&self) -> TestServer {
        TestServer::on_db(self.backend, self.db.clone(), self.options.clone()).await
    }

    /// A client with an empty cookie jar.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    pub fn bearer(&self, token: &str) -> Client {
        let mut c = Client::new(&self.base);
        c.bearer = Some(token.to_string());
        c
    }

    /// Completes first-run setup with the server's setup token; the owner is signed in.
    pub async fn setup_owner(&self) -> User {
        let token = self.setup_token.clone().expect("setup still needed");
        let client = self.client();
        let email = format!("owner-{}@dinas.go.id", unique());
        let name = "Budi Santoso";
        let me = client
            .post(
                "/api/v1/setup",
                json!({
                    "token": token, "org_name": "Dinas Kominfo Luwu", "name": name, "email": email,
                    "password": PASSWORD, "time_zone": "Asia/Makassar", "language": "id"
                }),
            )
            .await
            .expect(200);
        User::from_me(client, &me, &email)
    }

    /// Signs in with email and password.
    pub async fn login(&self, email: &str, password: &str) -> Resp {
        let client = self.client();
        client
            .post(
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await
    }

    /// Signs in and returns the signed-in client (panics on failure).
    pub async fn login_ok(&self, email: &str, password: &str) -> Client {
        let client = self.client();
        client
            .post(
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await
            .expect(200);
        client
    }

    /// `admin` invites a new person with `role`; the person accepts and is signed in.
    pub async fn invite_and_accept(&self, admin: &User, role: &str) -> User {
        let email = format!("{role}-{}@dinas.go.id", unique());
        let invite = admin
            .client
            .post(
                &format!("/api/v1/orgs/{}/invites", admin.org_id),
                json!({"email": email, "role": role}),
            )
            .await
            .expect(201);
        let token = invite_token(&invite);
        let client = self.client();
        let me = client
            .post(
                &format!("/api/v1/invites/{token}/accept"),
                json!({"name": format!("Pegawai {role}"), "password": PASSWORD,
                       "time_zone": "Asia/Jakarta", "language": "id"}),
            )
            .await
            .expect(200);
        User::from_me(client, &me, &email)
    }

    /// A new active member of `org_id` with `role` and a session, written directly to the
    /// database (no password: they cannot log in, only use the returned client).
    pub async fn seed_member(&self, org_id: &str, role: Role) -> User {
        let org: OrgId = org_id.parse().expect("org id");
        let email = format!("{}-{}@dinas.go.id", role.as_str(), unique());
        let name = format!("Seeded {}", role.as_str());
        let store = &self.state().store;
        let now = self.clock.now_ms();
        let mut tx = store.begin().await.expect("begin");
        let user_id = insert_member(&mut tx, org, &email, &name, role, now).await;
        let client = self.seed_session(&mut tx, user_id).await;
        tx.commit().await.expect("commit");
        User {
            client,
            id: user_id.to_string(),
            org_id: org_id.to_string(),
            email,
            name,
        }
    }

    /// A second organisation with its owner, written directly to the database the way
    /// `kantor admin bootstrap` does.
    pub async fn seed_org(&self, name: &str) -> User {
        let store = &self.state().store;
        let now = self.clock.now_ms();
        let mut tx = store.begin().await.expect("begin");
        let org = orgs::insert_org(&mut tx, name, "Asia/Jakarta", now)
            .await
            .expect("insert org");
        tx.commit().await.expect("commit");
        self.seed_member(&org.id.to_string(), Role::Owner).await
    }

    async fn seed_session(&self, tx: &mut kantor_store::Tx, user_id: UserId) -> Client {
        let now = self.clock.now_ms();
        let token = kantor_server::secrets::new_token("ks_");
        let csrf = kantor_server::secrets::new_token("");
        accounts::insert_session(
            tx,
            user_id,
            &kantor_server::secrets::token_hash(&token),
            &csrf,
            Some("kantor-tests"),
            None,
            now,
            now + 30 * 86_400_000,
        )
        .await
        .expect("insert session");
        let client = self.client();
        client.jar.add_cookie_str(
            &format!("kantor_session={token}; Path=/"),
            &client.base.parse().expect("base url"),
        );
        *client.csrf.lock().expect("csrf lock") = Some(csrf);
        client
    }
}

/// Two nodes on one PostgreSQL database and one NATS server, and the organisation's owner
/// signed in on each (one session, two clients).
pub struct Cluster {
    pub a: TestServer,
    pub b: TestServer,
    pub owner_a: User,
    pub owner_b: User,
}

impl Cluster {
    pub async fn start() -> Cluster {
        // Clusters sharing the NATS server must not hear each other's events — also clusters of
        // one test run, which run in parallel: a hub takes a bus event whose `seq` follows its
        // own as the next event of its database, so another cluster's event would stand in for
        // (and hide) one of this cluster's.
        let prefix = format!("kantor-test-{}-{}", std::process::id(), unique());
        Cluster::start_with(Options {
            configure: Arc::new(move |c| {
                c.nats_url = Some(nats_url());
                c.nats_prefix = prefix.clone();
            }),
            ..Options::default()
        })
        .await
    }

    /// Two nodes with these options (which name the NATS server).
    pub async fn start_with(options: Options) -> Cluster {
        let a = TestServer::start_with(TestBackend::Postgres, options).await;
        // Set up before the second node starts, as an operator would: a second node starting
        // on an empty database cannot print the first node's setup link.
        let owner_a = a.setup_owner().await;
        let b = a.another_node().await;
        assert!(b.setup_token.is_none(), "setup is done for every node");
        let owner_b = User {
            client: owner_a.client.on(&b.base),
            ..owner_a.clone()
        };
        Cluster {
            a,
            b,
            owner_a,
            owner_b,
        }
    }

    pub async fn shutdown(self) {
        self.b.shutdown().await;
        self.a.shutdown().await;
    }
}

/// The token at the end of an invite's `url`.
pub fn invite_token(invite: &Value) -> String {
    let url = invite["url"].as_str().expect("invite url");
    url.rsplit('/').next().expect("token").to_string()
}

/// A signed-in person: their client and who they are.
#[derive(Clone)]
pub struct User {
    pub client: Client,
    pub id: String,
    /// Their (first) organisation.
    pub org_id: String,
    pub email: String,
    pub name: String,
}

impl User {
    pub fn from_me(client: Client, me: &Value, email: &str) -> User {
        User {
            client,
            id: str_of(&me["user"]["id"]),
            org_id: str_of(&me["memberships"][0]["org"]["id"]),
            email: email.to_string(),
            name: str_of(&me["user"]["name"]),
        }
    }

    /// `/api/v1/orgs/{org_id}` + `rest`.
    pub fn org_path(&self, rest: &str) -> String {
        format!("/api/v1/orgs/{}{rest}", self.org_id)
    }
}

#[track_caller]
pub fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_string()
}

/// An HTTP client like the web app: a cookie jar, and the CSRF token from the last `Me` it
/// received sent on every write. Or, with `bearer`, an API-token client.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    http: reqwest::Client,
    jar: Arc<Jar>,
    csrf: Arc<Mutex<Option<String>>>,
    bearer: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .timeout(WAIT)
            .build()
            .expect("http client");
        Client {
            base: base.to_string(),
            http,
            jar,
            csrf: Arc::new(Mutex::new(None)),
            bearer: None,
        }
    }

    /// The same credentials against another node.
    pub fn on(&self, base: &str) -> Client {
        let c = Client::new(base);
        if let Some(cookie) = self.cookie_header() {
            for kv in cookie.split(';') {
                c.jar.add_cookie_str(
                    &format!("{}; Path=/", kv.trim()),
                    &c.base.parse().expect("base url"),
                );
            }
        }
        *c.csrf.lock().expect("csrf lock") = self.csrf();
        Client {
            bearer: self.bearer.clone(),
            ..c
        }
    }

    pub fn csrf(&self) -> Option<String> {
        self.csrf.lock().expect("csrf lock").clone()
    }

    /// The `Cookie` header this client sends.
    pub fn cookie_header(&self) -> Option<String> {
        let url = self.base.parse().expect("base url");
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_string))
    }

    /// A request with this client's credentials, and the CSRF header on unsafe methods.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let unsafe_method = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        let mut req = self.request_without_csrf(method, path);
        if unsafe_method {
            if let Some(csrf) = self.csrf() {
                req = req.header("x-csrf-token", csrf);
            }
        }
        req
    }

    /// A request with credentials but without the CSRF header.
    pub fn request_without_csrf(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.bearer {
            req = req.bearer_auth(t);
        }
        req
    }

    /// Sends a request; remembers the CSRF token of a `Me` (or session) response.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let res = req.send().await.expect("the request got an answer");
        let status = res.status().as_u16();
        let text = res.text().await.expect("a response body");
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let Some(csrf) = body.get("csrf_token").and_then(Value::as_str) {
            *self.csrf.lock().expect("csrf lock") = Some(csrf.to_string());
        }
        Resp { status, body, text }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(self.request(Method::POST, path).json(&body))
            .await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.send(self.request(Method::POST, path)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(self.request(Method::PUT, path).json(&body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Resp {
        self.send(self.request(Method::PATCH, path).json(&body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// A raw body with a content type (imports, avatars, malformed JSON).
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        self.send(
            self.request(method, path)
                .header("content-type", content_type)
                .body(body),
        )
        .await
    }

    /// Opens the realtime socket (`since` to resume) with this client's credentials and a
    /// same-origin `Origin`, as a browser would.
    pub async fn ws(&self, since: Option<i64>) -> Ws {
        match self.try_ws(since).await {
            Ok(ws) => ws,
            Err(status) => panic!("the socket was refused with {status}"),
        }
    }

    /// Opens the realtime socket, or returns the HTTP status it was refused with.
    pub async fn try_ws(&self, since: Option<i64>) -> Result<Ws, u16> {
        let host = self.base.trim_start_matches("http://");
        let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
        let mut req = format!("ws://{host}/api/v1/ws{query}")
            .into_client_request()
            .expect("ws request");
        let headers = req.headers_mut();
        headers.insert("origin", self.base.parse().expect("origin header"));
        if let Some(cookie) = self.cookie_header() {
            headers.insert("cookie", cookie.parse().expect("cookie header"));
        }
        if let Some(t) = &self.bearer {
            headers.insert(
                "authorization",
                format!("Bearer {t}").parse().expect("auth header"),
            );
        }
        match tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
            .await
            .expect("ws connect in time")
        {
            Ok((stream, _)) => Ok(Ws {
                stream,
                keep_ephemeral: false,
            }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("ws handshake failed: {e}"),
        }
    }
}

/// A response: status, the JSON body (or `null`) and the raw text.
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

impl std::fmt::Display for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

impl Resp {
    /// The body, after checking the status.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {self}");
        self.body
    }

    /// Checks an error answer: its status, its stable code, and the one error shape.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "unexpected answer: {self}"
        );
        assert!(
            self.body["error"]["message"].is_string(),
            "errors carry a message: {self}"
        );
        &self.body["error"]
    }

    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// A realtime socket.
pub struct Ws {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// Deliver ephemeral messages (presence, typing) too; skipped by default so tests about
    /// events see only events.
    pub keep_ephemeral: bool,
}

/// What the server sent next.
#[derive(Debug)]
pub enum WsNext {
    Json(Value),
    Closed(Option<u16>),
}

impl Ws {
    /// The next message, answering pings; `Closed` when the server closed the socket.
    pub async fn next(&mut self) -> WsNext {
        loop {
            let msg = tokio::time::timeout(WAIT, self.stream.next())
                .await
                .expect("a WebSocket message in time");
            match msg {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).expect("JSON message");
                    if !self.keep_ephemeral && (v["type"] == "presence" || v["type"] == "typing") {
                        continue;
                    }
                    if v["type"] == "ping" {
                        let _ = self
                            .stream
                            .send(Message::Text(r#"{"type":"pong"}"#.into()))
                            .await;
                        continue;
                    }
                    return WsNext::Json(v);
                }
                Some(Ok(Message::Close(frame))) => {
                    return WsNext::Closed(frame.map(|f| u16::from(f.code)))
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return WsNext::Closed(None),
            }
        }
    }

    /// The next JSON message (fails if the socket closed).
    /// Sends a JSON message to the server.
    pub async fn send_json(&mut self, v: Value) {
        use futures::SinkExt;
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .expect("send on the socket");
    }

    pub async fn next_json(&mut self) -> Value {
        match self.next().await {
            WsNext::Json(v) => v,
            WsNext::Closed(code) => panic!("socket closed ({code:?}) while a message was expected"),
        }
    }

    /// Reads the `hello` and returns its `seq`.
    pub async fn hello(&mut self) -> i64 {
        let v = self.next_json().await;
        assert_eq!(v["type"], "hello", "first message is hello: {v}");
        v["seq"].as_i64().expect("hello seq")
    }

    /// The next `n` events.
    pub async fn events(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let v = self.next_json().await;
            assert_eq!(v["type"], "event", "expected an event: {v}");
            out.push(v);
        }
        out
    }

    /// Skips events until one of `kind` arrives, and returns it.
    pub async fn event_of_kind(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next_json().await;
            if v["type"] == "event" && v["kind"] == kind {
                return v;
            }
        }
    }

    /// Reads (skipping events) until the server closes the socket; returns the close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            if let WsNext::Closed(code) = self.next().await {
                return code;
            }
        }
    }

    /// Closes from the client side.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// The `seq` of an event message.
#[track_caller]
pub fn seq_of(event: &Value) -> i64 {
    event["seq"].as_i64().expect("event seq")
}

/// A private `nats-server` on a free loopback port, for tests that stop and restart it.
pub struct PrivateNats {
    pub port: u16,
    child: Option<std::process::Child>,
    _dir: tempfile::TempDir,
}

impl PrivateNats {
    pub fn start() -> PrivateNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("a free port")
            .local_addr()
            .expect("addr")
            .port();
        let mut nats = PrivateNats {
            port,
            child: None,
            _dir: tempfile::tempdir().expect("dir"),
        };
        nats.restart();
        nats
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and waits for the server's ready line.
    pub fn restart(&mut self) {
        use std::io::BufRead;
        let mut child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start nats-server");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = std::io::BufReader::new(stderr).lines();
        loop {
            let line = lines
                .next()
                .expect("nats-server exited early")
                .expect("read");
            if line.contains("Server is ready") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    /// Kills the server (by its PID), as a crash or a network cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Writes an active member (account without a password, and membership) inside `tx`.
pub async fn insert_member(
    tx: &mut kantor_store::Tx,
    org: OrgId,
    email: &str,
    name: &str,
    role: Role,
    now: i64,
) -> UserId {
    let user = accounts::insert_user(
        tx,
        &accounts::NewUser {
            email,
            name,
            phone: None,
            password_hash: None,
            language: "id",
            time_zone: "Asia/Jakarta",
        },
        now,
    )
    .await
    .expect("insert user");
    orgs::insert_membership(
        tx,
        &orgs::NewMembership {
            org_id: org,
            user_id: user.id,
            role,
            status: MemberStatus::Active,
            unit_id: None,
            position: None,
            employee_number: None,
        },
        now,
    )
    .await
    .expect("insert membership");
    user.id
}

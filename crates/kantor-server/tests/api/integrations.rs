//! Integrations: incoming webhooks (Slack-shaped payloads, wrong secret, oversize, idempotency,
//! who may configure them) and outgoing webhooks (address checks at configuration time, the
//! allow-list, signed delivery to a local receiver through the job runner, retries) — on
//! SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use kantor_core::role::Role;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::common::{on_both, str_of, TestServer, User, WAIT};

pub(crate) fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) async fn public_channel(owner: &User, name: &str) -> String {
    let c = owner
        .client
        .post(
            &owner.org_path("/chat/conversations"),
            json!({"kind": "public", "name": name}),
        )
        .await;
    assert!(c.status == 200 || c.status == 201, "channel: {c}");
    str_of(&c.body["id"])
}

pub(crate) async fn join(user: &User, cid: &str) {
    user.client
        .post_empty(&user.org_path(&format!("/chat/conversations/{cid}/join")))
        .await
        .expect(200);
}

pub(crate) async fn messages(user: &User, cid: &str) -> Vec<Value> {
    let page = user
        .client
        .get(&user.org_path(&format!("/chat/conversations/{cid}/messages")))
        .await
        .expect(200);
    page["messages"].as_array().expect("messages").clone()
}

/// POSTs raw bytes to an incoming webhook URL without any session.
async fn hook_post(
    server: &TestServer,
    url: &str,
    body: Vec<u8>,
    idempotency: Option<&str>,
) -> crate::common::Resp {
    let client = server.client();
    let mut req = client
        .request(Method::POST, url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(k) = idempotency {
        req = req.header("x-idempotency-key", k);
    }
    client.send(req).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_webhook_posts_slack_payloads_into_its_channel() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &format!("ci-{}", crate::common::unique())).await;
        join(&member, &cid).await;
        let hooks = owner.org_path("/chat/webhooks/incoming");

        // A member who neither administers nor owns the channel may not add one.
        member
            .client
            .post(&hooks, json!({"conversation_id": cid, "name": "CI"}))
            .await
            .error(403, "auth.forbidden");
        let created = owner
            .client
            .post(&hooks, json!({"conversation_id": cid, "name": "Jenkins CI"}))
            .await
            .expect(201);
        let url = str_of(&created["url"]);
        assert!(url.starts_with("/hooks/kh_") && url.len() > 40, "{url}");

        // Slack's shape: text with mrkdwn, unknown fields ignored.
        let payload = json!({
            "text": "Build *gagal*: <https://ci.example/42|lihat log>",
            "username": "ci-bot", "icon_emoji": ":x:", "mrkdwn": true
        });
        let r = hook_post(&server, &url, payload.to_string().into_bytes(), None)
            .await
            .expect(200);
        assert_eq!(r["ok"], true);
        let seen = messages(&member, &cid).await;
        let last = seen.last().expect("the webhook's message");
        assert_eq!(last["id"], r["message_id"]);
        assert_eq!(
            last["body"],
            "Build **gagal**: [lihat log](https://ci.example/42)"
        );
        assert_eq!(last["author"]["name"], "Jenkins CI");
        assert_eq!(last["author"]["id"], created["bot_user_id"]);

        // Blocks carry the text when `text` is absent.
        let blocks = json!({"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Rilis *v2*"}}]});
        hook_post(&server, &url, blocks.to_string().into_bytes(), None)
            .await
            .expect(200);
        assert_eq!(
            messages(&member, &cid).await.last().expect("a message")["body"],
            "Rilis **v2**"
        );

        // A retry with the same idempotency key posts once.
        let once = json!({"text": "sekali saja"}).to_string().into_bytes();
        let first = hook_post(&server, &url, once.clone(), Some("deploy-77"))
            .await
            .expect(200);
        let again = hook_post(&server, &url, once, Some("deploy-77"))
            .await
            .expect(200);
        assert_eq!(first["message_id"], again["message_id"]);
        let bodies: Vec<Value> = messages(&member, &cid)
            .await
            .iter()
            .map(|m| m["body"].clone())
            .collect();
        assert_eq!(
            bodies.iter().filter(|b| *b == "sekali saja").count(),
            1,
            "{bodies:?}"
        );

        // Bad input.
        let small = json!({"text": "hai"}).to_string().into_bytes();
        hook_post(&server, "/hooks/kh_salah-rahasia", small.clone(), None)
            .await
            .error(404, "not_found");
        let mut wrong = url.clone();
        wrong.push('x');
        hook_post(&server, &wrong, small.clone(), None)
            .await
            .error(404, "not_found");
        let big = json!({"text": "a".repeat(17 * 1024)}).to_string().into_bytes();
        hook_post(&server, &url, big, None)
            .await
            .error(413, "request.too_large");
        hook_post(&server, &url, json!({"username": "x"}).to_string().into_bytes(), None)
            .await
            .error(422, "chat.empty_message");
        hook_post(&server, &url, b"not json".to_vec(), None)
            .await
            .error(400, "request.malformed");

        // At most 60 a minute per webhook; the next minute opens again.
        let mut limited = None;
        for i in 0..=60 {
            let r = hook_post(&server, &url, small.clone(), None).await;
            if r.status == 429 {
                assert_eq!(r.code(), "webhook.rate_limited");
                limited = Some(i);
                break;
            }
            assert_eq!(r.status, 200, "{r}");
        }
        assert!(limited.is_some(), "the 61st message in a minute is refused");
        server.clock.advance_ms(60_000);
        hook_post(&server, &url, small.clone(), None).await.expect(200);

        // Listing: admins see every webhook, others their own; deleting stops the URL.
        let listed = owner.client.get(&hooks).await.expect(200);
        assert_eq!(listed.as_array().map(Vec::len), Some(1));
        assert_eq!(listed[0]["name"], "Jenkins CI");
        assert_eq!(listed[0].get("url"), None, "the secret is shown once");
        let none = member.client.get(&hooks).await.expect(200);
        assert_eq!(none.as_array().map(Vec::len), Some(0));
        let id = str_of(&created["id"]);
        member
            .client
            .delete(&format!("{hooks}/{id}"))
            .await
            .error(404, "not_found");
        owner
            .client
            .delete(&format!("{hooks}/{id}"))
            .await
            .expect(204);
        hook_post(&server, &url, small, None)
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_webhook_targets_are_checked_when_configured() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &format!("ops-{}", crate::common::unique())).await;
        let hooks = owner.org_path("/chat/webhooks/outgoing");
        let make = |url: &str| json!({"conversation_id": cid, "url": url, "name": "Ops", "trigger_words": ["deploy"]});

        member
            .client
            .post(&hooks, make("https://example.com/hook"))
            .await
            .error(403, "auth.forbidden");
        for url in [
            "https://127.0.0.1/hook",
            "https://10.20.30.40/hook",
            "https://[::1]:8443/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.1.1/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            let r = owner.client.post(&hooks, make(url)).await;
            assert_eq!(r.error(422, "webhook.address_refused")["field"], "url", "{url}");
        }
        owner
            .client
            .post(&hooks, make("http://example.com/hook"))
            .await
            .error(422, "webhook.https_required");
        owner
            .client
            .post(&hooks, make("ftp://example.com/"))
            .await
            .error(422, "validation.invalid");
        owner
            .client
            .post(
                &hooks,
                json!({"url": "https://127.0.0.1/", "name": "Semua"}),
            )
            .await
            .error(422, "webhook.trigger_required");

        // An admin allows the host; then it is accepted (plain http too).
        let allow = owner.org_path("/chat/webhooks/allow-list");
        member
            .client
            .put(&allow, json!({"hosts": ["127.0.0.1"]}))
            .await
            .error(403, "auth.forbidden");
        let list = owner
            .client
            .put(&allow, json!({"hosts": ["127.0.0.1", " [::1] ", "127.0.0.1"]}))
            .await
            .expect(200);
        assert_eq!(list["hosts"], json!(["127.0.0.1", "::1"]));
        owner
            .client
            .put(&allow, json!({"hosts": ["bukan host/"]}))
            .await
            .error(422, "validation.invalid");
        let created = owner
            .client
            .post(&hooks, make("http://127.0.0.1:9/hook"))
            .await
            .expect(201);
        assert!(str_of(&created["signing_secret"]).starts_with("kw_"));
        assert_eq!(created["trigger_words"], json!(["deploy"]));
        owner
            .client
            .post(&hooks, make("https://[::1]:8443/hook"))
            .await
            .expect(201);
        // Still refused for hosts not on the list.
        owner
            .client
            .post(&hooks, make("https://10.20.30.40/hook"))
            .await
            .error(422, "webhook.address_refused");
        let listed = owner.client.get(&hooks).await.expect(200);
        assert_eq!(listed.as_array().map(Vec::len), Some(2));
        assert_eq!(listed[0].get("signing_secret"), None);
        let id = str_of(&created["id"]);
        owner
            .client
            .delete(&format!("{hooks}/{id}"))
            .await
            .expect(204);
        owner
            .client
            .delete(&format!("{hooks}/{id}"))
            .await
            .error(404, "not_found");
    })
    .await;
}

/// What the local receiver got: headers we check and the raw body.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) timestamp: String,
    pub(crate) signature: String,
    pub(crate) body: Vec<u8>,
}

/// A local HTTP receiver on 127.0.0.1:0 that answers 500 to the first `fail_first` requests,
/// then 200 with `reply` as its JSON body (none when null).
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) got: Arc<Mutex<Vec<Received>>>,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Receiver {
    async fn start(fail_first: usize) -> Receiver {
        Receiver::answering(fail_first, Value::Null).await
    }

    pub(crate) async fn answering(fail_first: usize, reply: Value) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let seen = seen.clone();
                    let reply = reply.clone();
                    async move {
                        use axum::response::IntoResponse;
                        let header = |k: &str| {
                            headers
                                .get(k)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        let mut seen = seen.lock().expect("receiver lock");
                        seen.push(Received {
                            timestamp: header("x-kantor-timestamp"),
                            signature: header("x-kantor-signature"),
                            body: body.to_vec(),
                        });
                        if seen.len() <= fail_first {
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
                        } else if reply.is_null() {
                            axum::http::StatusCode::OK.into_response()
                        } else {
                            axum::Json(reply).into_response()
                        }
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("receiver address");
        let shutdown = tokio_util::sync::CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await;
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            got,
            shutdown,
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.got.lock().expect("receiver lock").len()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs due jobs until the receiver has `n` requests (bounded by `WAIT`; the server's own
/// runner may take the job first, which is as good).
pub(crate) async fn delivered(server: &TestServer, receiver: &Receiver, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while receiver.count() < n {
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("the job runner");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the receiver got {} of {n} requests",
            receiver.count()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status_of(owner: &User, id: &str) -> Value {
    // The delivery's outcome is recorded right after the receiver answered: wait for it.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let all = owner
            .client
            .get(&owner.org_path("/chat/webhooks/outgoing"))
            .await
            .expect(200);
        let hook = all
            .as_array()
            .expect("webhooks")
            .iter()
            .find(|h| h["id"] == id)
            .cloned()
            .expect("the webhook");
        if hook["last_attempt_at"].is_string() {
            return hook;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no attempt recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outgoing_webhook_delivers_signed_posts_and_retries_with_back_off() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let name = format!("rilis-{}", crate::common::unique());
        let cid = public_channel(&owner, &name).await;
        join(&member, &cid).await;
        let receiver = Receiver::start(2).await;
        owner
            .client
            .put(
                &owner.org_path("/chat/webhooks/allow-list"),
                json!({"hosts": ["127.0.0.1"]}),
            )
            .await
            .expect(200);
        let hook = owner
            .client
            .post(
                &owner.org_path("/chat/webhooks/outgoing"),
                json!({"conversation_id": cid, "url": receiver.url, "name": "Rilis", "trigger_words": ["Deploy"]}),
            )
            .await
            .expect(201);
        let hook_id = str_of(&hook["id"]);
        let secret = str_of(&hook["signing_secret"]);

        let post = |text: &'static str| {
            let member = &member;
            let cid = &cid;
            async move {
                member
                    .client
                    .post(
                        &member.org_path(&format!("/chat/conversations/{cid}/messages")),
                        json!({"client_key": key(), "body": text}),
                    )
                    .await
                    .expect(201)
            }
        };
        post("halo semua").await;
        let message = post("deploy v2.1 ke produksi").await;

        // First try: the receiver fails; the failure is visible on the webhook.
        delivered(&server, &receiver, 1).await;
        let status = status_of(&owner, &hook_id).await;
        assert_eq!(status["last_status"], "failed", "{status}");
        assert_eq!(status["failures"], 1);
        assert!(str_of(&status["last_error"]).contains("500"), "{status}");
        // Retries wait for their back-off: nothing runs before the clock moves.
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("the job runner");
        assert_eq!(receiver.count(), 1);
        server.clock.advance_ms(10 * 60_000);
        delivered(&server, &receiver, 2).await;
        server.clock.advance_ms(10 * 60_000);
        delivered(&server, &receiver, 3).await;
        let deadline = tokio::time::Instant::now() + WAIT;
        let status = loop {
            let s = status_of(&owner, &hook_id).await;
            if s["last_status"] == "ok" {
                break s;
            }
            assert!(tokio::time::Instant::now() < deadline, "not ok: {s}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(status["failures"], 0);

        // Only the message with the trigger word went out, signed.
        let got = receiver.got.lock().expect("receiver lock").clone();
        assert_eq!(got.len(), 3);
        let last = &got[2];
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("an HMAC key");
        mac.update(format!("{}.", last.timestamp).as_bytes());
        mac.update(&last.body);
        assert_eq!(
            last.signature,
            format!("v1={}", hex::encode(mac.finalize().into_bytes()))
        );
        let body: Value = serde_json::from_slice(&last.body).expect("a JSON body");
        assert_eq!(body["text"], "deploy v2.1 ke produksi");
        assert_eq!(body["trigger_word"], "deploy");
        assert_eq!(body["user_id"], member.id.as_str());
        assert_eq!(body["channel_id"], cid.as_str());
        assert_eq!(body["channel_name"], name.as_str());
        assert_eq!(body["message_id"], message["id"]);
        assert_eq!(body["org_id"], owner.org_id.as_str());
        for r in &got {
            assert_eq!(r.body, last.body, "every try sends the same message");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_posts_and_edits_with_its_token_until_it_is_deleted() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = public_channel(&owner, &format!("piket-{}", crate::common::unique())).await;
        join(&member, &cid).await;
        let bots = owner.org_path("/bots");

        member
            .client
            .post(&bots, json!({"name": "Robot Piket"}))
            .await
            .error(403, "auth.forbidden");
        owner
            .client
            .post(&bots, json!({"name": "  "}))
            .await
            .error(422, "validation.required");
        let created = owner
            .client
            .post(&bots, json!({"name": "Robot Piket"}))
            .await
            .expect(201);
        let token = str_of(&created["token"]);
        assert!(token.starts_with("kt_"));
        let bot_id = str_of(&created["id"]);
        let listed = owner.client.get(&bots).await.expect(200);
        assert_eq!(
            listed,
            json!([{"id": bot_id, "name": "Robot Piket", "created_at": created["created_at"]}])
        );

        // The bot uses the ordinary chat endpoints with its token.
        let bot = server.bearer(&token);
        let msgs = owner.org_path(&format!("/chat/conversations/{cid}/messages"));
        bot.post(&msgs, json!({"client_key": key(), "body": "jangan lupa"}))
            .await
            .error(403, "chat.not_member");
        bot.post_empty(&owner.org_path(&format!("/chat/conversations/{cid}/join")))
            .await
            .expect(200);
        let posted = bot
            .post(
                &msgs,
                json!({"client_key": key(), "body": "Piket hari ini: Sari"}),
            )
            .await
            .expect(201);
        assert_eq!(posted["author"]["id"], bot_id.as_str());
        assert_eq!(posted["author"]["name"], "Robot Piket");
        let mid = str_of(&posted["id"]);
        bot.patch(
            &format!("{msgs}/{mid}"),
            json!({"body": "Piket hari ini: Sari (selesai)"}),
        )
        .await
        .expect(200);
        let seen = messages(&member, &cid).await;
        let last = seen.last().expect("the bot's message");
        assert_eq!(last["body"], "Piket hari ini: Sari (selesai)");
        assert_eq!(last["author"]["name"], "Robot Piket");

        // Deleted: deactivated, its token refused at once.
        owner
            .client
            .delete(&format!("{bots}/{}", member.id))
            .await
            .error(404, "not_found");
        owner
            .client
            .delete(&format!("{bots}/{bot_id}"))
            .await
            .expect(204);
        assert_eq!(bot.get(&msgs).await.status, 401);
        assert_eq!(owner.client.get(&bots).await.expect(200), json!([]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_click_on_a_bot_button_reaches_the_bot_which_updates_the_message() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let outsider = server.seed_member(&owner.org_id, Role::Member).await;
        let created = owner
            .client
            .post(&owner.org_path("/bots"), json!({"name": "Robot Cuti"}))
            .await
            .expect(201);
        let bot_id = str_of(&created["id"]);
        let bot = server.bearer(&str_of(&created["token"]));
        let c = owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "private", "name": format!("cuti-{}", crate::common::unique())}),
            )
            .await;
        assert!(c.status == 200 || c.status == 201, "channel: {c}");
        let cid = str_of(&c.body["id"]);
        owner
            .client
            .post(
                &owner.org_path(&format!("/chat/conversations/{cid}/members")),
                json!({"user_ids": [member.id, bot_id]}),
            )
            .await
            .expect(204);
        let msgs = owner.org_path(&format!("/chat/conversations/{cid}/messages"));
        let buttons = json!({"buttons": [
            {"action_id": "setuju", "label": "Setujui", "value": "cuti-17", "style": "primary"},
            {"action_id": "tolak", "label": "Tolak", "value": "cuti-17", "style": "danger"}
        ]});

        // Only bots post buttons, and within the limits.
        member
            .client
            .post(&msgs, json!({"client_key": key(), "body": "x", "interactive": buttons}))
            .await
            .error(422, "chat.bad_interactive");
        let six: Vec<Value> = (0..6)
            .map(|i| json!({"action_id": format!("b{i}"), "label": "B"}))
            .collect();
        bot.post(&msgs, json!({"client_key": key(), "body": "x", "interactive": {"buttons": six}}))
            .await
            .error(422, "chat.bad_interactive");
        bot.post(&msgs, json!({"client_key": key(), "body": "x", "interactive": {"buttons": [{"action_id": "a", "label": "x".repeat(41)}]}}))
            .await
            .error(422, "chat.bad_interactive");

        let mut bot_ws = bot.ws(None).await;
        bot_ws.hello().await;
        let posted = bot
            .post(
                &msgs,
                json!({"client_key": key(), "body": "Sari minta cuti 2 hari", "interactive": buttons}),
            )
            .await
            .expect(201);
        // Answers carry `form: null` when there is none.
        let mut expected = buttons.clone();
        expected["form"] = Value::Null;
        assert_eq!(posted["interactive"], expected);
        let mid = str_of(&posted["id"]);
        let seen = messages(&member, &cid).await;
        assert_eq!(seen.last().expect("the message")["interactive"], expected);

        // Someone who cannot see the message: 404, and the bot hears nothing.
        let actions = format!("{msgs}/{mid}/actions");
        outsider
            .client
            .post(&actions, json!({"action_id": "setuju"}))
            .await
            .error(404, "not_found");
        member
            .client
            .post(&actions, json!({"action_id": "hapus-semua"}))
            .await
            .error(422, "chat.unknown_action");
        member
            .client
            .post(&actions, json!({"action_id": "setuju"}))
            .await
            .expect(202);
        let event = bot_ws.event_of_kind("chat.bot.action").await;
        let data = &event["data"];
        assert_eq!(data["message_id"], mid.as_str());
        assert_eq!(data["action_id"], "setuju");
        assert_eq!(data["value"], "cuti-17");
        assert_eq!(data["user"]["id"], member.id.as_str());
        assert_eq!(data["user"]["name"], member.name.as_str());

        // The bot answers by editing its message: new text, no buttons.
        let updated = bot
            .patch(
                &format!("{msgs}/{mid}"),
                json!({"body": "Cuti Sari disetujui", "interactive": {}}),
            )
            .await
            .expect(200);
        assert_eq!(updated["interactive"], Value::Null);
        let last = messages(&member, &cid).await.last().cloned().expect("a message");
        assert_eq!(last["body"], "Cuti Sari disetujui");
        assert_eq!(last["interactive"], Value::Null);
        // Without buttons, a click is unknown.
        member
            .client
            .post(&actions, json!({"action_id": "setuju"}))
            .await
            .error(422, "chat.unknown_action");
    })
    .await;
}

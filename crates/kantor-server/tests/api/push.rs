//! Web Push notifications end to end: browsers' subscriptions (validated, idempotent), and new
//! messages reaching a local push service that verifies the VAPID header and decrypts the
//! payload with the subscriber's keys — for whom the member's preference, mute and
//! do-not-disturb hours (in their own zone, on the server's test clock) say yes; a gone
//! subscription is deleted and a service that asks to retry gets the message later.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use kantor_core::role::Role;
use kantor_push::testing::{vapid_claims, Subscriber};
use serde_json::{json, Value};

use crate::common::{on_both, str_of, unique, TestServer, User, WAIT};

/// What the push service accepted, verified and decrypted.
#[derive(Debug, Clone)]
struct Arrival {
    subscription: String,
    payload: Value,
    urgency: String,
    vapid_key: String,
    vapid_aud: String,
    vapid_exp: u64,
}

#[derive(Default)]
struct ServiceState {
    subscribers: HashMap<String, Subscriber>,
    /// Scripted answers per subscription, used before the default 201.
    answers: HashMap<String, VecDeque<u16>>,
    arrivals: Vec<Arrival>,
    /// Requests per subscription, accepted or not.
    requests: HashMap<String, usize>,
}

type Shared = Arc<Mutex<ServiceState>>;

/// A push service on 127.0.0.1:0, playing what FCM or Mozilla's autopush do.
struct PushService {
    state: Shared,
    origin: String,
}

impl PushService {
    async fn start() -> PushService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the push service");
        let origin = format!("http://{}", listener.local_addr().expect("an address"));
        let state: Shared = Arc::default();
        let app = Router::new()
            .route("/push/{id}", post(accept))
            .with_state(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        PushService { state, origin }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ServiceState> {
        self.state.lock().expect("push service lock")
    }

    /// A new browser subscription, as `PushSubscription.toJSON()` gives it.
    fn subscribe(&self, id: &str) -> Value {
        let subscriber = Subscriber::new();
        let keys = subscriber.keys();
        self.lock().subscribers.insert(id.to_owned(), subscriber);
        json!({
            "endpoint": format!("{}/push/{id}", self.origin),
            "expirationTime": null,
            "keys": {"p256dh": keys.p256dh, "auth": keys.auth},
        })
    }

    fn answer_next(&self, id: &str, statuses: &[u16]) {
        self.lock()
            .answers
            .entry(id.to_owned())
            .or_default()
            .extend(statuses);
    }

    fn arrivals(&self, id: &str) -> Vec<Arrival> {
        let all = self.lock().arrivals.clone();
        all.into_iter().filter(|a| a.subscription == id).collect()
    }

    fn requests(&self, id: &str) -> usize {
        self.lock().requests.get(id).copied().unwrap_or(0)
    }
}

async fn accept(
    State(state): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut s = state.lock().expect("push service lock");
    *s.requests.entry(id.clone()).or_default() += 1;
    if let Some(status) = s.answers.get_mut(&id).and_then(VecDeque::pop_front) {
        return StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    if header("content-encoding") != "aes128gcm" || header("ttl").is_empty() {
        return StatusCode::BAD_REQUEST;
    }
    let Ok(vapid) = vapid_claims(&header("authorization")) else {
        return StatusCode::UNAUTHORIZED;
    };
    let Some(subscriber) = s.subscribers.get(&id) else {
        return StatusCode::GONE;
    };
    let Ok(plain) = subscriber.decrypt(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(payload) = serde_json::from_slice(&plain) else {
        return StatusCode::BAD_REQUEST;
    };
    s.arrivals.push(Arrival {
        subscription: id,
        payload,
        urgency: header("urgency"),
        vapid_key: vapid.public_key.clone(),
        vapid_aud: vapid.claims.aud.clone(),
        vapid_exp: vapid.claims.exp,
    });
    StatusCode::CREATED
}

/// Runs due jobs until no push job is due: every notification of what was posted so far has
/// been sent (or scheduled for a later retry). Bounded by `WAIT`.
async fn settle(server: &TestServer) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("the job runner");
        let mut conn = server
            .state()
            .store
            .read_conn()
            .await
            .expect("a connection");
        let due: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind LIKE 'push.%' AND status = 'pending' AND run_at <= $1",
        )
        .bind(server.clock.now_ms())
        .fetch_one(&mut *conn)
        .await
        .expect("count due push jobs");
        if due == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "push jobs still due"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn subscriptions_of(server: &TestServer, user: &User) -> usize {
    let mut conn = server
        .state()
        .store
        .read_conn()
        .await
        .expect("a connection");
    kantor_store::push::of_user(&mut conn, user.id.parse().expect("a user id"))
        .await
        .expect("subscriptions")
        .len()
}

async fn rename(user: &User, name: &str) {
    user.client
        .patch("/api/v1/me", json!({"name": name}))
        .await
        .expect(200);
}

async fn say(user: &User, cid: &str, body: &str) -> Value {
    user.client
        .post(
            &user.org_path(&format!("/chat/conversations/{cid}/messages")),
            json!({"client_key": uuid::Uuid::now_v7().to_string(), "body": body}),
        )
        .await
        .expect(201)
}

async fn set_me(user: &User, cid: &str, body: Value) -> Value {
    user.client
        .patch(
            &user.org_path(&format!("/chat/conversations/{cid}/me")),
            body,
        )
        .await
        .expect(200)
}

fn loopback_push(config: &mut kantor_server::Config) {
    config.push_allow_http_loopback = true;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_checked_and_idempotent() {
    on_both(|backend| async move {
        let server = TestServer::start_with(
            backend,
            crate::common::Options {
                configure: Arc::new(loopback_push),
                ..Default::default()
            },
        )
        .await;
        let owner = server.seed_org(&format!("Dinas {}", unique())).await;
        let service = PushService::start().await;
        let subs = "/api/v1/me/push-subscriptions";

        let key = owner.client.get("/api/v1/push/key").await.expect(200);
        assert_eq!(str_of(&key["public_key"]).len(), 87, "{key}");
        let again = owner.client.get("/api/v1/push/key").await.expect(200);
        assert_eq!(key, again, "one key, kept");
        server
            .client()
            .get("/api/v1/push/key")
            .await
            .error(401, "auth.required");

        let good = service.subscribe("o1");
        let mut bad = good.clone();
        bad["keys"]["p256dh"] = json!("AAAA");
        owner
            .client
            .post(subs, bad)
            .await
            .error(422, "push.bad_keys");
        let mut bad = good.clone();
        bad["keys"]["auth"] = json!("not base64!");
        owner
            .client
            .post(subs, bad)
            .await
            .error(422, "push.bad_keys");
        for endpoint in [
            "http://push.example.com/x",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            let mut bad = good.clone();
            bad["endpoint"] = json!(endpoint);
            owner
                .client
                .post(subs, bad)
                .await
                .error(422, "push.bad_endpoint");
        }

        owner.client.post(subs, good.clone()).await.expect(204);
        owner.client.post(subs, good.clone()).await.expect(204);
        assert_eq!(subscriptions_of(&server, &owner).await, 1, "idempotent");
        for i in 2..=10 {
            let s = service.subscribe(&format!("o{i}"));
            owner.client.post(subs, s).await.expect(204);
        }
        assert_eq!(subscriptions_of(&server, &owner).await, 10);
        owner
            .client
            .post(subs, service.subscribe("o11"))
            .await
            .error(422, "push.too_many_subscriptions");
        // An existing one may still be renewed.
        owner.client.post(subs, good.clone()).await.expect(204);

        let unsubscribe = owner
            .client
            .request(reqwest::Method::DELETE, subs)
            .json(&json!({"endpoint": good["endpoint"]}));
        owner.client.send(unsubscribe).await.expect(204);
        assert_eq!(subscriptions_of(&server, &owner).await, 9);
        let unsubscribe = owner
            .client
            .request(reqwest::Method::DELETE, subs)
            .json(&json!({"endpoint": good["endpoint"]}));
        owner.client.send(unsubscribe).await.expect(204);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_notify_by_preference_mute_and_dnd() {
    on_both(|backend| async move {
        let server = TestServer::start_with(
            backend,
            crate::common::Options {
                configure: Arc::new(loopback_push),
                ..Default::default()
            },
        )
        .await;
        let ani = server.seed_org(&format!("Dinas {}", unique())).await;
        let budi = server.seed_member(&ani.org_id, Role::Member).await;
        let citra = server.seed_member(&ani.org_id, Role::Member).await;
        rename(&ani, "Ani Lestari").await;
        rename(&budi, "Budi Santoso").await;
        rename(&citra, "Citra Dewi").await;
        let service = PushService::start().await;
        let subs = "/api/v1/me/push-subscriptions";
        budi.client
            .post(subs, service.subscribe("budi"))
            .await
            .expect(204);
        citra
            .client
            .post(subs, service.subscribe("citra"))
            .await
            .expect(204);
        let public_key =
            str_of(&budi.client.get("/api/v1/push/key").await.expect(200)["public_key"]);

        // A DM reaches the other person, urgently, and only them.
        let dm = budi
            .client
            .post(
                &ani.org_path("/chat/conversations"),
                json!({"kind": "dm", "member_ids": [ani.id]}),
            )
            .await;
        assert!(dm.status == 200 || dm.status == 201, "{dm}");
        let dm = str_of(&dm.body["id"]);
        say(&ani, &dm, "Rapat   jam 3 ya,\njangan lupa").await;
        settle(&server).await;
        let got = service.arrivals("budi");
        assert_eq!(got.len(), 1, "{got:?}");
        let a = &got[0];
        assert_eq!(a.payload["title"], "Ani Lestari");
        assert_eq!(a.payload["body"], "Rapat jam 3 ya, jangan lupa");
        assert_eq!(
            a.payload["url"],
            format!("/o/{}/chat/{dm}", ani.org_id).as_str()
        );
        assert_eq!(a.payload["tag"], dm.as_str());
        assert_eq!(a.urgency, "high");
        assert_eq!(a.vapid_key, public_key, "signed with the server's key");
        assert_eq!(a.vapid_aud, service.origin);
        let now_secs = (server.clock.now_ms() / 1000) as u64;
        assert!(a.vapid_exp > now_secs && a.vapid_exp <= now_secs + 86_400);
        assert!(service.arrivals("citra").is_empty());
        assert_eq!(service.requests("citra"), 0);

        // A channel: members on `default` hear only mentions.
        let ch = ani
            .client
            .post(
                &ani.org_path("/chat/conversations"),
                json!({"kind": "public", "name": format!("umum-{}", unique())}),
            )
            .await
            .expect(201);
        let ch = str_of(&ch["id"]);
        for m in [&budi, &citra] {
            m.client
                .post_empty(&m.org_path(&format!("/chat/conversations/{ch}/join")))
                .await
                .expect(200);
        }
        say(&ani, &ch, "pengumuman biasa").await;
        settle(&server).await;
        assert_eq!(service.arrivals("budi").len(), 1, "no new push for budi");
        assert!(service.arrivals("citra").is_empty(), "default is mentions");

        // `all` hears everything, at normal urgency.
        citra
            .client
            .patch(
                &citra.org_path(&format!("/chat/conversations/{ch}/me")),
                json!({"notify": "loud"}),
            )
            .await
            .error(422, "validation.invalid");
        let settings = set_me(&citra, &ch, json!({"notify": "all"})).await;
        assert_eq!(settings["notify"], "all");
        let dm_view = budi
            .client
            .get(&budi.org_path(&format!("/chat/conversations/{dm}")))
            .await
            .expect(200);
        assert_eq!(dm_view["notify"], "default");
        say(&ani, &ch, "kopi di pantry").await;
        settle(&server).await;
        let c = service.arrivals("citra");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].payload["body"], "Ani Lestari: kopi di pantry");
        assert!(c[0].payload["title"]
            .as_str()
            .unwrap_or_default()
            .starts_with("#umum-"));
        assert_eq!(c[0].urgency, "normal");
        assert_eq!(service.arrivals("budi").len(), 1);

        // A mention reaches a member on `default`, rendered with the name.
        say(&ani, &ch, &format!("<@{}> tolong cek laporan", budi.id)).await;
        settle(&server).await;
        let b = service.arrivals("budi");
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[1].payload["body"],
            "Ani Lestari: @Budi Santoso tolong cek laporan"
        );
        assert_eq!(b[1].urgency, "high");
        assert_eq!(service.arrivals("citra").len(), 2);

        // `none` and mute silence even mentions; @channel reaches `default`.
        set_me(&budi, &ch, json!({"notify": "none"})).await;
        say(&ani, &ch, &format!("<@{}> sekali lagi", budi.id)).await;
        settle(&server).await;
        assert_eq!(service.arrivals("budi").len(), 2, "none");
        set_me(&budi, &ch, json!({"notify": "default", "muted": true})).await;
        say(&ani, &ch, "@channel rapat sekarang").await;
        settle(&server).await;
        assert_eq!(service.arrivals("budi").len(), 2, "muted");
        set_me(&budi, &ch, json!({"muted": false})).await;
        say(&ani, &ch, "@channel rapat dimulai").await;
        settle(&server).await;
        assert_eq!(service.arrivals("budi").len(), 3, "@channel");
        assert_eq!(service.arrivals("citra").len(), 5);

        // Do-not-disturb hours, counted in Budi's own zone (Jayapura, UTC+9).
        budi.client
            .patch("/api/v1/me", json!({"time_zone": "Asia/Jayapura"}))
            .await
            .expect(200);
        let local = jiff::Timestamp::from_millisecond(server.clock.now_ms())
            .expect("an instant")
            .to_zoned(jiff::tz::TimeZone::get("Asia/Jayapura").expect("a zone"));
        let minute = i64::from(local.hour()) * 60 + i64::from(local.minute());
        let clock = |m: i64| {
            let m = m.rem_euclid(1440);
            format!("{:02}:{:02}", m / 60, m % 60)
        };
        budi.client
            .put(
                "/api/v1/me/dnd",
                json!({"start": clock(minute - 60), "end": clock(minute + 60)}),
            )
            .await
            .expect(200);
        say(&ani, &dm, "sudah tidur?").await;
        settle(&server).await;
        assert_eq!(service.arrivals("budi").len(), 3, "in do-not-disturb hours");
        server.clock.advance_ms(3 * 3_600_000);
        say(&ani, &dm, "selamat pagi").await;
        settle(&server).await;
        let b = service.arrivals("budi");
        assert_eq!(b.len(), 4, "after do-not-disturb hours");
        assert_eq!(b[3].payload["body"], "selamat pagi");

        // 500 and 429 are retried later by the job runner, 410 deletes the subscription.
        service.answer_next("budi", &[500, 429]);
        say(&ani, &dm, "dokumen sudah saya kirim").await;
        settle(&server).await;
        assert_eq!(service.requests("budi"), 5, "first try refused");
        assert_eq!(service.arrivals("budi").len(), 4);
        server.clock.advance_ms(60_000);
        settle(&server).await;
        assert_eq!(service.requests("budi"), 6, "second try refused");
        server.clock.advance_ms(10 * 60_000);
        settle(&server).await;
        let b = service.arrivals("budi");
        assert_eq!(b.len(), 5, "delivered on the third try");
        assert_eq!(b[4].payload["body"], "dokumen sudah saya kirim");
        assert_eq!(subscriptions_of(&server, &budi).await, 1);

        service.answer_next("citra", &[410]);
        say(&ani, &ch, "ruang rapat pindah").await;
        settle(&server).await;
        assert_eq!(subscriptions_of(&server, &citra).await, 0, "gone");
        say(&ani, &ch, "terima kasih").await;
        settle(&server).await;
        assert_eq!(service.requests("citra"), 6, "nothing sent after 410");

        // A deactivated member is told nothing, although their subscription remains.
        ani.client
            .post_empty(&ani.org_path(&format!("/members/{}/deactivate", budi.id)))
            .await
            .expect(200);
        say(&ani, &dm, "masih di sana?").await;
        settle(&server).await;
        assert_eq!(
            service.requests("budi"),
            7,
            "nothing for a deactivated member"
        );
    })
    .await;
}

//! Meetings (REST, docs/meet-protocol.md): creating meetings, joining as a member and as a guest,
//! the waiting room, passcode limits per meeting and IP, lock, end, removal, guests, cohosts and
//! host controls, and bad input — on SQLite and PostgreSQL.

use std::sync::Arc;

use kantor_core::role::Role;
use kantor_server::Config;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, Client, Options, Resp, TestServer, User};

/// A server that believes `X-Forwarded-For` from loopback, so tests speak from many IPs, and
/// hands out TURN credentials.
fn options() -> Options {
    Options {
        configure: Arc::new(|c: &mut Config| {
            c.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
            c.turn_urls = vec!["turn:turn.kantor.test:3478?transport=udp".into()];
            c.turn_secret = Some("rahasia-turn".into());
            c.turn_ttl_secs = 600;
        }),
        ..Options::default()
    }
}

async fn create(host: &User, body: Value) -> Value {
    host.client
        .post(&host.org_path("/meetings"), body)
        .await
        .expect(201)
}

/// `POST /meet/join` with this client's credentials, from `ip` when given.
async fn join_from(client: &Client, ip: Option<&str>, body: Value) -> Resp {
    let mut req = client
        .request(Method::POST, "/api/v1/meet/join")
        .json(&body);
    if let Some(ip) = ip {
        req = req.header("x-forwarded-for", ip);
    }
    client.send(req).await
}

async fn join(client: &Client, m: &Value, extra: Value) -> Resp {
    let mut body = json!({"number": m["number"], "passcode": m["passcode"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    join_from(client, None, body).await
}

fn meeting_path(user: &User, m: &Value, rest: &str) -> String {
    user.org_path(&format!("/meetings/{}{rest}", str_of(&m["id"])))
}

async fn act(user: &User, m: &Value, participant: &Value, action: &str) -> Resp {
    let path = meeting_path(
        user,
        m,
        &format!("/participants/{}/{action}", str_of(&participant["id"])),
    );
    user.client.post_empty(&path).await
}

/// The participant rows as the host sees them, by id.
async fn participants(host: &User, m: &Value) -> Vec<Value> {
    let list = host
        .client
        .get(&meeting_path(host, m, "/participants"))
        .await
        .expect(200);
    list["participants"]
        .as_array()
        .expect("participants")
        .clone()
}

async fn row(host: &User, m: &Value, participant: &Value) -> Value {
    participants(host, m)
        .await
        .into_iter()
        .find(|p| p["id"] == participant["id"])
        .expect("the participant is listed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_enter_guests_wait_and_hosts_admit() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let host = server.seed_org("Dinas Kominfo").await;
        let member = server.seed_member(&host.org_id, Role::Member).await;

        let m = create(&host, json!({})).await;
        let number = str_of(&m["number"]);
        assert!(
            matches!(number.len(), 10 | 11) && !number.starts_with('0'),
            "{number}"
        );
        let grouped = m["number_display"].as_str().expect("display");
        assert_eq!(grouped.replace(' ', ""), number);
        let passcode = str_of(&m["passcode"]);
        assert!(passcode.len() == 6 && passcode.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(m["status"], "live");
        assert_eq!(m["title"], "Rapat Seeded owner");
        assert_eq!(m["waiting_room"], "guests");
        assert_eq!(m["allow_guests"], true);
        assert_eq!(m["host_id"], host.id);
        assert_eq!(m["participant_count"], 0);
        assert_eq!(m["spotlight"], Value::Null);
        assert!(str_of(&m["join_url"]).ends_with(&format!("/meet/{number}?pwd={passcode}")));

        // A member enters straight away, named from their profile; the number may be typed
        // with spaces and dashes.
        let typed = format!("{}-{}", &number[..3], &number[3..]);
        let joined = join_from(
            &member.client,
            None,
            json!({"number": format!(" {typed} "), "passcode": passcode, "name": "Ignored"}),
        )
        .await
        .expect(200);
        let me = &joined["participant"];
        assert_eq!(me["state"], "admitted");
        assert_eq!(me["role"], "participant");
        assert_eq!(me["guest"], false);
        assert_eq!(me["user_id"], member.id);
        assert_eq!(me["name"], member.name);
        assert!(str_of(&joined["token"]).len() > 40);
        assert_eq!(joined["ice_servers"], json!([]), "no TURN configured");
        assert_eq!(joined["meeting"]["host_name"], host.name);
        assert_eq!(joined["meeting"]["number"], number);
        assert!(joined["meeting"].get("passcode").is_none(), "{joined}");
        // Rejoining reuses the row with a new token.
        let again = join(&member.client, &m, json!({})).await.expect(200);
        assert_eq!(again["participant"]["id"], me["id"]);
        assert_ne!(again["token"], joined["token"]);

        // The host enters as host.
        let host_in = join(&host.client, &m, json!({})).await.expect(200);
        assert_eq!(host_in["participant"]["role"], "host");
        assert_eq!(host_in["participant"]["state"], "admitted");

        // Guests wait (the default waiting room), one row per device key.
        let anon = server.client();
        let guest = join(
            &anon,
            &m,
            json!({"name": "Tamu Dinas", "device_key": "dev-1"}),
        )
        .await
        .expect(200);
        let g = &guest["participant"];
        assert_eq!(
            (&g["state"], &g["guest"], &g["user_id"], &g["name"]),
            (
                &json!("waiting"),
                &json!(true),
                &Value::Null,
                &json!("Tamu Dinas")
            )
        );
        let again = join(&anon, &m, json!({"name": "Tamu", "device_key": "dev-1"}))
            .await
            .expect(200);
        assert_eq!(again["participant"]["id"], g["id"]);
        assert_eq!(again["participant"]["name"], "Tamu");
        join(&anon, &m, json!({"device_key": "dev-2"}))
            .await
            .error(422, "validation.failed");
        // A signed-in person of another organisation is a guest too.
        let outsider = server.seed_org("Dinas Tetangga").await;
        let o = join(&outsider.client, &m, json!({"device_key": "dev-o"}))
            .await
            .expect(200);
        assert_eq!(o["participant"]["guest"], true);
        assert_eq!(o["participant"]["user_id"], Value::Null);
        assert_eq!(o["participant"]["name"], outsider.name);
        assert_eq!(o["participant"]["state"], "waiting");
        // A cookie without the CSRF header is refused, as on every write; a stale cookie is
        // simply a guest.
        let no_csrf = member
            .client
            .request_without_csrf(Method::POST, "/api/v1/meet/join")
            .json(&json!({"number": number, "passcode": passcode}));
        member
            .client
            .send(no_csrf)
            .await
            .error(403, "auth.csrf_invalid");
        let stale = server.client();
        let req = stale
            .request(Method::POST, "/api/v1/meet/join")
            .header("cookie", "kantor_session=ks_expired")
            .json(&json!({"number": number, "passcode": passcode, "name": "Lama"}));
        let s = stale.send(req).await.expect(200);
        assert_eq!(s["participant"]["guest"], true);

        // The host admits and denies; only waiting people can be admitted or denied.
        assert_eq!(participants(&host, &m).await.len(), 5);
        act(&host, &m, g, "admit").await.expect(204);
        assert_eq!(row(&host, &m, g).await["state"], "admitted");
        act(&host, &m, g, "admit").await.expect(204);
        act(&host, &m, g, "deny")
            .await
            .error(409, "meeting.not_in_meeting");
        act(&host, &m, &o["participant"], "deny").await.expect(204);
        assert_eq!(row(&host, &m, &o["participant"]).await["state"], "denied");
        act(&host, &m, &o["participant"], "admit")
            .await
            .error(409, "meeting.not_in_meeting");
        // A denied guest may knock again.
        let knock = join(&outsider.client, &m, json!({"device_key": "dev-o"}))
            .await
            .expect(200);
        assert_eq!(knock["participant"]["state"], "waiting");

        // Members read the meeting without its passcode; the host with it.
        let seen = member
            .client
            .get(&meeting_path(&member, &m, ""))
            .await
            .expect(200);
        assert_eq!(seen["passcode"], Value::Null);
        assert!(str_of(&seen["join_url"]).ends_with(&format!("/meet/{number}")));
        assert_eq!(
            seen["participant_count"], 3,
            "member, host and admitted guest"
        );
        let list = member
            .client
            .get(&member.org_path("/meetings"))
            .await
            .expect(200);
        assert_eq!(list["meetings"][0]["id"], m["id"]);
        assert_eq!(
            host.client
                .get(&host.org_path("/meetings"))
                .await
                .expect(200)["meetings"][0]["passcode"],
            m["passcode"]
        );

        // Numbers: malformed → 422, unknown → 404.
        join_from(
            &anon,
            None,
            json!({"number": "812 34a6 7890", "passcode": "123456"}),
        )
        .await
        .error(422, "validation.invalid");
        let unknown = if number.starts_with('9') {
            "81234567890"
        } else {
            "91234567890"
        };
        join_from(
            &anon,
            None,
            json!({"number": unknown, "passcode": "123456"}),
        )
        .await
        .error(404, "meeting.not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passcodes_are_limited_per_meeting_and_ip() {
    on_both(|backend| async move {
        let server = TestServer::start_with(backend, options()).await;
        let host = server.seed_org("Dinas Kominfo").await;
        let anon = server.client();
        let m = create(&host, json!({"passcode": "Rahasia1"})).await;
        let number = str_of(&m["number"]);
        let try_code = |ip: &'static str, code: &'static str| {
            let (anon, number) = (anon.clone(), number.clone());
            async move {
                join_from(
                    &anon,
                    Some(ip),
                    json!({"number": number, "passcode": code, "name": "Tamu"}),
                )
                .await
            }
        };

        // Five wrong passcodes from one IP, then even the right one is refused there.
        for _ in 0..5 {
            try_code("10.0.0.1", "rahasia1")
                .await
                .error(401, "meeting.passcode_invalid");
        }
        try_code("10.0.0.1", "Rahasia1")
            .await
            .error(429, "meeting.too_many_attempts");
        // Another IP is not limited, and its right passcode does not clear the first IP's count.
        let ok = try_code("10.0.0.2", "Rahasia1").await.expect(200);
        try_code("10.0.0.1", "Rahasia1")
            .await
            .error(429, "meeting.too_many_attempts");
        // TURN credentials come with the join.
        let ice = &ok["ice_servers"][0];
        assert_eq!(
            ice["urls"],
            json!(["turn:turn.kantor.test:3478?transport=udp"])
        );
        let username = str_of(&ice["username"]);
        let (expiry, pid) = username.split_once(':').expect("expiry:participant");
        assert_eq!(pid, str_of(&ok["participant"]["id"]));
        let expiry: i64 = expiry.parse().expect("unix time");
        assert_eq!(expiry, server.clock.now_ms() / 1000 + 600);
        let expected = kantor_core::meet::turn_credential("rahasia-turn", pid, expiry);
        assert_eq!(ice["credential"], expected.credential);
        // Ten minutes later the window has passed.
        server.clock.advance_ms(10 * 60_000 + 1);
        try_code("10.0.0.1", "Rahasia1").await.expect(200);

        // Twenty wrong passcodes from all IPs close the meeting to everyone for a while.
        for ip in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"] {
            for _ in 0..4 {
                try_code(ip, "salah")
                    .await
                    .error(401, "meeting.passcode_invalid");
            }
        }
        try_code("10.2.0.1", "Rahasia1")
            .await
            .error(429, "meeting.too_many_attempts");
        server.clock.advance_ms(10 * 60_000 + 1);
        try_code("10.2.0.1", "Rahasia1").await.expect(200);

        // Thirty wrong passcodes from one IP across meetings stop that IP everywhere.
        let mut others = Vec::new();
        for _ in 0..8 {
            others.push(create(&host, json!({"passcode": "Benar123"})).await);
        }
        let mut wrong = 0;
        'outer: for o in &others {
            for _ in 0..4 {
                if wrong == 30 {
                    break 'outer;
                }
                join_from(
                    &anon,
                    Some("10.3.0.1"),
                    json!({"number": o["number"], "passcode": "salah", "name": "Tamu"}),
                )
                .await
                .error(401, "meeting.passcode_invalid");
                wrong += 1;
            }
        }
        let fresh = create(&host, json!({"passcode": "Benar123"})).await;
        join_from(
            &anon,
            Some("10.3.0.1"),
            json!({"number": fresh["number"], "passcode": "Benar123", "name": "Tamu"}),
        )
        .await
        .error(429, "meeting.too_many_attempts");
        // Checked before the number is looked up.
        join_from(
            &anon,
            Some("10.3.0.1"),
            json!({"number": "81234567890", "passcode": "Benar123", "name": "Tamu"}),
        )
        .await
        .error(429, "meeting.too_many_attempts");
        join_from(
            &anon,
            Some("10.3.0.2"),
            json!({"number": fresh["number"], "passcode": "Benar123", "name": "Tamu"}),
        )
        .await
        .expect(200);

        // A burst of wrong guesses at once cannot overshoot the limit: exactly five are
        // counted (and answered 401), the rest are refused.
        let burst = futures::future::join_all((0..12).map(|_| {
            join_from(
                &anon,
                Some("10.4.0.1"),
                json!({"number": fresh["number"], "passcode": "salah", "name": "Tamu"}),
            )
        }))
        .await;
        let mut codes: Vec<&str> = burst.iter().map(Resp::code).collect();
        codes.sort();
        let mut expected = vec!["meeting.passcode_invalid"; 5];
        expected.extend(vec!["meeting.too_many_attempts"; 7]);
        assert_eq!(codes, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_removed_guests_off_and_ended() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let host = server.seed_org("Dinas Kominfo").await;
        let ani = server.seed_member(&host.org_id, Role::Member).await;
        let budi = server.seed_member(&host.org_id, Role::Member).await;
        let m = create(
            &host,
            json!({"waiting_room": "off", "title": "Rapat Koordinasi"}),
        )
        .await;
        assert_eq!(m["title"], "Rapat Koordinasi");
        let ani_in = join(&ani.client, &m, json!({})).await.expect(200)["participant"].clone();
        let anon = server.client();
        let guest = join(
            &anon,
            &m,
            json!({"name": "Tamu", "device_key": "perangkat-1"}),
        )
        .await
        .expect(200)["participant"]
            .clone();
        assert_eq!(guest["state"], "admitted", "no waiting room");

        // Locked: newcomers are refused; the host and those already in still enter.
        let locked = host
            .client
            .patch(&meeting_path(&host, &m, ""), json!({"locked": true}))
            .await
            .expect(200);
        assert_eq!(locked["locked"], true);
        join(&budi.client, &m, json!({}))
            .await
            .error(403, "meeting.locked");
        join(
            &anon,
            &m,
            json!({"name": "Tamu Baru", "device_key": "perangkat-9"}),
        )
        .await
        .error(403, "meeting.locked");
        join(&host.client, &m, json!({})).await.expect(200);
        join(&ani.client, &m, json!({})).await.expect(200);
        host.client
            .patch(&meeting_path(&host, &m, ""), json!({"locked": false}))
            .await
            .expect(200);

        // Removed people stay out: a member by account, a guest by device key.
        act(&host, &m, &ani_in, "remove").await.expect(204);
        act(&host, &m, &guest, "remove").await.expect(204);
        assert_eq!(row(&host, &m, &ani_in).await["state"], "removed");
        join(&ani.client, &m, json!({}))
            .await
            .error(403, "meeting.removed");
        join(
            &anon,
            &m,
            json!({"name": "Tamu", "device_key": "perangkat-1"}),
        )
        .await
        .error(403, "meeting.removed");
        join(
            &anon,
            &m,
            json!({"name": "Tamu", "device_key": "perangkat-2"}),
        )
        .await
        .expect(200);
        // Acting on someone who is not in the meeting.
        act(&host, &m, &ani_in, "mute")
            .await
            .error(409, "meeting.not_in_meeting");

        // Guests not allowed.
        host.client
            .patch(&meeting_path(&host, &m, ""), json!({"allow_guests": false}))
            .await
            .expect(200);
        join(
            &anon,
            &m,
            json!({"name": "Tamu", "device_key": "perangkat-3"}),
        )
        .await
        .error(403, "meeting.guests_not_allowed");
        let budi_in = join(&budi.client, &m, json!({})).await.expect(200)["participant"].clone();

        // Only the host ends it; then joins and writes answer 410, reads still work.
        act(&host, &m, &budi_in, "make-cohost").await.expect(204);
        budi.client
            .post_empty(&meeting_path(&budi, &m, "/end"))
            .await
            .error(403, "meeting.not_host");
        host.client
            .post_empty(&meeting_path(&host, &m, "/end"))
            .await
            .expect(204);
        join(&host.client, &m, json!({}))
            .await
            .error(410, "meeting.ended");
        join(
            &anon,
            &m,
            json!({"name": "Tamu", "device_key": "perangkat-2"}),
        )
        .await
        .error(410, "meeting.ended");
        host.client
            .patch(&meeting_path(&host, &m, ""), json!({"title": "Lagi"}))
            .await
            .error(410, "meeting.ended");
        host.client
            .post_empty(&meeting_path(&host, &m, "/end"))
            .await
            .error(410, "meeting.ended");
        host.client
            .post_empty(&meeting_path(&host, &m, "/mute-all"))
            .await
            .error(410, "meeting.ended");
        act(&host, &m, &budi_in, "mute")
            .await
            .error(410, "meeting.ended");
        let done = host
            .client
            .get(&meeting_path(&host, &m, ""))
            .await
            .expect(200);
        assert_eq!(done["status"], "ended");
        assert!(done["ended_at"].is_string());
        assert_eq!(participants(&host, &m).await.len(), 5);

        // The list: live meetings first, then ended ones.
        let live = create(&host, json!({})).await;
        let list = host
            .client
            .get(&host.org_path("/meetings"))
            .await
            .expect(200);
        let ids: Vec<&Value> = list["meetings"]
            .as_array()
            .expect("meetings")
            .iter()
            .map(|x| &x["id"])
            .collect();
        assert_eq!(ids, vec![&live["id"], &m["id"]]);
        // Budi was in the ended meeting; Ani was removed from it.
        let budi_list = budi
            .client
            .get(&budi.org_path("/meetings"))
            .await
            .expect(200);
        assert_eq!(budi_list["meetings"].as_array().map(Vec::len), Some(1));
        let ani_list = ani.client.get(&ani.org_path("/meetings")).await.expect(200);
        assert_eq!(ani_list["meetings"], json!([]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cohosts_help_but_never_against_the_host() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let host = server.seed_org("Dinas Kominfo").await;
        let ani = server.seed_member(&host.org_id, Role::Member).await;
        let budi = server.seed_member(&host.org_id, Role::Member).await;
        let m = create(&host, json!({"waiting_room": "everyone"})).await;
        let host_in = join(&host.client, &m, json!({})).await.expect(200)["participant"].clone();
        let ani_in = join(&ani.client, &m, json!({})).await.expect(200)["participant"].clone();
        assert_eq!(
            ani_in["state"], "waiting",
            "the waiting room holds everyone"
        );
        act(&host, &m, &ani_in, "admit").await.expect(204);
        let budi_in = join(&budi.client, &m, json!({})).await.expect(200)["participant"].clone();
        act(&host, &m, &budi_in, "admit").await.expect(204);

        // A participant runs nothing.
        act(&ani, &m, &budi_in, "mute")
            .await
            .error(403, "meeting.not_host");
        ani.client
            .get(&meeting_path(&ani, &m, "/participants"))
            .await
            .error(403, "meeting.not_host");
        ani.client
            .post_empty(&meeting_path(&ani, &m, "/mute-all"))
            .await
            .error(403, "meeting.not_host");
        ani.client
            .patch(&meeting_path(&ani, &m, ""), json!({"locked": true}))
            .await
            .error(403, "meeting.not_host");

        // Only the host makes cohosts.
        act(&host, &m, &ani_in, "make-cohost").await.expect(204);
        assert_eq!(row(&host, &m, &ani_in).await["role"], "cohost");
        act(&ani, &m, &budi_in, "make-cohost")
            .await
            .error(403, "meeting.not_host");
        let seen = ani
            .client
            .get(&meeting_path(&ani, &m, ""))
            .await
            .expect(200);
        assert_eq!(seen["passcode"], m["passcode"], "cohosts see the passcode");

        // A cohost cannot remove, mute, stop or demote the host.
        for action in ["remove", "mute", "stop-video", "make-participant"] {
            act(&ani, &m, &host_in, action)
                .await
                .error(403, "meeting.forbidden");
        }
        act(&host, &m, &host_in, "remove")
            .await
            .error(403, "meeting.forbidden");
        // … but runs the meeting otherwise.
        for action in ["mute", "ask-unmute", "stop-video"] {
            act(&ani, &m, &budi_in, action).await.expect(204);
        }
        act(&ani, &m, &host_in, "ask-unmute").await.expect(204);
        ani.client
            .post_empty(&meeting_path(&ani, &m, "/mute-all"))
            .await
            .expect(204);
        let rename = |name: Value| {
            let path = meeting_path(
                &ani,
                &m,
                &format!("/participants/{}/rename", str_of(&budi_in["id"])),
            );
            let client = ani.client.clone();
            async move { client.post(&path, json!({"name": name})).await }
        };
        rename(json!("Budi (Kominfo)")).await.expect(204);
        assert_eq!(row(&host, &m, &budi_in).await["name"], "Budi (Kominfo)");
        rename(json!("  ")).await.error(422, "validation.required");
        rename(json!("x".repeat(81)))
            .await
            .error(422, "validation.too_long");
        act(&ani, &m, &budi_in, "spotlight").await.expect(204);
        let seen = host
            .client
            .get(&meeting_path(&host, &m, ""))
            .await
            .expect(200);
        assert_eq!(seen["spotlight"], budi_in["id"]);
        act(&ani, &m, &budi_in, "unspotlight").await.expect(204);
        let seen = host
            .client
            .patch(
                &meeting_path(&host, &m, ""),
                json!({"title": "Rapat Baru", "waiting_room": "off", "passcode": "Baru2026"}),
            )
            .await
            .expect(200);
        assert_eq!(seen["spotlight"], Value::Null);
        assert_eq!(
            (&seen["title"], &seen["waiting_room"], &seen["passcode"]),
            (&json!("Rapat Baru"), &json!("off"), &json!("Baru2026"))
        );
        // The old passcode no longer opens it.
        join(&budi.client, &m, json!({}))
            .await
            .error(401, "meeting.passcode_invalid");

        // Demoted, the cohost runs nothing again.
        act(&host, &m, &ani_in, "make-participant")
            .await
            .expect(204);
        act(&ani, &m, &budi_in, "mute")
            .await
            .error(403, "meeting.not_host");

        // Unknown actions and participants are not found.
        act(&host, &m, &budi_in, "kick")
            .await
            .error(404, "not_found");
        let nobody = json!({"id": uuid::Uuid::now_v7().to_string()});
        act(&host, &m, &nobody, "mute")
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_meeting_input_is_refused() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let host = server.seed_org("Dinas Kominfo").await;
        let org_guest = server.seed_member(&host.org_id, Role::Guest).await;
        let c = &host.client;
        let path = host.org_path("/meetings");
        for (body, status, code, field) in [
            (
                json!({"passcode": "abc"}),
                422,
                "meeting.passcode_format",
                "passcode",
            ),
            (
                json!({"passcode": "12 34"}),
                422,
                "meeting.passcode_format",
                "passcode",
            ),
            (
                json!({"passcode": "abcdefghijk"}),
                422,
                "meeting.passcode_format",
                "passcode",
            ),
            (
                json!({"title": "x".repeat(201)}),
                422,
                "validation.too_long",
                "title",
            ),
            (json!({"rooms": 2}), 422, "request.unknown_field", "rooms"),
        ] {
            let r = c.post(&path, body).await;
            assert_eq!(r.error(status, code)["field"], field, "{r}");
        }
        c.post(&path, json!({"waiting_room": "sometimes"}))
            .await
            .error(422, "validation.invalid");
        let m = create(&host, json!({"passcode": "Ab12"})).await;
        assert_eq!(m["passcode"], "Ab12");
        let r = c
            .patch(&meeting_path(&host, &m, ""), json!({"passcode": "a-b-c-d"}))
            .await;
        assert_eq!(r.error(422, "meeting.passcode_format")["field"], "passcode");
        c.patch(&meeting_path(&host, &m, ""), json!({"title": ""}))
            .await
            .error(422, "validation.required");
        // The passcode is case-sensitive.
        join(
            &server.client(),
            &json!({"number": m["number"], "passcode": "ab12"}),
            json!({"name": "Tamu"}),
        )
        .await
        .error(401, "meeting.passcode_invalid");
        // Organisation guests join meetings they are given but do not start or browse others.
        org_guest
            .client
            .post(&org_guest.org_path("/meetings"), json!({}))
            .await
            .error(403, "auth.forbidden");
        org_guest
            .client
            .get(&meeting_path(&org_guest, &m, ""))
            .await
            .error(404, "not_found");
        let g = join(&org_guest.client, &m, json!({})).await.expect(200);
        assert_eq!(
            g["participant"]["guest"], false,
            "a member of the organisation"
        );
        org_guest
            .client
            .get(&meeting_path(&org_guest, &m, ""))
            .await
            .expect(200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_room_keeps_its_number_and_holds_people_until_its_owner_arrives() {
    on_both(|backend| async move {
        let server = TestServer::start_with(backend, options()).await;
        let owner = server.seed_org("Dinas Kominfo").await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let personal = owner.org_path("/meetings/personal");

        // Made once, the same room every time (also when asked for at once).
        let (a, b) = futures::join!(owner.client.get(&personal), owner.client.get(&personal));
        let (a, b) = (a.expect(200), b.expect(200));
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["kind"], "personal");
        let room = owner.client.get(&personal).await.expect(200);
        assert_eq!(room["number"], a["number"]);
        assert!(room["passcode"].is_string());
        // Its own passcode, changed like any meeting's.
        let room = owner
            .client
            .patch(
                &meeting_path(&owner, &room, ""),
                json!({"passcode": "ruang99"}),
            )
            .await
            .expect(200);
        assert_eq!(room["passcode"], "ruang99");
        // Another member's personal room is theirs.
        let theirs = member
            .client
            .get(&member.org_path("/meetings/personal"))
            .await
            .expect(200);
        assert_ne!(theirs["number"], room["number"]);

        // Without its owner, a member and a guest wait in the lobby.
        let m_join = join(&member.client, &room, json!({})).await.expect(200);
        assert_eq!(m_join["participant"]["state"], "waiting");
        assert_eq!(m_join["waiting_for_host"], true);
        let g_join = join(
            &server.client(),
            &room,
            json!({"name": "Tamu", "device_key": "dk-tamu-1"}),
        )
        .await
        .expect(200);
        assert_eq!(g_join["participant"]["state"], "waiting");

        // The owner arrives: the member goes in; the guest still waits for the waiting room.
        let o_join = join(&owner.client, &room, json!({})).await.expect(200);
        assert_eq!(o_join["participant"]["state"], "admitted");
        assert_eq!(o_join["waiting_for_host"], false);
        assert_eq!(
            row(&owner, &room, &m_join["participant"]).await["state"],
            "admitted"
        );
        assert_eq!(
            row(&owner, &room, &g_join["participant"]).await["state"],
            "waiting"
        );
        // With the owner in, a member walks straight in.
        let late = server.seed_member(&owner.org_id, Role::Member).await;
        let l_join = join(&late.client, &room, json!({})).await.expect(200);
        assert_eq!(l_join["participant"]["state"], "admitted");

        // "End for all" ends the session, not the room: everyone is out, the number still
        // works, and the next session starts with the lobby again.
        owner
            .client
            .post_empty(&meeting_path(&owner, &room, "/end"))
            .await
            .expect(204);
        for p in participants(&owner, &room).await {
            assert_eq!(p["state"], "left", "{p}");
        }
        let again = owner
            .client
            .get(&meeting_path(&owner, &room, ""))
            .await
            .expect(200);
        assert_eq!(again["status"], "live");
        let m_join = join(&member.client, &room, json!({})).await.expect(200);
        assert_eq!(m_join["participant"]["state"], "waiting");

        // Another organisation cannot read it.
        let other = server.seed_org("Lain").await;
        other
            .client
            .get(&meeting_path(&other, &room, "").replace(&owner.org_id, &other.org_id))
            .await
            .error(404, "not_found");
    })
    .await;
}

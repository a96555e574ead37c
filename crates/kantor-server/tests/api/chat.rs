//! Chat: channels, DMs and groups, messages with threads, reactions, edits, pins, quotes and
//! forwards, files, unread counts and read receipts, scheduled messages, status, presence and
//! typing — every rule and every bad input the issue lists, on SQLite and PostgreSQL.

use kantor_core::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, TestServer, User, Ws};

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn channel(owner: &User, kind: &str, name: &str) -> String {
    let c = owner
        .client
        .post(
            &owner.org_path("/chat/conversations"),
            json!({"kind": kind, "name": name}),
        )
        .await
        .expect(201);
    str_of(&c["id"])
}

fn conv_path(user: &User, cid: &str, rest: &str) -> String {
    user.org_path(&format!("/chat/conversations/{cid}{rest}"))
}

async fn post(user: &User, cid: &str, body: Value) -> Value {
    let mut body = body;
    if body.get("client_key").is_none() {
        body["client_key"] = json!(key());
    }
    user.client
        .post(&conv_path(user, cid, "/messages"), body)
        .await
        .expect(201)
}

async fn say(user: &User, cid: &str, text: &str) -> Value {
    post(user, cid, json!({"body": text})).await
}

async fn conversation(user: &User, cid: &str) -> Value {
    user.client.get(&conv_path(user, cid, "")).await.expect(200)
}

/// Skips messages until an event of `kind` about conversation `cid` arrives.
async fn chat_event(ws: &mut Ws, kind: &str) -> Value {
    ws.event_of_kind(kind).await["data"].clone()
}

/// Skips until an ephemeral message of `type` arrives.
async fn ephemeral(ws: &mut Ws, kind: &str) -> Value {
    ws.keep_ephemeral = true;
    let found = loop {
        let v = ws.next_json().await;
        if v["type"] == kind {
            break v;
        }
    };
    ws.keep_ephemeral = false;
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_dms_and_groups() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let budi = server.seed_member(&owner.org_id, Role::Member).await;
        let guest = server.seed_member(&owner.org_id, Role::Guest).await;

        // A public channel: names are normalised and unique.
        let c = owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "public", "name": " #Tim Lapangan ", "topic": "Koordinasi"}),
            )
            .await
            .expect(201);
        assert_eq!(c["name"], "tim-lapangan");
        assert_eq!(c["my_role"], "owner");
        assert_eq!(c["member_count"], 1);
        let public = str_of(&c["id"]);
        owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "private", "name": "tim lapangan"}),
            )
            .await
            .error(409, "chat.name_taken");
        owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "public", "name": "a/b"}),
            )
            .await
            .error(422, "chat.bad_channel_name");

        // Members browse and join public channels; guests do not browse.
        let browse = ani
            .client
            .get(&ani.org_path("/chat/channels?q=lapangan"))
            .await
            .expect(200);
        assert_eq!(browse.as_array().expect("an array").len(), 1);
        assert_eq!(browse[0]["is_member"], false);
        guest
            .client
            .get(&guest.org_path("/chat/channels"))
            .await
            .error(403, "auth.forbidden");
        // Posting before joining: 403 chat.not_member.
        ani.client
            .post(
                &conv_path(&ani, &public, "/messages"),
                json!({"client_key": key(), "body": "halo"}),
            )
            .await
            .error(403, "chat.not_member");
        let joined = ani
            .client
            .post_empty(&conv_path(&ani, &public, "/join"))
            .await
            .expect(200);
        assert_eq!(joined["is_member"], true);
        assert_eq!(joined["member_count"], 2);

        // A private channel does not exist for non-members: 404 everywhere.
        let private = channel(&owner, "private", "rahasia").await;
        for path in ["", "/messages", "/members", "/pins"] {
            ani.client
                .get(&conv_path(&ani, &private, path))
                .await
                .error(404, "not_found");
        }
        ani.client
            .post_empty(&conv_path(&ani, &private, "/join"))
            .await
            .error(404, "not_found");
        ani.client
            .post(
                &conv_path(&ani, &private, "/messages"),
                json!({"client_key": key(), "body": "masuk"}),
            )
            .await
            .error(404, "not_found");
        // Members can be added; then it is visible.
        owner
            .client
            .post(
                &conv_path(&owner, &private, "/members"),
                json!({"user_ids": [ani.id]}),
            )
            .await
            .expect(204);
        assert_eq!(conversation(&ani, &private).await["member_count"], 2);
        let listed: Vec<String> = ani
            .client
            .get(&ani.org_path("/chat/conversations"))
            .await
            .expect(200)
            .as_array()
            .expect("present")
            .iter()
            .map(|c| str_of(&c["id"]))
            .collect();
        assert!(listed.contains(&private) && listed.contains(&public));

        // Topic by any member; rename only by the owner or an admin.
        let p = ani
            .client
            .patch(
                &conv_path(&ani, &public, ""),
                json!({"topic": "Jadwal kunjungan"}),
            )
            .await
            .expect(200);
        assert_eq!(p["topic"], "Jadwal kunjungan");
        ani.client
            .patch(&conv_path(&ani, &public, ""), json!({"name": "diganti"}))
            .await
            .error(403, "auth.forbidden");
        // Archive: read-only, and only by its owner or an admin.
        ani.client
            .post_empty(&conv_path(&ani, &public, "/archive"))
            .await
            .error(403, "auth.forbidden");
        let a = owner
            .client
            .post_empty(&conv_path(&owner, &public, "/archive"))
            .await
            .expect(200);
        assert_eq!(a["archived"], true);
        ani.client
            .post(
                &conv_path(&ani, &public, "/messages"),
                json!({"client_key": key(), "body": "telat"}),
            )
            .await
            .error(409, "chat.archived");
        owner
            .client
            .post_empty(&conv_path(&owner, &public, "/unarchive"))
            .await
            .expect(200);
        // Leaving.
        ani.client
            .post_empty(&conv_path(&ani, &public, "/leave"))
            .await
            .expect(204);
        assert_eq!(conversation(&ani, &public).await["is_member"], false);

        // One DM per pair, whoever starts it.
        let dm = owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "dm", "member_ids": [budi.id]}),
            )
            .await
            .expect(201);
        assert_eq!(dm["members"].as_array().expect("an array").len(), 2);
        assert_eq!(dm["read_receipts"], true);
        let again = budi
            .client
            .post(
                &budi.org_path("/chat/conversations"),
                json!({"kind": "dm", "member_ids": [owner.id]}),
            )
            .await
            .expect(200);
        assert_eq!(again["id"], dm["id"]);
        budi.client
            .post_empty(&conv_path(&budi, &str_of(&dm["id"]), "/leave"))
            .await
            .error(422, "chat.cannot_leave_dm");
        // Groups have 2–8 others; ids of other organisations are refused.
        owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "group", "member_ids": [budi.id]}),
            )
            .await
            .error(422, "chat.group_size");
        let other = server.seed_org("Dinas Lain").await;
        owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "group", "member_ids": [budi.id, other.id]}),
            )
            .await
            .error(422, "chat.unknown_member");
        let g = owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "group", "member_ids": [budi.id, ani.id]}),
            )
            .await
            .expect(201);
        assert_eq!(g["member_count"], 3);
        assert_eq!(g["name"], Value::Null);

        // Mute is the caller's own setting.
        let m = budi
            .client
            .patch(
                &conv_path(&budi, &str_of(&g["id"]), "/me"),
                json!({"muted": true}),
            )
            .await
            .expect(200);
        assert_eq!(m["muted"], true);
        assert_eq!(conversation(&ani, &str_of(&g["id"])).await["muted"], false);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_threads_reactions_edits_pins() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let budi = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = channel(&owner, "public", "umum").await;
        for u in [&ani, &budi] {
            u.client
                .post_empty(&conv_path(u, &cid, "/join"))
                .await
                .expect(200);
        }

        // Idempotent posting: the same client key answers with the same message.
        let k = key();
        let first = ani
            .client
            .post(
                &conv_path(&ani, &cid, "/messages"),
                json!({"client_key": k, "body": "**Selamat pagi**"}),
            )
            .await
            .expect(201);
        let retry = ani
            .client
            .post(
                &conv_path(&ani, &cid, "/messages"),
                json!({"client_key": k, "body": "**Selamat pagi**"}),
            )
            .await
            .expect(200);
        assert_eq!(first["id"], retry["id"]);
        assert_eq!(first["seq"], 1);
        // Concurrent retries of one key still make one message.
        let k2 = key();
        let results = futures::future::join_all((0..5).map(|_| {
            let ani = ani.clone();
            let (cid, k2) = (cid.clone(), k2.clone());
            async move {
                ani.client
                    .post(
                        &conv_path(&ani, &cid, "/messages"),
                        json!({"client_key": k2, "body": "sekali saja"}),
                    )
                    .await
            }
        }))
        .await;
        let ids: std::collections::BTreeSet<String> = results
            .into_iter()
            .map(|r| {
                assert!(r.status == 200 || r.status == 201, "{r}");
                str_of(&r.body["id"])
            })
            .collect();
        assert_eq!(ids.len(), 1);
        let page = ani
            .client
            .get(&conv_path(&ani, &cid, "/messages"))
            .await
            .expect(200);
        assert_eq!(page["messages"].as_array().expect("an array").len(), 2);

        // Bad input changes nothing.
        let bad = |body: Value| {
            let ani = ani.clone();
            let cid = cid.clone();
            async move {
                ani.client
                    .post(&conv_path(&ani, &cid, "/messages"), body)
                    .await
            }
        };
        bad(json!({"client_key": key(), "body": "  \n\t "}))
            .await
            .error(422, "chat.empty_message");
        bad(json!({"client_key": key(), "body": "x".repeat(8_001)}))
            .await
            .error(413, "chat.message_too_long");
        bad(json!({"client_key": "", "body": "x"}))
            .await
            .error(422, "validation.invalid");
        bad(json!({"client_key": key(), "body": "x", "thread_root_id": key()}))
            .await
            .error(422, "chat.unknown_message");
        bad(json!({"client_key": key(), "body": "x", "attachment_ids": [key()]}))
            .await
            .error(422, "chat.unknown_file");
        bad(json!({"client_key": key(), "body": "x", "extra": 1}))
            .await
            .error(422, "request.unknown_field");
        let page = ani
            .client
            .get(&conv_path(&ani, &cid, "/messages"))
            .await
            .expect(200);
        assert_eq!(page["messages"].as_array().expect("an array").len(), 2);

        // Threads: replies stay out of the channel unless also sent there.
        let root = str_of(&first["id"]);
        let r1 = post(
            &budi,
            &cid,
            json!({"body": "pagi juga", "thread_root_id": root}),
        )
        .await;
        assert_eq!(r1["thread_root_id"], root.as_str());
        assert_eq!(r1["also_in_channel"], false);
        let r2 = post(
            &owner,
            &cid,
            json!({"body": "rapat jam 9", "thread_root_id": root, "also_to_channel": true}),
        )
        .await;
        // A reply to a reply joins the same thread.
        let r3 = post(
            &ani,
            &cid,
            json!({"body": "siap", "thread_root_id": str_of(&r1["id"])}),
        )
        .await;
        assert_eq!(r3["thread_root_id"], root.as_str());
        let thread = ani
            .client
            .get(&conv_path(&ani, &cid, &format!("/messages/{root}/thread")))
            .await
            .expect(200);
        assert_eq!(thread["root"]["reply_count"], 3);
        let replies: Vec<&str> = thread["replies"]
            .as_array()
            .expect("present")
            .iter()
            .map(|m| m["body"].as_str().expect("a string"))
            .collect();
        assert_eq!(replies, vec!["pagi juga", "rapat jam 9", "siap"]);
        let channel_view: Vec<String> = ani
            .client
            .get(&conv_path(&ani, &cid, "/messages"))
            .await
            .expect(200)["messages"]
            .as_array()
            .expect("present")
            .iter()
            .map(|m| str_of(&m["id"]))
            .collect();
        assert!(channel_view.contains(&str_of(&r2["id"])));
        assert!(!channel_view.contains(&str_of(&r1["id"])));

        // Mentions: members become mentions, unknown ids stay plain text.
        let stranger = uuid::Uuid::now_v7();
        let m = say(
            &ani,
            &cid,
            &format!("<@{}> tolong cek, <@{stranger}> juga", budi.id),
        )
        .await;
        assert_eq!(m["mentions"], json!([budi.id]));
        assert!(m["body"]
            .as_str()
            .expect("a string")
            .contains(&stranger.to_string()));

        // Reactions toggle per person.
        let mid = str_of(&m["id"]);
        let thumbs = "%F0%9F%91%8D";
        let react = |u: &User, on: bool| {
            let path = conv_path(u, &cid, &format!("/messages/{mid}/reactions/{thumbs}"));
            let u = u.clone();
            async move {
                let method = if on { Method::PUT } else { Method::DELETE };
                u.client
                    .send(u.client.request(method, &path))
                    .await
                    .expect(200)
            }
        };
        react(&owner, true).await;
        let both = react(&budi, true).await;
        assert_eq!(
            both["reactions"],
            json!([{"emoji": "👍", "user_ids": [owner.id, budi.id]}])
        );
        let again = react(&budi, true).await;
        assert_eq!(
            again["reactions"][0]["user_ids"]
                .as_array()
                .expect("an array")
                .len(),
            2
        );
        let less = react(&owner, false).await;
        assert_eq!(
            less["reactions"],
            json!([{"emoji": "👍", "user_ids": [budi.id]}])
        );
        ani.client
            .send(ani.client.request(
                Method::PUT,
                &conv_path(
                    &ani,
                    &cid,
                    &format!("/messages/{mid}/reactions/%3Cscript%3E"),
                ),
            ))
            .await
            .error(422, "chat.bad_emoji");

        // Editing: only the author; history kept; "edited" marked.
        budi.client
            .patch(
                &conv_path(&budi, &cid, &format!("/messages/{mid}")),
                json!({"body": "bukan punyamu"}),
            )
            .await
            .error(403, "chat.not_author");
        let edited = ani
            .client
            .patch(
                &conv_path(&ani, &cid, &format!("/messages/{mid}")),
                json!({"body": "sudah beres"}),
            )
            .await
            .expect(200);
        assert!(edited["edited_at"].is_string());
        assert_eq!(edited["mentions"], json!([]));
        ani.client
            .patch(
                &conv_path(&ani, &cid, &format!("/messages/{mid}")),
                json!({"body": " "}),
            )
            .await
            .error(422, "chat.empty_message");
        let history = budi
            .client
            .get(&conv_path(&budi, &cid, &format!("/messages/{mid}/edits")))
            .await
            .expect(200);
        assert_eq!(history.as_array().expect("an array").len(), 1);
        assert!(history[0]["body"]
            .as_str()
            .expect("a string")
            .starts_with("<@"));

        // Pins.
        owner
            .client
            .send(owner.client.request(
                Method::PUT,
                &conv_path(&owner, &cid, &format!("/messages/{root}/pin")),
            ))
            .await
            .expect(200);
        let pins = ani
            .client
            .get(&conv_path(&ani, &cid, "/pins"))
            .await
            .expect(200);
        assert_eq!(pins[0]["id"], root.as_str());
        assert_eq!(pins[0]["pinned"], true);

        // Quote-reply and forward (into a DM; the source must be readable).
        let q = post(&budi, &cid, json!({"body": "setuju", "quote_of": root})).await;
        assert_eq!(q["quote"]["body"], "**Selamat pagi**");
        assert_eq!(q["quote"]["author"]["id"], ani.id.as_str());
        let dm = budi
            .client
            .post(
                &budi.org_path("/chat/conversations"),
                json!({"kind": "dm", "member_ids": [owner.id]}),
            )
            .await
            .expect(201);
        let dm_id = str_of(&dm["id"]);
        let f = post(&budi, &dm_id, json!({"body": "", "forward_of": root})).await;
        assert_eq!(f["forwarded"]["message_id"], root.as_str());
        let private = channel(&owner, "private", "direksi").await;
        let secret = say(&owner, &private, "gaji naik").await;
        budi.client
            .post(
                &conv_path(&budi, &dm_id, "/messages"),
                json!({"client_key": key(), "body": "", "forward_of": secret["id"]}),
            )
            .await
            .error(422, "chat.unknown_message");

        // Deleting: own message, or any as an admin; not someone else's as a member.
        budi.client
            .delete(&conv_path(&budi, &cid, &format!("/messages/{mid}")))
            .await
            .error(403, "chat.not_author");
        owner
            .client
            .delete(&conv_path(&owner, &cid, &format!("/messages/{mid}")))
            .await
            .expect(204);
        let thread = budi
            .client
            .get(&conv_path(&budi, &cid, &format!("/messages/{mid}/thread")))
            .await
            .expect(200);
        assert_eq!(thread["root"]["deleted"], true);
        assert_eq!(thread["root"]["body"], "");
        assert_eq!(thread["root"]["reactions"], json!([]));
        // Nor does the text come back from the event log to a socket resuming from long ago.
        let mut replay = ani.client.ws(Some(0)).await;
        replay.hello().await;
        let mut seen = 0;
        loop {
            replay.send_json(json!({"type": "ping"})).await;
            let done;
            loop {
                let v = replay.next_json().await;
                if v["type"] == "pong" {
                    done = true;
                    break;
                }
                if v["type"] == "event" && v["data"]["id"] == mid.as_str() {
                    seen += 1;
                    assert_eq!(v["data"]["body"], "", "scrubbed: {v}");
                    assert_eq!(v["data"]["deleted"], true);
                }
            }
            if done {
                break;
            }
        }
        assert!(seen >= 2, "created and updated events were replayed");
        replay.close().await;
        ani.client
            .delete(&conv_path(
                &ani,
                &cid,
                &format!("/messages/{}", str_of(&r3["id"])),
            ))
            .await
            .expect(204);
        let audit = owner
            .client
            .get(&owner.org_path("/audit"))
            .await
            .expect(200);
        assert!(audit.to_string().contains("chat.message.delete"));

        // @channel above the configured size is for admins and the channel owner.
        let big = channel(&owner, "public", "semua").await;
        for _ in 0..3 {
            let u = server.seed_member(&owner.org_id, Role::Member).await;
            u.client
                .post_empty(&conv_path(&u, &big, "/join"))
                .await
                .expect(200);
        }
        ani.client
            .post_empty(&conv_path(&ani, &big, "/join"))
            .await
            .expect(200);
        // The default limit (50) leaves a 5-member channel open to everyone.
        let ok = say(&ani, &big, "@channel rapat").await;
        assert_eq!(ok["mention_channel"], true);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_mentions_are_limited_in_big_channels() {
    on_both(|backend| async move {
        let options = crate::common::Options {
            configure: std::sync::Arc::new(|c| c.chat_broadcast_mention_max = 2),
            ..Default::default()
        };
        let server = TestServer::start_with(backend, options).await;
        let owner = server.setup_owner().await;
        let cid = channel(&owner, "public", "besar").await;
        let mut members = Vec::new();
        for _ in 0..2 {
            let u = server.seed_member(&owner.org_id, Role::Member).await;
            u.client
                .post_empty(&conv_path(&u, &cid, "/join"))
                .await
                .expect(200);
            members.push(u);
        }
        members[0]
            .client
            .post(
                &conv_path(&members[0], &cid, "/messages"),
                json!({"client_key": key(), "body": "@here semua cek"}),
            )
            .await
            .error(403, "chat.broadcast_mention_forbidden");
        // In code it is just text.
        let plain = say(&members[0], &cid, "`@here` itu apa?").await;
        // Nor can an edit add it afterwards.
        members[0]
            .client
            .patch(
                &conv_path(
                    &members[0],
                    &cid,
                    &format!("/messages/{}", str_of(&plain["id"])),
                ),
                json!({"body": "@channel semua baca"}),
            )
            .await
            .error(403, "chat.broadcast_mention_forbidden");
        let ok = say(&owner, &cid, "@channel pengumuman").await;
        assert_eq!(ok["mention_channel"], true);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_counts_read_positions_and_pages() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let dm = owner
            .client
            .post(
                &owner.org_path("/chat/conversations"),
                json!({"kind": "dm", "member_ids": [ani.id]}),
            )
            .await
            .expect(201);
        let cid = str_of(&dm["id"]);
        let mut ws = owner.client.ws(None).await;
        ws.hello().await;
        for i in 1..=120 {
            say(&ani, &cid, &format!("pesan {i} <@{}>", owner.id)).await;
        }
        let c = conversation(&owner, &cid).await;
        assert_eq!(c["unread_count"], 120);
        assert_eq!(c["mention_count"], 120);
        assert_eq!(c["last_seq"], 120);
        assert_eq!(c["last_read_seq"], 0);
        // The author has read their own messages.
        assert_eq!(conversation(&ani, &cid).await["unread_count"], 0);

        // Pages: newest, before, after, around.
        let p = |q: &str| {
            let owner = owner.clone();
            let path = conv_path(&owner, &cid, &format!("/messages{q}"));
            async move { owner.client.get(&path).await.expect(200) }
        };
        let seqs = |v: &Value| -> Vec<i64> {
            v["messages"]
                .as_array()
                .expect("present")
                .iter()
                .map(|m| m["seq"].as_i64().expect("a number"))
                .collect()
        };
        let newest = p("").await;
        assert_eq!(seqs(&newest), (71..=120).collect::<Vec<_>>());
        assert_eq!(newest["has_more_before"], true);
        assert_eq!(newest["has_more_after"], false);
        let before = p("?before=71&limit=100").await;
        assert_eq!(seqs(&before), (1..=70).collect::<Vec<_>>());
        assert_eq!(before["has_more_before"], false);
        let after = p("?after=100&limit=10").await;
        assert_eq!(seqs(&after), (101..=110).collect::<Vec<_>>());
        assert_eq!(after["has_more_after"], true);
        let around = p("?around=50&limit=10").await;
        assert_eq!(seqs(&around), (45..=54).collect::<Vec<_>>());
        owner
            .client
            .get(&conv_path(&owner, &cid, "/messages?before=3&after=1"))
            .await
            .error(422, "validation.invalid");
        owner
            .client
            .get(&conv_path(&owner, &cid, "/messages?limit=500"))
            .await
            .error(422, "validation.invalid");
        owner
            .client
            .get(&conv_path(
                &owner,
                &cid,
                "/messages?around=-9223372036854775808",
            ))
            .await
            .error(422, "validation.invalid");
        owner
            .client
            .get(&conv_path(&owner, &cid, "/messages?before=abc"))
            .await
            .error(422, "validation.invalid");

        // Reading moves forward only, never past the newest; the partner sees the tick.
        let mut ani_ws = ani.client.ws(None).await;
        ani_ws.hello().await;
        owner
            .client
            .post(&conv_path(&owner, &cid, "/read"), json!({"seq": 100}))
            .await
            .expect(204);
        let read = chat_event(&mut ani_ws, "chat.read").await;
        assert_eq!(read["seq"], 100);
        assert_eq!(read["user_id"], owner.id.as_str());
        owner
            .client
            .post(&conv_path(&owner, &cid, "/read"), json!({"seq": 10}))
            .await
            .expect(204);
        owner
            .client
            .post(&conv_path(&owner, &cid, "/read"), json!({"seq": 999}))
            .await
            .expect(204);
        let c = conversation(&owner, &cid).await;
        assert_eq!(c["last_read_seq"], 120);
        assert_eq!(c["unread_count"], 0);
        let members = ani
            .client
            .get(&conv_path(&ani, &cid, "/members"))
            .await
            .expect(200);
        let owner_row = members
            .as_array()
            .expect("present")
            .iter()
            .find(|m| m["user"]["id"] == owner.id.as_str())
            .expect("present")
            .clone();
        assert_eq!(owner_row["last_read_seq"], 120);
        ws.close().await;
    })
    .await;
}

/// A tiny valid PNG of the given size.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_images_and_voice_notes() {
    on_both(|backend| async move {
        let options = crate::common::Options {
            configure: std::sync::Arc::new(|c| {
                c.max_chat_file_bytes = 300_000;
                c.max_chat_image_pixels = 1_000_000;
            }),
            ..Default::default()
        };
        let server = TestServer::start_with(backend, options).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let cid = channel(&owner, "public", "berkas").await;
        let upload = |u: &User, name: &str, ct: &str, bytes: Vec<u8>| {
            let u = u.clone();
            let path = u.org_path(&format!("/chat/files?name={name}"));
            let ct = ct.to_string();
            async move { u.client.send_bytes(Method::POST, &path, &ct, bytes).await }
        };
        // An image gets a thumbnail and its size.
        let img = upload(&owner, "foto.png", "image/png", png(800, 600))
            .await
            .expect(201);
        assert_eq!(img["kind"], "image");
        assert_eq!(img["width"], 800);
        assert_eq!(img["content_type"], "image/png");
        let thumb = owner
            .client
            .get(img["thumbnail_url"].as_str().expect("a string"))
            .await;
        assert_eq!(thumb.status, 200);
        // A voice note (WebM/Opus by its header).
        let mut webm = vec![0x1a, 0x45, 0xdf, 0xa3];
        webm.extend_from_slice(&[0u8; 200]);
        let voice = upload(&owner, "suara.webm", "audio/webm;codecs=opus", webm)
            .await
            .expect(201);
        assert_eq!(voice["kind"], "audio");
        // A PDF is a file, served as a download.
        let pdf = upload(
            &owner,
            "laporan.pdf",
            "application/pdf",
            b"%PDF-1.7 ...".to_vec(),
        )
        .await
        .expect(201);
        assert_eq!(pdf["kind"], "file");
        // HTML is stored as bytes, never served as a page.
        let html = upload(
            &owner,
            "x.html",
            "text/html",
            b"<script>alert(1)</script>".to_vec(),
        )
        .await
        .expect(201);
        assert_eq!(html["content_type"], "application/octet-stream");

        let m = post(
            &owner,
            &cid,
            json!({"body": "", "attachment_ids": [img["id"], voice["id"], pdf["id"]]}),
        )
        .await;
        assert_eq!(m["attachments"].as_array().expect("an array").len(), 3);
        assert_eq!(m["attachments"][1]["kind"], "audio");
        // Another member cannot attach my upload.
        ani.client
            .post_empty(&conv_path(&ani, &cid, "/join"))
            .await
            .expect(200);
        ani.client
            .post(
                &conv_path(&ani, &cid, "/messages"),
                json!({"client_key": key(), "body": "", "attachment_ids": [img["id"]]}),
            )
            .await
            .error(422, "chat.unknown_file");
        // The org's members can read attachments; downloads are not rendered inline.
        let res = reqwest::Client::new()
            .get(format!(
                "{}{}",
                server.base,
                pdf["url"].as_str().expect("a string")
            ))
            .header("cookie", ani.client.cookie_header().expect("present"))
            .send()
            .await
            .expect("present");
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-disposition"]
            .to_str()
            .expect("present")
            .starts_with("attachment"));

        // Files of a private channel stay private; an unsent upload is its uploader's alone.
        let private = channel(&owner, "private", "rahasia").await;
        let secret = upload(&owner, "rahasia.png", "image/png", png(20, 20))
            .await
            .expect(201);
        let secret_url = str_of(&secret["url"]);
        ani.client.get(&secret_url).await.error(404, "not_found");
        assert_eq!(owner.client.get(&secret_url).await.status, 200);
        post(
            &owner,
            &private,
            json!({"body": "", "attachment_ids": [secret["id"]]}),
        )
        .await;
        ani.client.get(&secret_url).await.error(404, "not_found");
        ani.client
            .get(&str_of(&secret["thumbnail_url"]))
            .await
            .error(404, "not_found");
        // Once sent somewhere, an upload cannot be sent into another conversation.
        owner
            .client
            .post(
                &conv_path(&owner, &cid, "/messages"),
                json!({"client_key": key(), "body": "", "attachment_ids": [secret["id"]]}),
            )
            .await
            .error(422, "chat.unknown_file");

        // Bad files: too big 413, disguised 415, executables 415, too many pixels 422.
        upload(
            &owner,
            "besar.bin",
            "application/octet-stream",
            vec![7u8; 300_001],
        )
        .await
        .error(413, "file.too_large");
        upload(
            &owner,
            "virus.png",
            "image/png",
            b"MZ\x90\x00 not an image".to_vec(),
        )
        .await
        .error(415, "file.unsupported_type");
        upload(&owner, "lagu.webm", "audio/webm", b"%PDF-1.7".to_vec())
            .await
            .error(415, "file.unsupported_type");
        upload(
            &owner,
            "app.exe",
            "application/octet-stream",
            b"MZ\x90\x00".to_vec(),
        )
        .await
        .error(415, "file.unsupported_type");
        upload(&owner, "besar.png", "image/png", png(1100, 1000))
            .await
            .error(422, "file.too_many_pixels");
        upload(&owner, "kosong.txt", "text/plain", Vec::new())
            .await
            .error(422, "file.empty");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_messages_are_sent_by_the_job_runner() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let cid = channel(&owner, "public", "pengingat").await;
        let now = server.clock.now_ms();
        let at = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms)
                .expect("instant")
                .to_string()
        };
        let s = owner
            .client
            .post(
                &conv_path(&owner, &cid, "/scheduled"),
                json!({"body": "Jangan lupa apel pagi", "send_at": at(now + 3_600_000)}),
            )
            .await
            .expect(201);
        let cancel_me = owner
            .client
            .post(
                &conv_path(&owner, &cid, "/scheduled"),
                json!({"body": "batal", "send_at": at(now + 3_600_000)}),
            )
            .await
            .expect(201);
        owner
            .client
            .post(
                &conv_path(&owner, &cid, "/scheduled"),
                json!({"body": "dulu", "send_at": at(now - 1)}),
            )
            .await
            .error(422, "chat.send_at_range");
        let list = owner
            .client
            .get(&owner.org_path("/chat/scheduled"))
            .await
            .expect(200);
        assert_eq!(list.as_array().expect("an array").len(), 2);
        owner
            .client
            .delete(&owner.org_path(&format!("/chat/scheduled/{}", str_of(&cancel_me["id"]))))
            .await
            .expect(204);
        owner
            .client
            .delete(&owner.org_path(&format!("/chat/scheduled/{}", str_of(&cancel_me["id"]))))
            .await
            .error(409, "chat.scheduled_done");

        // Not yet due: nothing posted.
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("jobs");
        let empty = owner
            .client
            .get(&conv_path(&owner, &cid, "/messages"))
            .await
            .expect(200);
        assert_eq!(empty["messages"], json!([]));
        server.clock.advance_ms(3_600_000);
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("jobs");
        kantor_server::jobs::run_due(server.state())
            .await
            .expect("jobs");
        let page = owner
            .client
            .get(&conv_path(&owner, &cid, "/messages"))
            .await
            .expect(200);
        let bodies: Vec<&str> = page["messages"]
            .as_array()
            .expect("present")
            .iter()
            .map(|m| m["body"].as_str().expect("a string"))
            .collect();
        assert_eq!(bodies, vec!["Jangan lupa apel pagi"]);
        assert_eq!(
            page["messages"][0]["client_key"],
            format!("scheduled:{}", str_of(&s["id"]))
        );
        let list = owner
            .client
            .get(&owner.org_path("/chat/scheduled"))
            .await
            .expect(200);
        assert_eq!(list, json!([]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_dnd_presence_and_typing() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let now = server.clock.now_ms();
        let expires = jiff::Timestamp::from_millisecond(now + 3_600_000)
            .expect("present")
            .to_string();
        let me = ani
            .client
            .send(
                ani.client
                    .request(Method::PUT, "/api/v1/me/status")
                    .json(&json!({"text": "Di lapangan", "emoji": "🚗", "expires_at": expires})),
            )
            .await
            .expect(200);
        assert_eq!(me["chat_status"]["text"], "Di lapangan");
        let bad = ani
            .client
            .send(
                ani.client
                    .request(Method::PUT, "/api/v1/me/status")
                    .json(&json!({"text": "x".repeat(101), "emoji": ""})),
            )
            .await;
        bad.error(422, "validation.too_long");
        let dnd = ani
            .client
            .send(
                ani.client
                    .request(Method::PUT, "/api/v1/me/dnd")
                    .json(&json!({"start": "00:00", "end": "23:59"})),
            )
            .await
            .expect(200);
        assert_eq!(dnd["chat_status"]["dnd_start"], "00:00");
        ani.client
            .send(
                ani.client
                    .request(Method::PUT, "/api/v1/me/dnd")
                    .json(&json!({"start": "25:00", "end": "07:00"})),
            )
            .await
            .error(422, "validation.invalid");

        // Presence: a socket makes one online, idle makes one away.
        let mut ani_ws = ani.client.ws(None).await;
        ani_ws.hello().await;
        let mut owner_ws = owner.client.ws(None).await;
        owner_ws.hello().await;
        // The web app watches the people it shows; it gets their state at once.
        owner_ws
            .send_json(json!({"type": "watch_presence", "user_ids": [ani.id]}))
            .await;
        let now = ephemeral(&mut owner_ws, "presence").await;
        assert_eq!(now["changes"][0]["user_id"], ani.id.as_str());
        let find = |list: &Value, id: &str| {
            list.as_array()
                .expect("present")
                .iter()
                .find(|p| p["user_id"] == id)
                .cloned()
        };
        let mut seen = Value::Null;
        for _ in 0..50 {
            seen = owner
                .client
                .get(&owner.org_path("/chat/presence"))
                .await
                .expect(200);
            if find(&seen, &ani.id).is_some_and(|p| p["state"] == "online") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let asked = owner
            .client
            .get(&owner.org_path(&format!("/chat/presence?user_ids={}", ani.id)))
            .await
            .expect(200);
        assert_eq!(asked.as_array().expect("an array").len(), 1);
        owner
            .client
            .get(&owner.org_path("/chat/presence?user_ids=bukan-id"))
            .await
            .error(422, "validation.invalid");
        let p = find(&seen, &ani.id).expect("ani is present");
        assert_eq!(p["state"], "online");
        assert_eq!(p["status_text"], "Di lapangan");
        assert_eq!(p["dnd"], true);
        ani_ws
            .send_json(json!({"type": "activity", "state": "idle"}))
            .await;
        let change = loop {
            let v = ephemeral(&mut owner_ws, "presence").await;
            if let Some(c) = v["changes"]
                .as_array()
                .expect("present")
                .iter()
                .find(|c| c["user_id"] == ani.id.as_str() && c["state"] == "away")
            {
                break c.clone();
            }
        };
        assert_eq!(change["state"], "away");

        // The status expires by itself.
        server.clock.advance_ms(3_600_001);
        let p = owner
            .client
            .get(&owner.org_path("/chat/presence"))
            .await
            .expect(200);
        assert_eq!(find(&p, &ani.id).expect("present")["status_text"], "");

        // Typing reaches the other members, not the typist, and not non-members.
        let cid = channel(&owner, "public", "ketik").await;
        ani.client
            .post_empty(&conv_path(&ani, &cid, "/join"))
            .await
            .expect(200);
        chat_event(&mut ani_ws, "chat.member.joined").await;
        chat_event(&mut owner_ws, "chat.member.joined").await;
        ani_ws
            .send_json(json!({"type": "typing", "conversation_id": cid}))
            .await;
        let t = ephemeral(&mut owner_ws, "typing").await;
        assert_eq!(t["user_id"], ani.id.as_str());
        assert_eq!(t["conversation_id"], cid.as_str());
        let outsider = server.seed_member(&owner.org_id, Role::Member).await;
        let private = channel(&owner, "private", "tertutup").await;
        let mut out_ws = outsider.client.ws(None).await;
        out_ws.hello().await;
        // Typing into a conversation one is not in is ignored.
        out_ws
            .send_json(json!({"type": "typing", "conversation_id": private}))
            .await;
        owner_ws.send_json(json!({"type": "ping"})).await;
        owner_ws.keep_ephemeral = true;
        loop {
            let next = owner_ws.next_json().await;
            assert_ne!(
                next["type"], "typing",
                "no typing from the outsider: {next}"
            );
            if next["type"] == "pong" {
                break;
            }
        }
        ani_ws.close().await;
        owner_ws.close().await;
        out_ws.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_events_reach_members_only_and_resume_without_gaps() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let outsider = server.seed_member(&owner.org_id, Role::Member).await;
        let private = channel(&owner, "private", "inti").await;
        let mut ani_ws = ani.client.ws(None).await;
        ani_ws.hello().await;
        let mut out_ws = outsider.client.ws(None).await;
        out_ws.hello().await;

        // Added: the socket learns the membership in order and gets the next message live.
        owner
            .client
            .post(
                &conv_path(&owner, &private, "/members"),
                json!({"user_ids": [ani.id]}),
            )
            .await
            .expect(204);
        let joined = chat_event(&mut ani_ws, "chat.member.joined").await;
        assert_eq!(joined["user_id"], ani.id.as_str());
        let m = say(&owner, &private, "hanya untuk tim").await;
        let live = ani_ws.event_of_kind("chat.message.created").await;
        assert_eq!(live["data"]["id"], m["id"]);
        assert_eq!(live["data"]["body"], "hanya untuk tim");
        let since = crate::common::seq_of(&live);
        ani_ws.close().await;

        // The outsider heard nothing of the private channel.
        out_ws.send_json(json!({"type": "ping"})).await;
        let next = out_ws.next_json().await;
        assert_eq!(next["type"], "pong", "nothing private leaked: {next}");
        out_ws.close().await;

        // Messages while away, then a restart: resume delivers exactly the missed ones, in order.
        let mut sent = Vec::new();
        for i in 0..5 {
            sent.push(str_of(
                &say(&owner, &private, &format!("selagi pergi {i}")).await["id"],
            ));
        }
        let server = server.restart().await;
        let ani_client = ani.client.on(&server.base);
        let mut ws = ani_client.ws(Some(since)).await;
        assert_eq!(ws.hello().await, since);
        let mut got = Vec::new();
        let mut last_seq = since;
        while got.len() < 5 {
            let e = ws.next_json().await;
            assert_eq!(e["type"], "event", "{e}");
            assert!(
                crate::common::seq_of(&e) > last_seq,
                "in order, no duplicates"
            );
            last_seq = crate::common::seq_of(&e);
            if e["kind"] == "chat.message.created" {
                got.push(str_of(&e["data"]["id"]));
            }
        }
        assert_eq!(got, sent);

        // Removed: the leave arrives, and later messages do not.
        let owner_client = owner.client.on(&server.base);
        owner_client
            .delete(&format!(
                "/api/v1/orgs/{}/chat/conversations/{private}/members/{}",
                owner.org_id, ani.id
            ))
            .await
            .expect(204);
        let left = ws.event_of_kind("chat.member.left").await;
        assert_eq!(left["data"]["user_id"], ani.id.as_str());
        owner_client
            .post(
                &format!(
                    "/api/v1/orgs/{}/chat/conversations/{private}/messages",
                    owner.org_id
                ),
                json!({"client_key": key(), "body": "setelah keluar"}),
            )
            .await
            .expect(201);
        ws.send_json(json!({"type": "ping"})).await;
        let next = ws.next_json().await;
        assert_eq!(next["type"], "pong", "no message after leaving: {next}");
        ani_client
            .get(&format!(
                "/api/v1/orgs/{}/chat/conversations/{private}/messages",
                owner.org_id
            ))
            .await
            .error(404, "not_found");
        ws.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_take_gap_free_seqs_and_every_member_hears_them() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let cid = channel(&owner, "public", "ramai").await;
        let mut people = vec![owner.clone()];
        for _ in 0..3 {
            let u = server.seed_member(&owner.org_id, Role::Member).await;
            u.client
                .post_empty(&conv_path(&u, &cid, "/join"))
                .await
                .expect(200);
            people.push(u);
        }
        let mut sockets = Vec::new();
        for p in &people {
            let mut ws = p.client.ws(None).await;
            ws.hello().await;
            sockets.push(ws);
        }
        let posts = people.iter().flat_map(|p| {
            let cid = cid.clone();
            (0..10).map(move |i| {
                let (p, cid) = (p.clone(), cid.clone());
                async move { say(&p, &cid, &format!("{} #{i}", p.name)).await }
            })
        });
        let sent = futures::future::join_all(posts).await;
        let mut seqs: Vec<i64> = sent
            .iter()
            .map(|m| m["seq"].as_i64().expect("seq"))
            .collect();
        seqs.sort();
        assert_eq!(seqs, (1..=40).collect::<Vec<_>>());
        for ws in &mut sockets {
            let mut got = Vec::new();
            while got.len() < 40 {
                let e = ws.event_of_kind("chat.message.created").await;
                got.push(e["data"]["seq"].as_i64().expect("seq"));
            }
            assert_eq!(got, (1..=40).collect::<Vec<_>>(), "in conversation order");
        }
    })
    .await;
}

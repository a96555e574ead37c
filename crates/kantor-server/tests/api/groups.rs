//! Super groups — on SQLite and PostgreSQL: an org-wide group in announcement mode, named
//! posters, thread replies and reactions from members, read status per announcement (counts,
//! the unread by unit, live pushes), "remind the unread", slow mode and mention limits, and
//! membership that follows the organisation; read counting under concurrency; 10,000 members.

use std::time::Duration;

use kantor_core::ids::OrgId;
use kantor_core::role::Role;
use serde_json::{json, Value};

use crate::common::{insert_member, on_both, str_of, unique, TestServer, User, Ws};

fn conv(user: &User, cid: &str, rest: &str) -> String {
    user.org_path(&format!("/chat/conversations/{cid}{rest}"))
}

async fn post(user: &User, cid: &str, body: Value) -> crate::common::Resp {
    let mut body = body;
    body["client_key"] = json!(uuid::Uuid::now_v7().to_string());
    user.client.post(&conv(user, cid, "/messages"), body).await
}

async fn read_to(user: &User, cid: &str, seq: i64) {
    user.client
        .post(&conv(user, cid, "/read"), json!({"seq": seq}))
        .await
        .expect(204);
}

async fn readers(user: &User, cid: &str, mid: &str, query: &str) -> Value {
    user.client
        .get(&conv(user, cid, &format!("/messages/{mid}/readers{query}")))
        .await
        .expect(200)
}

fn names(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list["people"]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| str_of(&p["user"]["id"]))
        .collect();
    v.sort();
    v
}

fn ids(users: &[&User]) -> Vec<String> {
    let mut v: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
    v.sort();
    v
}

/// The next non-event message of `type` on a socket (events are skipped).
async fn next_signal(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let v = ws.next_json().await;
        if v["type"] == kind {
            return v;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_wide_announcement_group() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let admin = server.seed_org("Pemkab Luwu").await;
        let poster = server.seed_member(&admin.org_id, Role::Member).await;
        let budi = server.seed_member(&admin.org_id, Role::Member).await;
        let sari = server.seed_member(&admin.org_id, Role::Member).await;
        let dewi = server.seed_member(&admin.org_id, Role::Member).await;
        let guest = server.seed_member(&admin.org_id, Role::Guest).await;

        // Units: Sekretariat ⊃ Umum; Budi in Sekretariat, Sari and Dewi in Umum, the poster
        // nowhere.
        let sekretariat = admin
            .client
            .post(&admin.org_path("/units"), json!({"name": "Sekretariat"}))
            .await
            .expect(201);
        let umum = admin
            .client
            .post(
                &admin.org_path("/units"),
                json!({"name": "Umum", "parent_id": sekretariat["id"]}),
            )
            .await
            .expect(201);
        for (who, unit) in [(&budi, &sekretariat), (&sari, &umum), (&dewi, &umum)] {
            admin
                .client
                .patch(
                    &admin.org_path(&format!("/members/{}", who.id)),
                    json!({"unit_id": unit["id"]}),
                )
                .await
                .expect(200);
        }

        // Only admins make an org-wide group.
        let spec = json!({"kind": "private", "name": format!("pengumuman-{}", unique()),
            "org_wide": true, "announcement": true});
        budi.client
            .post(&budi.org_path("/chat/conversations"), spec.clone())
            .await
            .error(403, "auth.forbidden");
        let c = admin
            .client
            .post(&admin.org_path("/chat/conversations"), spec)
            .await
            .expect(201);
        let cid = str_of(&c["id"]);
        assert_eq!(c["org_wide"], true);
        assert_eq!(c["announcement"], true);
        // Everyone active but the guest.
        assert_eq!(c["member_count"], 5);
        guest
            .client
            .get(&conv(&guest, &cid, ""))
            .await
            .error(404, "not_found");

        // Members do not start messages; the admin does; members reply in threads and react.
        post(&budi, &cid, json!({"body": "Boleh tanya?"}))
            .await
            .error(403, "chat.announcement_only");
        let a = post(
            &admin,
            &cid,
            json!({"body": "Apel pagi Senin pukul 07.30 WITA @all"}),
        )
        .await
        .expect(201);
        let mid = str_of(&a["id"]);
        let seq = a["seq"].as_i64().expect("seq");
        post(
            &budi,
            &cid,
            json!({"body": "Siap, hadir", "thread_root_id": mid}),
        )
        .await
        .expect(201);
        post(
            &budi,
            &cid,
            json!({"body": "Ke kanal juga", "thread_root_id": mid, "also_to_channel": true}),
        )
        .await
        .error(403, "chat.announcement_only");
        budi.client
            .put(
                &conv(
                    &budi,
                    &cid,
                    &format!("/messages/{mid}/reactions/%F0%9F%91%8D"),
                ),
                json!({}),
            )
            .await
            .expect(200);
        // A named poster may start messages.
        budi.client
            .put(
                &conv(&budi, &cid, &format!("/members/{}/role", poster.id)),
                json!({"role": "poster"}),
            )
            .await
            .error(403, "auth.forbidden");
        admin
            .client
            .put(
                &conv(&admin, &cid, &format!("/members/{}/role", poster.id)),
                json!({"role": "poster"}),
            )
            .await
            .expect(204);
        post(&poster, &cid, json!({"body": "Jadwal piket terlampir"}))
            .await
            .expect(201);

        // Read status: the author, and those who posted after it (Budi's reply, the poster's
        // message), have read it.
        let mut admin_ws = admin.client.ws(None).await;
        admin_ws.keep_ephemeral = true;
        admin_ws.hello().await;
        let r = readers(&admin, &cid, &mid, "").await;
        assert_eq!(
            (r["read"].as_i64(), r["total"].as_i64()),
            (Some(3), Some(5))
        );
        assert_eq!(names(&r), ids(&[&sari, &dewi]));
        // Sari reads: the admin's socket gets the new count within a push.
        read_to(&sari, &cid, seq).await;
        let pushed = tokio::time::timeout(
            Duration::from_secs(10),
            next_signal(&mut admin_ws, "read_status"),
        )
        .await
        .expect("a read_status push");
        assert_eq!(pushed["conversation_id"], cid.as_str());
        let ours = pushed["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["message_id"] == mid.as_str())
            .cloned()
            .expect("the announcement's count");
        assert_eq!(
            (ours["read"].as_i64(), ours["total"].as_i64()),
            (Some(4), Some(5))
        );
        // The unread, by unit (with the units under it) and by name.
        let r = readers(&admin, &cid, &mid, "?state=unread").await;
        assert_eq!(names(&r), ids(&[&dewi]));
        let by_unit = format!("?state=unread&unit_id={}", str_of(&sekretariat["id"]));
        assert_eq!(
            names(&readers(&admin, &cid, &mid, &by_unit).await),
            ids(&[&dewi])
        );
        let by_unit = format!("?state=all&unit_id={}", str_of(&umum["id"]));
        assert_eq!(
            names(&readers(&admin, &cid, &mid, &by_unit).await),
            ids(&[&sari, &dewi])
        );
        let read = readers(&admin, &cid, &mid, "?state=read").await;
        assert_eq!(names(&read), ids(&[&admin, &poster, &budi, &sari]));
        // A member who did not write it may not see who read it.
        budi.client
            .get(&conv(&budi, &cid, &format!("/messages/{mid}/readers")))
            .await
            .error(403, "auth.forbidden");
        let counts = admin
            .client
            .get(&conv(
                &admin,
                &cid,
                &format!("/read-status?message_ids={mid}"),
            ))
            .await
            .expect(200);
        assert_eq!(counts[0]["read"], 4);

        // Remind the unread: they get an event; once per 10 minutes.
        let mut dewi_ws = dewi.client.ws(None).await;
        dewi_ws.hello().await;
        let reminded = admin
            .client
            .post_empty(&conv(&admin, &cid, &format!("/messages/{mid}/remind")))
            .await
            .expect(200);
        assert_eq!(reminded["reminded"], 1);
        let ding = dewi_ws.event_of_kind("chat.reminder").await;
        assert_eq!(ding["data"]["message_id"], mid.as_str());
        admin
            .client
            .post_empty(&conv(&admin, &cid, &format!("/messages/{mid}/remind")))
            .await
            .error(429, "chat.remind_too_soon");

        // Membership follows the organisation: a newcomer joins, a deactivated person leaves.
        let newcomer = server.invite_and_accept(&admin, "member").await;
        let seen = newcomer
            .client
            .get(&conv(&newcomer, &cid, ""))
            .await
            .expect(200);
        assert_eq!(seen["is_member"], true);
        admin
            .client
            .post_empty(&admin.org_path(&format!("/members/{}/deactivate", dewi.id)))
            .await
            .expect(200);
        let members = admin
            .client
            .get(&conv(&admin, &cid, "/members"))
            .await
            .expect(200);
        let member_ids: Vec<String> = members
            .as_array()
            .expect("members")
            .iter()
            .map(|m| str_of(&m["user"]["id"]))
            .collect();
        assert!(member_ids.contains(&newcomer.id));
        assert!(!member_ids.contains(&dewi.id));
        // The newcomer was not there when the announcement went out: not counted.
        let r = readers(&admin, &cid, &mid, "?state=all").await;
        assert!(!names(&r).contains(&newcomer.id));
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_mode_mention_limits_and_settings() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let admin = server.seed_org("Dinas PU").await;
        let budi = server.seed_member(&admin.org_id, Role::Member).await;
        let sari = server.seed_member(&admin.org_id, Role::Member).await;
        let c = admin
            .client
            .post(
                &admin.org_path("/chat/conversations"),
                json!({"kind": "public", "name": format!("umum-{}", unique()),
                       "member_ids": [budi.id, sari.id]}),
            )
            .await
            .expect(201);
        let cid = str_of(&c["id"]);
        let path = conv(&admin, &cid, "");
        // Bad settings change nothing.
        admin
            .client
            .patch(&path, json!({"slow_mode_secs": 5000}))
            .await
            .error(422, "validation.invalid");
        admin
            .client
            .patch(&path, json!({"mention_limit": -1}))
            .await
            .error(422, "validation.invalid");
        budi.client
            .patch(&conv(&budi, &cid, ""), json!({"slow_mode_secs": 10}))
            .await
            .error(403, "auth.forbidden");
        admin
            .client
            .patch(&path, json!({"org_wide": true}))
            .await
            .expect(200);
        budi.client
            .patch(&conv(&budi, &cid, ""), json!({"org_wide": false}))
            .await
            .error(403, "auth.forbidden");
        let dm = admin
            .client
            .post(
                &admin.org_path("/chat/conversations"),
                json!({"kind": "dm", "member_ids": [budi.id], "announcement": true}),
            )
            .await;
        dm.error(422, "chat.not_a_channel");

        let set = admin
            .client
            .patch(&path, json!({"slow_mode_secs": 60, "mention_limit": 2}))
            .await
            .expect(200);
        assert_eq!(set["slow_mode_secs"], 60);
        assert_eq!(set["mention_limit"], 2);

        post(&budi, &cid, json!({"body": "Pertama"}))
            .await
            .expect(201);
        post(&budi, &cid, json!({"body": "Kedua"}))
            .await
            .error(429, "chat.slow_mode");
        // The admin is not slowed.
        post(&admin, &cid, json!({"body": "Satu"}))
            .await
            .expect(201);
        post(&admin, &cid, json!({"body": "Dua"})).await.expect(201);
        let three = format!("<@{}> <@{}> <@{}>", admin.id, budi.id, sari.id);
        post(&sari, &cid, json!({"body": three}))
            .await
            .error(422, "chat.too_many_mentions");
        let two = format!("<@{}> <@{}>", admin.id, budi.id);
        post(&sari, &cid, json!({"body": two})).await.expect(201);
        server.shutdown().await;
    })
    .await;
}

/// Adds `n` active members to an organisation straight in the store, in one transaction.
async fn bulk_members(server: &TestServer, org_id: &str, n: usize) {
    let org: OrgId = org_id.parse().expect("org id");
    let now = server.clock.now_ms();
    let mut tx = server.state().store.begin().await.expect("begin");
    let batch = unique();
    for i in 0..n {
        let email = format!("pegawai-{batch}-{i}@luwu.go.id");
        let name = format!("Pegawai {i:05}");
        insert_member(&mut tx, org, &email, &name, Role::Member, now).await;
    }
    tx.commit().await.expect("commit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_members_and_concurrent_reads() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let admin = server.seed_org("Pemprov").await;
        let readers_now: Vec<User> = {
            let mut v = Vec::new();
            for _ in 0..40 {
                v.push(server.seed_member(&admin.org_id, Role::Member).await);
            }
            v
        };
        bulk_members(&server, &admin.org_id, 10_000 - 41).await;
        let c = admin
            .client
            .post(
                &admin.org_path("/chat/conversations"),
                json!({"kind": "private", "name": "seluruh-pegawai", "org_wide": true,
                       "announcement": true}),
            )
            .await
            .expect(201);
        assert_eq!(c["member_count"], 10_000);
        let cid = str_of(&c["id"]);
        let a = post(
            &admin,
            &cid,
            json!({"body": "Pengumuman untuk seluruh pegawai"}),
        )
        .await
        .expect(201);
        let (mid, seq) = (str_of(&a["id"]), a["seq"].as_i64().expect("seq"));

        // 40 people read at once: every read counts, once.
        let reads = readers_now.iter().map(|u| read_to(u, &cid, seq));
        futures::future::join_all(reads).await;
        // Reading again changes nothing.
        read_to(&readers_now[0], &cid, seq).await;
        let r = readers(&admin, &cid, &mid, "?limit=10").await;
        assert_eq!(
            (r["read"].as_i64(), r["total"].as_i64()),
            (Some(41), Some(10_000))
        );
        assert_eq!(r["matching"], 10_000 - 41);
        assert_eq!(r["people"].as_array().map(Vec::len), Some(10));
        let named = readers(&admin, &cid, &mid, "?q=pegawai%2000042").await;
        assert_eq!(named["matching"], 1);
        server.shutdown().await;
    })
    .await;
}

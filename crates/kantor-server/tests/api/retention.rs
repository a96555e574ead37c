//! Chat retention (policy, legal holds, the purge on a manual clock) and exports.

use std::io::Read;
use std::sync::Arc;

use kantor_core::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, unique, Options, TestServer, User};

const DAY_MS: i64 = 86_400_000;

async fn channel(owner: &User, kind: &str, name: &str) -> String {
    let c = owner
        .client
        .post(
            &owner.org_path("/chat/conversations"),
            json!({"kind": kind, "name": format!("{name}-{}", unique())}),
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
    body["client_key"] = json!(uuid::Uuid::now_v7().to_string());
    user.client
        .post(&conv_path(user, cid, "/messages"), body)
        .await
        .expect(201)
}

async fn say(user: &User, cid: &str, text: &str) -> Value {
    post(user, cid, json!({"body": text})).await
}

async fn upload(user: &User, name: &str, bytes: Vec<u8>) -> Value {
    user.client
        .send_bytes(
            Method::POST,
            &user.org_path(&format!("/chat/files?name={name}")),
            "application/pdf",
            bytes,
        )
        .await
        .expect(201)
}

/// Bodies of a conversation's channel view, oldest first.
async fn bodies(user: &User, cid: &str) -> Vec<String> {
    let page = user
        .client
        .get(&conv_path(user, cid, "/messages?limit=100"))
        .await
        .expect(200);
    page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| str_of(&m["body"]))
        .collect()
}

async fn count(server: &TestServer, sql: &str, like: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(like)
        .fetch_one(server.state().store.reader())
        .await
        .expect("count")
}

async fn unread(user: &User, cid: &str) -> i64 {
    let mine = user
        .client
        .get(&user.org_path("/chat/conversations"))
        .await
        .expect(200);
    let row = mine
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["id"] == cid)
        .expect("conversation listed")
        .clone();
    assert!(row["last_message_at"].is_string());
    row["unread_count"].as_i64().expect("unread_count")
}

async fn audit_actions(owner: &User) -> Vec<Value> {
    owner
        .client
        .get(&owner.org_path("/audit"))
        .await
        .expect(200)["items"]
        .as_array()
        .expect("items")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_old_messages_except_on_hold() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let budi = server.seed_member(&owner.org_id, Role::Member).await;
        let other = server.seed_org("Dinas Tetangga").await;

        let lama = channel(&owner, "public", "lama").await;
        budi.client
            .post_empty(&conv_path(&budi, &lama, "/join"))
            .await
            .expect(200);
        let held = channel(&owner, "private", "ditahan").await;
        ani.client
            .post_empty(&conv_path(&ani, &lama, "/join"))
            .await
            .expect(200);
        let theirs = channel(&other, "public", "tetangga").await;

        // Day 0: messages that will be old.
        let pdf = upload(&owner, "laporan.pdf", b"%PDF-1.7 lama".to_vec()).await;
        let with_file = post(
            &owner,
            &lama,
            json!({"body": "rahasia-lama-berkas", "attachment_ids": [pdf["id"]]}),
        )
        .await;
        let mid = str_of(&with_file["id"]);
        ani.client
            .put(
                &conv_path(
                    &ani,
                    &lama,
                    &format!("/messages/{mid}/reactions/%F0%9F%91%8D"),
                ),
                json!({}),
            )
            .await
            .expect(200);
        owner
            .client
            .patch(
                &conv_path(&owner, &lama, &format!("/messages/{mid}")),
                json!({"body": "rahasia-lama-diubah"}),
            )
            .await
            .expect(200);
        let done_thread = say(&owner, &lama, "utas-lama").await;
        post(
            &ani,
            &lama,
            json!({"body": "balasan-lama", "thread_root_id": done_thread["id"]}),
        )
        .await;
        let live_thread = say(&owner, &lama, "utas-aktif").await;
        say(&owner, &held, "ditahan-lama").await;
        say(&other, &theirs, "tetangga-lama").await;
        assert!(
            count(
                &server,
                "SELECT COUNT(*) FROM outbox WHERE payload LIKE $1",
                "%rahasia-lama%"
            )
            .await
                + count(
                    &server,
                    "SELECT COUNT(*) FROM events WHERE payload LIKE $1",
                    "%rahasia-lama%"
                )
                .await
                > 0
        );

        assert_eq!(unread(&budi, &lama).await, 3);
        // The server's own job runner shares the manual clock and may run the daily purge as
        // soon as time moves: listen from here, and hold before setting the policy.
        let mut ws = ani.client.ws(None).await;
        ws.hello().await;
        // Ten days later: new messages, and a reply that keeps its thread.
        server.clock.advance_ms(10 * DAY_MS);
        post(
            &ani,
            &lama,
            json!({"body": "balasan-baru", "thread_root_id": live_thread["id"]}),
        )
        .await;
        say(&owner, &lama, "baru").await;
        let hold = owner
            .client
            .put(
                &conv_path(&owner, &held, "/legal-hold"),
                json!({"on": true, "reason": "perkara 12/2026"}),
            )
            .await
            .expect(200);
        assert_eq!(hold["legal_hold"], true);
        owner
            .client
            .put(&owner.org_path("/chat/retention"), json!({"keep_days": 7}))
            .await
            .expect(200);
        other
            .client
            .put(
                &other.org_path("/chat/retention"),
                json!({"keep_days": null}),
            )
            .await
            .expect(200);

        let counts = kantor_server::api::chat::retention::purge_all(server.state())
            .await
            .expect("purge");
        // Three messages and one file, unless the server's runner got there first.
        assert!(
            matches!((counts.messages, counts.files), (3, 1) | (0, 0)),
            "{counts:?}"
        );

        // Old messages went; the active thread and new messages stayed.
        assert_eq!(bodies(&owner, &lama).await, ["utas-aktif", "baru"]);
        let thread = owner
            .client
            .get(&conv_path(
                &owner,
                &lama,
                &format!(
                    "/messages/{}/thread",
                    live_thread["id"].as_str().expect("id")
                ),
            ))
            .await
            .expect(200);
        assert_eq!(thread["replies"][0]["body"], "balasan-baru");
        owner
            .client
            .get(&conv_path(&owner, &lama, &format!("/messages/{mid}/edits")))
            .await
            .expect(404);
        for (sql, like) in [
            (
                "SELECT COUNT(*) FROM reactions WHERE message_id = $1",
                mid.as_str(),
            ),
            (
                "SELECT COUNT(*) FROM message_edits WHERE message_id = $1",
                mid.as_str(),
            ),
            (
                "SELECT COUNT(*) FROM message_terms WHERE message_id = $1",
                mid.as_str(),
            ),
            (
                "SELECT COUNT(*) FROM events WHERE payload LIKE $1",
                "%rahasia-lama%",
            ),
            (
                "SELECT COUNT(*) FROM outbox WHERE payload LIKE $1",
                "%rahasia-lama%",
            ),
        ] {
            assert_eq!(count(&server, sql, like).await, 0, "{sql}");
        }
        // The file's row and bytes are gone.
        let file_id: kantor_core::ids::FileId = str_of(&pdf["id"]).parse().expect("file id");
        owner
            .client
            .get(&format!("/api/v1/files/{file_id}"))
            .await
            .expect(404);
        assert!(server.state().blobs.get(file_id).await.is_err());
        // Unread counts are of what is left: of budi's four unread channel-view messages (three
        // old, one new), the active thread's root and the new one.
        assert_eq!(unread(&budi, &lama).await, 2);
        // Members were told.
        let ev = ws.event_of_kind("chat.messages.purged").await;
        assert_eq!(ev["data"]["conversation_id"], lama.as_str());
        assert_eq!(ev["data"]["message_ids"].as_array().expect("ids").len(), 3);
        // Held and other organisations' conversations are untouched.
        assert_eq!(bodies(&owner, &held).await, ["ditahan-lama"]);
        assert_eq!(bodies(&other, &theirs).await, ["tetangga-lama"]);
        // A second run finds nothing.
        let again = kantor_server::api::chat::retention::purge_all(server.state())
            .await
            .expect("purge");
        assert_eq!(again.messages, 0);

        // Lifting the hold lets the next run purge it.
        owner
            .client
            .put(
                &conv_path(&owner, &held, "/legal-hold"),
                json!({"on": false}),
            )
            .await
            .expect(200);
        kantor_server::api::chat::retention::purge_all(server.state())
            .await
            .expect("purge");
        assert!(bodies(&owner, &held).await.is_empty());

        let audit = audit_actions(&owner).await;
        let update = audit
            .iter()
            .find(|a| a["action"] == "chat.retention.update")
            .expect("policy change audited");
        assert_eq!(update["detail"]["old_keep_days"], Value::Null);
        assert_eq!(update["detail"]["new_keep_days"], 7);
        assert!(audit
            .iter()
            .any(|a| a["action"] == "chat.legal_hold.set"
                && a["detail"]["reason"] == "perkara 12/2026"));
        assert!(audit.iter().any(|a| a["action"] == "chat.legal_hold.lift"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_batches_take_replies_before_their_root() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let cid = channel(&owner, "public", "utas").await;
        let first = say(&owner, &cid, "satu").await;
        let root = say(&owner, &cid, "akar").await;
        for i in 0..3 {
            post(
                &owner,
                &cid,
                json!({"body": format!("balasan {i}"), "thread_root_id": root["id"]}),
            )
            .await;
        }
        say(&owner, &cid, "tiga").await;
        let mut ws = owner.client.ws(None).await;
        ws.hello().await;
        let org: kantor_core::ids::OrgId = owner.org_id.parse().expect("org id");
        let cutoff = server.clock.now_ms() + 1;
        let counts = kantor_server::api::chat::retention::purge_org_in_batches(
            server.state(),
            org,
            cutoff,
            2,
        )
        .await
        .expect("purge in batches of two");
        assert_eq!(counts.messages, 6);
        assert!(bodies(&owner, &cid).await.is_empty());
        // Three batches: the replies first (2 + 1 with a root), then the rest.
        let mut purged = Vec::new();
        for _ in 0..3 {
            let ev = ws.event_of_kind("chat.messages.purged").await;
            purged.extend(
                ev["data"]["message_ids"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(str_of),
            );
        }
        assert_eq!(purged.len(), 6);
        assert!(purged.contains(&str_of(&first["id"])));
        let root_at = purged
            .iter()
            .position(|id| *id == str_of(&root["id"]))
            .expect("root purged");
        assert!(root_at >= 3, "the root goes after its replies: {purged:?}");

        // The daily job does the same on its own once the policy says so.
        say(&owner, &cid, "untuk-job").await;
        owner
            .client
            .put(&owner.org_path("/chat/retention"), json!({"keep_days": 1}))
            .await
            .expect(200);
        server.clock.advance_ms(2 * DAY_MS);
        let deadline = tokio::time::Instant::now() + crate::common::WAIT;
        while !bodies(&owner, &cid).await.is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "the purge job ran");
            kantor_server::jobs::run_due(server.state())
                .await
                .expect("run jobs");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_is_validated_and_for_admins() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let path = owner.org_path("/chat/retention");
        let got = owner.client.get(&path).await.expect(200);
        assert_eq!(got["keep_days"], Value::Null);
        for bad in [0, 3651, -1] {
            owner
                .client
                .put(&path, json!({"keep_days": bad}))
                .await
                .error(422, "chat.retention_range");
        }
        let set = owner
            .client
            .put(&path, json!({"keep_days": 3650}))
            .await
            .expect(200);
        assert_eq!(set["keep_days"], 3650);
        ani.client
            .put(&path, json!({"keep_days": 30}))
            .await
            .error(403, "auth.forbidden");
        ani.client.get(&path).await.error(403, "auth.forbidden");
        let cid = channel(&owner, "public", "umum").await;
        ani.client
            .put(&conv_path(&ani, &cid, "/legal-hold"), json!({"on": true}))
            .await
            .error(403, "auth.forbidden");
        let got = owner.client.get(&path).await.expect(200);
        let row = got["conversations"]
            .as_array()
            .expect("conversations")
            .iter()
            .find(|c| c["id"] == cid.as_str())
            .expect("channel listed")
            .clone();
        assert_eq!(row["legal_hold"], false);
    })
    .await;
}

fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).expect("entry");
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read entry");
        out.push((f.name().to_string(), data));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_of_a_channel() {
    on_both(|backend| async move {
        let options = Options {
            configure: Arc::new(|c| c.max_chat_export_bytes = 10_000),
            ..Default::default()
        };
        let server = TestServer::start_with(backend, options).await;
        let owner = server.setup_owner().await;
        let ani = server.seed_member(&owner.org_id, Role::Member).await;
        let other = server.seed_org("Dinas Tetangga").await;
        let cid = channel(&owner, "private", "ekspor").await;
        let elsewhere = channel(&owner, "public", "lain").await;
        let theirs = channel(&other, "public", "tetangga").await;

        let pdf = upload(&owner, "laporan.pdf", b"%PDF-1.7 isi".to_vec()).await;
        let first = post(
            &owner,
            &cid,
            json!({"body": "pertama", "attachment_ids": [pdf["id"]]}),
        )
        .await;
        let fid = str_of(&first["id"]);
        owner
            .client
            .patch(
                &conv_path(&owner, &cid, &format!("/messages/{fid}")),
                json!({"body": "pertama diubah"}),
            )
            .await
            .expect(200);
        owner
            .client
            .put(
                &conv_path(
                    &owner,
                    &cid,
                    &format!("/messages/{fid}/reactions/%F0%9F%91%8D"),
                ),
                json!({}),
            )
            .await
            .expect(200);
        post(
            &owner,
            &cid,
            json!({"body": "balasan", "thread_root_id": fid}),
        )
        .await;
        say(&owner, &elsewhere, "bukan-di-sini").await;

        // Another organisation's channel is not found; members may not export or download.
        let exports = owner.org_path("/chat/exports");
        owner
            .client
            .post(&exports, json!({"conversation_id": theirs}))
            .await
            .error(404, "not_found");
        ani.client
            .post(&exports, json!({"conversation_id": cid}))
            .await
            .error(403, "auth.forbidden");

        let created = owner
            .client
            .post(&exports, json!({"conversation_id": cid}))
            .await
            .expect(202);
        let id = str_of(&created["id"]);
        let download = owner.org_path(&format!("/chat/exports/{id}/download"));
        owner
            .client
            .get(&download)
            .await
            .error(409, "chat.export_not_ready");
        // The job runs here or in the server's own runner loop (same manual clock): wait for
        // it, within the harness's bound.
        let deadline = tokio::time::Instant::now() + crate::common::WAIT;
        let list = loop {
            kantor_server::jobs::run_due(server.state())
                .await
                .expect("run jobs");
            let list = owner.client.get(&exports).await.expect(200);
            if list[0]["state"] != "pending" || tokio::time::Instant::now() > deadline {
                break list;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        assert_eq!(list[0]["id"], id.as_str());
        assert_eq!(list[0]["state"], "done", "{list}");
        ani.client.get(&download).await.error(403, "auth.forbidden");
        other
            .client
            .get(&other.org_path(&format!("/chat/exports/{id}/download")))
            .await
            .error(404, "not_found");

        let res = owner
            .client
            .request(Method::GET, &download)
            .send()
            .await
            .expect("download");
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers()["content-type"].to_str().expect("type"),
            "application/zip"
        );
        let bytes = res.bytes().await.expect("body");
        assert_eq!(list[0]["size_bytes"], bytes.len());
        let entries = unzip(&bytes);
        let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
        let file_entry = format!("files/{}-laporan.pdf", str_of(&pdf["id"]));
        assert_eq!(
            names,
            [
                format!("messages/{cid}.json").as_str(),
                "conversations.json",
                file_entry.as_str()
            ]
        );
        let conversations: Value = serde_json::from_slice(&entries[1].1).expect("JSON");
        assert_eq!(conversations.as_array().expect("list").len(), 1);
        assert_eq!(conversations[0]["id"], cid.as_str());
        assert_eq!(conversations[0]["kind"], "private");
        let messages: Value = serde_json::from_slice(&entries[0].1).expect("JSON");
        let messages = messages.as_array().expect("list");
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["body"], "pertama diubah");
        assert_eq!(messages[0]["edits"][0]["body"], "pertama");
        assert_eq!(messages[0]["reactions"][0]["emoji"], "👍");
        assert_eq!(messages[0]["attachments"][0]["id"], pdf["id"]);
        assert!(messages[0]["created_at"]
            .as_str()
            .expect("time")
            .ends_with('Z'));
        assert_eq!(messages[1]["body"], "balasan");
        assert_eq!(messages[1]["thread_root_id"], fid.as_str());
        assert_eq!(entries[2].1, b"%PDF-1.7 isi");

        let audit = audit_actions(&owner).await;
        assert!(audit.iter().any(|a| a["action"] == "chat.export.create"));
        assert!(audit.iter().any(|a| a["action"] == "chat.export.download"));

        // Over the limit (counted from the files' sizes up front): refused.
        let big = upload(&owner, "besar.pdf", vec![b'%'; 20_000]).await;
        post(
            &owner,
            &elsewhere,
            json!({"body": "besar", "attachment_ids": [big["id"]]}),
        )
        .await;
        owner
            .client
            .post(&exports, json!({}))
            .await
            .error(422, "chat.export_too_large");
    })
    .await;
}

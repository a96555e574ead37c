//! Chat search: stemmed Indonesian and English words, file names, every filter, visibility
//! (never a message from a conversation the searcher is not in), the index following edits and
//! deletes, the rebuild, and bad queries — on SQLite and PostgreSQL.

use kantor_core::role::Role;
use kantor_server::Clock;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, Options, TestServer, User};

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A member of `org` called `name` (seeded members are all called alike).
async fn person(server: &TestServer, org: &str, role: Role, name: &str) -> User {
    let mut u = server.seed_member(org, role).await;
    u.client
        .patch("/api/v1/me", json!({"name": name}))
        .await
        .expect(200);
    u.name = name.to_string();
    u
}

async fn conversation(owner: &User, body: Value) -> String {
    let c = owner
        .client
        .post(&owner.org_path("/chat/conversations"), body)
        .await;
    assert!(c.status == 200 || c.status == 201, "conversation: {c}");
    str_of(&c.body["id"])
}

async fn channel(owner: &User, kind: &str, name: &str) -> String {
    conversation(owner, json!({"kind": kind, "name": name})).await
}

fn conv_path(user: &User, cid: &str, rest: &str) -> String {
    user.org_path(&format!("/chat/conversations/{cid}{rest}"))
}

async fn post(user: &User, cid: &str, mut body: Value) -> Value {
    body["client_key"] = json!(key());
    user.client
        .post(&conv_path(user, cid, "/messages"), body)
        .await
        .expect(201)
}

async fn say(user: &User, cid: &str, text: &str) -> String {
    str_of(&post(user, cid, json!({"body": text})).await["id"])
}

async fn join(user: &User, cid: &str) {
    user.client
        .post_empty(&conv_path(user, cid, "/join"))
        .await
        .expect(200);
}

fn search_path(user: &User, q: &str, extra: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse("http://kantor.test/").expect("a url");
    url.query_pairs_mut().append_pair("q", q);
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    user.org_path(&format!("/chat/search?{}", url.query().expect("a query")))
}

/// The answer to a search that must succeed.
async fn search(user: &User, q: &str) -> Value {
    user.client
        .get(&search_path(user, q, &[]))
        .await
        .expect(200)
}

/// The bodies of the results, newest first.
async fn found(user: &User, q: &str) -> Vec<String> {
    search(user, q).await["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| str_of(&r["message"]["body"]))
        .collect()
}

/// The marked words of a result's snippet.
fn hits(result: &Value) -> Vec<String> {
    result["snippet"]
        .as_array()
        .expect("a snippet")
        .iter()
        .filter(|p| p["hit"] == true)
        .map(|p| str_of(&p["text"]))
        .collect()
}

/// The whole snippet text.
fn snippet_text(result: &Value) -> String {
    result["snippet"]
        .as_array()
        .expect("a snippet")
        .iter()
        .map(|p| str_of(&p["text"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stemmed_words_and_file_names_are_found() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = person(&server, &owner.org_id, Role::Member, "Ani Lestari").await;
        let umum = channel(&owner, "public", "umum").await;
        join(&ani, &umum).await;
        say(&owner, &umum, "Saya sedang mencari laporan bulan lalu").await;
        say(&owner, &umum, "The team is searching for the meeting notes").await;
        say(&owner, &umum, "Tidak ada hubungannya").await;

        // Indonesian: mencari, pencarian, dicari and cari all meet `cari`.
        for q in [
            "pencarian",
            "dicari",
            "cari",
            "MENCARI",
            "pencarian laporan",
        ] {
            assert_eq!(
                found(&ani, q).await,
                ["Saya sedang mencari laporan bulan lalu"],
                "query {q:?}"
            );
        }
        let r = search(&ani, "pencarian").await;
        let first = &r["results"][0];
        assert_eq!(hits(first), ["mencari"]);
        assert_eq!(
            snippet_text(first),
            "Saya sedang mencari laporan bulan lalu"
        );
        assert_eq!(first["conversation"]["id"], umum.as_str());
        assert_eq!(first["conversation"]["kind"], "public");
        assert_eq!(first["conversation"]["name"], "umum");
        assert_eq!(first["conversation"]["title"], "umum");
        assert_eq!(first["message"]["author"]["id"], owner.id.as_str());
        assert!(r["next_cursor"].is_null());

        // English: searches, search and searched meet `search`.
        for q in ["searches", "search", "searched", "meetings"] {
            assert_eq!(
                found(&ani, q).await,
                ["The team is searching for the meeting notes"],
                "query {q:?}"
            );
        }
        // Every word must match.
        assert!(found(&ani, "cari meeting").await.is_empty());

        // Files are found by their names, and marked there when the body has no match.
        let upload = ani
            .client
            .send_bytes(
                Method::POST,
                &ani.org_path("/chat/files?name=Anggaran-Keuangan 2026.pdf"),
                "application/pdf",
                b"%PDF-1.7 ...".to_vec(),
            )
            .await
            .expect(201);
        let with_file = str_of(
            &post(
                &ani,
                &umum,
                json!({"body": "lihat lampiran", "attachment_ids": [upload["id"]]}),
            )
            .await["id"],
        );
        let r = search(&owner, "keuangan").await;
        assert_eq!(r["results"][0]["message"]["id"], with_file.as_str());
        assert_eq!(hits(&r["results"][0]), ["Keuangan"]);
        assert_eq!(snippet_text(&r["results"][0]), "Anggaran-Keuangan 2026.pdf");
        assert_eq!(
            found(&owner, "\"anggaran keuangan\"").await,
            ["lihat lampiran"]
        );
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_never_shows_a_conversation_the_searcher_is_not_in() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = person(&server, &owner.org_id, Role::Member, "Ani Lestari").await;
        let budi = person(&server, &owner.org_id, Role::Member, "Budi").await;
        let guest = person(&server, &owner.org_id, Role::Guest, "Tamu Luar").await;

        let private = channel(&owner, "private", "direksi").await;
        let open = channel(&owner, "public", "pengumuman").await;
        let dm = conversation(&owner, json!({"kind": "dm", "member_ids": [budi.id]})).await;
        let group = conversation(
            &owner,
            json!({"kind": "group", "member_ids": [budi.id, guest.id]}),
        )
        .await;
        let mine = channel(&ani, "public", "tim-ani").await;
        for cid in [&private, &open, &dm, &group] {
            say(&owner, cid, "anggaran rahasia proyek").await;
        }
        say(&ani, &mine, "anggaran terbuka tim").await;

        // Ani is in none of the owner's conversations: only her channel's message.
        assert_eq!(found(&ani, "anggaran").await, ["anggaran terbuka tim"]);
        assert!(found(&ani, "rahasia").await.is_empty());
        assert!(found(&ani, "from:@budi").await.is_empty());
        // Naming them does not help: a channel one is not in is not known, private or public.
        for q in [
            "anggaran in:#direksi",
            "anggaran in:#pengumuman",
            "in:direksi",
        ] {
            let r = ani.client.get(&search_path(&ani, q, &[])).await;
            let e = r.error(422, "search.unknown_channel");
            assert_eq!(e["field"], "q");
            assert_eq!(e["position"], q.find("in:").expect("in:"));
        }
        // A person she has no DM with: nothing, and nothing is revealed.
        assert!(found(&ani, "anggaran in:@budi").await.is_empty());

        // The owner sees all four; Budi his DM and group; the guest the group only.
        assert_eq!(found(&owner, "rahasia").await.len(), 4);
        assert_eq!(found(&budi, "rahasia").await.len(), 2);
        let r = search(&guest, "rahasia").await;
        assert_eq!(r["results"].as_array().expect("results").len(), 1);
        assert_eq!(r["results"][0]["conversation"]["id"], group.as_str());
        assert_eq!(r["results"][0]["conversation"]["kind"], "group");
        assert_eq!(
            r["results"][0]["conversation"]["title"],
            format!("{}, Budi", owner.name)
        );
        let r = search(&budi, "rahasia in:@budi").await;
        assert!(r["results"].as_array().expect("results").is_empty());

        // Joining a public channel makes it searchable; leaving makes it unsearchable again.
        join(&ani, &open).await;
        assert_eq!(found(&ani, "rahasia").await, ["anggaran rahasia proyek"]);
        assert_eq!(found(&ani, "in:#pengumuman").await.len(), 1);
        ani.client
            .post_empty(&conv_path(&ani, &open, "/leave"))
            .await
            .expect(204);
        assert!(found(&ani, "rahasia").await.is_empty());

        // Another organisation's id: 404, like every other chat read.
        let other = server.seed_org("Dinas Tetangga").await;
        other
            .client
            .get(&search_path(&owner, "rahasia", &[]))
            .await
            .error(404, "not_found");
        assert!(found(&other, "rahasia").await.is_empty());
        server.shutdown().await;
    })
    .await;
}

/// 2026-11-20 16:30 UTC: the 20th in Jakarta (23:30), already the 21st in Makassar (00:30).
const LATE_ON_THE_20TH_IN_JAKARTA: i64 = 1_795_192_200_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_filter() {
    on_both(|backend| async move {
        let options = Options {
            clock: Clock::manual(LATE_ON_THE_20TH_IN_JAKARTA),
            ..Options::default()
        };
        let server = TestServer::start_with(backend, options).await;
        // The owner's zone is Asia/Makassar; seeded members' Asia/Jakarta.
        let owner = server.setup_owner().await;
        let ani = person(&server, &owner.org_id, Role::Member, "Ani Lestari").await;
        // The owner is Budi Santoso: `budi` is a prefix of three names, and one whole name.
        let budi = person(&server, &owner.org_id, Role::Member, "Budi").await;
        let budiman = person(&server, &owner.org_id, Role::Member, "Budiman Sudjatmiko").await;
        let umum = channel(&owner, "public", "umum").await;
        let proyek = channel(&owner, "public", "proyek").await;
        for u in [&ani, &budi, &budiman] {
            join(u, &umum).await;
            join(u, &proyek).await;
        }
        let dm = conversation(&ani, json!({"kind": "dm", "member_ids": [budi.id]})).await;

        say(&ani, &umum, "rapat anggaran pertama").await;
        server.clock.advance_ms(86_400_000); // the 21st in Jakarta
        let root = say(
            &budi,
            &proyek,
            "rapat anggaran kedua https://docs.kantor.id/x",
        )
        .await;
        post(
            &budiman,
            &proyek,
            json!({"body": "balasan rapat anggaran", "thread_root_id": root}),
        )
        .await;
        say(&budi, &dm, "rapat anggaran berdua").await;
        server.clock.advance_ms(10 * 86_400_000); // 1 December (sessions last 30 days)
        let pin = say(&ani, &umum, "rapat anggaran mingguan versi lama").await;
        let pin_path = conv_path(&ani, &umum, &format!("/messages/{pin}/pin"));
        ani.client
            .send(ani.client.request(Method::PUT, &pin_path))
            .await
            .expect(200);

        let check = |user: &User, q: &str, expect: &[&str]| {
            let (user, q) = (user.clone(), q.to_string());
            let expect: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
            async move {
                let got = found(&user, &q).await;
                assert_eq!(got, expect, "query {q:?}");
            }
        };
        let all = [
            "rapat anggaran mingguan versi lama",
            "rapat anggaran berdua",
            "balasan rapat anggaran",
            "rapat anggaran kedua https://docs.kantor.id/x",
            "rapat anggaran pertama",
        ];
        check(&budi, "anggaran", &all).await;
        // from: by name, a word of it, or the email; an exact name wins over a prefix.
        check(&budi, "anggaran from:@budi", &[all[1], all[3]]).await;
        check(&budi, "anggaran from:\"Budi Santoso\"", &[]).await;
        check(&budi, "anggaran from:@budim", &[all[2]]).await;
        check(&budi, "anggaran dari:sudjat", &[all[2]]).await;
        check(
            &budi,
            "anggaran from:@budi from:@ani",
            &[all[0], all[1], all[3], all[4]],
        )
        .await;
        let local = budiman.email.split('@').next().expect("local part");
        check(&budi, &format!("from:{local}"), &[all[2]]).await;
        // in: a channel, a DM, a plain name.
        check(&budi, "anggaran in:#proyek", &[all[2], all[3]]).await;
        check(
            &budi,
            "anggaran di:#proyek in:#umum",
            &[all[0], all[2], all[3], all[4]],
        )
        .await;
        check(&budi, "anggaran in:@ani", &[all[1]]).await;
        check(&ani, "anggaran in:budi", &[all[1]]).await;
        check(&budi, "anggaran in:umum", &[all[0], all[4]]).await;
        // Dates are the searcher's local days: the first message is the 20th in Jakarta…
        check(&budi, "anggaran on:2026-11-20", &[all[4]]).await;
        check(&budi, "anggaran before:2026-11-21", &[all[4]]).await;
        check(&budi, "anggaran after:2026-11-20", &all[..4]).await;
        check(&budi, "anggaran during:2026-12", &[all[0]]).await;
        check(
            &budi,
            "anggaran after:2026-11-20 before:2026-12-01",
            &all[1..4],
        )
        .await;
        // …and already the 21st in Makassar, the owner's zone.
        check(&owner, "anggaran on:2026-11-20", &[]).await;
        check(&owner, "anggaran on:2026-11-21", &[all[4]]).await;
        check(&owner, "anggaran on:2026-11-22", &[all[2], all[3]]).await;
        // has:, is:
        check(&budi, "has:link", &[all[3]]).await;
        check(&budi, "anggaran ada:tautan", &[all[3]]).await;
        check(&budi, "kantor", &[all[3]]).await;
        check(&budi, "is:pinned", &[all[0]]).await;
        check(&budi, "anggaran is:thread", &[all[2]]).await;
        check(&budi, "has:file", &[]).await;
        // Excluded words and phrases; phrases in order.
        check(&budi, "anggaran -kedua -berdua", &[all[0], all[2], all[4]]).await;
        check(&budi, "\"rapat anggaran\" -\"versi lama\"", &all[1..]).await;
        check(&budi, "\"anggaran rapat\"", &[]).await;

        // Unknown people and channels are errors at the filter's position.
        let q = "anggaran from:@nobody";
        let r = budi.client.get(&search_path(&budi, q, &[])).await;
        assert_eq!(r.error(422, "search.unknown_person")["position"], 9);
        let q = "anggaran from:@ani in:@siapa";
        let r = budi.client.get(&search_path(&budi, q, &[])).await;
        assert_eq!(r.error(422, "search.unknown_person")["position"], 19);
        let q = "rapat in:#umum di:#tidak-ada";
        let r = budi.client.get(&search_path(&budi, q, &[])).await;
        assert_eq!(r.error(422, "search.unknown_channel")["position"], 15);

        // Pages: newest first, a cursor to go on, no result twice.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut extra = vec![("limit", "2")];
            if let Some(c) = cursor.as_deref() {
                extra.push(("cursor", c));
            }
            let page = budi
                .client
                .get(&search_path(&budi, "anggaran", &extra))
                .await
                .expect(200);
            for r in page["results"].as_array().expect("results") {
                seen.push(str_of(&r["message"]["body"]));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, all);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_and_deletes_keep_the_index_in_step() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = person(&server, &owner.org_id, Role::Member, "Ani Lestari").await;
        let umum = channel(&owner, "public", "umum").await;
        join(&ani, &umum).await;
        let id = say(&ani, &umum, "jadwal piket minggu ini").await;
        say(&ani, &umum, "jadwal libur").await;
        assert_eq!(found(&owner, "piket").await.len(), 1);

        // An edit replaces the words: the old one no longer finds it, the new one does.
        ani.client
            .patch(
                &conv_path(&ani, &umum, &format!("/messages/{id}")),
                json!({"body": "jadwal ronda minggu ini"}),
            )
            .await
            .expect(200);
        assert!(found(&owner, "piket").await.is_empty());
        assert_eq!(found(&owner, "ronda").await, ["jadwal ronda minggu ini"]);
        assert_eq!(found(&owner, "jadwal").await.len(), 2);

        // A deleted message is gone from search, whatever is asked.
        ani.client
            .delete(&conv_path(&ani, &umum, &format!("/messages/{id}")))
            .await
            .expect(204);
        assert!(found(&owner, "ronda").await.is_empty());
        assert_eq!(found(&owner, "jadwal").await, ["jadwal libur"]);
        assert_eq!(found(&owner, "from:@ani").await, ["jadwal libur"]);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_rebuilds_the_index() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let umum = channel(&owner, "public", "umum").await;
        for i in 0..7 {
            say(&owner, &umum, &format!("catatan pencarian nomor {i}")).await;
        }
        let gone = say(&owner, &umum, "catatan yang dihapus").await;
        owner
            .client
            .delete(&conv_path(&owner, &umum, &format!("/messages/{gone}")))
            .await
            .expect(204);
        assert_eq!(found(&owner, "catatan").await.len(), 7);

        // Lose the index (as after an analyser change), then rebuild it in small batches.
        let store = &server.state().store;
        let mut tx = store.begin().await.expect("begin");
        sqlx::query("DELETE FROM message_terms")
            .execute(&mut *tx)
            .await
            .expect("clear the index");
        tx.commit().await.expect("commit");
        assert!(found(&owner, "catatan").await.is_empty());
        let org = owner.org_id.parse().expect("an org id");
        let mut batches = 0;
        let done = store
            .reindex_org(org, 3, |_| batches += 1)
            .await
            .expect("reindex");
        assert_eq!(
            done.messages, 8,
            "every message is read, the deleted one too"
        );
        assert_eq!(batches, 3);
        assert_eq!(found(&owner, "cari").await.len(), 7);
        assert!(found(&owner, "dihapus").await.is_empty());
        // Running it again changes nothing.
        store
            .reindex_org(org, 100, |_| {})
            .await
            .expect("reindex again");
        assert_eq!(found(&owner, "catatan").await.len(), 7);
        server.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_queries_are_refused_with_their_position() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let get = |q: &str, extra: &[(&str, &str)]| {
            let path = search_path(&owner, q, extra);
            let client = owner.client.clone();
            async move { client.get(&path).await }
        };
        for (q, code, position) in [
            ("rapat \"mingguan", "search.unclosed_quote", 6),
            ("rapat form:budi", "search.unknown_filter", 6),
            ("x before:2026-02-30", "search.bad_date", 9),
            ("has:foto", "search.bad_filter_value", 4),
            ("x in:", "search.empty_filter", 2),
            ("-draf", "search.empty_query", 0),
            ("x -in:#umum", "search.negated_filter", 2),
        ] {
            let r = get(q, &[]).await;
            let e = r.error(422, code);
            assert_eq!(e["field"], "q", "{q:?}");
            assert_eq!(e["position"], position, "{q:?}");
        }
        // Over 500 characters: 413, pointing at the 501st.
        let long = "a".repeat(501);
        let r = get(&long, &[]).await;
        let e = r.error(413, "search.query_too_long");
        assert_eq!(e["position"], 500);
        assert_eq!(e["field"], "q");
        let longest = format!("rapat{}", " ".repeat(495));
        assert_eq!(get(&longest, &[]).await.status, 200);
        // Nothing asked, nothing found.
        let r = get("   ", &[]).await.expect(200);
        assert_eq!(r, json!({"results": [], "next_cursor": null}));
        let r = owner
            .client
            .get(&owner.org_path("/chat/search"))
            .await
            .expect(200);
        assert_eq!(r["results"], json!([]));
        // Bad paging.
        let r = get("x", &[("cursor", "kemarin")]).await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "cursor");
        let r = get("x", &[("limit", "51")]).await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "limit");
        // Other errors keep their shape: no position.
        let r = owner
            .client
            .get(&owner.org_path("/chat/search?limit=banyak"))
            .await;
        assert!(r.error(422, "validation.invalid").get("position").is_none());
        server.shutdown().await;
    })
    .await;
}

/// A word in more than a thousand messages is searched the other way round (each message met
/// newest first is checked for it, instead of reading every message that has it): the answer is
/// the same, visibility included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn common_words_are_found_newest_first_and_only_where_the_searcher_is() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ani = person(&server, &owner.org_id, Role::Member, "Ani Lestari").await;
        let secret = channel(&owner, "private", "rahasia").await;
        let open = channel(&owner, "public", "umum").await;
        join(&ani, &open).await;
        // 1,200 messages with "laporan" written straight through the store (the way posts
        // index them), most in the channel Ani is not in.
        let store = &server.state().store;
        let org: kantor_core::ids::OrgId = owner.org_id.parse().expect("org");
        let author: kantor_core::ids::UserId = owner.id.parse().expect("user");
        let now = server.clock.now_ms();
        let mut tx = store.begin().await.expect("begin");
        for i in 0..1200 {
            let (cid, body) = if i % 100 == 0 {
                (&open, format!("laporan umum {i}"))
            } else {
                (&secret, format!("laporan rahasia {i}"))
            };
            let cid: kantor_core::ids::ConversationId = cid.parse().expect("cid");
            let key = format!("bulk-{i}");
            let (id, _) = kantor_store::chat::insert_message(
                &mut tx,
                &kantor_store::chat::NewMessage {
                    org_id: org,
                    conversation_id: cid,
                    author_id: author,
                    client_key: &key,
                    body: &body,
                    mentions: "[]",
                    attachments: "[]",
                    quote: None,
                    forwarded: None,
                    mention_here: false,
                    mention_channel: false,
                    thread_root_id: None,
                    in_channel: true,
                },
                now + i,
            )
            .await
            .expect("insert");
            let terms = kantor_store::search::terms(&body, "[]");
            kantor_store::search::index_message(
                &mut tx,
                &kantor_store::search::Indexed {
                    message_id: id,
                    org_id: org,
                    conversation_id: cid,
                    created_at: now + i,
                },
                &terms,
            )
            .await
            .expect("index");
        }
        tx.commit().await.expect("commit");
        let got = found(&ani, "laporan").await;
        assert_eq!(got.len(), 12, "{got:?}");
        assert_eq!(got[0], "laporan umum 1100");
        assert!(got.iter().all(|b| b.starts_with("laporan umum")));
        // The owner sees the newest of all, and a rare word still drives its own search.
        assert_eq!(found(&owner, "laporan").await[0], "laporan rahasia 1199");
        assert_eq!(found(&ani, "laporan -umum").await, Vec::<String>::new());
        say(&owner, &open, "laporan langka zamrud").await;
        assert_eq!(
            found(&ani, "zamrud laporan").await,
            ["laporan langka zamrud"]
        );
    })
    .await;
}

//! Two nodes on one PostgreSQL database and one NATS: events written on either node reach
//! sockets on both, in one gap-free order; revocations cross nodes. PostgreSQL + NATS only
//! (SQLite is single-node by design).

use std::collections::BTreeSet;

use kantor_core::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{seq_of, str_of, unique, Cluster, Options, PrivateNats, User, Ws};
use crate::realtime::read_unit_events;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_ordered_event_stream() {
    let cluster = Cluster::start().await;
    let (node_b, owner_a, owner_b) = (&cluster.b, &cluster.owner_a, &cluster.owner_b);
    assert_eq!(
        owner_b.client.get("/api/v1/me").await.expect(200)["user"]["id"],
        owner_a.id.as_str(),
        "a session works on every node"
    );

    let mut on_b = owner_b.client.ws(None).await;
    let hello_b = on_b.hello().await;
    let mut on_a = owner_a.client.ws(None).await;
    let hello_a = on_a.hello().await;

    // A write on A reaches a socket on B.
    let first = owner_a
        .client
        .post(&owner_a.org_path("/units"), json!({"name": "Dari Node A"}))
        .await
        .expect(201);
    let (seen, _, last_b) = read_unit_events(&mut on_b, hello_b, 1, true).await;
    assert_eq!(seen, vec![str_of(&first["id"])]);

    // 30 writes on each node at once.
    let writes = |user: User, node: &'static str| async move {
        let mut ids = Vec::new();
        let results = futures::future::join_all((0..30).map(|i| {
            let user = user.clone();
            async move {
                user.client
                    .post(
                        &user.org_path("/units"),
                        json!({"name": format!("Node {node} {i}")}),
                    )
                    .await
                    .expect(201)
            }
        }))
        .await;
        for unit in results {
            ids.push(str_of(&unit["id"]));
        }
        ids
    };
    let (from_a, from_b) = tokio::join!(
        tokio::spawn(writes(owner_a.clone(), "A")),
        tokio::spawn(writes(owner_b.clone(), "B")),
    );
    let written: BTreeSet<String> = from_a
        .expect("writes on A")
        .into_iter()
        .chain(from_b.expect("writes on B"))
        .collect();
    assert_eq!(written.len(), 60);

    // B's socket sees all 60, each seq the one after the last: no gap, no duplicate.
    let (seen_b, others, _) = read_unit_events(&mut on_b, last_b, 60, true).await;
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(seen_b.iter().cloned().collect::<BTreeSet<_>>(), written);
    // A's socket sees the very same order.
    let (seen_a, _, _) = read_unit_events(&mut on_a, hello_a, 61, true).await;
    assert_eq!(seen_a[1..], seen_b[..], "one order on every node");

    // Offboarding on A closes the person's socket on B and ends their session there.
    let leaver = node_b.seed_member(&owner_a.org_id, Role::Member).await;
    leaver.client.get("/api/v1/me").await.expect(200);
    let mut leaver_ws = leaver.client.ws(None).await;
    leaver_ws.hello().await;
    owner_a
        .client
        .post_empty(&owner_a.org_path(&format!("/members/{}/deactivate", leaver.id)))
        .await
        .expect(200);
    assert_eq!(leaver_ws.close_code().await, Some(4001));
    leaver
        .client
        .get("/api/v1/me")
        .await
        .error(401, "auth.required");

    // Revoking a token on A closes its socket on B, and B refuses it from then on.
    let token = owner_a
        .client
        .post("/api/v1/me/tokens", json!({"name": "integrasi"}))
        .await
        .expect(201);
    let bot_b = node_b.bearer(&str_of(&token["token"]));
    bot_b.get("/api/v1/me").await.expect(200);
    let mut bot_ws = bot_b.ws(None).await;
    bot_ws.hello().await;
    owner_a
        .client
        .delete(&format!("/api/v1/me/tokens/{}", str_of(&token["id"])))
        .await
        .expect(204);
    assert_eq!(bot_ws.close_code().await, Some(4001));
    bot_b.get("/api/v1/me").await.error(401, "auth.required");

    // Login limits hold across nodes: attempts on A and B count together (10 per email).
    for i in 0..10 {
        let node = if i % 2 == 0 { &cluster.a } else { &cluster.b };
        node.login(&owner_a.email, "salah-sekali-123")
            .await
            .error(401, "auth.invalid_credentials");
    }
    cluster
        .a
        .login(&owner_a.email, crate::common::PASSWORD)
        .await
        .error(429, "auth.rate_limited");
    cluster
        .b
        .login(&owner_a.email, crate::common::PASSWORD)
        .await
        .error(429, "auth.rate_limited");

    cluster.shutdown().await;
}

/// NATS core delivers at most once: events published while the connection is down are lost on
/// the wire. Node B must still deliver every event written on A, in order, by reading the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_nats_connection_loses_no_event() {
    let mut nats = PrivateNats::start();
    let url = nats.url();
    let cluster = Cluster::start_with(Options {
        configure: std::sync::Arc::new(move |c| c.nats_url = Some(url.clone())),
        ..Options::default()
    })
    .await;
    let (owner_a, owner_b) = (&cluster.owner_a, &cluster.owner_b);
    let mut on_b = owner_b.client.ws(None).await;
    let hello = on_b.hello().await;

    let before = owner_a
        .client
        .post(&owner_a.org_path("/units"), json!({"name": "Sebelum"}))
        .await
        .expect(201);
    nats.kill();
    let mut during = Vec::new();
    for i in 0..5 {
        let unit = owner_a
            .client
            .post(
                &owner_a.org_path("/units"),
                json!({"name": format!("Saat putus {i}")}),
            )
            .await
            .expect(201);
        during.push(str_of(&unit["id"]));
    }
    // B hears nothing over NATS now, yet its socket receives all of them, in order.
    let (seen, others, last) = read_unit_events(&mut on_b, hello, 6, true).await;
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(seen[0], str_of(&before["id"]));
    assert_eq!(seen[1..], during[..]);

    // After NATS returns, live delivery resumes.
    nats.restart();
    let after = owner_a
        .client
        .post(&owner_a.org_path("/units"), json!({"name": "Sesudah"}))
        .await
        .expect(201);
    let (seen, _, _) = read_unit_events(&mut on_b, last, 1, true).await;
    assert_eq!(seen, vec![str_of(&after["id"])]);
    cluster.shutdown().await;
}

/// A fresh client key (the web app makes one UUID per message).
fn client_key() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `/api/v1/orgs/{org}/chat/conversations/{cid}` + `rest`.
fn chat_path(user: &User, cid: &str, rest: &str) -> String {
    user.org_path(&format!("/chat/conversations/{cid}{rest}"))
}

/// Posts a message (a thread reply with `thread_root_id`); returns the `MessageDto`.
async fn post_chat(user: &User, cid: &str, body: &str, thread_root_id: Option<&str>) -> Value {
    user.client
        .post(
            &chat_path(user, cid, "/messages"),
            json!({"client_key": client_key(), "body": body, "thread_root_id": thread_root_id}),
        )
        .await
        .expect(201)
}

/// A public channel created by `creator` that `others` joined (each through their own node);
/// returns its id.
async fn shared_channel(creator: &User, others: &[&User]) -> String {
    let c = creator
        .client
        .post(
            &creator.org_path("/chat/conversations"),
            json!({"kind": "public", "name": format!("lintas-node-{}", unique())}),
        )
        .await
        .expect(201);
    let cid = str_of(&c["id"]);
    for u in others {
        let joined = u
            .client
            .post_empty(&chat_path(u, &cid, "/join"))
            .await
            .expect(200);
        assert_eq!(joined["is_member"], true);
    }
    cid
}

/// Reads the socket until an event of `kind` about message `id` arrives; every event read must
/// come after `last` (no duplicate, no reordering). Returns the event and moves `last`.
async fn chat_event_for(ws: &mut Ws, last: &mut i64, kind: &str, id: &str) -> Value {
    loop {
        let e = ws.events(1).await.remove(0);
        let seq = seq_of(&e);
        assert!(seq > *last, "seq increases: {e} after {last}");
        *last = seq;
        if e["kind"] == kind && e["data"]["id"] == id {
            return e;
        }
    }
}

/// Two people, one on each node, chat live both ways: messages, a thread reply and a reaction
/// written on one node reach the socket on the other. Then node B stops; while it is down A
/// takes more chat; B's person reconnects to A with the last `seq` they saw and receives exactly
/// what they missed, in order, with no gap and no duplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_chat_live_both_ways_and_a_socket_fails_over() {
    let Cluster { a, b, owner_a, .. } = Cluster::start().await;
    let ani = a.seed_member(&owner_a.org_id, Role::Member).await;
    let budi = b.seed_member(&owner_a.org_id, Role::Member).await;
    let cid = shared_channel(&ani, &[&budi]).await;

    let mut ani_ws = ani.client.ws(None).await;
    let mut ani_last = ani_ws.hello().await;
    let mut budi_ws = budi.client.ws(None).await;
    let mut budi_last = budi_ws.hello().await;

    // A → B.
    let from_a = post_chat(&ani, &cid, "halo dari node A", None).await;
    let a_id = str_of(&from_a["id"]);
    let e = chat_event_for(&mut budi_ws, &mut budi_last, "chat.message.created", &a_id).await;
    assert_eq!(e["data"]["body"], "halo dari node A");
    assert_eq!(e["data"]["author"]["id"], ani.id.as_str());
    assert_eq!(e["org_id"], owner_a.org_id.as_str());
    // B → A.
    let from_b = post_chat(&budi, &cid, "halo juga dari node B", None).await;
    let b_id = str_of(&from_b["id"]);
    assert_eq!(from_b["seq"], 2, "the conversation's second message");
    let e = chat_event_for(&mut ani_ws, &mut ani_last, "chat.message.created", &b_id).await;
    assert_eq!(e["data"]["body"], "halo juga dari node B");

    // A thread reply on B to A's message: the reply and the root's new reply count reach A.
    let reply = post_chat(&budi, &cid, "balasan di utas", Some(&a_id)).await;
    let reply_id = str_of(&reply["id"]);
    let e = chat_event_for(
        &mut ani_ws,
        &mut ani_last,
        "chat.message.created",
        &reply_id,
    )
    .await;
    assert_eq!(e["data"]["thread_root_id"], a_id.as_str());
    let e = chat_event_for(&mut ani_ws, &mut ani_last, "chat.message.updated", &a_id).await;
    assert_eq!(e["data"]["reply_count"], 1);

    // A reaction on A to B's message reaches B.
    let reacted = ani
        .client
        .send(ani.client.request(
            Method::PUT,
            &chat_path(
                &ani,
                &cid,
                &format!("/messages/{b_id}/reactions/%F0%9F%91%8D"),
            ),
        ))
        .await
        .expect(200);
    assert_eq!(
        reacted["reactions"],
        json!([{"emoji": "👍", "user_ids": [ani.id]}])
    );
    let e = chat_event_for(&mut budi_ws, &mut budi_last, "chat.message.updated", &b_id).await;
    assert_eq!(e["data"]["reactions"], reacted["reactions"]);
    // The reaction was the last write: B's socket has seen everything; nothing else is queued.
    budi_ws.send_json(json!({"type": "ping"})).await;
    let next = budi_ws.next_json().await;
    assert_eq!(next["type"], "pong", "nothing after the reaction: {next}");

    // Node B stops; its sockets are told the server is restarting.
    b.shutdown().await;
    assert_eq!(budi_ws.close_code().await, Some(1012));

    // While B is down, A takes messages, a thread reply and a reaction.
    let mut expected: Vec<(String, String)> = Vec::new();
    for i in 0..5 {
        let m = post_chat(&ani, &cid, &format!("selagi node B mati {i}"), None).await;
        assert_eq!(m["seq"], 4 + i, "conversation seqs continue without a gap");
        expected.push(("chat.message.created".into(), str_of(&m["id"])));
    }
    let late_reply = post_chat(&ani, &cid, "balasan selagi B mati", Some(&b_id)).await;
    expected.push(("chat.message.created".into(), str_of(&late_reply["id"])));
    expected.push(("chat.message.updated".into(), b_id.clone()));
    ani.client
        .send(ani.client.request(
            Method::PUT,
            &chat_path(
                &ani,
                &cid,
                &format!("/messages/{a_id}/reactions/%F0%9F%8E%89"),
            ),
        ))
        .await
        .expect(200);
    expected.push(("chat.message.updated".into(), a_id.clone()));

    // Budi's client fails over to A and resumes from the last seq it saw.
    let budi_on_a = budi.client.on(&a.base);
    let mut ws = budi_on_a.ws(Some(budi_last)).await;
    assert_eq!(ws.hello().await, budi_last, "hello continues from since");
    let missed = ws.events(expected.len()).await;
    let mut last = budi_last;
    for e in &missed {
        assert_eq!(seq_of(e), last + 1, "no gap, no duplicate: {e}");
        last = seq_of(e);
    }
    let got: Vec<(String, String)> = missed
        .iter()
        .map(|e| (str_of(&e["kind"]), str_of(&e["data"]["id"])))
        .collect();
    assert_eq!(got, expected, "exactly the missed chat events, in order");
    assert_eq!(missed[5]["data"]["thread_root_id"], b_id.as_str());
    assert_eq!(missed[6]["data"]["reply_count"], 1);
    assert_eq!(
        missed[7]["data"]["reactions"],
        json!([{"emoji": "🎉", "user_ids": [ani.id]}])
    );
    ws.send_json(json!({"type": "ping"})).await;
    let next = ws.next_json().await;
    assert_eq!(next["type"], "pong", "nothing replayed twice: {next}");

    // And live again, on the surviving node.
    let live = post_chat(&ani, &cid, "sudah pindah ke node A", None).await;
    let e = ws.events(1).await.remove(0);
    assert_eq!(seq_of(&e), last + 1);
    assert_eq!(e["data"]["id"], live["id"]);
    assert_eq!(e["data"]["seq"], 10);

    ws.close().await;
    ani_ws.close().await;
    a.shutdown().await;
}

/// Twenty posts from each node at once to one channel: the channel numbers them 1..40 with no
/// gap and no duplicate, and every socket — two on each node — receives all forty
/// `chat.message.created` events in the channel's order, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_posts_from_two_nodes_get_one_gap_free_order() {
    const EACH: usize = 20;
    let Cluster { a, b, owner_a, .. } = Cluster::start().await;
    let ani = a.seed_member(&owner_a.org_id, Role::Member).await;
    let budi = b.seed_member(&owner_a.org_id, Role::Member).await;
    // A first socket learns the seq of Budi's join, the last event before the burst (the join's
    // answer comes before the relay numbers its event); the others resume right after it.
    let mut first = ani.client.ws(None).await;
    first.hello().await;
    let cid = shared_channel(&ani, &[&budi]).await;
    let joined = loop {
        let e = first.event_of_kind("chat.member.joined").await;
        if e["data"]["user_id"] == budi.id.as_str() {
            break seq_of(&e);
        }
    };
    let ani_on_b = User {
        client: ani.client.on(&b.base),
        ..ani.clone()
    };
    let budi_on_a = User {
        client: budi.client.on(&a.base),
        ..budi.clone()
    };
    let mut sockets = vec![("ani on A", first, joined)];
    for (name, user) in [
        ("ani on B", &ani_on_b),
        ("budi on B", &budi),
        ("budi on A", &budi_on_a),
    ] {
        let mut ws = user.client.ws(Some(joined)).await;
        assert_eq!(ws.hello().await, joined);
        sockets.push((name, ws, joined));
    }

    let burst = |user: User, node: &'static str| {
        let cid = cid.clone();
        async move {
            let posts = (0..EACH).map(|i| {
                let (user, cid) = (user.clone(), cid.clone());
                async move { post_chat(&user, &cid, &format!("serbu {node} {i}"), None).await }
            });
            futures::future::join_all(posts).await
        }
    };
    let (from_a, from_b) = tokio::join!(
        tokio::spawn(burst(ani.clone(), "A")),
        tokio::spawn(burst(budi.clone(), "B")),
    );
    let posted: Vec<Value> = from_a
        .expect("posts on A")
        .into_iter()
        .chain(from_b.expect("posts on B"))
        .collect();
    let posted_ids: BTreeSet<String> = posted.iter().map(|m| str_of(&m["id"])).collect();
    let posted_seqs: BTreeSet<i64> = posted
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(posted_ids.len(), 2 * EACH);
    assert_eq!(
        posted_seqs,
        (1..=(2 * EACH) as i64).collect(),
        "the answers carry seqs 1..40, each once"
    );

    // The channel, read from either node: 1..40 in order, exactly the posted messages.
    for user in [&ani, &budi] {
        let page = user
            .client
            .get(&chat_path(user, &cid, "/messages?limit=200"))
            .await
            .expect(200);
        let messages = page["messages"].as_array().expect("messages");
        let seqs: Vec<i64> = messages
            .iter()
            .map(|m| m["seq"].as_i64().expect("seq"))
            .collect();
        assert_eq!(seqs, (1..=(2 * EACH) as i64).collect::<Vec<_>>());
        let ids: BTreeSet<String> = messages.iter().map(|m| str_of(&m["id"])).collect();
        assert_eq!(ids, posted_ids);
        assert_eq!(page["has_more_before"], false);
    }
    let by_seq: Vec<String> = {
        let mut p: Vec<&Value> = posted.iter().collect();
        p.sort_by_key(|m| m["seq"].as_i64());
        p.iter().map(|m| str_of(&m["id"])).collect()
    };

    // Every socket: forty events, contiguous, in the channel's order.
    for (name, mut ws, hello) in sockets {
        let events = ws.events(2 * EACH).await;
        let mut last = hello;
        for e in &events {
            assert_eq!(seq_of(e), last + 1, "{name}: no gap, no duplicate: {e}");
            last = seq_of(e);
            assert_eq!(e["kind"], "chat.message.created", "{name}: {e}");
        }
        let message_seqs: Vec<i64> = events
            .iter()
            .map(|e| e["data"]["seq"].as_i64().expect("message seq"))
            .collect();
        assert_eq!(
            message_seqs,
            (1..=(2 * EACH) as i64).collect::<Vec<_>>(),
            "{name}: in the channel's order"
        );
        let ids: Vec<String> = events.iter().map(|e| str_of(&e["data"]["id"])).collect();
        assert_eq!(ids, by_seq, "{name}");
        ws.send_json(json!({"type": "ping"})).await;
        let next = ws.next_json().await;
        assert_eq!(next["type"], "pong", "{name}: nothing more: {next}");
        ws.close().await;
    }
    b.shutdown().await;
    a.shutdown().await;
}

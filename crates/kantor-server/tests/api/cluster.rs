//! Two nodes on one PostgreSQL database and one NATS: events written on either node reach
//! sockets on both, in one gap-free order; revocations cross nodes. PostgreSQL + NATS only
//! (SQLite is single-node by design).

use std::collections::BTreeSet;

use kantor_core::role::Role;
use serde_json::json;

use crate::common::{str_of, Cluster, Options, PrivateNats, User};
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

//! The realtime gateway: resume with `since`, resync after retention, restart and shutdown.

use kantor_core::role::Role;
use serde_json::{json, Value};

use crate::common::{on_both, seq_of, str_of, unique, TestServer, User, Ws};

/// Creates `n` units named `{prefix} {i}`; returns their ids in order.
pub async fn create_units(admin: &User, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let unit = admin
            .client
            .post(
                &admin.org_path("/units"),
                json!({"name": format!("{prefix} {i}")}),
            )
            .await
            .expect(201);
        ids.push(str_of(&unit["id"]));
    }
    ids
}

/// Reads events until `n` `unit.created` arrived. With `contiguous`, every event's `seq` must be
/// the one after the previous (the socket sees the whole stream); otherwise they only increase.
/// Returns the unit ids in order, the other events' kinds, and the last `seq`.
pub async fn read_unit_events(
    ws: &mut Ws,
    after: i64,
    n: usize,
    contiguous: bool,
) -> (Vec<String>, Vec<String>, i64) {
    let (mut units, mut others, mut last) = (Vec::new(), Vec::new(), after);
    while units.len() < n {
        let e = ws.events(1).await.remove(0);
        let seq = seq_of(&e);
        if contiguous {
            assert_eq!(seq, last + 1, "no gap, no duplicate: {e}");
        } else {
            assert!(seq > last, "seq increases: {e} after {last}");
        }
        last = seq;
        if e["kind"] == "unit.created" {
            units.push(str_of(&e["data"]["unit_id"]));
        } else {
            others.push(str_of(&e["kind"]));
        }
    }
    (units, others, last)
}

/// Writes `marker` and checks it is the very next event after `last`: nothing else was queued.
async fn next_is_marker(ws: &mut Ws, admin: &User, last: i64, contiguous: bool) {
    let marker = create_units(admin, &format!("Penanda {}", unique()), 1).await;
    let (units, others, _) = read_unit_events(ws, last, 1, contiguous).await;
    assert_eq!(
        (units, others),
        (marker, vec![]),
        "the marker is the next event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_resumes_from_since_without_gaps_or_duplicates() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;

        let mut ws = owner.client.ws(None).await;
        let hello = ws.hello().await;
        let mut member_ws = member.client.ws(None).await;
        let member_hello = member_ws.hello().await;
        let online = create_units(&owner, "Daring", 20).await;
        let (seen, _, last) = read_unit_events(&mut ws, hello, 20, true).await;
        assert_eq!(seen, online, "every write, in order");
        let (seen, _, member_last) =
            read_unit_events(&mut member_ws, member_hello, 20, false).await;
        assert_eq!(seen, online);
        ws.close().await;
        member_ws.close().await;

        // While both are away: 20 unit writes, and invites only admins hear about.
        let mut offline = Vec::new();
        for i in 0..20 {
            offline.extend(create_units(&owner, "Luring", 1).await);
            if i % 4 == 0 {
                owner
                    .client
                    .post(&owner.org_path("/invites"), json!({"role": "member"}))
                    .await
                    .expect(201);
            }
        }

        let mut ws = owner.client.ws(Some(last)).await;
        assert_eq!(ws.hello().await, last, "hello continues from since");
        let (seen, others, last) = read_unit_events(&mut ws, last, 20, true).await;
        assert_eq!(seen, offline);
        assert_eq!(others, vec!["invite.created"; 5]);
        next_is_marker(&mut ws, &owner, last, true).await;

        let mut member_ws = member.client.ws(Some(member_last)).await;
        assert_eq!(member_ws.hello().await, member_last);
        let (seen, others, last) = read_unit_events(&mut member_ws, member_last, 20, false).await;
        assert_eq!(seen, offline);
        assert!(
            others.is_empty(),
            "members do not see admin events: {others:?}"
        );
        // The member's stream continues past the admin-only events and the marker.
        let marker = member_ws.event_of_kind("unit.created").await;
        assert!(seq_of(&marker) > last);
        assert_eq!(marker["org_id"], owner.org_id.as_str());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_since_older_than_retention_asks_for_a_resync() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let mut ws = owner.client.ws(None).await;
        let hello = ws.hello().await;
        create_units(&owner, "Lama", 5).await;
        let (_, _, last) = read_unit_events(&mut ws, hello, 5, true).await;
        ws.close().await;
        assert!(last >= 5);

        // Retention passes for everything but the newest event.
        let pruned = server
            .state()
            .store
            .prune_events(i64::MAX)
            .await
            .expect("prune");
        assert_eq!(pruned as i64, last - 1);

        let mut ws = owner.client.ws(Some(0)).await;
        let first = ws.next_json().await;
        assert_eq!(first, json!({"type": "resync_required", "seq": last}));
        assert_eq!(ws.hello().await, last, "continue from the resync point");
        next_is_marker(&mut ws, &owner, last, true).await;
        let last = last + 1;

        // Just inside the window: replayed, not resynced.
        let mut ws = owner.client.ws(Some(last - 1)).await;
        assert_eq!(ws.hello().await, last - 1);
        let replayed = ws.events(1).await.remove(0);
        assert_eq!(seq_of(&replayed), last);

        // From the future (e.g. a database restored from backup): resync too.
        let mut ws = owner.client.ws(Some(last + 1000)).await;
        let first = ws.next_json().await;
        assert_eq!(first, json!({"type": "resync_required", "seq": last}));
        assert_eq!(ws.hello().await, last);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_sockets_with_1012_and_a_restart_loses_nothing() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let ready = owner.client.get("/readyz").await.expect(200);
        assert_eq!(
            ready,
            json!({"database": true, "bus": true, "draining": false})
        );

        let mut ws = owner.client.ws(None).await;
        let hello = ws.hello().await;
        let before = create_units(&owner, "Sebelum", 3).await;
        let (seen, _, last) = read_unit_events(&mut ws, hello, 3, true).await;
        assert_eq!(seen, before);
        ws.close().await;
        let mut staying = owner.client.ws(None).await;
        staying.hello().await;

        // Written while the client is away, right before the server stops.
        let missed = create_units(&owner, "Sesudah", 4).await;
        let server = server.restart().await;
        assert_eq!(staying.close_code().await, Some(1012), "server restarting");

        let owner = User {
            client: owner.client.on(&server.base),
            ..owner
        };
        assert!(server.setup_token.is_none(), "setup stays done");
        let mut ws = owner.client.ws(Some(last)).await;
        assert_eq!(ws.hello().await, last);
        let (seen, others, last) = read_unit_events(&mut ws, last, 4, true).await;
        assert_eq!(seen, missed);
        assert!(others.is_empty(), "{others:?}");
        next_is_marker(&mut ws, &owner, last, true).await;
        server.shutdown().await;
    })
    .await;
}

/// Events carry what the web app needs to route them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_carry_kind_org_and_data() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let mut ws = owner.client.ws(None).await;
        ws.hello().await;
        owner
            .client
            .patch("/api/v1/me", json!({"phone": "+62 812 3456 7890"}))
            .await
            .expect(200);
        let e: Value = ws.event_of_kind("user.updated").await;
        assert_eq!(e["data"]["user_id"], owner.id.as_str());
        assert!(
            e.get("org_id").is_none(),
            "personal events have no org: {e}"
        );
        let ids = create_units(&owner, "Bidang", 1).await;
        let e = ws.event_of_kind("unit.created").await;
        assert_eq!(e["org_id"], owner.org_id.as_str());
        assert_eq!(e["data"]["unit_id"], ids[0].as_str());
        // A socket opened by another site with the user's cookie is refused.
        let refused = ws_with_origin(&owner, "http://evil.example").await;
        assert_eq!(refused, 403);
        // Without credentials, no socket.
        assert_eq!(server.client().try_ws(None).await.err(), Some(401));
    })
    .await;
}

/// Opens a socket with the owner's cookie but a foreign `Origin`; returns the HTTP status.
async fn ws_with_origin(owner: &User, origin: &str) -> u16 {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let host = owner.client.base.trim_start_matches("http://");
    let mut req = format!("ws://{host}/api/v1/ws")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("origin", origin.parse().expect("origin"));
    if let Some(cookie) = owner.client.cookie_header() {
        req.headers_mut()
            .insert("cookie", cookie.parse().expect("cookie"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => panic!("handshake: {e}"),
    }
}

/// A socket can narrow what it receives to some of its organisations; events addressed to the
/// person still arrive, other organisations' ids are dropped from the subscription, and bad
/// messages get an error reply without closing the socket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_narrow_a_socket_to_chosen_organisations() {
    crate::common::on_both(|backend| async move {
        let server = crate::common::TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let other = server.seed_org("Organisasi Lain").await;
        let mut ws = owner.client.ws(None).await;
        ws.hello().await;

        ws.send_json(json!({"type": "subscribe", "orgs": [other.org_id]}))
            .await;
        let ack = ws.next_json().await;
        assert_eq!(
            ack,
            json!({"type": "subscribed", "orgs": []}),
            "another organisation cannot be chosen"
        );
        // Nothing of the owner's organisation now, but their own profile change arrives.
        owner
            .client
            .post(&owner.org_path("/units"), json!({"name": "Tidak terkirim"}))
            .await
            .expect(201);
        owner
            .client
            .patch("/api/v1/me", json!({"name": "Nama Baru"}))
            .await
            .expect(200);
        let e = ws.events(1).await.remove(0);
        assert_eq!(e["kind"], "user.updated", "{e}");

        ws.send_json(json!({"type": "subscribe", "orgs": null}))
            .await;
        assert_eq!(ws.next_json().await["type"], "subscribed");
        owner
            .client
            .post(&owner.org_path("/units"), json!({"name": "Terkirim"}))
            .await
            .expect(201);
        let e = ws.events(1).await.remove(0);
        assert_eq!(e["kind"], "unit.created", "{e}");

        ws.send_json(json!({"type": "teleport"})).await;
        let err = ws.next_json().await;
        assert_eq!(
            (err["type"].as_str(), err["code"].as_str()),
            (Some("error"), Some("ws.bad_message"))
        );
        ws.send_json(json!({"type": "ping"})).await;
        assert_eq!(
            ws.next_json().await["type"],
            "pong",
            "the socket stays open"
        );
        server.shutdown().await;
    })
    .await;
}

//! Roles, offboarding and the audit log.

use kantor_core::role::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, unique, TestServer, User, PASSWORD};

const CSV: &str = "nama;email\nSiti;siti@luwu.go.id\n";

async fn role_of(viewer: &User, member: &User) -> String {
    let m = viewer
        .client
        .get(&viewer.org_path(&format!("/members/{}", member.id)))
        .await
        .expect(200);
    str_of(&m["role"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_limit_what_members_may_do() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let hr = server.seed_member(&owner.org_id, Role::Hr).await;
        let admin = server.seed_member(&owner.org_id, Role::Admin).await;

        // A member reads the organisation but administers nothing.
        let m = &member.client;
        m.get(&owner.org_path("")).await.expect(200);
        m.get(&owner.org_path("/units")).await.expect(200);
        let people = m.get(&owner.org_path("/members")).await.expect(200);
        assert_eq!(people["items"].as_array().map(Vec::len), Some(4));
        for r in [
            m.post(&owner.org_path("/units"), json!({"name": "Bidang Liar"}))
                .await,
            m.get(&owner.org_path("/invites")).await,
            m.post(&owner.org_path("/invites"), json!({"role": "member"}))
                .await,
            m.get(&owner.org_path("/audit")).await,
            m.patch(&owner.org_path(""), json!({"name": "Dinas Baru"}))
                .await,
            m.patch(
                &owner.org_path(&format!("/members/{}", member.id)),
                json!({"role": "admin"}),
            )
            .await,
            m.patch(
                &owner.org_path(&format!("/members/{}", hr.id)),
                json!({"position": "Kepala"}),
            )
            .await,
            m.post_empty(&owner.org_path(&format!("/members/{}/deactivate", hr.id)))
                .await,
            m.send_bytes(Method::POST, &owner.org_path("/imports"), "text/csv", CSV)
                .await,
        ] {
            r.error(403, "auth.forbidden");
        }
        assert_eq!(
            owner
                .client
                .get(&owner.org_path("/units"))
                .await
                .expect(200),
            json!([])
        );
        assert_eq!(role_of(&owner, &member).await, "member");
        assert_eq!(
            owner.client.get(&owner.org_path("")).await.expect(200)["name"],
            "Dinas Kominfo Luwu"
        );

        // HR imports and edits people's records, but does not hand out roles.
        let h = &hr.client;
        h.send_bytes(Method::POST, &owner.org_path("/imports"), "text/csv", CSV)
            .await
            .expect(201);
        let edited = h
            .patch(
                &owner.org_path(&format!("/members/{}", member.id)),
                json!({"position": "Analis Kepegawaian", "employee_number": "19870101"}),
            )
            .await
            .expect(200);
        assert_eq!(edited["position"], "Analis Kepegawaian");
        h.patch(
            &owner.org_path(&format!("/members/{}", member.id)),
            json!({"role": "admin"}),
        )
        .await
        .error(403, "auth.forbidden");
        h.post(&owner.org_path("/units"), json!({"name": "Bidang HR"}))
            .await
            .error(403, "auth.forbidden");
        assert_eq!(role_of(&owner, &member).await, "member");

        // An admin manages everyone except owners, and cannot make one.
        let a = &admin.client;
        for r in [
            a.patch(
                &owner.org_path(&format!("/members/{}", member.id)),
                json!({"role": "owner"}),
            )
            .await,
            a.patch(
                &owner.org_path(&format!("/members/{}", owner.id)),
                json!({"role": "member"}),
            )
            .await,
            a.post(&owner.org_path("/invites"), json!({"role": "owner"}))
                .await,
            a.post_empty(&owner.org_path(&format!("/members/{}/deactivate", owner.id)))
                .await,
        ] {
            r.error(403, "auth.forbidden");
        }
        assert_eq!(role_of(&owner, &owner).await, "owner");
        assert_eq!(role_of(&owner, &member).await, "member");
        let changed = a
            .patch(
                &owner.org_path(&format!("/members/{}", member.id)),
                json!({"role": "hr"}),
            )
            .await
            .expect(200);
        assert_eq!(changed["role"], "hr");
        // Same employee number twice is refused.
        a.patch(
            &owner.org_path(&format!("/members/{}", hr.id)),
            json!({"employee_number": "19870101"}),
        )
        .await
        .error(409, "member.employee_number_taken");

        // The last owner stays an owner, and nobody deactivates themselves.
        let o = &owner.client;
        o.patch(
            &owner.org_path(&format!("/members/{}", owner.id)),
            json!({"role": "admin"}),
        )
        .await
        .error(409, "member.last_owner");
        o.post_empty(&owner.org_path(&format!("/members/{}/deactivate", owner.id)))
            .await
            .error(409, "member.self_deactivate");
        // With a second owner, the first may step down; then the second is the last.
        o.patch(
            &owner.org_path(&format!("/members/{}", admin.id)),
            json!({"role": "owner"}),
        )
        .await
        .expect(200);
        a.patch(
            &owner.org_path(&format!("/members/{}", owner.id)),
            json!({"role": "admin"}),
        )
        .await
        .expect(200);
        a.patch(
            &owner.org_path(&format!("/members/{}", admin.id)),
            json!({"role": "member"}),
        )
        .await
        .error(409, "member.last_owner");
        assert_eq!(role_of(&owner, &admin).await, "owner");
        assert_eq!(role_of(&owner, &owner).await, "admin");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboarding_ends_sessions_tokens_and_sockets_at_once() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let leaver = server.invite_and_accept(&owner, "member").await;
        let token = leaver
            .client
            .post("/api/v1/me/tokens", json!({"name": "sinkronisasi"}))
            .await
            .expect(201);
        let bot = server.bearer(&str_of(&token["token"]));
        // Both credentials work and are in the auth cache.
        leaver.client.get("/api/v1/me").await.expect(200);
        bot.get("/api/v1/me").await.expect(200);
        let mut cookie_socket = leaver.client.ws(None).await;
        cookie_socket.hello().await;
        let mut token_socket = bot.ws(None).await;
        token_socket.hello().await;
        // An unrelated socket stays open.
        let mut owner_socket = owner.client.ws(None).await;
        let owner_hello = owner_socket.hello().await;

        let out = owner
            .client
            .post_empty(&owner.org_path(&format!("/members/{}/deactivate", leaver.id)))
            .await
            .expect(200);
        assert_eq!(out["status"], "deactivated");

        assert_eq!(cookie_socket.close_code().await, Some(4001));
        assert_eq!(token_socket.close_code().await, Some(4001));
        leaver
            .client
            .get("/api/v1/me")
            .await
            .error(401, "auth.required");
        bot.get("/api/v1/me").await.error(401, "auth.required");
        assert_eq!(leaver.client.try_ws(None).await.err(), Some(401));
        server
            .login(&leaver.email, PASSWORD)
            .await
            .error(401, "auth.invalid_credentials");

        let event = owner_socket.event_of_kind("member.deactivated").await;
        assert_eq!(event["data"]["user_id"], leaver.id.as_str());
        assert!(crate::common::seq_of(&event) > owner_hello);

        let org = owner.client.get(&owner.org_path("")).await.expect(200);
        assert_eq!(org["member_count"], 1);
        let audit = owner
            .client
            .get(&owner.org_path("/audit"))
            .await
            .expect(200);
        let entry = &audit["items"][0];
        assert_eq!(entry["action"], "member.deactivate");
        assert_eq!(entry["target"], leaver.id.as_str());
        assert_eq!(entry["actor_name"], owner.name.as_str());

        // Reactivated, they sign in again with their password.
        owner
            .client
            .post_empty(&owner.org_path(&format!("/members/{}/reactivate", leaver.id)))
            .await
            .expect(200);
        server.login(&leaver.email, PASSWORD).await.expect(200);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_lists_admin_actions_newest_first() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let o = &owner.client;
        let invite = o
            .post(
                &owner.org_path("/invites"),
                json!({"email": format!("baru-{}@luwu.go.id", unique()), "role": "member"}),
            )
            .await
            .expect(201);
        o.patch(
            &owner.org_path(&format!("/members/{}", member.id)),
            json!({"role": "hr"}),
        )
        .await
        .expect(200);
        let unit = o
            .post(&owner.org_path("/units"), json!({"name": "Sekretariat"}))
            .await
            .expect(201);
        o.patch(
            &owner.org_path(&format!("/units/{}", str_of(&unit["id"]))),
            json!({"name": "Sekretariat Dinas"}),
        )
        .await
        .expect(200);
        o.delete(&owner.org_path(&format!("/invites/{}", str_of(&invite["id"]))))
            .await
            .expect(204);

        let page = o.get(&owner.org_path("/audit")).await.expect(200);
        let items = page["items"].as_array().expect("items");
        let actions: Vec<&str> = items.iter().filter_map(|e| e["action"].as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "invite.revoke",
                "unit.update",
                "unit.create",
                "member.role_change",
                "invite.create",
                "org.create"
            ]
        );
        assert!(page["next_cursor"].is_null());
        for e in items {
            assert_eq!(e["actor_id"], owner.id.as_str(), "{e}");
            assert_eq!(e["actor_name"], owner.name.as_str(), "{e}");
        }
        let role_change = &items[3];
        assert_eq!(role_change["target"], member.id.as_str());
        assert_eq!(role_change["detail"]["role"], "hr");
        assert_eq!(role_change["detail"]["from_role"], "member");
        assert_eq!(items[0]["target"], invite["id"]);
        assert_eq!(items[1]["detail"]["name"], "Sekretariat Dinas");

        // Pages of two, by cursor, give the same list.
        let mut paged: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut req = o
                .request(Method::GET, &owner.org_path("/audit"))
                .query(&[("limit", "2")]);
            if let Some(c) = &cursor {
                req = req.query(&[("cursor", c.as_str())]);
            }
            let page = o.send(req).await.expect(200);
            paged.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
            assert!(paged.len() <= items.len(), "paging terminates");
        }
        assert_eq!(&paged, items);

        // Members (now HR) and plain members cannot read it.
        member
            .client
            .get(&owner.org_path("/audit"))
            .await
            .error(403, "auth.forbidden");
        let plain = server.seed_member(&owner.org_id, Role::Member).await;
        plain
            .client
            .get(&owner.org_path("/audit"))
            .await
            .error(403, "auth.forbidden");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaving_one_of_two_organisations_keeps_the_session() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner_a = server.setup_owner().await;
        let owner_b = server.seed_org("Dinas Tetangga").await;
        let person = server.invite_and_accept(&owner_a, "member").await;

        // The same account joins a second organisation with its existing password.
        let invite = owner_b
            .client
            .post(
                &owner_b.org_path("/invites"),
                json!({"email": person.email, "role": "member"}),
            )
            .await
            .expect(201);
        let token = crate::common::invite_token(&invite);
        let public = server
            .client()
            .get(&format!("/api/v1/invites/{token}"))
            .await
            .expect(200);
        assert_eq!(public["existing_account"], true);
        let wrong = server
            .client()
            .post(
                &format!("/api/v1/invites/{token}/accept"),
                json!({"name": "Siapa Saja", "password": "bukan-sandinya", "time_zone": "Asia/Jakarta", "language": "id"}),
            )
            .await;
        assert_eq!(wrong.error(401, "auth.invalid_credentials")["field"], "password");
        server
            .client()
            .post(
                &format!("/api/v1/invites/{token}/accept"),
                json!({"name": "Siapa Saja", "password": PASSWORD, "time_zone": "Asia/Jakarta", "language": "id"}),
            )
            .await
            .expect(200);
        let me = person.client.get("/api/v1/me").await.expect(200);
        assert_eq!(me["memberships"].as_array().map(Vec::len), Some(2));
        assert_eq!(me["user"]["name"], person.name.as_str(), "an existing account keeps its name");

        let mut ws = person.client.ws(None).await;
        ws.hello().await;
        owner_a
            .client
            .post_empty(&owner_a.org_path(&format!("/members/{}/deactivate", person.id)))
            .await
            .expect(200);
        // Their session goes on (in B): reconnect, not sign in again.
        assert_eq!(ws.close_code().await, Some(4002));
        let me = person.client.get("/api/v1/me").await.expect(200);
        let orgs: Vec<String> = me["memberships"]
            .as_array()
            .expect("memberships")
            .iter()
            .map(|m| str_of(&m["org"]["id"]))
            .collect();
        assert_eq!(orgs, vec![owner_b.org_id.clone()]);
        person
            .client
            .get(&owner_a.org_path(""))
            .await
            .error(404, "not_found");
        person.client.get(&owner_b.org_path("")).await.expect(200);

        // The new socket hears B and no longer A.
        let mut ws = person.client.ws(None).await;
        ws.hello().await;
        owner_a
            .client
            .post(&owner_a.org_path("/units"), json!({"name": "Rahasia A"}))
            .await
            .expect(201);
        owner_b
            .client
            .post(&owner_b.org_path("/units"), json!({"name": "Umum B"}))
            .await
            .expect(201);
        let e = ws.event_of_kind("unit.created").await;
        assert_eq!(e["org_id"], owner_b.org_id.as_str());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_makes_sockets_reconnect_with_the_new_audience() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let admin = server.seed_member(&owner.org_id, Role::Admin).await;
        let mut ws = admin.client.ws(None).await;
        ws.hello().await;
        owner
            .client
            .post(&owner.org_path("/invites"), json!({"role": "member"}))
            .await
            .expect(201);
        ws.event_of_kind("invite.created").await;

        owner
            .client
            .patch(
                &owner.org_path(&format!("/members/{}", admin.id)),
                json!({"role": "member"}),
            )
            .await
            .expect(200);
        assert_eq!(ws.close_code().await, Some(4002));
        let mut ws = admin.client.ws(None).await;
        ws.hello().await;
        owner
            .client
            .post(&owner.org_path("/invites"), json!({"role": "member"}))
            .await
            .expect(201);
        owner
            .client
            .post(&owner.org_path("/units"), json!({"name": "Bidang Umum"}))
            .await
            .expect(201);
        loop {
            let next = ws.events(1).await.remove(0);
            assert_ne!(
                next["kind"], "invite.created",
                "admin events stop with the role"
            );
            if next["kind"] == "unit.created" {
                break;
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_listed_by_cursor_and_filter() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        let unit = o
            .post(&owner.org_path("/units"), json!({"name": "Bidang TIK"}))
            .await
            .expect(201);
        let unit_id = str_of(&unit["id"]);
        let mut everyone = vec![owner.id.clone()];
        for (i, role) in [
            Role::Member,
            Role::Member,
            Role::Member,
            Role::Hr,
            Role::Hr,
            Role::Admin,
        ]
        .into_iter()
        .enumerate()
        {
            let m = server.seed_member(&owner.org_id, role).await;
            if i % 2 == 0 {
                o.patch(
                    &owner.org_path(&format!("/members/{}", m.id)),
                    json!({"unit_id": unit_id}),
                )
                .await
                .expect(200);
            }
            everyone.push(m.id);
        }
        everyone.sort();

        let list = |query: Vec<(&'static str, String)>| {
            let req = o
                .request(Method::GET, &owner.org_path("/members"))
                .query(&query);
            async move { o.send(req).await }
        };
        let ids = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|m| str_of(&m["id"]))
                .collect()
        };

        let mut paged = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = list(vec![("limit", "2".into()), ("cursor", cursor.clone())])
                .await
                .expect(200);
            let got = ids(&page);
            assert!(got.len() <= 2);
            paged.extend(got);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = c.to_string(),
                None => break,
            }
            assert!(paged.len() <= everyone.len(), "paging terminates");
        }
        assert_eq!(paged, everyone, "every member once, in id order");

        let page = list(vec![("role", "hr".into())]).await.expect(200);
        assert_eq!(ids(&page).len(), 2);
        let page = list(vec![("unit_id", unit_id.clone())]).await.expect(200);
        assert_eq!(ids(&page).len(), 3);
        let page = list(vec![("status", "active".into()), ("role", "owner".into())])
            .await
            .expect(200);
        assert_eq!(ids(&page), vec![owner.id.clone()]);
        let page = list(vec![("q", owner.email.to_uppercase())])
            .await
            .expect(200);
        assert_eq!(ids(&page), vec![owner.id.clone()]);

        let r = list(vec![("role", "raja".into())]).await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "role");
        let r = list(vec![("cursor", "bukan-kursor".into())]).await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "cursor");
    })
    .await;
}

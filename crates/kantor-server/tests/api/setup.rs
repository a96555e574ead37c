//! First-run setup, and how the API answers bad input.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, TestServer, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_creates_the_first_organisation_once() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let token = server
            .setup_token
            .clone()
            .expect("a fresh server has a setup token");
        let anon = server.client();
        let request = |token: &str, time_zone: &str| {
            json!({
                "token": token, "org_name": "Dinas Kominfo Luwu", "name": "Budi Santoso",
                "email": "  Budi@Luwu.go.id ", "password": PASSWORD, "time_zone": time_zone,
                "language": "id"
            })
        };
        assert_eq!(
            anon.get("/api/v1/setup").await.expect(200),
            json!({"needed": true})
        );

        anon.post("/api/v1/setup", request("not-the-token", "Asia/Makassar"))
            .await
            .error(401, "setup.token_invalid");
        let bad_zone = anon
            .post("/api/v1/setup", request(&token, "Asia/Atlantis"))
            .await;
        assert_eq!(
            bad_zone.error(422, "validation.time_zone")["field"],
            "time_zone"
        );
        // Neither failure left anything behind: no organisation, no session, token still good.
        assert_eq!(anon.get("/api/v1/setup").await.expect(200)["needed"], true);
        anon.get("/api/v1/me").await.error(401, "auth.required");

        let me = anon
            .post("/api/v1/setup", request(&token, "Asia/Makassar"))
            .await
            .expect(200);
        assert_eq!(
            me["user"]["email"], "budi@luwu.go.id",
            "emails are normalised"
        );
        assert_eq!(me["user"]["time_zone"], "Asia/Makassar");
        assert_eq!(me["memberships"].as_array().map(Vec::len), Some(1));
        let membership = &me["memberships"][0];
        assert_eq!(membership["role"], "owner");
        assert_eq!(membership["status"], "active");
        assert_eq!(membership["org"]["name"], "Dinas Kominfo Luwu");
        assert_eq!(membership["org"]["default_time_zone"], "Asia/Makassar");
        assert!(me["csrf_token"].as_str().is_some_and(|c| c.len() >= 20));

        // The cookie from setup is a session.
        let again = anon.get("/api/v1/me").await.expect(200);
        assert_eq!(again["user"]["id"], me["user"]["id"]);
        assert_eq!(anon.get("/api/v1/setup").await.expect(200)["needed"], false);

        // Setup works once, even with the right token and another person.
        let mut second = request(&token, "Asia/Jakarta");
        second["email"] = json!("mallory@luwu.go.id");
        server
            .client()
            .post("/api/v1/setup", second)
            .await
            .error(409, "setup.already_done");
        let org_id = str_of(&membership["org"]["id"]);
        let org = anon
            .get(&format!("/api/v1/orgs/{org_id}"))
            .await
            .expect(200);
        assert_eq!(org["member_count"], 1);
        server.login(" BUDI@luwu.go.id", PASSWORD).await.expect(200);
    })
    .await;
}

/// A name that is hostile to every layer: quotes, SQL, HTML, emoji, combining marks.
pub const TRICKY: &str =
    "O'Brien \"Bung\" <b>Tomo</b>'); DROP TABLE users; -- 🇮🇩🚀 Ñandú %_\\ e\u{301}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_stable_errors_and_writes_nothing() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let c = &owner.client;

        let r = c
            .send_bytes(
                Method::PATCH,
                "/api/v1/me",
                "application/json",
                "{\"name\":",
            )
            .await;
        r.error(400, "request.malformed");
        let r = c.patch("/api/v1/me", json!({"nama": "Budi"})).await;
        assert_eq!(r.error(422, "request.unknown_field")["field"], "nama");
        let r = c.post("/api/v1/me/tokens", json!({})).await;
        assert_eq!(r.error(422, "request.missing_field")["field"], "name");
        c.patch("/api/v1/me", json!({"name": 5}))
            .await
            .error(422, "validation.invalid");
        c.send_bytes(Method::PATCH, "/api/v1/me", "text/plain", "{}")
            .await
            .error(415, "request.content_type");
        let huge = json!({"name": "x".repeat(1024 * 1024 + 10)}).to_string();
        c.send_bytes(Method::PATCH, "/api/v1/me", "application/json", huge)
            .await
            .error(413, "request.too_large");
        let r = c
            .patch(
                "/api/v1/me",
                json!({"name": "Budi Baru", "time_zone": "Asia/Atlantis"}),
            )
            .await;
        assert_eq!(r.error(422, "validation.time_zone")["field"], "time_zone");
        // The valid half of a refused patch was not applied.
        let me = c.get("/api/v1/me").await.expect(200);
        assert_eq!(me["user"]["name"], owner.name.as_str());
        assert_eq!(me["user"]["time_zone"], "Asia/Makassar");
        assert_eq!(
            c.get("/api/v1/me/tokens").await.expect(200),
            json!([]),
            "no token was created by the refused request"
        );

        // Unknown API paths and malformed query parameters answer in the one error shape.
        c.get("/api/v1/no-such-thing").await.error(404, "not_found");
        for path in [
            owner.org_path("/members?limit=lima"),
            owner.org_path("/audit?limit=lima"),
            "/api/v1/ws?since=kemarin".to_string(),
        ] {
            let r = c.get(&path).await;
            let field = r.error(422, "validation.invalid")["field"].clone();
            assert!(
                field == "limit" || field == "since",
                "the field is named: {r}"
            );
        }

        // Hostile text is stored and returned verbatim, in a profile and in a unit.
        let me = c
            .patch("/api/v1/me", json!({"name": TRICKY}))
            .await
            .expect(200);
        assert_eq!(me["user"]["name"], TRICKY);
        assert_eq!(
            c.get("/api/v1/me").await.expect(200)["user"]["name"],
            TRICKY
        );
        let unit = c
            .post(&owner.org_path("/units"), json!({"name": TRICKY}))
            .await
            .expect(201);
        assert_eq!(unit["name"], TRICKY);
        let units = c.get(&owner.org_path("/units")).await.expect(200);
        assert_eq!(units.as_array().map(Vec::len), Some(1));
        assert_eq!(units[0]["name"], TRICKY);
        // ... and is searchable as plain text, not as a pattern or SQL.
        let found = c
            .send(
                c.request(Method::GET, &owner.org_path("/members"))
                    .query(&[("q", "o'brien \"bung\"")]),
            )
            .await
            .expect(200);
        assert_eq!(names(&found), vec![TRICKY.to_string()]);
        let none = c
            .send(
                c.request(Method::GET, &owner.org_path("/members"))
                    .query(&[("q", "%' OR '1'='1")]),
            )
            .await
            .expect(200);
        assert_eq!(names(&none), Vec::<String>::new());

        // Refused unit writes leave the tree as it was.
        let r = c
            .post(
                &owner.org_path("/units"),
                json!({"name": "Bidang TIK", "parent_id": uuid::Uuid::now_v7().to_string()}),
            )
            .await;
        assert_eq!(r.error(422, "validation.invalid")["field"], "parent_id");
        let r = c
            .post(&owner.org_path("/units"), json!({"name": "   "}))
            .await;
        assert_eq!(r.error(422, "validation.required")["field"], "name");
        let r = c
            .post(&owner.org_path("/units"), json!({"name": "x".repeat(201)}))
            .await;
        assert_eq!(r.error(422, "validation.too_long")["field"], "name");
        let units = c.get(&owner.org_path("/units")).await.expect(200);
        assert_eq!(units.as_array().map(Vec::len), Some(1));
    })
    .await;
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| str_of(&m["name"]))
        .collect()
}

/// A second node starting on a database that still needs setup leaves the first node's link
/// working (it cannot print it: only its hash is stored); `kantor admin setup-link` (`renew`)
/// makes a new link that replaces the old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_keeps_the_setup_link_and_renew_replaces_it() {
    on_both(|backend| async move {
        let body = |token: &str| {
            json!({"token": token, "org_name": "Dinas", "name": "Budi", "email": "budi@x.id",
                   "password": PASSWORD, "time_zone": "Asia/Jakarta", "language": "id"})
        };
        let a = TestServer::start(backend).await;
        let first = a.setup_token.clone().expect("the first node has the link");
        let b = a.another_node().await;
        assert!(
            b.setup_token.is_none(),
            "the second node has no link of its own"
        );
        let renewed = kantor_server::api::setup::renew(&b.state().store)
            .await
            .expect("renew")
            .expect("setup is still needed");
        a.client()
            .post("/api/v1/setup", body(&first))
            .await
            .error(401, "setup.token_invalid");
        b.client()
            .post("/api/v1/setup", body(&renewed))
            .await
            .expect(200);
        assert!(kantor_server::api::setup::renew(&b.state().store)
            .await
            .expect("renew")
            .is_none());
        b.shutdown().await;
        a.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_method_answers_405_with_the_error_shape() {
    let server = TestServer::start(kantor_store::testing::TestBackend::Sqlite).await;
    let resp = server
        .client()
        .send(server.client().request(Method::DELETE, "/api/v1/setup"))
        .await;
    resp.error(405, "request.method_not_allowed");
    server.shutdown().await;
}

/// Operations endpoints: liveness, readiness, Prometheus metrics by route pattern, request ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_endpoints_report_health_and_metrics() {
    let server = TestServer::start(kantor_store::testing::TestBackend::Sqlite).await;
    let anon = server.client();
    anon.get("/api/v1/setup").await.expect(200);
    let raw = reqwest::get(format!("{}/healthz", server.base))
        .await
        .expect("healthz");
    assert_eq!(raw.status(), 200);
    assert!(
        raw.headers().get("x-request-id").is_some(),
        "every response has a request id"
    );
    let ready: Value = reqwest::get(format!("{}/readyz", server.base))
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json");
    assert_eq!(
        ready,
        json!({"database": true, "bus": true, "draining": false})
    );
    let metrics = reqwest::get(format!("{}/metrics", server.base))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(
            r#"kantor_http_requests_total{method="GET",route="/api/v1/setup",status="200"} 1"#
        ),
        "{metrics}"
    );
    for family in [
        "kantor_http_request_duration_seconds_bucket",
        "kantor_ws_connections",
        "kantor_db_pool_connections",
        "kantor_jobs_pending",
    ] {
        assert!(metrics.contains(family), "{family} missing");
    }
    server.shutdown().await;
}

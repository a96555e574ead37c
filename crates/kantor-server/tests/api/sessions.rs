//! Sessions end when they should: logout, password change, expiry, password reset links.

use kantor_core::role::Role;
use reqwest::Method;
use serde_json::json;

use crate::common::{invite_token, on_both, str_of, unique, TestServer, PASSWORD};

const NEW_PASSWORD: &str = "sandi-baru-yang-panjang";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_on_logout_password_change_and_expiry() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let first = &owner.client;
        let second = server.login_ok(&owner.email, PASSWORD).await;
        let sessions = first.get("/api/v1/me/sessions").await.expect(200);
        let sessions = sessions.as_array().expect("sessions");
        assert_eq!(sessions.len(), 2);
        assert_eq!(
            sessions.iter().filter(|s| s["current"] == true).count(),
            1,
            "one is this one"
        );
        let mut second_ws = second.ws(None).await;
        second_ws.hello().await;

        let r = first
            .post(
                "/api/v1/me/password",
                json!({"current_password": "bukan-sandi-lama", "new_password": NEW_PASSWORD}),
            )
            .await;
        assert_eq!(
            r.error(401, "auth.invalid_credentials")["field"],
            "current_password"
        );
        let r = first
            .post(
                "/api/v1/me/password",
                json!({"current_password": PASSWORD, "new_password": "pendek"}),
            )
            .await;
        assert_eq!(
            r.error(422, "validation.password_short")["field"],
            "new_password"
        );
        second.get("/api/v1/me").await.expect(200);

        first
            .post(
                "/api/v1/me/password",
                json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
            )
            .await
            .expect(204);
        // Other sessions end at once, with their sockets; this one goes on.
        second.get("/api/v1/me").await.error(401, "auth.required");
        assert_eq!(second_ws.close_code().await, Some(4001));
        first.get("/api/v1/me").await.expect(200);
        server
            .login(&owner.email, PASSWORD)
            .await
            .error(401, "auth.invalid_credentials");
        let third = server.login_ok(&owner.email, NEW_PASSWORD).await;

        // Ending one session from another.
        let sessions = first.get("/api/v1/me/sessions").await.expect(200);
        let other = sessions
            .as_array()
            .expect("sessions")
            .iter()
            .find(|s| s["current"] == false)
            .expect("the third session");
        first
            .delete(&format!("/api/v1/me/sessions/{}", str_of(&other["id"])))
            .await
            .expect(204);
        third.get("/api/v1/me").await.error(401, "auth.required");

        // Logging out ends this session only.
        let fourth = server.login_ok(&owner.email, NEW_PASSWORD).await;
        first.post_empty("/api/v1/auth/logout").await.expect(204);
        first.get("/api/v1/me").await.error(401, "auth.required");
        fourth.get("/api/v1/me").await.expect(200);

        // Sessions expire (30 days by default) however recently they were used.
        server.clock.advance_ms(29 * 86_400_000);
        fourth.get("/api/v1/me").await.expect(200);
        server.clock.advance_ms(86_400_000 + 1);
        fourth.get("/api/v1/me").await.error(401, "auth.required");

        // Logout-all ends every session.
        let (a, b) = (
            server.login_ok(&owner.email, NEW_PASSWORD).await,
            server.login_ok(&owner.email, NEW_PASSWORD).await,
        );
        a.post_empty("/api/v1/auth/logout-all").await.expect(204);
        a.get("/api/v1/me").await.error(401, "auth.required");
        b.get("/api/v1/me").await.error(401, "auth.required");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_link_works_once_within_a_day() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.invite_and_accept(&owner, "member").await;
        let mut member_ws = member.client.ws(None).await;
        member_ws.hello().await;

        let reset_path = owner.org_path(&format!("/members/{}/password-reset", member.id));
        let link = owner.client.post_empty(&reset_path).await.expect(200);
        let token = str_of(&link["url"])
            .rsplit('/')
            .next()
            .expect("token")
            .to_string();
        let anon = server.client();
        let info = anon
            .get(&format!("/api/v1/password-resets/{token}"))
            .await
            .expect(200);
        assert_eq!(info["email"], member.email.as_str());
        let r = anon
            .post(
                &format!("/api/v1/password-resets/{token}"),
                json!({"password": "pendek"}),
            )
            .await;
        r.error(422, "validation.password_short");
        anon.post(
            &format!("/api/v1/password-resets/{token}"),
            json!({"password": NEW_PASSWORD}),
        )
        .await
        .expect(204);
        // Every session of the account ends; the new password signs in, the old does not.
        member
            .client
            .get("/api/v1/me")
            .await
            .error(401, "auth.required");
        assert_eq!(member_ws.close_code().await, Some(4001));
        server
            .login(&member.email, PASSWORD)
            .await
            .error(401, "auth.invalid_credentials");
        server.login_ok(&member.email, NEW_PASSWORD).await;
        anon.get(&format!("/api/v1/password-resets/{token}"))
            .await
            .error(410, "reset.used");
        anon.post(
            &format!("/api/v1/password-resets/{token}"),
            json!({"password": "sandi-ketiga-panjang"}),
        )
        .await
        .error(410, "reset.used");

        // A day later a link is dead.
        let link = owner.client.post_empty(&reset_path).await.expect(200);
        let token = str_of(&link["url"])
            .rsplit('/')
            .next()
            .expect("token")
            .to_string();
        server.clock.advance_ms(24 * 3_600_000 + 1);
        anon.get(&format!("/api/v1/password-resets/{token}"))
            .await
            .error(410, "reset.expired");
        anon.post(
            &format!("/api/v1/password-resets/{token}"),
            json!({"password": "sandi-ketiga-panjang"}),
        )
        .await
        .error(410, "reset.expired");
        anon.get("/api/v1/password-resets/kr_nonsense")
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_imported_person_becomes_active_by_setting_a_password() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let email = format!("yanti.{}@luwu.go.id", unique());
        let preview = owner
            .client
            .send_bytes(
                Method::POST,
                &owner.org_path("/imports"),
                "text/csv",
                format!("name,email\nYanti,{email}\n"),
            )
            .await
            .expect(201);
        let result = owner
            .client
            .post(
                &owner.org_path(&format!("/imports/{}/confirm", str_of(&preview["id"]))),
                json!({}),
            )
            .await
            .expect(200);
        let invite = &result["invites"][0];
        // Invited people cannot sign in yet.
        server
            .login(&email, PASSWORD)
            .await
            .error(401, "auth.invalid_credentials");
        let members = owner
            .client
            .send(
                owner
                    .client
                    .request(Method::GET, &owner.org_path("/members"))
                    .query(&[("q", email.as_str())]),
            )
            .await
            .expect(200);
        let id = str_of(&members["items"][0]["id"]);
        let link = owner
            .client
            .post_empty(&owner.org_path(&format!("/members/{id}/password-reset")))
            .await
            .expect(200);
        let token = str_of(&link["url"])
            .rsplit('/')
            .next()
            .expect("token")
            .to_string();
        server
            .client()
            .post(
                &format!("/api/v1/password-resets/{token}"),
                json!({"password": NEW_PASSWORD}),
            )
            .await
            .expect(204);
        let client = server.login_ok(&email, NEW_PASSWORD).await;
        let me = client.get("/api/v1/me").await.expect(200);
        assert_eq!(me["memberships"][0]["status"], "active");
        // Their invite link now asks for that password.
        let public = server
            .client()
            .get(&format!("/api/v1/invites/{}", invite_token(invite)))
            .await
            .expect(200);
        assert_eq!(public["existing_account"], true);
        // A member cannot issue resets.
        let plain = server.seed_member(&owner.org_id, Role::Member).await;
        plain
            .client
            .post_empty(&owner.org_path(&format!("/members/{id}/password-reset")))
            .await
            .error(403, "auth.forbidden");
    })
    .await;
}

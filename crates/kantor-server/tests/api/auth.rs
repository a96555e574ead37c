//! Signing in: invites, passwords, rate limits, two-factor login, CSRF and API tokens.

use kantor_server::secrets::totp;
use reqwest::Method;
use serde_json::json;

use crate::common::{invite_token, on_both, str_of, unique, Options, TestServer, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invite_is_accepted_once_and_its_password_signs_in() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let c = &owner.client;

        // An invite without an email: whoever holds the link names their email.
        let invite = c
            .post(&owner.org_path("/invites"), json!({"role": "hr"}))
            .await
            .expect(201);
        assert_eq!(invite["state"], "open");
        assert!(invite["email"].is_null());
        let token = invite_token(&invite);
        let anon = server.client();
        let public = anon
            .get(&format!("/api/v1/invites/{token}"))
            .await
            .expect(200);
        assert_eq!(public["org_name"], "Dinas Kominfo Luwu");
        assert_eq!(public["role"], "hr");
        assert_eq!(public["existing_account"], false);
        assert!(public["email"].is_null());

        let email = format!("rina-{}@luwu.go.id", unique());
        let accept = json!({"name": "Rina Wijaya", "email": email, "password": PASSWORD,
                            "time_zone": "Asia/Makassar", "language": "en"});
        let me = anon
            .post(&format!("/api/v1/invites/{token}/accept"), accept.clone())
            .await
            .expect(200);
        assert_eq!(me["user"]["email"], email.as_str());
        assert_eq!(me["user"]["language"], "en");
        assert_eq!(me["memberships"][0]["org"]["id"], owner.org_id.as_str());
        assert_eq!(me["memberships"][0]["role"], "hr");
        // Accepting signed them in.
        assert_eq!(
            anon.get("/api/v1/me").await.expect(200)["user"]["id"],
            me["user"]["id"]
        );
        // The password they chose signs in on a fresh client.
        let again = server.login_ok(&email, PASSWORD).await;
        assert_eq!(
            again.get("/api/v1/me").await.expect(200)["user"]["id"],
            me["user"]["id"]
        );

        // The link is spent, for viewing and for accepting.
        let other = server.client();
        other
            .get(&format!("/api/v1/invites/{token}"))
            .await
            .error(410, "invite.used");
        let mut reuse = accept.clone();
        reuse["email"] = json!(format!("eve-{}@luwu.go.id", unique()));
        other
            .post(&format!("/api/v1/invites/{token}/accept"), reuse)
            .await
            .error(410, "invite.used");
        other.get("/api/v1/me").await.error(401, "auth.required");
        let list = c.get(&owner.org_path("/invites")).await.expect(200);
        assert_eq!(list[0]["state"], "used");
        let members = c.get(&owner.org_path("/members")).await.expect(200);
        assert_eq!(members["items"].as_array().map(Vec::len), Some(2));

        // Inviting someone who is already a member is refused.
        let r = c
            .post(
                &owner.org_path("/invites"),
                json!({"email": email.to_uppercase(), "role": "member"}),
            )
            .await;
        assert_eq!(r.error(409, "member.email_taken")["field"], "email");
        c.post(
            &owner.org_path("/invites"),
            json!({"email": owner.email, "role": "admin"}),
        )
        .await
        .error(409, "member.email_taken");

        // A revoked link is dead.
        let revoked = c
            .post(
                &owner.org_path("/invites"),
                json!({"email": format!("dodi-{}@luwu.go.id", unique()), "role": "member"}),
            )
            .await
            .expect(201);
        c.delete(&owner.org_path(&format!("/invites/{}", str_of(&revoked["id"]))))
            .await
            .expect(204);
        let token = invite_token(&revoked);
        anon.get(&format!("/api/v1/invites/{token}"))
            .await
            .error(410, "invite.revoked");
        server
            .client()
            .post(
                &format!("/api/v1/invites/{token}/accept"),
                json!({"name": "Dodi", "password": PASSWORD, "time_zone": "Asia/Jakarta", "language": "id"}),
            )
            .await
            .error(410, "invite.revoked");

        // An expired link is dead too (the clock moves, nobody waits).
        let expiring = c
            .post(
                &owner.org_path("/invites"),
                json!({"role": "member", "expires_in_hours": 1}),
            )
            .await
            .expect(201);
        let token = invite_token(&expiring);
        anon.get(&format!("/api/v1/invites/{token}"))
            .await
            .expect(200);
        server.clock.advance_ms(3_600_000 + 1);
        anon.get(&format!("/api/v1/invites/{token}"))
            .await
            .error(410, "invite.expired");
        let late = json!({"name": "Telat", "email": format!("telat-{}@luwu.go.id", unique()),
                          "password": PASSWORD, "time_zone": "Asia/Jakarta", "language": "id"});
        server
            .client()
            .post(&format!("/api/v1/invites/{token}/accept"), late)
            .await
            .error(410, "invite.expired");
        let states: Vec<String> = c
            .get(&owner.org_path("/invites"))
            .await
            .expect(200)
            .as_array()
            .expect("invites")
            .iter()
            .map(|i| str_of(&i["state"]))
            .collect();
        assert_eq!(states, vec!["expired", "revoked", "used"], "newest first");
        let members = c.get(&owner.org_path("/members")).await.expect(200);
        assert_eq!(members["items"].as_array().map(Vec::len), Some(2));
        // An unknown link is not found.
        anon.get("/api/v1/invites/ki_nonsense")
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_look_alike_and_are_rate_limited() {
    on_both(|backend| async move {
        let options = Options {
            configure: std::sync::Arc::new(|c| c.login_attempts_per_email = 3),
            ..Options::default()
        };
        let server = TestServer::start_with(backend, options).await;
        let owner = server.setup_owner().await;

        let wrong = server.login(&owner.email, "salah-sekali-123").await;
        wrong.error(401, "auth.invalid_credentials");
        let unknown = server
            .login(
                &format!("nobody-{}@luwu.go.id", unique()),
                "salah-sekali-123",
            )
            .await;
        assert_eq!(
            (unknown.status, &unknown.body),
            (wrong.status, &wrong.body),
            "an unknown email gets the same answer as a wrong password"
        );
        let wrong_case = server
            .login(&owner.email.to_uppercase(), "salah-lagi-123")
            .await;
        wrong_case.error(401, "auth.invalid_credentials");
        server
            .login(&owner.email, "salah-terus-123")
            .await
            .error(401, "auth.invalid_credentials");
        // Three attempts for this email used up: even the right password waits now.
        let limited = server.login(&owner.email, PASSWORD).await;
        limited.error(429, "auth.rate_limited");
        let limited_client = server.client();
        limited_client
            .post(
                "/api/v1/auth/login",
                json!({"email": owner.email, "password": PASSWORD}),
            )
            .await
            .error(429, "auth.rate_limited");
        limited_client
            .get("/api/v1/me")
            .await
            .error(401, "auth.required");
        // An open invite link is no way around the limit: checking an existing account's
        // password there counts as a login attempt.
        let invite = owner
            .client
            .post(&owner.org_path("/invites"), json!({"role": "member"}))
            .await
            .expect(201);
        server
            .client()
            .post(
                &format!(
                    "/api/v1/invites/{}/accept",
                    crate::common::invite_token(&invite)
                ),
                json!({"name": "Tebakan", "email": owner.email, "password": PASSWORD,
                       "time_zone": "Asia/Jakarta", "language": "id"}),
            )
            .await
            .error(429, "auth.rate_limited");
        // The window passes.
        server.clock.advance_ms(15 * 60 * 1000 + 1);
        server.login_ok(&owner.email, PASSWORD).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_login_needs_the_current_code() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let c = &owner.client;
        c.post("/api/v1/me/totp/enable", json!({"code": "123456"}))
            .await
            .error(409, "totp.not_set_up");
        let setup = c.post_empty("/api/v1/me/totp/setup").await.expect(200);
        let secret = str_of(&setup["secret"]);
        assert!(str_of(&setup["otpauth_url"]).starts_with("otpauth://totp/Kantor:"));
        // Not required until enabled.
        assert_eq!(
            c.get("/api/v1/me").await.expect(200)["user"]["totp_enabled"],
            false
        );
        let now = server.clock.now_ms();
        let code = totp::code_at(&secret, now);
        let wrong = wrong_code(&secret, now);
        c.post("/api/v1/me/totp/enable", json!({"code": wrong}))
            .await
            .error(422, "auth.totp_invalid");
        c.post("/api/v1/me/totp/enable", json!({"code": code}))
            .await
            .expect(204);
        assert_eq!(
            c.get("/api/v1/me").await.expect(200)["user"]["totp_enabled"],
            true
        );

        let login = |code: Option<String>| {
            let mut body = json!({"email": owner.email, "password": PASSWORD});
            if let Some(code) = code {
                body["totp_code"] = json!(code);
            }
            let client = server.client();
            async move {
                let r = client.post("/api/v1/auth/login", body).await;
                (client, r)
            }
        };
        let (anon, r) = login(None).await;
        r.error(401, "auth.totp_required");
        anon.get("/api/v1/me").await.error(401, "auth.required");
        // Time moves on; the code from then no longer works, nor does a wrong one.
        server.clock.advance_ms(5 * 60 * 1000);
        let now = server.clock.now_ms();
        let (_, r) = login(Some(code.clone())).await;
        r.error(401, "auth.totp_invalid");
        let (_, r) = login(Some(wrong_code(&secret, now))).await;
        r.error(401, "auth.totp_invalid");
        let (signed_in, r) = login(Some(totp::code_at(&secret, now))).await;
        r.expect(200);
        assert_eq!(
            signed_in.get("/api/v1/me").await.expect(200)["user"]["id"],
            owner.id.as_str()
        );
        c.post_empty("/api/v1/me/totp/setup")
            .await
            .error(409, "totp.already_enabled");
    })
    .await;
}

/// A six-digit code that is valid neither now nor one step either side.
fn wrong_code(secret: &str, now: i64) -> String {
    let valid: Vec<String> = [-30_000, 0, 30_000]
        .iter()
        .map(|d| totp::code_at(secret, now + d))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .expect("a wrong code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_writes_need_the_csrf_header_and_bearer_writes_do_not() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let c = &owner.client;
        let units = owner.org_path("/units");

        let r = c
            .send(
                c.request_without_csrf(Method::POST, &units)
                    .json(&json!({"name": "Bidang Tanpa Token"})),
            )
            .await;
        r.error(403, "auth.csrf_invalid");
        let r = c
            .send(
                c.request_without_csrf(Method::POST, &units)
                    .header("x-csrf-token", "guessed-token")
                    .json(&json!({"name": "Bidang Tebakan"})),
            )
            .await;
        r.error(403, "auth.csrf_invalid");
        let r = c
            .send(
                c.request_without_csrf(Method::PATCH, "/api/v1/me")
                    .json(&json!({"name": "Diganti Orang Lain"})),
            )
            .await;
        r.error(403, "auth.csrf_invalid");
        let r = c
            .send(c.request_without_csrf(Method::POST, "/api/v1/auth/logout-all"))
            .await;
        r.error(403, "auth.csrf_invalid");
        // Nothing changed, and the session still works.
        assert_eq!(c.get(&units).await.expect(200), json!([]));
        assert_eq!(
            c.get("/api/v1/me").await.expect(200)["user"]["name"],
            owner.name.as_str()
        );

        // With the header it works; with an API token no header is needed.
        c.post(&units, json!({"name": "Bidang TIK"}))
            .await
            .expect(201);
        let token = c
            .post("/api/v1/me/tokens", json!({"name": "skrip"}))
            .await
            .expect(201);
        let bot = server.bearer(&str_of(&token["token"]));
        let me = bot.get("/api/v1/me").await.expect(200);
        assert!(me["csrf_token"].is_null(), "API tokens get no CSRF token");
        bot.post(&units, json!({"name": "Bidang Statistik"}))
            .await
            .expect(201);
        assert_eq!(
            c.get(&units).await.expect(200).as_array().map(Vec::len),
            Some(2)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_on_the_next_request() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let c = &owner.client;
        let created = c
            .post("/api/v1/me/tokens", json!({"name": "laporan harian"}))
            .await
            .expect(201);
        let secret = str_of(&created["token"]);
        assert!(secret.starts_with("kt_"));
        let listed = c.get("/api/v1/me/tokens").await.expect(200);
        assert_eq!(listed[0]["name"], "laporan harian");
        assert!(
            !listed.to_string().contains(&secret),
            "the secret is shown once"
        );

        let bot = server.bearer(&secret);
        // Warm the auth cache, then revoke: the very next request is refused.
        for _ in 0..3 {
            assert_eq!(
                bot.get("/api/v1/me").await.expect(200)["user"]["id"],
                owner.id.as_str()
            );
        }
        c.delete(&format!("/api/v1/me/tokens/{}", str_of(&created["id"])))
            .await
            .expect(204);
        bot.get("/api/v1/me").await.error(401, "auth.required");
        bot.get(&owner.org_path("/units"))
            .await
            .error(401, "auth.required");
        assert_eq!(c.get("/api/v1/me/tokens").await.expect(200), json!([]));
        server
            .bearer("kt_made-up")
            .get("/api/v1/me")
            .await
            .error(401, "auth.required");
        // The audit log shows the token was issued.
        let audit = c.get(&owner.org_path("/audit")).await.expect(200);
        assert!(audit["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|e| e["action"] == "token.issue" && e["target"] == created["id"]));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_can_require_two_factor_login_for_admins() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let admin = server
            .seed_member(&owner.org_id, kantor_core::role::Role::Admin)
            .await;
        let member = server
            .seed_member(&owner.org_id, kantor_core::role::Role::Member)
            .await;
        let org = owner
            .client
            .patch(&owner.org_path(""), json!({"require_2fa_for_admins": true}))
            .await
            .expect(200);
        assert_eq!(org["require_2fa_for_admins"], true);

        let units = owner.org_path("/units");
        // Admins without a second factor read, but do not administer.
        for admin in [&owner, &admin] {
            admin
                .client
                .post(&units, json!({"name": "Bidang TIK"}))
                .await
                .error(403, "auth.totp_setup_required");
            admin
                .client
                .post(&owner.org_path("/invites"), json!({"role": "member"}))
                .await
                .error(403, "auth.totp_setup_required");
            admin.client.get(&units).await.expect(200);
            admin
                .client
                .get(&owner.org_path("/members"))
                .await
                .expect(200);
        }
        // Members are unaffected: what they could not do, they still cannot.
        member
            .client
            .post(&units, json!({"name": "Bidang TIK"}))
            .await
            .error(403, "auth.forbidden");
        member.client.get(&units).await.expect(200);

        let setup = owner
            .client
            .post_empty("/api/v1/me/totp/setup")
            .await
            .expect(200);
        let code = totp::code_at(&str_of(&setup["secret"]), server.clock.now_ms());
        owner
            .client
            .post("/api/v1/me/totp/enable", json!({"code": code}))
            .await
            .expect(204);
        owner
            .client
            .post(&units, json!({"name": "Bidang TIK"}))
            .await
            .expect(201);
        admin
            .client
            .post(&units, json!({"name": "Bidang Humas"}))
            .await
            .error(403, "auth.totp_setup_required");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_without_an_email_cannot_claim_an_imported_account() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let other_org = server.seed_org("Dinas Tetangga").await;
        let email = format!("siti.{}@luwu.go.id", unique());
        let preview = owner
            .client
            .send_bytes(
                reqwest::Method::POST,
                &owner.org_path("/imports"),
                "text/csv",
                format!("name,email\nSiti Rahma,{email}\n"),
            )
            .await
            .expect(201);
        let imported = owner
            .client
            .post(
                &owner.org_path(&format!("/imports/{}/confirm", str_of(&preview["id"]))),
                json!({}),
            )
            .await
            .expect(200);
        let sitis_link = invite_token(&imported["invites"][0]);

        // Links meant for anyone, of this organisation and of another, typed with Siti's email.
        for admin in [&owner, &other_org] {
            let open = admin
                .client
                .post(&admin.org_path("/invites"), json!({"role": "admin"}))
                .await
                .expect(201);
            let r = server
                .client()
                .post(
                    &format!("/api/v1/invites/{}/accept", invite_token(&open)),
                    json!({"name": "Bukan Siti", "email": email, "password": "sandi-penyusup-123",
                           "time_zone": "Asia/Jakarta", "language": "id"}),
                )
                .await;
            assert_eq!(r.error(409, "member.email_taken")["field"], "email");
        }
        server
            .login(&email, "sandi-penyusup-123")
            .await
            .error(401, "auth.invalid_credentials");
        let members = owner
            .client
            .send(
                owner
                    .client
                    .request(reqwest::Method::GET, &owner.org_path("/members"))
                    .query(&[("q", email.as_str())]),
            )
            .await
            .expect(200);
        assert_eq!(members["items"][0]["status"], "invited");
        assert_eq!(members["items"][0]["name"], "Siti Rahma");

        // Siti's own link still works and asks for no existing password.
        let anon = server.client();
        let public = anon
            .get(&format!("/api/v1/invites/{sitis_link}"))
            .await
            .expect(200);
        assert_eq!(public["existing_account"], false);
        let me = anon
            .post(
                &format!("/api/v1/invites/{sitis_link}/accept"),
                json!({"name": "Siti Rahma", "password": PASSWORD,
                       "time_zone": "Asia/Makassar", "language": "id"}),
            )
            .await
            .expect(200);
        assert_eq!(me["memberships"][0]["status"], "active");
        assert_eq!(me["memberships"][0]["role"], "member");
    })
    .await;
}

//! One-time actions stay one-time when requests race (double clicks, retries, two admins).

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::json;

use crate::common::{invite_token, on_both, str_of, unique, Resp, TestServer, PASSWORD};

const RACERS: usize = 4;

/// `(status, code)` → how many answers had it.
fn tally(answers: &[Resp]) -> BTreeMap<(u16, String), usize> {
    let mut out = BTreeMap::new();
    for r in answers {
        *out.entry((r.status, r.code().to_string())).or_insert(0) += 1;
    }
    out
}

fn expected(ok: u16, loser: (u16, &str)) -> BTreeMap<(u16, String), usize> {
    BTreeMap::from([
        ((ok, String::new()), 1),
        ((loser.0, loser.1.to_string()), RACERS - 1),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_setups_create_one_organisation() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let token = server.setup_token.clone().expect("setup token");
        let answers = futures::future::join_all((0..RACERS).map(|i| {
            let client = server.client();
            let body = json!({
                "token": token, "org_name": format!("Dinas {i}"), "name": format!("Pemilik {i}"),
                "email": format!("pemilik-{i}-{}@luwu.go.id", unique()), "password": PASSWORD,
                "time_zone": "Asia/Jakarta", "language": "id"
            });
            async move { client.post("/api/v1/setup", body).await }
        }))
        .await;
        assert_eq!(
            tally(&answers),
            expected(200, (409, "setup.already_done")),
            "{:?}",
            answers.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let mut conn = server
            .state()
            .store
            .reader()
            .acquire()
            .await
            .expect("connection");
        assert_eq!(
            kantor_store::orgs::count_orgs(&mut conn)
                .await
                .expect("count"),
            1
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_import_confirms_import_once() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let u = unique();
        let csv: String = std::iter::once("nama;email;unit kerja".to_string())
            .chain((0..10).map(|i| {
                format!(
                    "Pegawai {i};pegawai{i}.{u}@luwu.go.id;Dinas/Bidang {}",
                    i % 3
                )
            }))
            .collect::<Vec<_>>()
            .join("\n");
        let preview = owner
            .client
            .send_bytes(Method::POST, &owner.org_path("/imports"), "text/csv", csv)
            .await
            .expect(201);
        let confirm = owner.org_path(&format!("/imports/{}/confirm", str_of(&preview["id"])));
        let answers = futures::future::join_all(
            (0..RACERS).map(|_| owner.client.post(&confirm, json!({"skip_invalid": true}))),
        )
        .await;
        assert_eq!(
            tally(&answers),
            expected(200, (409, "import.already_confirmed")),
            "{:?}",
            answers.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let org = owner.client.get(&owner.org_path("")).await.expect(200);
        assert_eq!(org["member_count"], 11);
        let units = owner
            .client
            .get(&owner.org_path("/units"))
            .await
            .expect(200);
        assert_eq!(
            units.as_array().map(Vec::len),
            Some(4),
            "Dinas and three Bidang, once"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_accepts_use_an_invite_once() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let invite = owner
            .client
            .post(&owner.org_path("/invites"), json!({"role": "member"}))
            .await
            .expect(201);
        let token = invite_token(&invite);
        let answers = futures::future::join_all((0..RACERS).map(|i| {
            let client = server.client();
            let body = json!({"name": format!("Tamu {i}"), "email": format!("tamu-{i}-{}@luwu.go.id", unique()),
                              "password": PASSWORD, "time_zone": "Asia/Jakarta", "language": "id"});
            let path = format!("/api/v1/invites/{token}/accept");
            async move { client.post(&path, body).await }
        }))
        .await;
        assert_eq!(
            tally(&answers),
            expected(200, (410, "invite.used")),
            "{:?}",
            answers.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let org = owner.client.get(&owner.org_path("")).await.expect(200);
        assert_eq!(org["member_count"], 2);
    })
    .await;
}

/// Runs `requests` while this test holds a row lock (PostgreSQL) taken by `lock_sql`, and lets
/// them go together once `waiters` of them wait on a lock: timing alone rarely lines racing
/// requests up inside their transactions, this does.
async fn released_together<F: std::future::Future>(
    server: &TestServer,
    lock_sql: &str,
    bind: &str,
    waiters: i64,
    requests: F,
) -> F::Output {
    let store = server.state().store.clone();
    let mut blocker = store.begin().await.expect("begin");
    sqlx::query(lock_sql)
        .bind(bind)
        .fetch_one(blocker.conn())
        .await
        .expect("lock the row");
    let release = async {
        let deadline = tokio::time::Instant::now() + crate::common::WAIT;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the requests never waited on the row"
            );
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(store.reader())
            .await
            .expect("pg_stat_activity");
            if waiting >= waiters {
                break;
            }
            tokio::task::yield_now().await;
        }
        drop(blocker);
    };
    let (out, ()) = tokio::join!(requests, release);
    out
}

fn sorted_answers(answers: &[Resp]) -> Vec<(u16, String)> {
    let mut out: Vec<(u16, String)> = answers
        .iter()
        .map(|r| (r.status, r.code().to_string()))
        .collect();
    out.sort();
    out
}

/// Two setups that both got past the "no organisation yet" check must not both complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setups_released_together_create_one_organisation() {
    let server = TestServer::start(kantor_store::testing::TestBackend::Postgres).await;
    let token = server.setup_token.clone().expect("setup token");
    let setups = futures::future::join_all((0..2).map(|i| {
        let client = server.client();
        let body = json!({
            "token": token, "org_name": format!("Dinas {i}"), "name": format!("Pemilik {i}"),
            "email": format!("pemilik-{i}-{}@luwu.go.id", unique()), "password": PASSWORD,
            "time_zone": "Asia/Jakarta", "language": "id"
        });
        async move { client.post("/api/v1/setup", body).await }
    }));
    let answers = released_together(
        &server,
        "SELECT value FROM settings WHERE key = $1 FOR UPDATE",
        kantor_server::api::setup::SETUP_TOKEN_KEY,
        2,
        setups,
    )
    .await;
    assert_eq!(
        sorted_answers(&answers),
        vec![
            (200, String::new()),
            (409, "setup.already_done".to_string())
        ],
        "{:?}",
        answers.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    let mut conn = server
        .state()
        .store
        .reader()
        .acquire()
        .await
        .expect("connection");
    assert_eq!(
        kantor_store::orgs::count_orgs(&mut conn)
            .await
            .expect("count"),
        1
    );
}

/// Two uses of one reset link: one sets the password, the other is told the link is used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resets_released_together_use_the_link_once() {
    let server = TestServer::start(kantor_store::testing::TestBackend::Postgres).await;
    let owner = server.setup_owner().await;
    let member = server.invite_and_accept(&owner, "member").await;
    let link = owner
        .client
        .post_empty(&owner.org_path(&format!("/members/{}/password-reset", member.id)))
        .await
        .expect(200);
    let token = str_of(&link["url"])
        .rsplit('/')
        .next()
        .expect("token")
        .to_string();
    let passwords = ["sandi-pertama-panjang", "sandi-kedua-panjang"];
    let resets = futures::future::join_all(passwords.iter().map(|p| {
        let client = server.client();
        let path = format!("/api/v1/password-resets/{token}");
        async move { client.post(&path, json!({"password": p})).await }
    }));
    let answers = released_together(
        &server,
        "SELECT id FROM password_resets WHERE user_id = $1 FOR UPDATE",
        &member.id,
        2,
        resets,
    )
    .await;
    assert_eq!(
        sorted_answers(&answers),
        vec![(204, String::new()), (410, "reset.used".to_string())],
        "{:?}",
        answers.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    // The password of the request that was told "done" is the one that works.
    let winner = answers
        .iter()
        .position(|r| r.status == 204)
        .expect("a winner");
    server.login_ok(&member.email, passwords[winner]).await;
    server
        .login(&member.email, passwords[1 - winner])
        .await
        .error(401, "auth.invalid_credentials");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_clicked_accept_joins_once() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let invite = owner
            .client
            .post(&owner.org_path("/invites"), json!({"role": "member"}))
            .await
            .expect(201);
        let token = invite_token(&invite);
        let email = format!("tamu-{}@luwu.go.id", unique());
        let answers = futures::future::join_all((0..RACERS).map(|_| {
            let client = server.client();
            let body = json!({"name": "Tamu", "email": email,
                              "password": PASSWORD, "time_zone": "Asia/Jakarta", "language": "id"});
            let path = format!("/api/v1/invites/{token}/accept");
            async move { client.post(&path, body).await }
        }))
        .await;
        assert_eq!(
            tally(&answers),
            expected(200, (410, "invite.used")),
            "{:?}",
            answers.iter().map(ToString::to_string).collect::<Vec<_>>()
        );
        let org = owner.client.get(&owner.org_path("")).await.expect(200);
        assert_eq!(org["member_count"], 2);
    })
    .await;
}

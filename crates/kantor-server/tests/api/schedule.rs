//! Scheduling: the organisation's holidays (admins keep them, everyone reads them) — on SQLite
//! and PostgreSQL.

use kantor_core::role::Role;
use serde_json::json;

use crate::common::{on_both, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holidays_are_kept_by_admins_and_read_by_everyone() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let day = |d: &str| owner.org_path(&format!("/holidays/{d}"));

        owner
            .client
            .put(&day("2026-12-25"), json!({"name": "Hari Raya Natal"}))
            .await
            .expect(200);
        owner
            .client
            .put(&day("2026-12-24"), json!({"name": "Cuti bersama"}))
            .await
            .expect(200);
        owner
            .client
            .put(&day("2027-01-01"), json!({"name": "Tahun Baru"}))
            .await
            .expect(200);
        // Renaming is a put again.
        owner
            .client
            .put(&day("2026-12-24"), json!({"name": "Cuti bersama Natal"}))
            .await
            .expect(200);
        let list = member
            .client
            .get(&member.org_path("/holidays?year=2026"))
            .await
            .expect(200);
        assert_eq!(
            list,
            json!([
                {"day": "2026-12-24", "name": "Cuti bersama Natal"},
                {"day": "2026-12-25", "name": "Hari Raya Natal"}
            ])
        );

        // Bad input changes nothing.
        for bad in ["2026-02-30", "25-12-2026", "2026-1-1", "kemarin"] {
            owner
                .client
                .put(&day(bad), json!({"name": "X"}))
                .await
                .error(422, "validation.invalid");
        }
        owner
            .client
            .put(&day("2026-08-17"), json!({"name": " "}))
            .await
            .error(422, "validation.required");
        member
            .client
            .put(&day("2026-08-17"), json!({"name": "Kemerdekaan"}))
            .await
            .error(403, "auth.forbidden");
        member
            .client
            .get(&member.org_path("/holidays?year=99999"))
            .await
            .error(422, "validation.invalid");

        owner.client.delete(&day("2026-12-24")).await.expect(204);
        owner
            .client
            .delete(&day("2026-12-24"))
            .await
            .error(404, "not_found");
        let list = member
            .client
            .get(&member.org_path("/holidays?year=2026"))
            .await
            .expect(200);
        assert_eq!(list.as_array().map(Vec::len), Some(1));
    })
    .await;
}

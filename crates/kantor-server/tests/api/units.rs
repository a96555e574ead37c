//! The unit tree: create, move, cycles, deleting, leaders.

use kantor_core::role::Role;
use serde_json::{json, Value};

use crate::common::{on_both, str_of, TestServer, User};

/// `(name, parent name)` of every unit, sorted by name.
async fn tree(owner: &User) -> Vec<(String, Option<String>)> {
    let units = owner
        .client
        .get(&owner.org_path("/units"))
        .await
        .expect(200);
    let units = units.as_array().expect("units");
    let name_of = |id: &Value| {
        units
            .iter()
            .find(|u| u["id"] == *id)
            .map(|u| str_of(&u["name"]))
    };
    let mut out: Vec<(String, Option<String>)> = units
        .iter()
        .map(|u| (str_of(&u["name"]), name_of(&u["parent_id"])))
        .collect();
    out.sort();
    out
}

fn pair(name: &str, parent: Option<&str>) -> (String, Option<String>) {
    (name.to_string(), parent.map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn units_form_a_tree_without_cycles() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        let units = owner.org_path("/units");
        let unit_path = |id: &str| owner.org_path(&format!("/units/{id}"));

        let dinas = o.post(&units, json!({"name": "Dinas"})).await.expect(201);
        let dinas_id = str_of(&dinas["id"]);
        assert!(dinas["parent_id"].is_null());
        let bidang = o
            .post(&units, json!({"name": "Bidang", "parent_id": dinas_id}))
            .await
            .expect(201);
        let bidang_id = str_of(&bidang["id"]);
        assert_eq!(bidang["parent_id"], dinas_id.as_str());
        let seksi = o
            .post(&units, json!({"name": "Seksi", "parent_id": bidang_id}))
            .await
            .expect(201);
        let seksi_id = str_of(&seksi["id"]);
        assert_eq!(
            tree(&owner).await,
            vec![
                pair("Bidang", Some("Dinas")),
                pair("Dinas", None),
                pair("Seksi", Some("Bidang"))
            ]
        );

        // Move to the top, then under another unit; renaming keeps the parent.
        let moved = o
            .patch(&unit_path(&seksi_id), json!({"parent_id": ""}))
            .await
            .expect(200);
        assert!(moved["parent_id"].is_null());
        o.patch(&unit_path(&seksi_id), json!({"parent_id": dinas_id}))
            .await
            .expect(200);
        o.patch(&unit_path(&seksi_id), json!({"name": "Seksi Jaringan"}))
            .await
            .expect(200);
        assert_eq!(
            tree(&owner).await,
            vec![
                pair("Bidang", Some("Dinas")),
                pair("Dinas", None),
                pair("Seksi Jaringan", Some("Dinas"))
            ]
        );

        // Under itself or its own descendant: refused, nothing moves.
        o.patch(&unit_path(&dinas_id), json!({"parent_id": bidang_id}))
            .await
            .error(409, "unit.cycle");
        o.patch(&unit_path(&dinas_id), json!({"parent_id": dinas_id}))
            .await
            .error(409, "unit.cycle");
        o.patch(&unit_path(&bidang_id), json!({"parent_id": bidang_id}))
            .await
            .error(409, "unit.cycle");
        assert_eq!(
            tree(&owner).await,
            vec![
                pair("Bidang", Some("Dinas")),
                pair("Dinas", None),
                pair("Seksi Jaringan", Some("Dinas"))
            ]
        );

        // A unit with sub-units or members is not deleted.
        o.delete(&unit_path(&dinas_id))
            .await
            .error(409, "unit.not_empty");
        let member = server.seed_member(&owner.org_id, Role::Member).await;
        let member_path = owner.org_path(&format!("/members/{}", member.id));
        o.patch(&member_path, json!({"unit_id": bidang_id}))
            .await
            .expect(200);
        let listed = o.get(&units).await.expect(200);
        let count = |id: &str| {
            listed
                .as_array()
                .expect("units")
                .iter()
                .find(|u| u["id"] == id)
                .map(|u| u["member_count"].clone())
        };
        assert_eq!(count(&bidang_id), Some(json!(1)));
        assert_eq!(count(&dinas_id), Some(json!(0)), "direct members only");
        o.delete(&unit_path(&bidang_id))
            .await
            .error(409, "unit.not_empty");
        o.delete(&unit_path(&seksi_id)).await.expect(204);
        o.patch(&member_path, json!({"unit_id": ""}))
            .await
            .expect(200);
        assert!(o.get(&member_path).await.expect(200)["unit_id"].is_null());
        o.delete(&unit_path(&bidang_id)).await.expect(204);
        o.delete(&unit_path(&dinas_id)).await.expect(204);
        assert_eq!(o.get(&units).await.expect(200), json!([]));
        o.delete(&unit_path(&dinas_id))
            .await
            .error(404, "not_found");
        o.patch(&unit_path(&dinas_id), json!({"name": "Hantu"}))
            .await
            .error(404, "not_found");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_leader_must_be_a_member() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        let units = owner.org_path("/units");
        let leader = server.seed_member(&owner.org_id, Role::Member).await;
        let outsider = server.seed_org("Dinas Tetangga").await;

        for candidate in [
            uuid::Uuid::now_v7().to_string(),
            "bukan-id".to_string(),
            outsider.id.clone(),
        ] {
            let r = o
                .post(
                    &units,
                    json!({"name": "Seksi Aplikasi", "leader_user_id": candidate}),
                )
                .await;
            assert_eq!(
                r.error(422, "validation.invalid")["field"],
                "leader_user_id"
            );
        }
        assert_eq!(o.get(&units).await.expect(200), json!([]));

        let me = leader.client.get("/api/v1/me").await.expect(200);
        assert_eq!(me["memberships"][0]["is_leader"], false);
        let unit = o
            .post(
                &units,
                json!({"name": "Seksi Aplikasi", "leader_user_id": leader.id}),
            )
            .await
            .expect(201);
        assert_eq!(unit["leader_user_id"], leader.id.as_str());
        assert_eq!(
            unit["leader_name"],
            leader.name.as_str(),
            "the tree shows the leader by name"
        );
        let me = leader.client.get("/api/v1/me").await.expect(200);
        assert_eq!(me["memberships"][0]["is_leader"], true);

        let unit_path = owner.org_path(&format!("/units/{}", str_of(&unit["id"])));
        o.patch(&unit_path, json!({"leader_user_id": outsider.id}))
            .await
            .error(422, "validation.invalid");
        let cleared = o
            .patch(&unit_path, json!({"leader_user_id": ""}))
            .await
            .expect(200);
        assert!(cleared["leader_user_id"].is_null() && cleared["leader_name"].is_null());
        let me = leader.client.get("/api/v1/me").await.expect(200);
        assert_eq!(me["memberships"][0]["is_leader"], false);
    })
    .await;
}

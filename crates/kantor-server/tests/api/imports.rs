//! Staff import from CSV and XLSX: preview with per-row errors, then confirm.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{invite_token, on_both, str_of, unique, TestServer, User, PASSWORD};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// line → ["field:code", …] for rows with errors.
fn row_errors(preview: &Value) -> BTreeMap<u64, Vec<String>> {
    preview["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| !r["errors"].as_array().expect("errors").is_empty())
        .map(|r| {
            let errors = r["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .map(|e| format!("{}:{}", str_of(&e["field"]), str_of(&e["code"])))
                .collect();
            (r["line"].as_u64().expect("line"), errors)
        })
        .collect()
}

async fn member_count(owner: &User) -> i64 {
    owner.client.get(&owner.org_path("")).await.expect(200)["member_count"]
        .as_i64()
        .expect("member_count")
}

/// name → (id, parent name)
async fn units_by_name(owner: &User) -> BTreeMap<String, (String, Option<String>)> {
    let units = owner
        .client
        .get(&owner.org_path("/units"))
        .await
        .expect(200);
    let units = units.as_array().expect("units");
    units
        .iter()
        .map(|u| {
            let parent = units
                .iter()
                .find(|p| p["id"] == u["parent_id"])
                .map(|p| str_of(&p["name"]));
            (str_of(&u["name"]), (str_of(&u["id"]), parent))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_import_previews_row_errors_and_confirms_once() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        let u = unique();
        let csv = format!(
            "nama;email;nip;unit kerja;jabatan;zona waktu\n\
             Siti Rahma;siti.{u}@luwu.go.id;198701012010;Dinas Kominfo/Bidang TIK;Pranata Komputer;WITA\n\
             Andi Wijaya;andi.{u}@luwu.go.id;198702022011; Dinas Kominfo / Bidang TIK / Seksi Jaringan ;Staf;Asia/Jakarta\n\
             Email Rusak;bukan-email;198703032012;Dinas Kominfo;Staf;WIB\n\
             Zona Salah;zona.{u}@luwu.go.id;198704042013;Dinas Kominfo;Staf;Mars/Olympus\n\
             ;tanpa-nama.{u}@luwu.go.id;198705052014;;;\n\
             Siti Kembar;SITI.{u}@luwu.go.id;198706062015;;;\n\
             Pemilik;{};;;;\n",
            owner.email
        );
        let before = member_count(&owner).await;
        let preview = o
            .send_bytes(Method::POST, &owner.org_path("/imports"), "text/csv", csv)
            .await
            .expect(201);
        assert_eq!(preview["status"], "preview");
        assert_eq!(preview["valid_count"], 2);
        assert_eq!(preview["error_count"], 5);
        let expected: BTreeMap<u64, Vec<String>> = [
            (4, vec!["email:validation.email"]),
            (5, vec!["time_zone:validation.time_zone"]),
            (6, vec!["name:validation.required"]),
            (7, vec!["email:import.duplicate_in_file"]),
            (8, vec!["email:member.email_taken"]),
        ]
        .into_iter()
        .map(|(l, e)| (l, e.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(row_errors(&preview), expected);
        let siti = &preview["rows"][0];
        assert_eq!(siti["unit_path"], "Dinas Kominfo/Bidang TIK");
        assert_eq!(siti["time_zone"], "Asia/Makassar", "WITA is Asia/Makassar");
        assert_eq!(siti["employee_number"], "198701012010");
        assert_eq!(
            preview["rows"][1]["unit_path"],
            "Dinas Kominfo/Bidang TIK/Seksi Jaringan"
        );

        // A preview writes nothing.
        assert_eq!(member_count(&owner).await, before);
        assert!(units_by_name(&owner).await.is_empty());
        let id = str_of(&preview["id"]);
        let again = o
            .get(&owner.org_path(&format!("/imports/{id}")))
            .await
            .expect(200);
        assert_eq!(again, preview, "the preview reads back the same");

        let confirm = owner.org_path(&format!("/imports/{id}/confirm"));
        let r = o.post(&confirm, json!({})).await;
        assert_eq!(r.error(422, "import.has_errors")["field"], "rows");
        o.post(&confirm, json!({"skip_invalid": false}))
            .await
            .error(422, "import.has_errors");
        assert_eq!(member_count(&owner).await, before);

        let result = o
            .post(&confirm, json!({"skip_invalid": true}))
            .await
            .expect(200);
        assert_eq!(result["imported"], 2);
        assert_eq!(result["skipped"], 5);
        assert_eq!(result["units_created"], 3);
        let invites = result["invites"].as_array().expect("invites");
        let emails: Vec<String> = invites.iter().map(|i| str_of(&i["email"])).collect();
        assert_eq!(
            emails,
            vec![format!("siti.{u}@luwu.go.id"), format!("andi.{u}@luwu.go.id")]
        );

        let units = units_by_name(&owner).await;
        assert_eq!(units.len(), 3);
        assert_eq!(units["Dinas Kominfo"].1, None);
        assert_eq!(units["Bidang TIK"].1.as_deref(), Some("Dinas Kominfo"));
        assert_eq!(units["Seksi Jaringan"].1.as_deref(), Some("Bidang TIK"));
        assert_eq!(member_count(&owner).await, before + 2);
        let invited = o
            .send(
                o.request(Method::GET, &owner.org_path("/members"))
                    .query(&[("status", "invited")]),
            )
            .await
            .expect(200);
        let invited = invited["items"].as_array().expect("items");
        assert_eq!(invited.len(), 2);
        let find = |name: &str| {
            invited
                .iter()
                .find(|m| m["name"] == name)
                .unwrap_or_else(|| panic!("{name} imported"))
        };
        let siti = find("Siti Rahma");
        assert_eq!(siti["status"], "invited");
        assert_eq!(siti["role"], "member");
        assert_eq!(siti["unit_id"], units["Bidang TIK"].0.as_str());
        assert_eq!(siti["position"], "Pranata Komputer");
        assert_eq!(siti["employee_number"], "198701012010");
        assert_eq!(siti["time_zone"], "Asia/Makassar");
        assert_eq!(
            find("Andi Wijaya")["unit_id"],
            units["Seksi Jaringan"].0.as_str()
        );

        // Confirming twice is refused and changes nothing.
        o.post(&confirm, json!({"skip_invalid": true}))
            .await
            .error(409, "import.already_confirmed");
        assert_eq!(member_count(&owner).await, before + 2);
        let shown = o
            .get(&owner.org_path(&format!("/imports/{id}")))
            .await
            .expect(200);
        assert_eq!(shown["status"], "confirmed");

        // The imported person's link works and makes them active in their unit.
        let token = invite_token(&invites[0]);
        let anon = server.client();
        let public = anon
            .get(&format!("/api/v1/invites/{token}"))
            .await
            .expect(200);
        assert_eq!(public["email"], format!("siti.{u}@luwu.go.id").as_str());
        assert_eq!(public["existing_account"], false);
        let me = anon
            .post(
                &format!("/api/v1/invites/{token}/accept"),
                json!({"name": "Siti Rahma", "password": PASSWORD,
                       "time_zone": "Asia/Makassar", "language": "id"}),
            )
            .await
            .expect(200);
        assert_eq!(me["memberships"][0]["unit_id"], units["Bidang TIK"].0.as_str());
        assert_eq!(me["memberships"][0]["position"], "Pranata Komputer");
        let siti = o
            .get(&owner.org_path(&format!("/members/{}", str_of(&me["user"]["id"]))))
            .await
            .expect(200);
        assert_eq!(siti["status"], "active");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_import_reads_the_first_sheet() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let o = &owner.client;
        o.post(&owner.org_path("/units"), json!({"name": "Dinas Kominfo"}))
            .await
            .expect(201);
        let u = unique();
        let bytes = xlsx(&[
            [
                "Nama",
                "Email",
                "NIP",
                "Unit Kerja",
                "Jabatan",
                "Zona Waktu",
            ]
            .map(Cell::Text),
            [
                Cell::Text("Budi Hartono"),
                Cell::Text(&format!("budi.{u}@luwu.go.id")),
                Cell::Number(12345.0),
                Cell::Text("dinas kominfo/Bidang Humas"),
                Cell::Text("Pranata Humas"),
                Cell::Text("WIT"),
            ],
            [
                Cell::Text("Wati \"Ibu\" O'Neil 🌺"),
                Cell::Text(&format!("wati.{u}@luwu.go.id")),
                Cell::Number(67890.0),
                Cell::Text(""),
                Cell::Text(""),
                Cell::Text(""),
            ],
        ]);
        let preview = o
            .send_bytes(Method::POST, &owner.org_path("/imports"), XLSX, bytes)
            .await
            .expect(201);
        assert_eq!(preview["error_count"], 0, "{preview}");
        assert_eq!(preview["valid_count"], 2);
        let budi = &preview["rows"][0];
        assert_eq!(budi["employee_number"], "12345", "numbers read as integers");
        assert_eq!(budi["time_zone"], "Asia/Jayapura");
        assert_eq!(preview["rows"][1]["name"], "Wati \"Ibu\" O'Neil 🌺");
        assert_eq!(
            preview["rows"][1]["time_zone"], "Asia/Makassar",
            "the organisation's zone by default"
        );
        let result = o
            .post(
                &owner.org_path(&format!("/imports/{}/confirm", str_of(&preview["id"]))),
                json!({}),
            )
            .await
            .expect(200);
        assert_eq!(result["imported"], 2);
        assert_eq!(
            result["units_created"], 1,
            "an existing unit is matched regardless of case"
        );
        let units = units_by_name(&owner).await;
        assert_eq!(units["Bidang Humas"].1.as_deref(), Some("Dinas Kominfo"));
        assert_eq!(units.len(), 2);

        // Files that are not staff lists are refused with their own codes.
        o.send_bytes(
            Method::POST,
            &owner.org_path("/imports"),
            XLSX,
            vec![0u8, 159, 146, 150, 1, 2, 3],
        )
        .await
        .error(415, "import.unreadable");
        let r = o
            .send_bytes(
                Method::POST,
                &owner.org_path("/imports"),
                "text/csv",
                "nama;telepon\nBudi;0812\n",
            )
            .await;
        assert_eq!(r.error(422, "import.missing_column")["field"], "email");
    })
    .await;
}

enum Cell<'a> {
    Text(&'a str),
    Number(f64),
}

/// An XLSX workbook whose first sheet holds `rows`.
fn xlsx<const N: usize>(rows: &[[Cell<'_>; N]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Cell::Text("") => {}
                Cell::Text(t) => {
                    sheet.write_string(r, c, *t).expect("write a cell");
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n).expect("write a cell");
                }
            }
        }
    }
    book.save_to_buffer().expect("an xlsx file")
}

//! The binary's commands, run as a user would: bootstrap, admin, backup → restore, openapi.

use std::path::Path;
use std::process::{Command, Output};

use kantor_store::testing::{TestBackend, TestDb, BOTH};

fn kantor(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kantor"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("KANTOR_DATABASE_URL")
        .env_remove("KANTOR_NATS_URL")
        .env("KANTOR_MEDIA_PORT", "0")
        .env("KANTOR_MEDIA_BIND", "127.0.0.1");
    if let Some(url) = database_url {
        cmd.env("KANTOR_DATABASE_URL", url);
    }
    let out = cmd.output().expect("kantor runs");
    assert!(
        out.status.success(),
        "kantor {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

#[tokio::test]
async fn bootstrap_backup_and_restore_round_trip_on_both_databases() {
    for backend in BOTH {
        let dir = tempfile::tempdir().expect("tempdir");
        let (source, target) = (
            TestDb::new(backend).await.expect("db"),
            TestDb::new(backend).await.expect("db"),
        );
        let (src_url, dst_url) = match backend {
            TestBackend::Sqlite => (None, None),
            TestBackend::Postgres => (Some(source.url.as_str()), Some(target.url.as_str())),
        };
        let data = dir.path().join("data");
        let pw = dir.path().join("pw");
        std::fs::write(&pw, "rahasia-sekali\n").expect("write password");
        let out = kantor(
            &data,
            src_url,
            &[
                "admin",
                "bootstrap",
                "--org",
                "Dinas Kominfo \"Luwu\"",
                "--email",
                "Admin@Luwu.go.id",
                "--password-file",
                pw.to_str().expect("utf-8"),
                "--print-token",
            ],
        );
        let text = stdout(&out);
        assert!(
            text.contains("org_id=") && text.contains("token=kt_"),
            "{text}"
        );

        let backup = dir.path().join("backup.db");
        kantor(
            &data,
            src_url,
            &["backup", "--output", backup.to_str().expect("utf-8")],
        );
        assert!(backup.metadata().expect("backup written").len() > 0);

        let restored = dir.path().join("restored");
        kantor(
            &restored,
            dst_url,
            &["restore", "--input", backup.to_str().expect("utf-8")],
        );
        let list = stdout(&kantor(&restored, dst_url, &["admin", "user", "list"]));
        assert!(
            list.contains("admin@luwu.go.id")
                && list.contains("Dinas Kominfo \"Luwu\":owner:active"),
            "{backend:?}: {list}"
        );
        let link = stdout(&kantor(
            &restored,
            dst_url,
            &["admin", "user", "reset-link", "--email", "admin@luwu.go.id"],
        ));
        assert!(link.trim().contains("/reset/kr_"), "{link}");
    }
}

#[test]
fn openapi_prints_a_3_1_document() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec: serde_json::Value =
        serde_json::from_str(&stdout(&kantor(dir.path(), None, &["openapi"]))).expect("JSON");
    assert!(spec["openapi"]
        .as_str()
        .expect("version")
        .starts_with("3.1"));
    assert!(spec["paths"]["/api/v1/orgs/{org_id}/members"].is_object());
}

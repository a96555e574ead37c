//! Invites and password resets are emailed through a real SMTP server (aiosmtpd) when SMTP is
//! configured, by the job runner, on both databases.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use kantor_server::{Clock, Config};
use kantor_store::testing::{TestDb, BOTH};

struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        let maildir = tempfile::tempdir().expect("maildir");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
        // Debian's python3 has python3-aiosmtpd (installed by scripts/setup.sh).
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(port.to_string())
            .arg(maildir.path().join("mail"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start aiosmtpd (apt-get install python3-aiosmtpd)");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "READY", "aiosmtpd did not start");
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail").join("new");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            out.push(std::fs::read_to_string(entry.path()).expect("message"));
        }
        out
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn invites_and_resets_are_emailed_by_the_job_runner() {
    let smtp = SmtpServer::start();
    for backend in BOTH {
        let db = TestDb::new(backend).await.expect("db");
        let data = tempfile::tempdir().expect("data");
        let config = Config {
            data_dir: data.path().to_path_buf(),
            database_url: Some(db.url.clone()),
            smtp_url: Some(format!("smtp://127.0.0.1:{}", smtp.port)),
            smtp_from: "Kantor Luwu <noreply@luwu.go.id>".into(),
            media_port: 0,
            ..Config::default()
        };
        let (store, bus) = kantor_server::connect(&config).await.expect("connect");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let server = kantor_server::launch(config, listener, store, bus, Clock::system())
            .await
            .expect("launch");
        let base = format!("http://{}", server.addr);
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        let me: serde_json::Value = http
            .post(format!("{base}/api/v1/setup"))
            .json(&serde_json::json!({
                "token": server.setup_token.clone().expect("setup token"), "org_name": "Dinas Kominfo Luwu",
                "name": "Budi", "email": "budi@luwu.go.id", "password": "rahasia-sekali", "time_zone": "Asia/Makassar", "language": "id"
            }))
            .send()
            .await
            .expect("setup")
            .json()
            .await
            .expect("me");
        let org = me["memberships"][0]["org"]["id"]
            .as_str()
            .expect("org id")
            .to_string();
        let csrf = me["csrf_token"].as_str().expect("csrf").to_string();
        let email = format!("rina-{backend:?}@luwu.go.id").to_lowercase();
        let invite: serde_json::Value = http
            .post(format!("{base}/api/v1/orgs/{org}/invites"))
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"email": email, "role": "member"}))
            .send()
            .await
            .expect("invite")
            .json()
            .await
            .expect("invite json");
        let url = invite["url"].as_str().expect("url").to_string();

        let before = smtp.messages().len();
        let ran = kantor_server::jobs::run_due(&server.state)
            .await
            .expect("jobs");
        assert!(ran >= 1, "the email job ran");
        let messages = smtp.messages();
        if messages.len() != before + 1 {
            let errs: Vec<(String, Option<String>)> =
                sqlx::query_as("SELECT kind, last_error FROM jobs")
                    .fetch_all(server.state.store.reader())
                    .await
                    .expect("jobs");
            panic!("no mail: {errs:?}");
        }
        let mail = messages
            .iter()
            .find(|m| m.contains(&email))
            .expect("mail to the invitee");
        assert!(
            mail.contains("Dinas Kominfo Luwu") && mail.contains(&url),
            "{mail}"
        );
        assert!(mail.contains("noreply@luwu.go.id"));
        // Sent jobs keep no copy of the link.
        let leftovers = server
            .state
            .store
            .jobs_containing(&url)
            .await
            .expect("count");
        assert_eq!(leftovers, 0, "sent email payloads are erased");

        let owner = me["user"]["id"].as_str().expect("user id");
        let reset: serde_json::Value = http
            .post(format!(
                "{base}/api/v1/orgs/{org}/members/{owner}/password-reset"
            ))
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .expect("reset")
            .json()
            .await
            .expect("reset json");
        let reset_url = reset["url"].as_str().expect("reset url");
        kantor_server::jobs::run_due(&server.state)
            .await
            .expect("jobs");
        let reset_mail = smtp
            .messages()
            .into_iter()
            .find(|m| m.contains(reset_url))
            .expect("reset mail");
        assert!(reset_mail.contains("budi@luwu.go.id"));
        server.shutdown().await;
    }
}

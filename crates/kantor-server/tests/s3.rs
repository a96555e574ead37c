//! Files in an S3-compatible bucket (moto's server on loopback): an avatar uploaded through the
//! API is stored in the bucket and served back.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use kantor_server::{Clock, Config};
use kantor_store::testing::{TestBackend, TestDb};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("addr")
            .port();
        // moto[server] from PyPI (scripts/setup.sh installs it for the python3 on PATH).
        let mut child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto (pip install 'moto[server]')");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        loop {
            let line = lines
                .next()
                .expect("moto exited before it was ready")
                .expect("read");
            if line.contains("Running on") {
                break;
            }
        }
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Moto { child, port }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn avatars_are_stored_in_an_s3_bucket() {
    let moto = Moto::start();
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    assert!(http
        .put(format!("{endpoint}/kantor-files"))
        .send()
        .await
        .expect("create bucket")
        .status()
        .is_success());
    // This test binary holds only this test, so setting the process environment is safe here.
    for (k, v) in [
        ("AWS_ENDPOINT", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        std::env::set_var(k, v);
    }
    let db = TestDb::new(TestBackend::Sqlite).await.expect("db");
    let data = tempfile::tempdir().expect("data");
    let config = Config {
        data_dir: data.path().to_path_buf(),
        database_url: Some(db.url.clone()),
        files_url: Some("s3://kantor-files".into()),
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
    let me: serde_json::Value = http
        .post(format!("{base}/api/v1/setup"))
        .json(&serde_json::json!({
            "token": server.setup_token.clone().expect("token"), "org_name": "PT Teknisi Nusantara", "name": "Agus",
            "email": "agus@teknisi.co.id", "password": "rahasia-sekali", "time_zone": "Asia/Jakarta", "language": "id"
        }))
        .send()
        .await
        .expect("setup")
        .json()
        .await
        .expect("me");
    let csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let me: serde_json::Value = http
        .put(format!("{base}/api/v1/me/avatar"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("me");
    let avatar = me["user"]["avatar_url"]
        .as_str()
        .expect("avatar url")
        .to_string();
    let served = http
        .get(format!("{base}{avatar}"))
        .send()
        .await
        .expect("get file");
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PNG);
    assert!(
        !data.path().join("files").exists(),
        "nothing written to local disk"
    );
    let file_id = avatar.rsplit('/').next().expect("id").replace('-', "");
    let listing = http
        .get(format!("{endpoint}/kantor-files?list-type=2"))
        .send()
        .await
        .expect("list bucket");
    let listing = listing.text().await.expect("listing");
    assert!(
        listing.contains(&format!("<Key>files/{file_id}</Key>")),
        "the file is in the bucket: {listing}"
    );
    server.shutdown().await;
}

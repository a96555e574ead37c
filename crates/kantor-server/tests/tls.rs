//! Built-in TLS: with a certificate and key configured, Kantor serves HTTPS and marks its
//! session cookie Secure.

use kantor_server::{Clock, Config};
use kantor_store::testing::{TestBackend, TestDb};

#[tokio::test]
async fn serves_https_with_a_configured_certificate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("self-signed certificate");
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).expect("write cert");
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).expect("write key");
    let db = TestDb::new(TestBackend::Sqlite).await.expect("db");
    let config = Config {
        data_dir: dir.path().join("data"),
        database_url: Some(db.url.clone()),
        tls_cert: Some(cert_path),
        tls_key: Some(key_path),
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
    assert!(
        server.state.base_url.starts_with("https://"),
        "links use https: {}",
        server.state.base_url
    );
    let port = server.addr.port();
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("localhost", server.addr)
        .build()
        .expect("client");
    let health = http
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .expect("https request");
    assert_eq!(health.status(), 200);
    let setup = http
        .post(format!("https://localhost:{port}/api/v1/setup"))
        .json(&serde_json::json!({
            "token": server.setup_token.clone().expect("token"), "org_name": "Sekolah Nusantara", "name": "Bu Ani",
            "email": "ani@sekolah.sch.id", "password": "rahasia-sekali", "time_zone": "Asia/Jayapura", "language": "id"
        }))
        .send()
        .await
        .expect("setup");
    assert_eq!(setup.status(), 200);
    let cookie = setup
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // Plain HTTP on the TLS port is not served.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));
    server.shutdown().await;
}

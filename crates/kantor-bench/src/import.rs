//! The staff import as an administrator runs it: upload a CSV of N people (preview with per-row
//! checks), then confirm (units along the paths, accounts, memberships, invite links), timed
//! end to end over HTTP with an API token.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One HTTP/1.1 request on a fresh connection (`Connection: close`); the status and the body.
pub async fn request(
    base_url: &str,
    method: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> anyhow::Result<(u16, Vec<u8>)> {
    let host = base_url
        .strip_prefix("http://")
        .context("only http:// URLs")?
        .trim_end_matches('/');
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .with_context(|| format!("cannot connect to {host}"))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let httparse::Status::Complete(offset) = response.parse(&raw)? else {
        bail!("incomplete response")
    };
    Ok((response.code.unwrap_or(0), raw[offset..].to_vec()))
}

/// A CSV of `n` staff across a Dinas → Bidang → Seksi tree, in the three Indonesian zones.
pub fn staff_csv(n: usize) -> String {
    let units = [
        "Dinas Kominfo/Bidang TIK/Seksi Jaringan",
        "Dinas Kominfo/Bidang TIK/Seksi Aplikasi",
        "Dinas Kominfo/Bidang Humas",
        "Dinas Kominfo/Sekretariat",
    ];
    let zones = ["WIB", "WITA", "WIT"];
    let mut csv = String::from("nama;email;telepon;nip;unit kerja;jabatan;zona waktu\n");
    for i in 0..n {
        csv.push_str(&format!(
            "Pegawai {i};pegawai{i}@kominfo.go.id;+62 812 {i:04} 000;1987{i:010};{};Staf;{}\n",
            units[i % units.len()],
            zones[i % zones.len()]
        ));
    }
    csv
}

pub struct Timings {
    pub preview: Duration,
    pub confirm: Duration,
    pub imported: u64,
}

pub async fn run(base_url: &str, token: &str, rows: usize) -> anyhow::Result<Timings> {
    let (status, body) = request(
        base_url,
        "GET",
        "/api/v1/me",
        token,
        "application/json",
        b"",
    )
    .await?;
    if status != 200 {
        bail!("GET /api/v1/me answered {status}");
    }
    let me: serde_json::Value = serde_json::from_slice(&body)?;
    let org = me["memberships"][0]["org"]["id"]
        .as_str()
        .context("the token's owner has no organisation")?
        .to_string();
    let csv = staff_csv(rows);

    let start = Instant::now();
    let (status, body) = request(
        base_url,
        "POST",
        &format!("/api/v1/orgs/{org}/imports"),
        token,
        "text/csv",
        csv.as_bytes(),
    )
    .await?;
    let preview = start.elapsed();
    if status != 201 {
        bail!(
            "upload answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let preview_body: serde_json::Value = serde_json::from_slice(&body)?;
    if preview_body["error_count"] != 0 {
        bail!(
            "the generated file has errors: {}",
            preview_body["error_count"]
        );
    }
    let id = preview_body["id"].as_str().context("preview id")?;

    let start = Instant::now();
    let (status, body) = request(
        base_url,
        "POST",
        &format!("/api/v1/orgs/{org}/imports/{id}/confirm"),
        token,
        "application/json",
        br#"{"skip_invalid":false}"#,
    )
    .await?;
    let confirm = start.elapsed();
    if status != 200 {
        bail!(
            "confirm answered {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let result: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(Timings {
        preview,
        confirm,
        imported: result["imported"].as_u64().unwrap_or(0),
    })
}

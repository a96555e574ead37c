//! Avatars: checked by content, readable by co-members only.

use kantor_core::role::Role;
use reqwest::Method;

use crate::common::{on_both, str_of, TestServer};

/// A PNG signature and header claiming `width` × `height` (enough for the server's checks).
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(b"IHDR");
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&[8, 6, 0, 0, 0]);
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn avatars_are_checked_by_content_and_shared_within_the_organisation() {
    on_both(|backend| async move {
        let server = TestServer::start(backend).await;
        let owner = server.setup_owner().await;
        let colleague = server.seed_member(&owner.org_id, Role::Member).await;
        let stranger = server.seed_org("Dinas Tetangga").await;
        let c = &owner.client;

        c.send_bytes(
            Method::PUT,
            "/api/v1/me/avatar",
            "image/png",
            "<svg onload=alert(1)>",
        )
        .await
        .error(415, "file.unsupported_type");
        let r = c
            .send_bytes(
                Method::PUT,
                "/api/v1/me/avatar",
                "image/png",
                png(100_000, 100_000),
            )
            .await;
        assert_eq!(r.error(422, "file.too_many_pixels")["field"], "avatar");
        c.send_bytes(
            Method::PUT,
            "/api/v1/me/avatar",
            "image/png",
            vec![0x89u8; 5 * 1024 * 1024 + 1],
        )
        .await
        .error(413, "file.too_large");
        assert!(c.get("/api/v1/me").await.expect(200)["user"]["avatar_url"].is_null());

        let image = png(64, 64);
        // The declared type does not matter; the bytes do.
        let me = c
            .send_bytes(
                Method::PUT,
                "/api/v1/me/avatar",
                "image/jpeg",
                image.clone(),
            )
            .await
            .expect(200);
        let url = str_of(&me["user"]["avatar_url"]);
        assert!(url.starts_with("/api/v1/files/"), "{url}");

        for viewer in [&owner, &colleague] {
            let res = viewer
                .client
                .request(Method::GET, &url)
                .send()
                .await
                .expect("file");
            assert_eq!(res.status(), 200);
            assert_eq!(
                res.headers().get("content-type").map(|v| v.as_bytes()),
                Some(&b"image/png"[..])
            );
            assert_eq!(
                res.headers()
                    .get("x-content-type-options")
                    .map(|v| v.as_bytes()),
                Some(&b"nosniff"[..])
            );
            assert_eq!(res.bytes().await.expect("bytes").as_ref(), &image[..]);
        }
        stranger.client.get(&url).await.error(404, "not_found");
        server.client().get(&url).await.error(401, "auth.required");
        let members = colleague
            .client
            .get(&owner.org_path("/members"))
            .await
            .expect(200);
        assert!(members["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|m| m["avatar_url"] == url.as_str()));
    })
    .await;
}

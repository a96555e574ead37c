//! Chat uploads: images (with a server-made thumbnail), voice notes and other files.
//!
//! Types are decided by content, never by name: a body declared as an image or audio must
//! sniff as one (415 otherwise), executables are refused, and types a browser would run
//! (HTML, SVG, scripts) are stored as `application/octet-stream` and served as downloads.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kantor_core::ids::FileId;
use kantor_store::chat::{self as store, ChatFile};
use kantor_store::files::{self, FileMeta};
use serde::Deserialize;

use super::chat_caller;
use super::messages::{AttachmentDto, AttachmentKind};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::secrets;
use crate::state::AppState;

/// Longest side of a thumbnail, in pixels.
const THUMB_SIDE: u32 = 360;

pub fn attachment_dto(f: &ChatFile) -> AttachmentDto {
    AttachmentDto {
        id: f.file_id.to_string(),
        name: f.name.clone(),
        content_type: f.content_type.clone(),
        size_bytes: f.size_bytes,
        kind: match f.kind.as_str() {
            "image" => AttachmentKind::Image,
            "audio" => AttachmentKind::Audio,
            _ => AttachmentKind::File,
        },
        url: format!("/api/v1/files/{}", f.file_id),
        thumbnail_url: f.thumbnail_file_id.map(|t| format!("/api/v1/files/{t}")),
        width: f.width,
        height: f.height,
    }
}

/// What the first bytes say a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    Image(&'static str),
    Audio(&'static str),
    Executable,
    Other,
}

pub fn sniff(bytes: &[u8]) -> Sniffed {
    if let Some(t) = crate::blobs::sniff_image(bytes) {
        return Sniffed::Image(t);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Sniffed::Image("image/gif");
    }
    if bytes.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) {
        return Sniffed::Audio("audio/webm");
    }
    if bytes.starts_with(b"OggS") {
        return Sniffed::Audio("audio/ogg");
    }
    if bytes.len() >= 12
        && &bytes[4..8] == b"ftyp"
        && (&bytes[8..11] == b"M4A" || &bytes[8..12] == b"mp42" || &bytes[8..12] == b"isom")
    {
        return Sniffed::Audio("audio/mp4");
    }
    if bytes.starts_with(b"ID3") || bytes.starts_with(&[0xff, 0xfb]) {
        return Sniffed::Audio("audio/mpeg");
    }
    if bytes.starts_with(b"MZ") || bytes.starts_with(b"\x7fELF") || bytes.starts_with(b"#!") {
        return Sniffed::Executable;
    }
    Sniffed::Other
}

/// Types stored as given for plain files; anything else becomes `application/octet-stream`.
fn safe_file_type(declared: &str) -> &str {
    const SAFE: &[&str] = &[
        "application/pdf",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    ];
    SAFE.iter()
        .find(|t| **t == declared)
        .copied()
        .unwrap_or("application/octet-stream")
}

fn unsupported(msg: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "file.unsupported_type",
        msg,
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as the user sees it.
    pub name: Option<String>,
}

/// Makes a JPEG thumbnail (longest side [`THUMB_SIDE`]).
fn thumbnail(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let img = image::load_from_memory(bytes)?;
    let thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    thumb.write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

/// Uploads a file for a message. Send the bytes as the body with the file's `Content-Type`.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/files", operation_id = "upload_chat_file", tag = "chat", params(("org_id" = String, Path), UploadQuery),
    request_body(description = "The file's bytes", content(("application/octet-stream"))),
    responses((status = 201, body = AttachmentDto), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    let who = chat_caller(&state, &caller, &org_id).await?;
    let name = kantor_core::validate::text("name", q.name.as_deref().unwrap_or("file"), 200)?
        .replace(['/', '\\'], "_");
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let limit = state.config.max_chat_file_bytes;
    let bytes = axum::body::to_bytes(req.into_body(), limit)
        .await
        .map_err(|_| {
            ApiError::too_large(
                "file.too_large",
                format!("files may be at most {limit} bytes"),
            )
        })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("file", "file.empty", "the file is empty"));
    }
    let sniffed = sniff(&bytes);
    let claims_media = declared.starts_with("image/")
        || declared.starts_with("audio/")
        || declared == "video/webm";
    let (kind, content_type) = match sniffed {
        Sniffed::Executable => return Err(unsupported("programs cannot be sent in chat")),
        Sniffed::Image(t) if declared.starts_with("image/") || !claims_media => {
            ("image", t.to_string())
        }
        Sniffed::Audio(t)
            if declared.starts_with("audio/") || declared == "video/webm" || !claims_media =>
        {
            ("audio", t.to_string())
        }
        Sniffed::Other if !claims_media => ("file", safe_file_type(&declared).to_string()),
        _ => return Err(unsupported("the file's content does not match its type")),
    };
    let (mut width, mut height, mut thumb) = (None, None, None);
    if kind == "image" {
        let size =
            imagesize::blob_size(&bytes).map_err(|_| unsupported("the image cannot be read"))?;
        if (size.width as u64) * (size.height as u64) > state.config.max_chat_image_pixels {
            return Err(ApiError::invalid(
                "file",
                "file.too_many_pixels",
                "the image has too many pixels",
            ));
        }
        width = Some(size.width as i64);
        height = Some(size.height as i64);
        let data = bytes.clone();
        thumb = Some(
            tokio::task::spawn_blocking(move || thumbnail(&data))
                .await
                .map_err(|e| anyhow::anyhow!("thumbnail task: {e}"))?
                .map_err(|_| unsupported("the image cannot be read"))?,
        );
    }
    let now = state.clock.now_ms();
    let id = FileId(kantor_store::new_id());
    state
        .blobs
        .put(id, &bytes)
        .await
        .map_err(|e| anyhow::anyhow!("storing file: {e}"))?;
    let thumb_id = match &thumb {
        Some(t) => {
            let tid = FileId(kantor_store::new_id());
            state
                .blobs
                .put(tid, t)
                .await
                .map_err(|e| anyhow::anyhow!("storing thumbnail: {e}"))?;
            Some((tid, t.len()))
        }
        None => None,
    };
    let mut tx = state.store.begin().await?;
    let meta = |id, content_type: &str, size: usize, sha: String| FileMeta {
        id,
        org_id: Some(who.org_id),
        owner_user_id: Some(who.user_id),
        purpose: "chat".into(),
        content_type: content_type.into(),
        size_bytes: size as i64,
        sha256: sha,
        created_at: now,
    };
    files::insert_file(
        &mut tx,
        &meta(
            id,
            &content_type,
            bytes.len(),
            secrets::token_hash_bytes(&bytes),
        ),
    )
    .await?;
    if let (Some((tid, len)), Some(t)) = (thumb_id, thumb.as_ref()) {
        files::insert_file(
            &mut tx,
            &meta(tid, "image/jpeg", len, secrets::token_hash_bytes(t)),
        )
        .await?;
    }
    let f = ChatFile {
        file_id: id,
        org_id: who.org_id,
        owner_id: who.user_id,
        name,
        kind: kind.into(),
        content_type,
        size_bytes: bytes.len() as i64,
        width,
        height,
        thumbnail_file_id: thumb_id.map(|(t, _)| t),
        conversation_id: None,
    };
    store::insert_chat_file(&mut tx, &f, now).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(attachment_dto(&f))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_decides_kinds() {
        assert_eq!(sniff(b"\x1aE\xdf\xa3rest"), Sniffed::Audio("audio/webm"));
        assert_eq!(sniff(b"OggS\0"), Sniffed::Audio("audio/ogg"));
        assert_eq!(sniff(b"MZ\x90\0"), Sniffed::Executable);
        assert_eq!(sniff(b"GIF89a.."), Sniffed::Image("image/gif"));
        assert_eq!(sniff(b"%PDF-1.7"), Sniffed::Other);
        assert_eq!(safe_file_type("text/html"), "application/octet-stream");
        assert_eq!(safe_file_type("application/pdf"), "application/pdf");
    }
}

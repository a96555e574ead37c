//! Reading stored files. Avatars are visible to anyone who shares an organisation with their
//! owner; files of an organisation to its active members.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kantor_core::ids::FileId;
use kantor_core::role::MemberStatus;

use super::parse_id;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::state::AppState;

/// A stored file the caller may read.
#[utoipa::path(get, path = "/api/v1/files/{file_id}", tag = "me", params(("file_id" = String, Path)),
    responses((status = 200, description = "The file, with its stored content type", content(("application/octet-stream"))), (status = 404, body = ErrorBody)))]
pub async fn get_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(file_id): Path<String>,
) -> ApiResult<Response> {
    let id: FileId = parse_id(&file_id)?;
    let meta = state.store.file(id).await?;
    let allowed = match (meta.org_id, meta.owner_user_id) {
        (Some(org), _) if meta.purpose == "chat" => {
            chat_file_readable(&state, &caller, org, id, meta.owner_user_id).await?
        }
        (Some(org), _) => state
            .store
            .membership(org, caller.user_id)
            .await
            .is_ok_and(|m| m.status == MemberStatus::Active),
        (None, Some(owner)) => {
            owner == caller.user_id || state.store.share_an_org(owner, caller.user_id).await?
        }
        (None, None) => false,
    };
    if !allowed {
        return Err(ApiError::not_found());
    }
    let bytes = state
        .blobs
        .get(id)
        .await
        .map_err(|e| anyhow::anyhow!("reading file {id}: {e}"))?;
    // Only images and audio are shown inline; everything else downloads.
    let disposition =
        if meta.content_type.starts_with("image/") || meta.content_type.starts_with("audio/") {
            "inline"
        } else {
            "attachment"
        };
    Ok((
        [
            (header::CONTENT_DISPOSITION, disposition.to_string()),
            (header::CONTENT_TYPE, meta.content_type),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
            (
                header::HeaderName::from_static("x-content-type-options"),
                "nosniff".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A chat upload is readable by its uploader until sent, and then by whoever may read the
/// conversation it was sent in (a private channel's files stay private).
async fn chat_file_readable(
    state: &AppState,
    caller: &Caller,
    org: kantor_core::ids::OrgId,
    id: FileId,
    owner: Option<kantor_core::ids::UserId>,
) -> ApiResult<bool> {
    let who = match super::chat::chat_caller(state, caller, &org.to_string()).await {
        Ok(who) => who,
        Err(_) => return Ok(false),
    };
    let mut conn = state.store.read_conn().await?;
    match kantor_store::chat::chat_file_conversation(&mut conn, id).await? {
        None => Ok(owner == Some(caller.user_id)),
        Some(cid) => Ok(super::chat::visible(&mut conn, &who, cid).await.is_ok()),
    }
}

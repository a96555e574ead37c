//! Chat retention and export, for the organisation's admins (owner, admin).
//!
//! - **Policy**: keep forever, or delete messages older than `keep_days` (1–3650). A
//!   conversation on **legal hold** is never purged. Both changes are audit-logged with the
//!   value before and after.
//! - **Purge** (job `chat.retention_purge`, daily; [`purge_all`] runs it at once): per
//!   conversation, batches of [`BATCH`] messages, each in its own short transaction — messages
//!   with their reactions, edits, reminders, search terms and pins, files no remaining message
//!   uses (bytes removed after the commit), done scheduled messages; retained events that carry
//!   the bodies are rewritten to `{id, conversation_id, seq, purged: true}`; members get
//!   `chat.messages.purged`. Threads go whole (see `kantor_store::retention`). Logs counts,
//!   never bodies.
//! - **Export** (job `chat.export`): a store-only ZIP of `conversations.json`,
//!   `messages/<conversation_id>.json` and `files/<file_id>-<name>`, kept in the blob store.
//!   Admins export everything, private channels, DMs and held conversations included; every
//!   request and download is audit-logged.

use std::collections::HashSet;
use std::io::Write;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use kantor_core::ids::{ConversationId, FileId, MessageId, OrgId};
use kantor_core::policy::Action;
use kantor_store::chat as store;
use kantor_store::jobs::NewJob;
use kantor_store::retention::{self as ret, Export};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ConversationKind;
use crate::api::parse_id;
use crate::auth::{require, Caller};
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

/// The job kind of the daily purge.
pub const PURGE: &str = "chat.retention_purge";
/// The job kind that builds an export.
pub const EXPORT: &str = "chat.export";
/// Messages deleted per transaction: small enough that the writer is never held long.
pub const BATCH: i64 = 1000;
const DAY_MS: i64 = 86_400_000;

/// The caller as an admin of the organisation: not a member → 404, below admin → 403.
async fn admin(state: &AppState, caller: &Caller, org_id: &str) -> ApiResult<OrgId> {
    let org_id: OrgId = parse_id(org_id)?;
    let actor = crate::auth::actor(state, caller, org_id).await?;
    require(&actor, Action::UpdateOrg)?;
    Ok(org_id)
}

// --- policy and holds --------------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct RetentionConversationDto {
    pub id: String,
    pub kind: ConversationKind,
    #[schema(required = true)]
    pub name: Option<String>,
    pub legal_hold: bool,
    #[schema(required = true)]
    pub hold_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RetentionDto {
    /// Null: messages are kept forever.
    #[schema(required = true)]
    pub keep_days: Option<i64>,
    /// Channels (public and private) and every conversation on legal hold.
    pub conversations: Vec<RetentionConversationDto>,
}

async fn retention_dto(state: &AppState, org_id: OrgId) -> ApiResult<RetentionDto> {
    let mut conn = state.store.read_conn().await?;
    let keep_days = ret::keep_days(&mut conn, org_id).await?;
    let holds = ret::holds(&mut conn, org_id).await?;
    let rows = ret::channels_and_held(&mut conn, org_id).await?;
    Ok(RetentionDto {
        keep_days,
        conversations: rows
            .into_iter()
            .map(|(id, kind, name)| {
                let hold = holds.iter().find(|h| h.conversation_id == id);
                RetentionConversationDto {
                    id: id.to_string(),
                    kind: kind.into(),
                    name,
                    legal_hold: hold.is_some(),
                    hold_reason: hold.map(|h| h.reason.clone()),
                }
            })
            .collect(),
    })
}

/// The organisation's chat retention policy and legal holds (admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/retention", operation_id = "get_chat_retention", tag = "chat", params(("org_id" = String, Path)),
    responses((status = 200, body = RetentionDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_retention(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<RetentionDto>> {
    let org_id = admin(&state, &caller, &org_id).await?;
    Ok(axum::Json(retention_dto(&state, org_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionInput {
    /// Null (or absent): keep forever. Else 1–3650: delete messages older than this many days.
    pub keep_days: Option<i64>,
}

/// Sets the retention policy (admins; audit-logged with the old and new value).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/retention", operation_id = "put_chat_retention", tag = "chat", params(("org_id" = String, Path)), request_body = RetentionInput,
    responses((status = 200, body = RetentionDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_retention(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<RetentionInput>,
) -> ApiResult<axum::Json<RetentionDto>> {
    let org_id = admin(&state, &caller, &org_id).await?;
    if let Some(d) = req.keep_days {
        if !(ret::MIN_KEEP_DAYS..=ret::MAX_KEEP_DAYS).contains(&d) {
            return Err(ApiError::invalid(
                "keep_days",
                "chat.retention_range",
                "keep messages 1 to 3650 days, or forever (null)",
            ));
        }
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let old = ret::keep_days(&mut tx, org_id).await?;
    ret::set_keep_days(&mut tx, org_id, req.keep_days, caller.user_id, now).await?;
    crate::api::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "chat.retention.update",
        Some(org_id.to_string()),
        serde_json::json!({"old_keep_days": old, "new_keep_days": req.keep_days}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(retention_dto(&state, org_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalHoldInput {
    pub on: bool,
    /// Why (kept with the hold and in the audit log).
    pub reason: Option<String>,
}

/// Puts a conversation on legal hold (never purged) or lifts it (admins; audit-logged).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/chat/conversations/{conversation_id}/legal-hold", operation_id = "put_legal_hold", tag = "chat", params(("org_id" = String, Path), ("conversation_id" = String, Path)), request_body = LegalHoldInput,
    responses((status = 200, body = RetentionConversationDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_legal_hold(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, cid)): Path<(String, String)>,
    Json(req): Json<LegalHoldInput>,
) -> ApiResult<axum::Json<RetentionConversationDto>> {
    let org_id = admin(&state, &caller, &org_id).await?;
    let cid: ConversationId = parse_id(&cid)?;
    let reason = req.reason.as_deref().unwrap_or("").trim().to_string();
    if reason.chars().count() > 500 {
        return Err(ApiError::invalid(
            "reason",
            "validation.too_long",
            "at most 500 characters",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let c = store::conversation(&mut tx, org_id, cid).await?;
    let before = ret::set_hold(
        &mut tx,
        org_id,
        cid,
        req.on.then_some((reason.as_str(), caller.user_id)),
        now,
    )
    .await?;
    crate::api::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        if req.on {
            "chat.legal_hold.set"
        } else {
            "chat.legal_hold.lift"
        },
        Some(cid.to_string()),
        serde_json::json!({
            "conversation_id": cid,
            "was_on": before.is_some(),
            "reason": if req.on { Some(&reason) } else { None },
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(RetentionConversationDto {
        id: cid.to_string(),
        kind: c.kind.into(),
        name: c.name,
        legal_hold: req.on,
        hold_reason: req.on.then_some(reason),
    }))
}

// --- purge -------------------------------------------------------------------------------------

/// What a purge deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurgeCounts {
    pub messages: u64,
    pub files: u64,
    pub scheduled: u64,
}

/// Purges every organisation with a policy, as of the state's clock.
pub async fn purge_all(state: &AppState) -> anyhow::Result<PurgeCounts> {
    let now = state.clock.now_ms();
    let mut total = PurgeCounts::default();
    for (org_id, keep_days) in state.store.retention_policies().await? {
        let c = purge_org(state, org_id, now - keep_days * DAY_MS).await?;
        tracing::info!(
            org = %org_id,
            keep_days,
            messages = c.messages,
            files = c.files,
            scheduled = c.scheduled,
            "purged chat history past retention"
        );
        total.messages += c.messages;
        total.files += c.files;
        total.scheduled += c.scheduled;
    }
    Ok(total)
}

/// Purges one organisation's messages created before `cutoff` (UTC milliseconds).
pub async fn purge_org(
    state: &AppState,
    org_id: OrgId,
    cutoff: i64,
) -> anyhow::Result<PurgeCounts> {
    purge_org_in_batches(state, org_id, cutoff, BATCH).await
}

/// [`purge_org`] with another batch size (tests use small ones to cross batch boundaries).
pub async fn purge_org_in_batches(
    state: &AppState,
    org_id: OrgId,
    cutoff: i64,
    batch: i64,
) -> anyhow::Result<PurgeCounts> {
    let mut counts = PurgeCounts::default();
    for cid in state.store.purgeable_conversations(org_id, cutoff).await? {
        loop {
            let now = state.clock.now_ms();
            let mut tx = state.store.begin().await?;
            let c = store::conversation(&mut tx, org_id, cid).await?;
            // A hold set since the listing wins from the next batch on.
            if ret::is_held(&mut tx, cid).await? {
                break;
            }
            let purged =
                ret::purge_batch(&mut tx, state.store.backend(), cid, cutoff, batch).await?;
            if purged.messages.is_empty() {
                counts.scheduled += ret::purge_scheduled(&mut tx, cid, cutoff).await?;
                tx.commit().await?;
                break;
            }
            let since = purged
                .messages
                .iter()
                .map(|m| m.created_at)
                .min()
                .unwrap_or(cutoff);
            let gone: Vec<String> = purged.messages.iter().map(|m| m.id.to_string()).collect();
            let in_events = ret::message_ids_in_events(&mut tx, org_id, cid, since).await?;
            let mut scrubbed: HashSet<MessageId> = HashSet::new();
            for m in purged.messages.iter().filter(|m| in_events.contains(&m.id)) {
                if scrubbed.insert(m.id) {
                    let stub = serde_json::json!({
                        "id": m.id, "conversation_id": cid, "seq": m.seq, "purged": true,
                    });
                    store::scrub_message_events(
                        &mut tx,
                        org_id,
                        m.id,
                        m.created_at,
                        &stub.to_string(),
                    )
                    .await?;
                }
            }
            let before_seq = purged.messages.iter().map(|m| m.seq).max().unwrap_or(0);
            kantor_store::events::emit(
                &mut tx,
                &super::audience(&c),
                "chat.messages.purged",
                &serde_json::json!({
                    "conversation_id": cid,
                    "before_seq": before_seq,
                    "message_ids": gone,
                }),
                now,
            )
            .await?;
            tx.commit().await?;
            for f in &purged.files {
                if let Err(e) = state.blobs.delete(*f).await {
                    tracing::warn!(file = %f, error = %format!("{e:#}"), "could not remove a purged file's bytes");
                }
            }
            counts.messages += purged.messages.len() as u64;
            counts.files += purged.files.len() as u64;
        }
    }
    Ok(counts)
}

/// Schedules the next daily purge; the day-bucketed key keeps one pending run per day however
/// many nodes schedule it.
pub async fn schedule_purge(state: &AppState, at: i64) -> anyhow::Result<()> {
    let key = format!("{PURGE}:{}", at / DAY_MS);
    let mut tx = state.store.begin().await?;
    kantor_store::jobs::schedule(
        &mut tx,
        &NewJob {
            kind: PURGE,
            payload: &serde_json::json!({}),
            run_at: at,
            max_attempts: 3,
            dedupe_key: Some(&key),
        },
        state.clock.now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The job: schedules tomorrow's run first (so a failing purge does not stop the daily
/// schedule), then purges.
pub async fn run_purge(state: &AppState) -> anyhow::Result<()> {
    schedule_purge(state, state.clock.now_ms() + DAY_MS).await?;
    let counts = purge_all(state).await?;
    tracing::info!(
        messages = counts.messages,
        files = counts.files,
        scheduled = counts.scheduled,
        "chat retention purge done"
    );
    Ok(())
}

// --- export ------------------------------------------------------------------------------------

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    Pending,
    Done,
    Failed,
}

#[derive(Serialize, ToSchema)]
pub struct ExportDto {
    pub id: String,
    /// Null: the whole organisation.
    #[schema(required = true)]
    pub conversation_id: Option<String>,
    pub requested_by: String,
    pub state: ExportState,
    /// Size of the ZIP, once done.
    #[schema(required = true)]
    pub size_bytes: Option<i64>,
    pub created_at: String,
    #[schema(required = true)]
    pub finished_at: Option<String>,
}

fn export_dto(e: &Export) -> ExportDto {
    ExportDto {
        id: e.id.to_string(),
        conversation_id: e.conversation_id.map(|c| c.to_string()),
        requested_by: e.requested_by.to_string(),
        state: match e.state.as_str() {
            "done" => ExportState::Done,
            "failed" => ExportState::Failed,
            _ => ExportState::Pending,
        },
        size_bytes: e.size_bytes,
        created_at: rfc3339(e.created_at),
        finished_at: e.finished_at.map(rfc3339),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportInput {
    /// One conversation; absent: the whole organisation.
    pub conversation_id: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportCreatedDto {
    pub id: String,
}

/// Starts an export of one conversation or the whole organisation (admins; audit-logged).
/// Private channels, DMs and conversations on hold are included.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/chat/exports", operation_id = "create_chat_export", tag = "chat", params(("org_id" = String, Path)), request_body = ExportInput,
    responses((status = 202, body = ExportCreatedDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Json(req): Json<ExportInput>,
) -> ApiResult<Response> {
    let org_id = admin(&state, &caller, &org_id).await?;
    let cid: Option<ConversationId> = req
        .conversation_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_id)
        .transpose()?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if let Some(cid) = cid {
        store::conversation(&mut tx, org_id, cid).await?;
    }
    let size = ret::export_files_size(&mut tx, org_id, cid).await?;
    if size as u64 > state.config.max_chat_export_bytes {
        return Err(ApiError::invalid(
            "conversation_id",
            "chat.export_too_large",
            "the files of this export are over the export size limit",
        ));
    }
    let id = ret::insert_export(&mut tx, org_id, cid, caller.user_id, now).await?;
    crate::api::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "chat.export.create",
        Some(id.to_string()),
        serde_json::json!({"conversation_id": cid, "files_bytes": size}),
        now,
    )
    .await?;
    kantor_store::jobs::schedule(
        &mut tx,
        &NewJob {
            kind: EXPORT,
            payload: &serde_json::json!({"export_id": id, "org_id": org_id}),
            run_at: now,
            max_attempts: 1,
            dedupe_key: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(ExportCreatedDto { id: id.to_string() }),
    )
        .into_response())
}

/// The organisation's chat exports, newest first (admins).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/exports", operation_id = "list_chat_exports", tag = "chat", params(("org_id" = String, Path)),
    responses((status = 200, body = Vec<ExportDto>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_exports(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<Vec<ExportDto>>> {
    let org_id = admin(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    Ok(axum::Json(
        ret::exports(&mut conn, org_id)
            .await?
            .iter()
            .map(export_dto)
            .collect(),
    ))
}

/// Downloads a finished export as a ZIP (admins; audit-logged). 409 `chat.export_not_ready`
/// while it is pending or when it failed.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/chat/exports/{export_id}/download", operation_id = "download_chat_export", tag = "chat", params(("org_id" = String, Path), ("export_id" = String, Path)),
    responses((status = 200, description = "The ZIP", content(("application/zip"))), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn download_export(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, export_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let org_id = admin(&state, &caller, &org_id).await?;
    let id: uuid::Uuid = parse_id(&export_id)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let e = ret::export(&mut tx, org_id, id).await?;
    let Some(file) = e.file_id.filter(|_| e.state == "done") else {
        return Err(ApiError::conflict(
            "chat.export_not_ready",
            "this export is not ready (or failed)",
        ));
    };
    crate::api::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "chat.export.download",
        Some(id.to_string()),
        serde_json::json!({"conversation_id": e.conversation_id}),
        now,
    )
    .await?;
    tx.commit().await?;
    let body = state
        .blobs
        .stream(file)
        .await
        .map_err(|err| anyhow::anyhow!("reading export {id}: {err}"))?;
    let mut headers = vec![
        (header::CONTENT_TYPE, "application/zip".to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"kantor-chat-{}.zip\"", id.simple()),
        ),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
    ];
    if let Some(size) = e.size_bytes {
        headers.push((header::CONTENT_LENGTH, size.to_string()));
    }
    let mut res = body.into_response();
    for (k, v) in headers {
        if let Ok(v) = v.parse() {
            res.headers_mut().insert(k, v);
        }
    }
    Ok(res)
}

#[derive(Deserialize)]
struct ExportPayload {
    export_id: uuid::Uuid,
    org_id: OrgId,
}

/// The job: builds the ZIP on disk, stores it, marks the export done — or failed, without a
/// retry (an admin asks again).
pub async fn run_export(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let p: ExportPayload = serde_json::from_str(payload)?;
    let e = {
        let mut conn = state.store.read_conn().await?;
        ret::export(&mut conn, p.org_id, p.export_id).await?
    };
    if e.state != "pending" {
        return Ok(());
    }
    let dir = state.config.data_dir.join("tmp");
    tokio::fs::create_dir_all(&dir).await?;
    let path = dir.join(format!("export-{}.zip", e.id.simple()));
    let built = {
        let state = state.clone();
        let e = e.clone();
        let path = path.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || build_zip(&state, &handle, &e, &path)).await?
    };
    let result = match built {
        Ok(stats) => store_zip(state, &path).await.map(|size| (stats, size)),
        Err(err) => Err(err),
    };
    let _ = tokio::fs::remove_file(&path).await;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    match result {
        Ok(((conversations, messages, files), (file_id, size))) => {
            ret::finish_export(&mut tx, e.id, Some((file_id, size)), now).await?;
            tracing::info!(export = %e.id, conversations, messages, files, size_bytes = size, "chat export built");
        }
        Err(err) => {
            ret::finish_export(&mut tx, e.id, None, now).await?;
            tracing::warn!(export = %e.id, error = %format!("{err:#}"), "chat export failed");
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn store_zip(state: &AppState, path: &std::path::Path) -> anyhow::Result<(FileId, i64)> {
    let size = tokio::fs::metadata(path).await?.len() as i64;
    let sha = {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
            use sha2::Digest;
            let mut hasher = sha2::Sha256::new();
            std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
            Ok(hex::encode(hasher.finalize()))
        })
        .await??
    };
    let file_id = FileId(kantor_store::new_id());
    state.blobs.put_path(file_id, path).await?;
    let mut tx = state.store.begin().await?;
    // No organisation and no owner on the row: `GET /files/{id}` serves nobody; only the
    // export's download (admins) reads it.
    kantor_store::files::insert_file(
        &mut tx,
        &kantor_store::files::FileMeta {
            id: file_id,
            org_id: None,
            owner_user_id: None,
            purpose: "chat_export".into(),
            content_type: "application/zip".into(),
            size_bytes: size,
            sha256: sha,
            created_at: state.clock.now_ms(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((file_id, size))
}

/// A name safe as a ZIP entry: letters, digits, `.`, `-`, `_` and spaces; never a path.
fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() {
        "file".into()
    } else {
        s
    }
}

#[derive(Serialize)]
struct ExportUser {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct ExportConversation {
    id: String,
    kind: &'static str,
    name: Option<String>,
    topic: String,
    description: String,
    created_at: String,
    archived_at: Option<String>,
    legal_hold: bool,
    member_ids: Vec<String>,
    messages_file: String,
}

#[derive(Serialize)]
struct ExportReaction {
    emoji: String,
    user_ids: Vec<String>,
}

#[derive(Serialize)]
struct ExportEdit {
    body: String,
    replaced_at: String,
}

#[derive(Serialize)]
struct ExportMessage {
    id: String,
    seq: i64,
    author: ExportUser,
    body: String,
    created_at: String,
    edited_at: Option<String>,
    deleted: bool,
    thread_root_id: Option<String>,
    in_channel: bool,
    reply_count: i64,
    pinned: bool,
    reactions: Vec<ExportReaction>,
    attachments: serde_json::Value,
    quote: Option<serde_json::Value>,
    forwarded: Option<serde_json::Value>,
    edits: Vec<ExportEdit>,
}

/// Writes the ZIP (on a blocking thread; reads go through `rt`). Returns how many
/// conversations, messages and files it holds.
fn build_zip(
    state: &AppState,
    rt: &tokio::runtime::Handle,
    e: &Export,
    path: &std::path::Path,
) -> anyhow::Result<(usize, usize, usize)> {
    use zip::write::SimpleFileOptions;
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let (conversations, holds) = rt.block_on(async {
        let mut conn = state.store.read_conn().await?;
        let c = ret::export_conversations(&mut conn, e.org_id, e.conversation_id).await?;
        let h = ret::holds(&mut conn, e.org_id).await?;
        Ok::<_, anyhow::Error>((c, h))
    })?;
    let mut index = Vec::with_capacity(conversations.len());
    let mut message_count = 0;
    let mut files: Vec<(FileId, String)> = Vec::new();
    for c in &conversations {
        let members = rt.block_on(state.store.conversation_member_ids(c.id))?;
        let messages_file = format!("messages/{}.json", c.id);
        index.push(ExportConversation {
            id: c.id.to_string(),
            kind: c.kind.as_str(),
            name: c.name.clone(),
            topic: c.topic.clone(),
            description: c.description.clone(),
            created_at: rfc3339(c.created_at),
            archived_at: c.archived_at.map(rfc3339),
            legal_hold: holds.iter().any(|h| h.conversation_id == c.id),
            member_ids: members.iter().map(|m| m.to_string()).collect(),
            messages_file: messages_file.clone(),
        });
        zip.start_file(messages_file, opts)?;
        zip.write_all(b"[")?;
        let mut after = 0;
        let mut first = true;
        loop {
            let page = rt.block_on(async {
                let mut conn = state.store.read_conn().await?;
                let msgs = ret::export_messages(&mut conn, c.id, after, 500).await?;
                let mut out = Vec::with_capacity(msgs.len());
                for m in msgs {
                    let edits = if m.edited_at.is_some() {
                        store::message_edits(&mut conn, m.id).await?
                    } else {
                        Vec::new()
                    };
                    out.push((m, edits));
                }
                Ok::<_, anyhow::Error>(out)
            })?;
            let Some(last) = page.last() else { break };
            after = last.0.seq;
            for (m, edits) in page {
                let attachments: serde_json::Value =
                    serde_json::from_str(&m.attachments).unwrap_or_default();
                for a in attachments.as_array().into_iter().flatten() {
                    let id = a
                        .get("id")
                        .and_then(|v| v.as_str())
                        .and_then(|s| s.parse().ok());
                    let name = a.get("name").and_then(|v| v.as_str()).unwrap_or("file");
                    if let Some(id) = id {
                        if !files.iter().any(|(f, _)| *f == id) {
                            files.push((id, format!("files/{id}-{}", safe_name(name))));
                        }
                    }
                }
                let out = ExportMessage {
                    id: m.id.to_string(),
                    seq: m.seq,
                    author: ExportUser {
                        id: m.author.id.to_string(),
                        name: m.author.name.clone(),
                    },
                    body: m.body.clone(),
                    created_at: rfc3339(m.created_at),
                    edited_at: m.edited_at.map(rfc3339),
                    deleted: m.deleted_at.is_some(),
                    thread_root_id: m.thread_root_id.map(|t| t.to_string()),
                    in_channel: m.in_channel,
                    reply_count: m.reply_count,
                    pinned: m.pinned_at.is_some(),
                    reactions: m
                        .reactions
                        .iter()
                        .map(|(emoji, users)| ExportReaction {
                            emoji: emoji.clone(),
                            user_ids: users.iter().map(|u| u.to_string()).collect(),
                        })
                        .collect(),
                    attachments,
                    quote: m
                        .quote
                        .as_deref()
                        .and_then(|q| serde_json::from_str(q).ok()),
                    forwarded: m
                        .forwarded
                        .as_deref()
                        .and_then(|q| serde_json::from_str(q).ok()),
                    edits: edits
                        .into_iter()
                        .map(|(body, at)| ExportEdit {
                            body,
                            replaced_at: rfc3339(at),
                        })
                        .collect(),
                };
                if !first {
                    zip.write_all(b",\n")?;
                }
                first = false;
                serde_json::to_writer(&mut zip, &out)?;
                message_count += 1;
            }
        }
        zip.write_all(b"]\n")?;
    }
    zip.start_file("conversations.json", opts)?;
    serde_json::to_writer_pretty(&mut zip, &index)?;
    for (id, name) in &files {
        let bytes = rt
            .block_on(state.blobs.get(*id))
            .map_err(|err| anyhow::anyhow!("reading file {id}: {err}"))?;
        zip.start_file(
            name.as_str(),
            opts.large_file(bytes.len() as u64 > u32::MAX as u64),
        )?;
        zip.write_all(&bytes)?;
    }
    zip.finish()?.sync_all()?;
    Ok((index.len(), message_count, files.len()))
}

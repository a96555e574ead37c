//! Staff import from CSV or XLSX: upload → preview with per-row errors → confirm. Nothing is
//! written until confirmation, and confirmation writes all rows in one transaction.

use std::collections::{HashMap, HashSet};
use std::io::Cursor;

use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use kantor_core::event::Audience;
use kantor_core::ids::{ImportId, OrgId, UnitId};
use kantor_core::import::{self, HeaderError, ImportContext, ImportRow};
use kantor_core::policy::Action;
use kantor_core::role::{MemberStatus, Role};
use kantor_store::orgs::{self, NewInvite, NewMembership};
use kantor_store::{accounts, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{actor, require, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::secrets;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct RowErrorDto {
    pub field: String,
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportRowDto {
    pub line: usize,
    pub name: String,
    pub email: String,
    #[schema(required = true)]
    pub phone: Option<String>,
    #[schema(required = true)]
    pub employee_number: Option<String>,
    /// `Dinas Kominfo/Bidang TIK`
    pub unit_path: String,
    #[schema(required = true)]
    pub position: Option<String>,
    pub time_zone: String,
    pub errors: Vec<RowErrorDto>,
}

fn row_dto(r: &ImportRow) -> ImportRowDto {
    ImportRowDto {
        line: r.line,
        name: r.name.clone(),
        email: r.email.clone(),
        phone: r.phone.clone(),
        employee_number: r.employee_number.clone(),
        unit_path: r.unit_path.join("/"),
        position: r.position.clone(),
        time_zone: r.time_zone.clone(),
        errors: r
            .errors
            .iter()
            .map(|e| RowErrorDto {
                field: e.field.to_string(),
                code: e.code.to_string(),
            })
            .collect(),
    }
}

/// Where an import stands.
// Only for the schema (`value_type = ImportStatus`): the store keeps it as text.
#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Preview,
    Confirmed,
}

#[derive(Serialize, ToSchema)]
pub struct ImportPreview {
    pub id: String,
    #[schema(value_type = ImportStatus)]
    pub status: String,
    pub rows: Vec<ImportRowDto>,
    pub valid_count: usize,
    pub error_count: usize,
}

/// The stored form of a preview row (what confirmation will write).
#[derive(Serialize, Deserialize)]
struct StoredRow {
    line: usize,
    name: String,
    email: String,
    phone: Option<String>,
    employee_number: Option<String>,
    unit_path: Vec<String>,
    position: Option<String>,
    time_zone: String,
    errors: Vec<(String, String)>,
}

fn to_import_row(s: &StoredRow) -> ImportRow {
    ImportRow {
        line: s.line,
        name: s.name.clone(),
        email: s.email.clone(),
        phone: s.phone.clone(),
        employee_number: s.employee_number.clone(),
        unit_path: s.unit_path.clone(),
        position: s.position.clone(),
        time_zone: s.time_zone.clone(),
        errors: s
            .errors
            .iter()
            .map(|(f, c)| import::RowError {
                field: leak_known(f),
                code: leak_known(c),
            })
            .collect(),
    }
}

/// Row error fields and codes come from a small fixed set; map stored text back to it.
fn leak_known(s: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "name",
        "email",
        "phone",
        "employee_number",
        "unit",
        "position",
        "time_zone",
        "validation.required",
        "validation.too_long",
        "validation.invalid",
        "validation.email",
        "validation.phone",
        "validation.time_zone",
        "member.email_taken",
        "member.employee_number_taken",
        "import.duplicate_in_file",
    ];
    KNOWN
        .iter()
        .find(|k| **k == s)
        .copied()
        .unwrap_or("validation.invalid")
}

fn stored(r: &ImportRow) -> StoredRow {
    StoredRow {
        line: r.line,
        name: r.name.clone(),
        email: r.email.clone(),
        phone: r.phone.clone(),
        employee_number: r.employee_number.clone(),
        unit_path: r.unit_path.clone(),
        position: r.position.clone(),
        time_zone: r.time_zone.clone(),
        errors: r
            .errors
            .iter()
            .map(|e| (e.field.to_string(), e.code.to_string()))
            .collect(),
    }
}

/// Cells of the first sheet (XLSX) or of the CSV (comma or semicolon separated, as Indonesian
/// Excel writes it).
fn parse_cells(bytes: &[u8]) -> Result<Vec<Vec<String>>, ApiError> {
    let unreadable = || {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "import.unreadable",
            "send a CSV or XLSX file",
        )
    };
    if bytes.starts_with(b"PK\x03\x04") {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(unreadable)?
            .map_err(|_| unreadable())?;
        return Ok(range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|c| match c {
                        calamine::Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e17 => {
                            format!("{}", *f as i64)
                        }
                        calamine::Data::Int(i) => i.to_string(),
                        calamine::Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| unreadable())?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| unreadable())?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

async fn validate(
    state: &AppState,
    org_id: OrgId,
    header: &[String],
    rows: &[Vec<String>],
) -> ApiResult<Vec<ImportRow>> {
    let org = state.store.org(org_id).await?;
    let (emails, numbers) = state.store.member_keys(org_id).await?;
    let emails: HashSet<String> = emails.into_iter().collect();
    let numbers: HashSet<String> = numbers.into_iter().collect();
    let ctx = ImportContext {
        default_time_zone: &org.default_time_zone,
        existing_emails: &emails,
        existing_employee_numbers: &numbers,
    };
    import::validate_rows(header, rows, &ctx).map_err(|e| match e {
        HeaderError::MissingColumn(c) => ApiError::invalid(
            c,
            "import.missing_column",
            format!("the file has no `{c}` column"),
        ),
        HeaderError::TooManyRows => ApiError::too_large(
            "import.too_many_rows",
            format!("at most {} rows per import", import::MAX_ROWS),
        ),
        HeaderError::Empty => ApiError::invalid("file", "import.empty", "the file is empty"),
    })
}

fn preview_dto(id: ImportId, status: &str, rows: &[ImportRow]) -> ImportPreview {
    let error_count = rows.iter().filter(|r| !r.errors.is_empty()).count();
    ImportPreview {
        id: id.to_string(),
        status: status.into(),
        rows: rows.iter().map(row_dto).collect(),
        valid_count: rows.len() - error_count,
        error_count,
    }
}

/// Uploads a staff file (the raw CSV or XLSX bytes as the body) and returns the preview.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/imports", operation_id = "upload_import", tag = "orgs", params(("org_id" = String, Path)),
    request_body(description = "The staff file", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 201, body = ImportPreview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    req: Request,
) -> ApiResult<(StatusCode, axum::Json<ImportPreview>)> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ImportMembers)?;
    let _ = req.headers().get(header::CONTENT_TYPE);
    let bytes = crate::extract::read_body(req, state.config.max_import_bytes).await?;
    let mut cells = parse_cells(&bytes)?;
    if cells.is_empty() {
        return Err(ApiError::invalid(
            "file",
            "import.empty",
            "the file is empty",
        ));
    }
    let header = cells.remove(0);
    let rows = validate(&state, org_id, &header, &cells).await?;
    let stored_rows: Vec<StoredRow> = rows.iter().map(stored).collect();
    let json = serde_json::to_string(&stored_rows).map_err(|e| anyhow::anyhow!(e))?;
    let errors = rows.iter().filter(|r| !r.errors.is_empty()).count() as i64;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let id = orgs::insert_import(
        &mut tx,
        org_id,
        caller.user_id,
        &json,
        rows.len() as i64 - errors,
        errors,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(preview_dto(id, "preview", &rows)),
    ))
}

/// A preview again (e.g. after a page reload).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/imports/{import_id}", operation_id = "get_import", tag = "orgs", params(("org_id" = String, Path), ("import_id" = String, Path)),
    responses((status = 200, body = ImportPreview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, import_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<ImportPreview>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let import_id: ImportId = parse_id(&import_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ImportMembers)?;
    let imp = state.store.import(org_id, import_id).await?;
    let rows: Vec<StoredRow> =
        serde_json::from_str(&imp.rows_json).map_err(|e| anyhow::anyhow!(e))?;
    let rows: Vec<ImportRow> = rows.iter().map(to_import_row).collect();
    Ok(axum::Json(preview_dto(import_id, &imp.status, &rows)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmImport {
    /// Import the valid rows even though others have errors.
    #[serde(default)]
    pub skip_invalid: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ImportedInvite {
    pub name: String,
    pub email: String,
    /// The person's invite link (shown once; also downloadable as CSV by the web app).
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    pub imported: usize,
    pub skipped: usize,
    pub units_created: usize,
    pub invites: Vec<ImportedInvite>,
}

/// Imports the previewed people: units along their paths are created, each person gets an
/// account (if new), an invited membership and an invite link valid for 14 days.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/imports/{import_id}/confirm", operation_id = "confirm_import", tag = "orgs", params(("org_id" = String, Path), ("import_id" = String, Path)), request_body = ConfirmImport,
    responses((status = 200, body = ImportResult), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, import_id)): Path<(String, String)>,
    Json(req): Json<ConfirmImport>,
) -> ApiResult<axum::Json<ImportResult>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let import_id: ImportId = parse_id(&import_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ImportMembers)?;
    let imp = state.store.import(org_id, import_id).await?;
    if imp.status != "preview" {
        return Err(ApiError::conflict(
            "import.already_confirmed",
            "this import was already confirmed",
        ));
    }
    let stored_rows: Vec<StoredRow> =
        serde_json::from_str(&imp.rows_json).map_err(|e| anyhow::anyhow!(e))?;
    // Check again against the organisation as it is now: people may have joined since.
    let header: Vec<String> = [
        "name",
        "email",
        "phone",
        "employee_number",
        "unit",
        "position",
        "time_zone",
    ]
    .map(String::from)
    .to_vec();
    let cells: Vec<Vec<String>> = stored_rows
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.email.clone(),
                r.phone.clone().unwrap_or_default(),
                r.employee_number.clone().unwrap_or_default(),
                r.unit_path.join("/"),
                r.position.clone().unwrap_or_default(),
                r.time_zone.clone(),
            ]
        })
        .collect();
    let mut rows = validate(&state, org_id, &header, &cells).await?;
    for (row, s) in rows.iter_mut().zip(&stored_rows) {
        row.line = s.line;
        if row.errors.is_empty() && !s.errors.is_empty() {
            row.errors = to_import_row(s).errors;
        }
    }
    let invalid = rows.iter().filter(|r| !r.errors.is_empty()).count();
    if invalid > 0 && !req.skip_invalid {
        return Err(ApiError::invalid(
            "rows",
            "import.has_errors",
            format!("{invalid} rows have errors; fix them or confirm with skip_invalid"),
        ));
    }
    let now = state.clock.now_ms();
    let expires = now + 14 * 86_400_000;
    let confirmed_rows: Vec<StoredRow> = rows.iter().map(stored).collect();
    let mut tx = state.store.begin().await?;
    // Claim the preview first: a concurrent confirmation waits on its row (PostgreSQL) or on
    // the writer (SQLite) and then finds it confirmed, instead of colliding on the people.
    orgs::confirm_import(
        &mut tx,
        org_id,
        import_id,
        &serde_json::to_string(&confirmed_rows).map_err(|e| anyhow::anyhow!(e))?,
        now,
    )
    .await
    .map_err(|e| match e {
        StoreError::Conflict(_) => ApiError::conflict(
            "import.already_confirmed",
            "this import was already confirmed",
        ),
        other => other.into(),
    })?;
    let mut units: HashMap<(Option<UnitId>, String), UnitId> = orgs::units(&mut tx, org_id)
        .await?
        .into_iter()
        .map(|u| ((u.parent_id, u.name.to_lowercase()), u.id))
        .collect();
    let mut units_created = 0;
    let org_name = orgs::org_by_id(&mut tx, org_id).await?.name;
    let mut invites = Vec::new();
    for row in rows.iter().filter(|r| r.errors.is_empty()) {
        let mut parent = None;
        for name in &row.unit_path {
            let key = (parent, name.to_lowercase());
            let id = match units.get(&key) {
                Some(id) => *id,
                None => {
                    let id = orgs::insert_unit(&mut tx, org_id, parent, name, None, now).await?;
                    units.insert(key, id);
                    units_created += 1;
                    id
                }
            };
            parent = Some(id);
        }
        let user_id = match accounts::user_id_by_email(&mut tx, &row.email).await? {
            Some(id) => id,
            None => {
                accounts::insert_user(
                    &mut tx,
                    &accounts::NewUser {
                        email: &row.email,
                        name: &row.name,
                        phone: row.phone.as_deref(),
                        password_hash: None,
                        language: "id",
                        time_zone: &row.time_zone,
                    },
                    now,
                )
                .await?
                .id
            }
        };
        let has_password = accounts::has_password(&mut tx, user_id).await?;
        orgs::insert_membership(
            &mut tx,
            &NewMembership {
                org_id,
                user_id,
                role: Role::Member,
                status: if has_password {
                    MemberStatus::Active
                } else {
                    MemberStatus::Invited
                },
                unit_id: parent,
                position: row.position.as_deref(),
                employee_number: row.employee_number.as_deref(),
            },
            now,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::conflict(
                "import.conflict",
                format!("line {} conflicts with an existing member", row.line),
            ),
            other => other.into(),
        })?;
        if !has_password {
            let token = secrets::new_token("ki_");
            orgs::insert_invite(
                &mut tx,
                &NewInvite {
                    org_id,
                    token_hash: &secrets::token_hash(&token),
                    email: Some(&row.email),
                    role: Role::Member,
                    unit_id: parent,
                    created_by: Some(caller.user_id),
                    expires_at: expires,
                },
                now,
            )
            .await?;
            let url = format!("{}/invite/{token}", state.base_url);
            let (subject, body) = crate::email::invite(&org_name, &url);
            crate::email::queue(
                &state,
                &mut tx,
                &crate::email::Email {
                    to: row.email.clone(),
                    subject,
                    body,
                },
                now,
            )
            .await?;
            invites.push(ImportedInvite {
                name: row.name.clone(),
                email: row.email.clone(),
                url,
            });
        }
    }
    let imported = rows.iter().filter(|r| r.errors.is_empty()).count();
    // People imported with a password already are active: they join the org-wide groups.
    super::chat::groups::follow_org_all(&mut tx, org_id, now).await?;
    super::audit(&mut tx, org_id, Some(caller.user_id), "import.confirm", Some(import_id.to_string()),
        serde_json::json!({"imported": imported, "skipped": invalid, "units_created": units_created}), now).await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "member.imported",
        serde_json::json!({"count": imported}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(ImportResult {
        imported,
        skipped: invalid,
        units_created,
        invites,
    }))
}

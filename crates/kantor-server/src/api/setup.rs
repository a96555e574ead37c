//! First-run setup: the person holding the one-time setup link creates the first organisation
//! and becomes its owner.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kantor_core::event::Audience;
use kantor_core::role::{MemberStatus, Role};
use kantor_core::validate;
use kantor_store::{accounts, orgs, settings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::session::{ip_of, start_session};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Json;
use crate::secrets;
use crate::state::AppState;

pub const SETUP_TOKEN_KEY: &str = "setup_token_hash";

#[derive(Serialize, ToSchema)]
pub struct SetupStatus {
    /// True until the first organisation exists.
    pub needed: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The token from the setup link `kantor serve` printed.
    pub token: String,
    pub org_name: String,
    pub name: String,
    pub email: String,
    pub password: String,
    pub time_zone: String,
    #[schema(value_type = super::Language)]
    pub language: String,
}

/// Whether setup is still needed, and the setup token when this start created it.
pub enum SetupState {
    Done,
    /// This node created the token: print its link.
    Needed(String),
    /// Another node (or an earlier start) created the token; only its hash is stored, so this
    /// node cannot print the link. `kantor admin setup-link` makes a new one.
    NeededElsewhere,
}

/// Creates the one-time setup token when no organisation exists and no token does either. With
/// several nodes starting on an empty database, the first one prints the link.
pub async fn prepare(state: &AppState) -> anyhow::Result<SetupState> {
    let mut tx = state.store.begin().await?;
    if orgs::count_orgs(&mut tx).await? > 0 {
        return Ok(SetupState::Done);
    }
    let token = secrets::new_token("");
    let created =
        settings::put_if_absent(&mut tx, SETUP_TOKEN_KEY, &secrets::token_hash(&token)).await?;
    tx.commit().await?;
    Ok(if created {
        SetupState::Needed(token)
    } else {
        SetupState::NeededElsewhere
    })
}

/// Replaces the setup token with a new one (for `kantor admin setup-link`); `None` when setup
/// was already completed.
pub async fn renew(store: &kantor_store::Store) -> anyhow::Result<Option<String>> {
    let mut tx = store.begin().await?;
    if orgs::count_orgs(&mut tx).await? > 0 {
        return Ok(None);
    }
    let token = secrets::new_token("");
    settings::put(&mut tx, SETUP_TOKEN_KEY, &secrets::token_hash(&token)).await?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Whether first-run setup is still needed.
#[utoipa::path(get, path = "/api/v1/setup", operation_id = "get_setup", security(()), tag = "setup", responses((status = 200, body = SetupStatus)))]
pub async fn status(State(state): State<AppState>) -> ApiResult<axum::Json<SetupStatus>> {
    let mut conn = state.store.read_conn().await?;
    let needed = orgs::count_orgs(&mut conn).await? == 0;
    Ok(axum::Json(SetupStatus { needed }))
}

/// Creates the first organisation and its owner, and signs the owner in.
#[utoipa::path(post, path = "/api/v1/setup", operation_id = "complete_setup", security(()), tag = "setup", request_body = SetupRequest,
    responses((status = 200, body = super::MeDto), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<SetupRequest>,
) -> ApiResult<Response> {
    let org_name = validate::name("org_name", &req.org_name)?;
    let name = validate::name("name", &req.name)?;
    let email = validate::email(&req.email)?;
    validate::password("password", &req.password)?;
    let time_zone = validate::time_zone("time_zone", &req.time_zone)?;
    let language = validate::language(&req.language)?;
    let password = req.password.clone();
    let hash = tokio::task::spawn_blocking(move || secrets::hash_password(&password))
        .await
        .map_err(|e| anyhow::anyhow!(e))??;

    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    // Take the one-time token first: a concurrent setup waits on its row (PostgreSQL) and then
    // finds it gone, so only one organisation is ever created this way.
    let taken = settings::take(
        &mut tx,
        SETUP_TOKEN_KEY,
        &secrets::token_hash(req.token.trim()),
    )
    .await?;
    if orgs::count_orgs(&mut tx).await? > 0 {
        return Err(ApiError::conflict(
            "setup.already_done",
            "setup was already completed; sign in instead",
        ));
    }
    if !taken {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "setup.token_invalid",
            "the setup link is not valid; use the one kantor serve printed",
        ));
    }
    let user = accounts::insert_user(
        &mut tx,
        &accounts::NewUser {
            email: &email,
            name: &name,
            phone: None,
            password_hash: Some(&hash),
            language: &language,
            time_zone: &time_zone,
        },
        now,
    )
    .await?;
    let org = create_org_with_owner(
        &mut tx,
        &org_name,
        &time_zone,
        user.id,
        Some(user.id),
        "setup",
        now,
    )
    .await?;
    tracing::info!(org = %org.id, "setup completed");
    start_session(&state, tx, user.id, &headers, ip_of(&state, &headers, peer)).await
}

/// Creates an organisation with `owner` as its active owner, audited and announced, inside
/// `tx`. Used by first-run setup and by `kantor admin bootstrap` (`actor` `None`, `via` "cli").
pub async fn create_org_with_owner(
    tx: &mut kantor_store::Tx,
    name: &str,
    time_zone: &str,
    owner: kantor_core::ids::UserId,
    actor: Option<kantor_core::ids::UserId>,
    via: &str,
    now: i64,
) -> ApiResult<orgs::Org> {
    let org = orgs::insert_org(tx, name, time_zone, now).await?;
    orgs::insert_membership(
        tx,
        &orgs::NewMembership {
            org_id: org.id,
            user_id: owner,
            role: Role::Owner,
            status: MemberStatus::Active,
            unit_id: None,
            position: None,
            employee_number: None,
        },
        now,
    )
    .await?;
    super::audit(
        tx,
        org.id,
        actor,
        "org.create",
        Some(org.id.to_string()),
        serde_json::json!({"name": org.name, "via": via}),
        now,
    )
    .await?;
    super::emit(
        tx,
        Audience::Org { org_id: org.id },
        "org.created",
        serde_json::json!({"org_id": org.id}),
        now,
    )
    .await?;
    Ok(org)
}

//! The organisation's public holidays and collective leave days (*cuti bersama*), which change
//! every year: admins keep the list, everyone reads it. Meeting series that run on weekdays
//! skip these days (`kantor_core::schedule`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use kantor_core::event::Audience;
use kantor_core::ids::OrgId;
use kantor_core::policy::Action;
use kantor_core::validate;
use kantor_store::schedule as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::parse_id;
use crate::auth::{actor, require, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

const MAX_HOLIDAY_NAME_CHARS: usize = 100;

#[derive(Serialize, Deserialize, ToSchema, Clone, Debug, PartialEq, Eq)]
pub struct HolidayDto {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub name: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct HolidayQuery {
    /// A year (default: this year in UTC).
    pub year: Option<i16>,
}

/// A civil date as `YYYY-MM-DD`, or 422.
pub fn parse_day(field: &'static str, s: &str) -> ApiResult<jiff::civil::Date> {
    let bad = || ApiError::invalid(field, "validation.invalid", "a date as YYYY-MM-DD");
    if s.len() != 10 {
        return Err(bad());
    }
    s.parse::<jiff::civil::Date>().map_err(|_| bad())
}

/// The holidays of one year.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/holidays", operation_id = "list_holidays", tag = "orgs", params(("org_id" = String, Path), HolidayQuery),
    responses((status = 200, body = Vec<HolidayDto>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<HolidayQuery>,
) -> ApiResult<axum::Json<Vec<HolidayDto>>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::ReadOrg)?;
    let year = match q.year {
        Some(y) if (1900..=2999).contains(&y) => y,
        Some(_) => {
            return Err(ApiError::invalid(
                "year",
                "validation.invalid",
                "a year from 1900 to 2999",
            ))
        }
        None => jiff::Timestamp::from_millisecond(state.clock.now_ms())
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).year())
            .unwrap_or(2026),
    };
    let days = store::holidays(
        &mut *state.store.read_conn().await?,
        org_id,
        &format!("{year:04}-01-01"),
        &format!("{year:04}-12-31"),
    )
    .await?;
    Ok(axum::Json(
        days.into_iter()
            .map(|h| HolidayDto {
                day: h.day,
                name: h.name,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HolidayInput {
    pub name: String,
}

/// Adds or renames a holiday (admins).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/holidays/{day}", operation_id = "put_holiday", tag = "orgs", params(("org_id" = String, Path), ("day" = String, Path)), request_body = HolidayInput,
    responses((status = 200, body = HolidayDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, day)): Path<(String, String)>,
    Json(req): Json<HolidayInput>,
) -> ApiResult<axum::Json<HolidayDto>> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::UpdateOrg)?;
    let date = parse_day("day", &day)?;
    let name = validate::text("name", &req.name, MAX_HOLIDAY_NAME_CHARS)?;
    let day = date.to_string();
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    store::put_holiday(&mut tx, org_id, &day, &name).await?;
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "holiday.put",
        Some(day.clone()),
        serde_json::json!({"name": name}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "holidays.changed",
        serde_json::json!({"day": day}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(HolidayDto { day, name }))
}

/// Removes a holiday (admins).
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/holidays/{day}", operation_id = "delete_holiday", tag = "orgs", params(("org_id" = String, Path), ("day" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, day)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let org_id: OrgId = parse_id(&org_id)?;
    let a = actor(&state, &caller, org_id).await?;
    require(&a, Action::UpdateOrg)?;
    let day = parse_day("day", &day)
        .map_err(|_| ApiError::not_found())?
        .to_string();
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    if !store::delete_holiday(&mut tx, org_id, &day).await? {
        return Err(ApiError::not_found());
    }
    super::audit(
        &mut tx,
        org_id,
        Some(caller.user_id),
        "holiday.delete",
        Some(day.clone()),
        serde_json::json!({}),
        now,
    )
    .await?;
    super::emit(
        &mut tx,
        Audience::Org { org_id },
        "holidays.changed",
        serde_json::json!({"day": day}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

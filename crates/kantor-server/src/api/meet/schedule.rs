//! Scheduled meetings: a series (start in the organiser's zone, duration, recurrence with
//! exceptions; `kantor_core::schedule`) on a meeting of kind `scheduled`, its invitees (people
//! and units), the invitation `.ics`, each person's calendar (`GET /calendar`) and feed URL,
//! and the jobs that tell invitees: `meet.notify` (invited, updated, cancelled — in-app event
//! and a direct message from the organisation's Kantor bot, in each person's language) and
//! `meet.remind` (10 minutes before each occurrence; each run schedules the next).
//!
//! The series is stored as JSON on the meeting with its first start and last end (none: it
//! never ends), so a window's meetings are one indexed read and are expanded in memory. Every
//! change bumps the meeting's `ics_sequence` (iCalendar SEQUENCE); reminder jobs carry the
//! sequence they were made for and do nothing once it moved on.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use kantor_core::event::{Audience, MAX_USERS_PER_EVENT};
use kantor_core::ids::{MeetingId, OrgId, UnitId, UserId};
use kantor_core::meet::{self as rules, MeetingKind, MeetingRole};
use kantor_core::recurrence::{self as rec, Freq, Rule, Series};
use kantor_core::validate;
use kantor_store::jobs::NewJob;
use kantor_store::meet::{self as store, Meeting, NewMeeting};
use kantor_store::schedule as sstore;
use serde::Deserialize;

use super::schedule_dto::*;
use super::{load, meeting_dto, meeting_role, member_of, MeetCaller, MeetingDto};
use crate::api::chat::UserRefDto;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

/// The job that tells invitees they were invited, or that the meeting changed or was cancelled.
pub const NOTIFY: &str = "meet.notify";
/// The job that reminds host and invitees 10 minutes before an occurrence.
pub const REMIND: &str = "meet.remind";
/// How long before an occurrence the reminder goes out.
pub const REMIND_BEFORE_MS: i64 = 10 * 60_000;
/// The longest calendar window one request may ask for.
const MAX_WINDOW_DAYS: i64 = 92;
const MAX_AGENDA_CHARS: usize = 4000;
const MAX_INVITEES: usize = 500;

// --- the series ----------------------------------------------------------------------------------

fn bad_schedule(field: &'static str, message: &str) -> ApiError {
    ApiError::invalid(field, "validation.invalid", message.to_string())
}

/// `YYYY-MM-DDTHH:MM` (seconds allowed), civil.
fn civil(field: &'static str, s: &str) -> ApiResult<DateTime> {
    s.trim()
        .parse::<DateTime>()
        .map_err(|_| bad_schedule(field, "a civil date and time as YYYY-MM-DDTHH:MM"))
}

fn day(field: &'static str, s: &str) -> ApiResult<Date> {
    crate::api::holidays::parse_day(field, s)
}

/// The series a request describes (checked: it has at least one occurrence, given the
/// organisation's holidays), with those holidays.
async fn series_of(
    conn: &mut kantor_store::Conn,
    org_id: OrgId,
    input: &SeriesInput,
    default_zone: &str,
) -> ApiResult<(Series, Vec<Date>)> {
    let zone_name = validate::time_zone(
        "time_zone",
        input.time_zone.as_deref().unwrap_or(default_zone),
    )?;
    let start = civil("schedule.start", &input.start)?;
    let holidays = holidays_from(conn, org_id, start.date()).await?;
    let rec = input.recurrence.clone().unwrap_or(RecurrenceDto {
        freq: FrequencyDto::None,
        interval: 1,
        weekdays: Vec::new(),
        month_day: None,
        month_week: None,
        month_weekday: None,
        until: None,
        count: None,
    });
    let until = rec
        .until
        .as_deref()
        .map(|u| day("schedule.recurrence.until", u))
        .transpose()?;
    let rule = Rule {
        freq: match rec.freq {
            FrequencyDto::None => Freq::None,
            FrequencyDto::Daily => Freq::Daily,
            FrequencyDto::Weekdays => Freq::Weekdays,
            FrequencyDto::Weekly => Freq::Weekly,
            FrequencyDto::Monthly => Freq::Monthly,
        },
        interval: rec.interval,
        weekdays: rec.weekdays.iter().map(|d| weekday_number(*d)).collect(),
        month_day: rec.month_day,
        month_week: rec.month_week,
        month_weekday: rec.month_weekday.map(weekday_number),
        until,
        count: rec.count,
    };
    let series = Series::new(&zone_name, start, input.duration_minutes, rule, &holidays)?;
    Ok((series, holidays))
}

fn weekday_number(d: WeekdayDto) -> u8 {
    match d {
        WeekdayDto::Mo => 0,
        WeekdayDto::Tu => 1,
        WeekdayDto::We => 2,
        WeekdayDto::Th => 3,
        WeekdayDto::Fr => 4,
        WeekdayDto::Sa => 5,
        WeekdayDto::Su => 6,
    }
}

const WEEKDAYS: [WeekdayDto; 7] = [
    WeekdayDto::Mo,
    WeekdayDto::Tu,
    WeekdayDto::We,
    WeekdayDto::Th,
    WeekdayDto::Fr,
    WeekdayDto::Sa,
    WeekdayDto::Su,
];

/// A series as the API shows it, with a summary in `lang`.
fn schedule_dto(s: &Series, lang: &str) -> ScheduleDto {
    let r = &s.rule;
    let weekday = |n: u8| WEEKDAYS[n as usize % 7];
    ScheduleDto {
        start: s.start.strftime("%Y-%m-%dT%H:%M").to_string(),
        time_zone: s.zone.clone(),
        duration_minutes: s.duration_minutes,
        recurrence: RecurrenceDto {
            freq: match r.freq {
                Freq::None => FrequencyDto::None,
                Freq::Daily => FrequencyDto::Daily,
                Freq::Weekdays => FrequencyDto::Weekdays,
                Freq::Weekly => FrequencyDto::Weekly,
                Freq::Monthly => FrequencyDto::Monthly,
            },
            interval: r.interval,
            weekdays: r.weekdays.iter().map(|d| weekday(*d)).collect(),
            month_day: r.month_day,
            month_week: r.month_week,
            month_weekday: r.month_weekday.map(weekday),
            until: r.until.map(|d| d.to_string()),
            count: r.count,
        },
        exceptions: s
            .exceptions
            .iter()
            .map(|e| ExceptionDto {
                date: e.date.to_string(),
                cancelled: e.cancelled,
                start: e.start.map(|t| t.strftime("%Y-%m-%dT%H:%M").to_string()),
                duration_minutes: e.duration_minutes,
            })
            .collect(),
        summary: summary(s, lang == "en"),
    }
}

/// "Setiap Senin, 09.00 WIB" / "Every Monday, 09:00 WIB".
fn summary(s: &Series, english: bool) -> String {
    let r = &s.rule;
    let days: [&str; 7] = if english {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ]
    } else {
        [
            "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
        ]
    };
    let list = |ds: &[u8]| {
        let names: Vec<&str> = ds.iter().map(|d| days[*d as usize % 7]).collect();
        names.join(", ")
    };
    let n = r.interval;
    let how = match (r.freq, english) {
        (Freq::None, false) => format!("Sekali, {}", s.start.date().strftime("%d-%m-%Y")),
        (Freq::None, true) => format!("Once, {}", s.start.date().strftime("%Y-%m-%d")),
        (Freq::Daily, false) if n == 1 => "Setiap hari".to_string(),
        (Freq::Daily, true) if n == 1 => "Every day".to_string(),
        (Freq::Daily, false) => format!("Setiap {n} hari"),
        (Freq::Daily, true) => format!("Every {n} days"),
        (Freq::Weekdays, false) => "Setiap hari kerja (kecuali hari libur)".to_string(),
        (Freq::Weekdays, true) => "Every weekday (except holidays)".to_string(),
        (Freq::Weekly, false) if n == 1 => format!("Setiap {}", list(&r.weekdays)),
        (Freq::Weekly, true) if n == 1 => format!("Every {}", list(&r.weekdays)),
        (Freq::Weekly, false) => format!("Setiap {n} minggu, {}", list(&r.weekdays)),
        (Freq::Weekly, true) => format!("Every {n} weeks on {}", list(&r.weekdays)),
        (Freq::Monthly, _) => {
            let on = match (r.month_day, r.month_week, r.month_weekday, english) {
                (Some(d), _, _, false) => format!("tanggal {d}"),
                (Some(d), _, _, true) => format!("on day {d}"),
                (None, Some(w), Some(wd), false) => {
                    let nth = ["", "pertama", "kedua", "ketiga", "keempat"];
                    let which = if w < 0 {
                        "terakhir"
                    } else {
                        nth[w as usize % 5]
                    };
                    format!("{} {which}", days[wd as usize % 7])
                }
                (None, Some(w), Some(wd), true) => {
                    let nth = ["", "first", "second", "third", "fourth"];
                    let which = if w < 0 { "last" } else { nth[w as usize % 5] };
                    format!("on the {which} {}", days[wd as usize % 7])
                }
                _ => String::new(),
            };
            match (english, n) {
                (false, 1) => format!("Setiap bulan {on}"),
                (true, 1) => format!("Every month {on}"),
                (false, n) => format!("Setiap {n} bulan {on}"),
                (true, n) => format!("Every {n} months {on}"),
            }
        }
    };
    let sep = if english { ':' } else { '.' };
    let t = s.start.time();
    let tz = crate::clock::user_zone(&s.zone);
    let first = tz
        .to_ambiguous_zoned(s.start)
        .compatible()
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(0);
    format!(
        "{how}, {:02}{sep}{:02} {}",
        t.hour(),
        t.minute(),
        zone_abbreviation(&tz, &s.zone, first)
    )
}

/// The zone's abbreviation at `ms` (WIB, WITA, WIT…), else its name.
fn zone_abbreviation(tz: &TimeZone, name: &str, ms: i64) -> String {
    crate::clock::zone_abbreviation(tz, ms).unwrap_or_else(|| name.to_string())
}

/// The organisation's holidays from a series' first day on (for expanding weekday series).
async fn holidays_from(
    conn: &mut kantor_store::Conn,
    org_id: OrgId,
    from: Date,
) -> ApiResult<Vec<Date>> {
    let list = sstore::holidays(conn, org_id, &from.to_string(), "9999-12-31").await?;
    Ok(list.iter().filter_map(|h| h.day.parse().ok()).collect())
}

/// First start and last end of a series (422 `schedule.no_occurrences` when it has none).
fn bounds(series: &Series, holidays: &[Date]) -> ApiResult<(i64, Option<i64>)> {
    Ok(series.bounds(holidays)?)
}

/// The caller's language ("en" or "id") for texts made on the server.
async fn language(state: &AppState, user: UserId) -> String {
    state
        .store
        .user(user)
        .await
        .map(|u| u.language)
        .unwrap_or_else(|_| "id".into())
}

// --- creating, changing, cancelling --------------------------------------------------------------

/// Checks the invitees of a request: active members and units of the organisation.
async fn invitees_of(
    conn: &mut kantor_store::Conn,
    org_id: OrgId,
    given: &InviteesInput,
) -> ApiResult<sstore::Invitees> {
    if given.user_ids.len() + given.unit_ids.len() > MAX_INVITEES {
        return Err(ApiError::invalid(
            "invitees",
            "validation.invalid",
            "at most 500 people and units; invite a unit instead of its people",
        ));
    }
    let mut out = sstore::Invitees::default();
    for id in &given.user_ids {
        let bad = || {
            ApiError::invalid(
                "invitees.user_ids",
                "validation.invalid",
                "invite active members of this organisation",
            )
        };
        let user: UserId = id.trim().parse().map_err(|_| bad())?;
        let m = kantor_store::orgs::membership(&mut *conn, org_id, user)
            .await
            .map_err(|_| bad())?;
        if m.status != kantor_core::role::MemberStatus::Active {
            return Err(bad());
        }
        if !out.users.contains(&user) {
            out.users.push(user);
        }
    }
    for id in &given.unit_ids {
        let bad = || ApiError::invalid("invitees.unit_ids", "validation.invalid", "no such unit");
        let unit: UnitId = id.trim().parse().map_err(|_| bad())?;
        kantor_store::orgs::unit(&mut *conn, org_id, unit)
            .await
            .map_err(|_| bad())?;
        if !out.units.contains(&unit) {
            out.units.push(unit);
        }
    }
    Ok(out)
}

/// What `POST /meetings` passes on for a scheduled meeting.
pub struct NewScheduled<'a> {
    pub title: &'a str,
    pub agenda: Option<&'a str>,
    pub passcode: &'a str,
    pub waiting_room: kantor_core::meet::WaitingRoom,
    pub allow_guests: bool,
    pub schedule: &'a SeriesInput,
    pub invitees: Option<&'a InviteesInput>,
}

/// Makes a scheduled meeting (from `POST /meetings` with `schedule`).
pub async fn create(
    state: &AppState,
    who: &MeetCaller,
    host_name: &str,
    host_zone: &str,
    req: NewScheduled<'_>,
) -> ApiResult<Meeting> {
    let agenda =
        validate::optional_text("agenda", req.agenda, MAX_AGENDA_CHARS)?.unwrap_or_default();
    let mut conn = state.store.read_conn().await?;
    let (series, holidays) = series_of(&mut conn, who.org_id, req.schedule, host_zone).await?;
    let (first, last) = bounds(&series, &holidays)?;
    let invitees = invitees_of(
        &mut conn,
        who.org_id,
        req.invitees.unwrap_or(&InviteesInput::default()),
    )
    .await?;
    drop(conn);
    let json = serde_json::to_string(&series).map_err(anyhow::Error::from)?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let id = store::insert_meeting(
        &mut tx,
        &NewMeeting {
            kind: MeetingKind::Scheduled,
            agenda: &agenda,
            schedule: Some(&json),
            first_start_at: Some(first),
            last_end_at: last,
            ..NewMeeting::instant(
                who.org_id,
                who.user_id,
                host_name,
                req.title,
                req.passcode,
                req.waiting_room,
                req.allow_guests,
            )
        },
        || rules::generate_number(&mut rand::thread_rng()),
        now,
    )
    .await?;
    sstore::set_invitees(&mut tx, who.org_id, id, &invitees, now).await?;
    let m = store::meeting(&mut tx, who.org_id, id).await?;
    super::chat::create(&mut tx, &m, now).await?;
    let m = store::meeting(&mut tx, who.org_id, id).await?;
    schedule_jobs(&mut tx, &m, "invited", &holidays, now).await?;
    tx.commit().await?;
    tracing::info!(meeting_id = %m.id, "meeting scheduled");
    Ok(m)
}

/// Queues the notification to invitees and the next reminder (in the change's transaction).
async fn schedule_jobs(
    tx: &mut kantor_store::Tx,
    m: &Meeting,
    what: &str,
    holidays: &[Date],
    now: i64,
) -> ApiResult<()> {
    let seq = m.ics_sequence;
    kantor_store::jobs::schedule(
        &mut *tx,
        &NewJob {
            kind: NOTIFY,
            payload: &serde_json::json!({"meeting_id": m.id, "org_id": m.org_id, "what": what, "seq": seq}),
            run_at: now,
            max_attempts: 5,
            dedupe_key: Some(&format!("{NOTIFY}:{}:{seq}", m.id)),
        },
        now,
    )
    .await?;
    if what != "cancelled" {
        schedule_reminder(tx, m, holidays, now, now).await?;
    }
    Ok(())
}

/// Schedules the reminder of the first occurrence starting after `after` (none when the
/// series has no more).
async fn schedule_reminder(
    tx: &mut kantor_store::Tx,
    m: &Meeting,
    holidays: &[Date],
    after: i64,
    now: i64,
) -> ApiResult<()> {
    let Some(series) = series_on(m) else {
        return Ok(());
    };
    let Some(next) = series.next_after(holidays, after) else {
        return Ok(());
    };
    let seq = m.ics_sequence;
    let run_at = (next.start - REMIND_BEFORE_MS).max(now);
    kantor_store::jobs::schedule(
        &mut *tx,
        &NewJob {
            kind: REMIND,
            payload: &serde_json::json!({"meeting_id": m.id, "org_id": m.org_id, "date": next.date, "seq": seq}),
            run_at,
            max_attempts: 5,
            dedupe_key: Some(&format!("{REMIND}:{}:{seq}:{}", m.id, next.date)),
        },
        now,
    )
    .await?;
    Ok(())
}

/// The series stored on a scheduled meeting.
pub fn series_on(m: &Meeting) -> Option<Series> {
    m.schedule
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
}

/// Changes a scheduled meeting's series, agenda or invitees (from `PATCH /meetings/{id}`), in
/// the caller's transaction; the invitees are told.
pub async fn update(
    tx: &mut kantor_store::Tx,
    m: &Meeting,
    title: &str,
    agenda: Option<&str>,
    schedule: Option<&SeriesInput>,
    invitees: Option<&InviteesInput>,
    now: i64,
) -> ApiResult<()> {
    if m.kind != MeetingKind::Scheduled {
        return Err(ApiError::invalid(
            "schedule",
            "meeting.not_scheduled",
            "only scheduled meetings have a schedule, agenda and invitees",
        ));
    }
    if m.cancelled_at.is_some() {
        return Err(cancelled());
    }
    let agenda = match agenda {
        Some(a) => {
            validate::optional_text("agenda", Some(a), MAX_AGENDA_CHARS)?.unwrap_or_default()
        }
        None => m.agenda.clone(),
    };
    let old = series_on(m).ok_or_else(ApiError::internal)?;
    let (series, holidays) = match schedule {
        // A new series keeps no exceptions of the old one (its dates may not exist).
        Some(s) => series_of(&mut *tx, m.org_id, s, old.zone.as_str()).await?,
        None => {
            let holidays = holidays_from(&mut *tx, m.org_id, old.start.date()).await?;
            (old, holidays)
        }
    };
    let (first, last) = bounds(&series, &holidays)?;
    if let Some(i) = invitees {
        let checked = invitees_of(&mut *tx, m.org_id, i).await?;
        sstore::set_invitees(&mut *tx, m.org_id, m.id, &checked, now).await?;
    }
    let json = serde_json::to_string(&series).map_err(anyhow::Error::from)?;
    sstore::update_series(&mut *tx, m.id, title, &agenda, &json, first, last).await?;
    let m = store::meeting(&mut *tx, m.org_id, m.id).await?;
    schedule_jobs(tx, &m, "updated", &holidays, now).await
}

fn cancelled() -> ApiError {
    ApiError::gone("meeting.cancelled", "this meeting was cancelled")
}

/// Cancels a scheduled series (its host): invitees are told, its `.ics` says CANCELLED.
#[utoipa::path(delete, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}", operation_id = "cancel_meeting", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let who = member_of(&state, &caller, &org_id).await?;
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (m, _) = load(&mut tx, &who, &meeting_id).await?;
    if m.host_id != who.user_id {
        return Err(super::not_host());
    }
    if m.kind != MeetingKind::Scheduled {
        return Err(ApiError::invalid(
            "meeting_id",
            "meeting.not_scheduled",
            "only a scheduled meeting is cancelled; end other meetings",
        ));
    }
    if m.cancelled_at.is_some() {
        return Err(cancelled());
    }
    sstore::cancel_series(&mut tx, m.id, now).await?;
    let m = store::meeting(&mut tx, m.org_id, m.id).await?;
    schedule_jobs(&mut tx, &m, "cancelled", &[], now).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancels or moves one occurrence (host or cohost).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/occurrences/{date}", operation_id = "change_occurrence", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path), ("date" = String, Path)), request_body = OccurrenceInput,
    responses((status = 200, body = MeetingDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 410, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_occurrence(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id, date)): Path<(String, String, String)>,
    Json(req): Json<OccurrenceInput>,
) -> ApiResult<axum::Json<MeetingDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    {
        let mut conn = state.store.read_conn().await?;
        let (m, me) = load(&mut conn, &who, &meeting_id).await?;
        if !meeting_role(&m, who.user_id, me.as_ref()).is_some_and(MeetingRole::runs_meeting) {
            return Err(super::not_host());
        }
    }
    let date = day("date", &date)?;
    let moved = match (&req.start, req.cancelled) {
        (Some(_), true) => {
            return Err(bad_schedule(
                "start",
                "cancel an occurrence or move it, not both",
            ))
        }
        (Some(s), false) => Some(civil("start", s)?),
        (None, false) if req.duration_minutes.is_none() => {
            return Err(bad_schedule(
                "start",
                "give cancelled, or a new start and/or duration",
            ))
        }
        _ => None,
    };
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    let (m, me) = load(&mut tx, &who, &meeting_id).await?;
    if !meeting_role(&m, who.user_id, me.as_ref()).is_some_and(MeetingRole::runs_meeting) {
        return Err(super::not_host());
    }
    if m.kind != MeetingKind::Scheduled {
        return Err(ApiError::invalid(
            "meeting_id",
            "meeting.not_scheduled",
            "only scheduled meetings have occurrences",
        ));
    }
    if m.cancelled_at.is_some() {
        return Err(cancelled());
    }
    let series = series_on(&m).ok_or_else(ApiError::internal)?;
    let holidays = holidays_from(&mut tx, m.org_id, series.start.date()).await?;
    let series =
        series.with_exception(&holidays, date, req.cancelled, moved, req.duration_minutes)?;
    let (first, last) = bounds(&series, &holidays)?;
    let json = serde_json::to_string(&series).map_err(anyhow::Error::from)?;
    sstore::update_series(&mut tx, m.id, &m.title, &m.agenda, &json, first, last).await?;
    let m = store::meeting(&mut tx, m.org_id, m.id).await?;
    schedule_jobs(&mut tx, &m, "updated", &holidays, now).await?;
    tx.commit().await?;
    let lang = language(&state, who.user_id).await;
    let mut dto = meeting_dto(&state, &m, true);
    decorate(&state, &mut dto, &m, &holidays, &lang);
    Ok(axum::Json(dto))
}

// --- what members see ------------------------------------------------------------------------------

/// Fills a meeting's schedule fields for the caller (`holidays` from the series' start on).
pub fn decorate(
    state: &AppState,
    dto: &mut MeetingDto,
    m: &Meeting,
    holidays: &[Date],
    lang: &str,
) {
    dto.cancelled = m.cancelled_at.is_some();
    let Some(series) = series_on(m) else {
        return;
    };
    let now = state.clock.now_ms();
    dto.next_occurrence = series
        .next_after(holidays, now - duration_ms(&series))
        .filter(|o| o.end > now)
        .map(|o| occurrence_dto(&o));
    dto.schedule = Some(schedule_dto(&series, lang));
    dto.ics_url = Some(format!(
        "/api/v1/orgs/{}/meetings/{}/invitation.ics",
        m.org_id, m.id
    ));
}

fn duration_ms(series: &Series) -> i64 {
    i64::from(series.duration_minutes) * 60_000
}

fn occurrence_dto(o: &rec::Occurrence) -> OccurrenceDto {
    OccurrenceDto {
        date: o.date.to_string(),
        start: rfc3339(o.start),
        end: rfc3339(o.end),
        moved: o.moved,
    }
}

/// Decorates meetings for a list (holidays read once).
pub async fn decorate_all(
    state: &AppState,
    conn: &mut kantor_store::Conn,
    pairs: &mut [(MeetingDto, &Meeting)],
    org_id: OrgId,
    user: UserId,
) -> ApiResult<()> {
    if !pairs.iter().any(|(_, m)| m.kind == MeetingKind::Scheduled) {
        return Ok(());
    }
    let earliest = pairs
        .iter()
        .filter_map(|(_, m)| series_on(m))
        .map(|s| s.start.date())
        .min()
        .unwrap_or(Date::constant(2000, 1, 1));
    let holidays = holidays_from(conn, org_id, earliest).await?;
    let lang = language(state, user).await;
    for (dto, m) in pairs.iter_mut() {
        decorate(state, dto, m, &holidays, &lang);
    }
    Ok(())
}

/// A scheduled meeting's invitees.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/invitees", operation_id = "meeting_invitees", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 200, body = InviteesDto), (status = 404, body = ErrorBody)))]
pub async fn invitees(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<axum::Json<InviteesDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let (m, _) = load(&mut conn, &who, &meeting_id).await?;
    let invited = sstore::invitees(&mut conn, m.id).await?;
    let mut users = Vec::new();
    for u in &invited.users {
        users.push(UserRefDto::from(
            &kantor_store::chat::user_ref(&mut conn, *u).await?,
        ));
    }
    let mut units = Vec::new();
    for u in &invited.units {
        let unit = kantor_store::orgs::unit(&mut conn, who.org_id, *u).await?;
        units.push(UnitRefDto {
            id: unit.id.to_string(),
            name: unit.name,
        });
    }
    let people = sstore::invited_people(&mut conn, who.org_id, m.id).await?;
    Ok(axum::Json(InviteesDto {
        users,
        units,
        people_count: people.len() as i64,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct WindowQuery {
    /// RFC 3339; default now.
    pub from: Option<String>,
    /// RFC 3339; default 14 days after `from`; at most 92 days after it.
    pub to: Option<String>,
}

/// The caller's scheduled occurrences in a window: meetings they host or are invited to (by
/// name or through their unit or a unit above it), by start.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/calendar", operation_id = "my_calendar", tag = "meetings", params(("org_id" = String, Path), WindowQuery),
    responses((status = 200, body = CalendarDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calendar(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
    Query(q): Query<WindowQuery>,
) -> ApiResult<axum::Json<CalendarDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let instant = |field: &'static str, s: &str| -> ApiResult<i64> {
        s.parse::<Timestamp>()
            .map(|t| t.as_millisecond())
            .map_err(|_| ApiError::invalid(field, "validation.invalid", "an RFC 3339 instant"))
    };
    let from = match q.from.as_deref() {
        Some(s) => instant("from", s)?,
        None => state.clock.now_ms(),
    };
    let to = match q.to.as_deref() {
        Some(s) => instant("to", s)?,
        None => from + 14 * 86_400_000,
    };
    if to <= from || to - from > MAX_WINDOW_DAYS * 86_400_000 {
        return Err(ApiError::invalid(
            "to",
            "validation.invalid",
            "the window ends after it starts and spans at most 92 days",
        ));
    }
    let mut conn = state.store.read_conn().await?;
    let chain = sstore::unit_chain(&mut conn, who.org_id, who.user_id).await?;
    let meetings =
        sstore::scheduled_for(&mut conn, who.org_id, who.user_id, &chain, from, to).await?;
    let mut entries = Vec::new();
    if !meetings.is_empty() {
        let earliest = meetings
            .iter()
            .filter_map(series_on)
            .map(|s| s.start.date())
            .min()
            .unwrap_or(Date::constant(2000, 1, 1));
        let holidays = holidays_from(&mut conn, who.org_id, earliest).await?;
        for m in &meetings {
            let Some(series) = series_on(m) else {
                continue;
            };
            for o in series.occurrences(&holidays, from, to) {
                entries.push(CalendarEntryDto {
                    meeting_id: m.id.to_string(),
                    title: m.title.clone(),
                    number_display: rules::format_number(&m.number),
                    join_url: meeting_dto(&state, m, m.host_id == who.user_id).join_url,
                    host_name: m.host_name.clone(),
                    hosting: m.host_id == who.user_id,
                    occurrence: occurrence_dto(&o),
                });
            }
        }
    }
    entries.sort_by(|a, b| a.occurrence.start.cmp(&b.occurrence.start));
    Ok(axum::Json(CalendarDto { entries }))
}

// --- iCalendar ----------------------------------------------------------------------------------------

fn ics_response(body: String, filename: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The `.ics` event of one meeting as seen by members (`?download`).
fn ics_event(state: &AppState, m: &Meeting, series: &Series, holidays: &[Date]) -> rec::IcsEvent {
    let join_url = meeting_dto(state, m, false).join_url;
    rec::IcsEvent {
        uid: format!("{}@kantor", m.id),
        sequence: m.ics_sequence,
        title: m.title.clone(),
        description: if m.agenda.is_empty() {
            format!("{join_url}\nID: {}", rules::format_number(&m.number))
        } else {
            format!(
                "{}\n\n{join_url}\nID: {}",
                m.agenda,
                rules::format_number(&m.number)
            )
        },
        url: join_url,
        organizer: m.host_name.clone(),
        cancelled: m.cancelled_at.is_some(),
        series: series.clone(),
        holidays: holidays.to_vec(),
        created_at: m.created_at,
    }
}

/// A scheduled meeting's invitation as iCalendar (for any member who can see it).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/invitation.ics", operation_id = "meeting_ics", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
pub async fn invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let who = member_of(&state, &caller, &org_id).await?;
    let mut conn = state.store.read_conn().await?;
    let (m, _) = load(&mut conn, &who, &meeting_id).await?;
    let series = series_on(&m).ok_or_else(ApiError::not_found)?;
    let holidays = holidays_from(&mut conn, m.org_id, series.start.date()).await?;
    let event = ics_event(&state, &m, &series, &holidays);
    let now = state.clock.now_ms();
    let body = rec::calendar(&[event], None, now, true);
    Ok(ics_response(body, &format!("rapat-{}.ics", m.number)))
}

/// Makes the caller's calendar feed URL (a new one retires the old).
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/calendar/feed", operation_id = "make_calendar_feed", tag = "meetings", params(("org_id" = String, Path)),
    responses((status = 200, body = FeedDto), (status = 404, body = ErrorBody)))]
pub async fn make_feed(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> ApiResult<axum::Json<FeedDto>> {
    let who = member_of(&state, &caller, &org_id).await?;
    let token = crate::secrets::new_token("kc_");
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    sstore::set_feed(
        &mut tx,
        who.org_id,
        who.user_id,
        &crate::secrets::token_hash(&token),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(axum::Json(FeedDto {
        url: format!("{}/calendar/{token}.ics", state.base_url),
    }))
}

/// A person's calendar feed: their scheduled meetings (hosted or invited) that end after 30
/// days ago. Public: the secret in the path is the credential (unknown → 404).
#[utoipa::path(get, path = "/calendar/{token}", operation_id = "calendar_feed", tag = "meetings", security(()), params(("token" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, body = ErrorBody)))]
pub async fn feed(State(state): State<AppState>, Path(token): Path<String>) -> ApiResult<Response> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let mut conn = state.store.read_conn().await?;
    let Some((org_id, user)) =
        sstore::feed_owner(&mut conn, &crate::secrets::token_hash(token)).await?
    else {
        return Err(ApiError::not_found());
    };
    let active = kantor_store::orgs::membership(&mut conn, org_id, user)
        .await
        .is_ok_and(|m| m.status == kantor_core::role::MemberStatus::Active);
    if !active {
        return Err(ApiError::not_found());
    }
    let now = state.clock.now_ms();
    let chain = sstore::unit_chain(&mut conn, org_id, user).await?;
    let meetings = sstore::scheduled_for(
        &mut conn,
        org_id,
        user,
        &chain,
        now - 30 * 86_400_000,
        i64::MAX / 2,
    )
    .await?;
    let mut events = Vec::new();
    for m in &meetings {
        let Some(series) = series_on(m) else {
            continue;
        };
        let holidays = holidays_from(&mut conn, org_id, series.start.date()).await?;
        events.push(ics_event(&state, m, &series, &holidays));
    }
    let name = state.store.user(user).await?.name;
    let body = rec::calendar(&events, Some(&format!("Kantor — {name}")), now, false);
    Ok(ics_response(body, "kantor.ics"))
}

// --- jobs --------------------------------------------------------------------------------------------

fn job_err(e: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}: {}", e.code, e.message)
}

#[derive(Deserialize)]
struct JobPayload {
    meeting_id: MeetingId,
    org_id: OrgId,
    #[serde(default)]
    what: String,
    #[serde(default)]
    date: Option<String>,
    seq: i64,
}

/// Everyone a scheduled meeting concerns: its invitees (units expanded) and its host.
async fn audience(
    conn: &mut kantor_store::Conn,
    m: &Meeting,
) -> anyhow::Result<Vec<(UserId, String)>> {
    let mut people = sstore::invited_people(conn, m.org_id, m.id).await?;
    if !people.iter().any(|(u, _)| *u == m.host_id) {
        people.push((m.host_id, m.host_name.clone()));
    }
    Ok(people)
}

/// An occurrence's time for a person: "Sen, 30 Nov 2026 09.00 WIB" in their zone.
fn when_for(start_ms: i64, zone_name: &str, english: bool) -> String {
    let tz = crate::clock::user_zone(zone_name);
    let Ok(t) = Timestamp::from_millisecond(start_ms) else {
        return String::new();
    };
    let z = t.to_zoned(tz.clone());
    let abbr = zone_abbreviation(&tz, zone_name, start_ms);
    let sep = if english { ':' } else { '.' };
    format!(
        "{}, {} {} {} {:02}{sep}{:02} {abbr}",
        crate::clock::day_name(z.weekday(), english, true),
        z.day(),
        crate::clock::month_name(z.month(), english, true),
        z.year(),
        z.hour(),
        z.minute()
    )
}

/// Posts `text(person, english, zone)` to each person as a direct message from the
/// organisation's Kantor bot, and one in-app event per 1,000 people.
async fn tell(
    state: &AppState,
    m: &Meeting,
    people: &[(UserId, String)],
    kind: &str,
    data: serde_json::Value,
    key: &str,
    text: impl Fn(bool, &str) -> String,
) -> anyhow::Result<()> {
    let now = state.clock.now_ms();
    for chunk in people.chunks(MAX_USERS_PER_EVENT) {
        let mut tx = state.store.begin().await?;
        crate::api::emit(
            &mut tx,
            Audience::Users {
                org_id: m.org_id,
                user_ids: chunk.iter().map(|(u, _)| *u).collect(),
            },
            kind,
            data.clone(),
            now,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
        tx.commit().await?;
    }
    for (person, _) in people {
        let user = state.store.user(*person).await?;
        let body = text(user.language == "en", &user.time_zone);
        let posted = crate::api::chat::commands::dm_from_kantor(
            state,
            m.org_id,
            *person,
            body,
            format!("{key}:{person}"),
        )
        .await;
        if let Err(e) = posted {
            tracing::info!(meeting_id = %m.id, error = %e, "meeting message not delivered");
        }
    }
    Ok(())
}

/// The job: tells invitees (and the host) they were invited, or of a change or cancellation.
pub async fn run_notify(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let p: JobPayload = serde_json::from_str(payload)?;
    let mut conn = state.store.read_conn().await?;
    let m = store::meeting(&mut conn, p.org_id, p.meeting_id).await?;
    let Some(series) = series_on(&m) else {
        return Ok(());
    };
    let holidays = holidays_from(&mut conn, m.org_id, series.start.date())
        .await
        .map_err(job_err)?;
    let mut people = audience(&mut conn, &m).await?;
    drop(conn);
    // The host made the change: they need no message about it.
    people.retain(|(u, _)| *u != m.host_id);
    let next = series.next_after(&holidays, state.clock.now_ms());
    let link = meeting_dto(state, &m, false).join_url;
    let title = m.title.clone();
    let host = m.host_name.clone();
    let what = p.what.clone();
    let summary_of = |english: bool| summary(&series, english);
    tell(
        state,
        &m,
        &people,
        "meeting.invitation",
        serde_json::json!({"meeting_id": m.id, "what": what, "title": title}),
        &format!("meet-{}-{}-{}", p.what, m.id, p.seq),
        |english, zone| {
            let when = next
                .as_ref()
                .map(|o| when_for(o.start, zone, english))
                .unwrap_or_default();
            let summary = summary_of(english);
            match (what.as_str(), english) {
                ("cancelled", false) => format!("❌ Rapat \"{title}\" dibatalkan oleh {host}."),
                ("cancelled", true) => format!("❌ \"{title}\" was cancelled by {host}."),
                ("updated", false) => format!("📅 Rapat \"{title}\" diubah: {summary}. Berikutnya: {when}. Gabung: {link}"),
                ("updated", true) => format!("📅 \"{title}\" changed: {summary}. Next: {when}. Join: {link}"),
                (_, false) => format!("📅 {host} mengundang Anda ke rapat \"{title}\" — {summary}. Berikutnya: {when}. Gabung: {link}"),
                (_, true) => format!("📅 {host} invited you to \"{title}\" — {summary}. Next: {when}. Join: {link}"),
            }
        },
    )
    .await
}

/// The job: 10 minutes before an occurrence, reminds the host and the invitees, then schedules
/// the next occurrence's reminder. A reminder made before the series changed does nothing.
pub async fn run_remind(state: &AppState, payload: &str) -> anyhow::Result<()> {
    let p: JobPayload = serde_json::from_str(payload)?;
    let mut conn = state.store.read_conn().await?;
    let m = store::meeting(&mut conn, p.org_id, p.meeting_id).await?;
    if m.ics_sequence != p.seq || m.cancelled_at.is_some() {
        return Ok(());
    }
    let Some(series) = series_on(&m) else {
        return Ok(());
    };
    let holidays = holidays_from(&mut conn, m.org_id, series.start.date())
        .await
        .map_err(job_err)?;
    let date = p.date.as_deref().and_then(|d| d.parse::<Date>().ok());
    let now = state.clock.now_ms();
    let occurrence = series
        .occurrences(
            &holidays,
            now - duration_ms(&series),
            now + 2 * REMIND_BEFORE_MS,
        )
        .into_iter()
        .find(|o| Some(o.date) == date);
    let people = audience(&mut conn, &m).await?;
    drop(conn);
    if let Some(o) = occurrence.filter(|o| o.end > now) {
        let link = meeting_dto(state, &m, false).join_url;
        let title = m.title.clone();
        tell(
            state,
            &m,
            &people,
            "meeting.reminder",
            serde_json::json!({"meeting_id": m.id, "title": title, "start": rfc3339(o.start), "join_url": link}),
            &format!("meet-remind-{}-{}-{}", m.id, p.seq, o.date),
            |english, zone| {
                let when = when_for(o.start, zone, english);
                if english {
                    format!("⏰ \"{title}\" starts in 10 minutes ({when}). Join: {link}")
                } else {
                    format!("⏰ Rapat \"{title}\" mulai 10 menit lagi ({when}). Gabung: {link}")
                }
            },
        )
        .await?;
    }
    // The next one.
    let after = occurrence.map(|o| o.start).unwrap_or(now) + 1;
    let mut tx = state.store.begin().await?;
    schedule_reminder(&mut tx, &m, &holidays, after, now)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.code))?;
    tx.commit().await?;
    Ok(())
}

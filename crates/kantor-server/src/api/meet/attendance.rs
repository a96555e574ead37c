//! A meeting's attendance report (*rekap kehadiran rapat*): every invitee and participant with
//! unit, employee number, each stay, first join, last leave, total minutes, *hadir* / *tidak
//! hadir* — as JSON, and exported as XLSX or CSV (audit-logged: attendance is HR data).
//!
//! Who reads it: the meeting's host and cohosts, HR, admins and owners (everyone); a unit
//! leader only people in a unit they lead (or its sub-units), naming that unit; anyone else —
//! and a leader naming another unit — gets 404, so nothing is revealed. The accounting (stays
//! clamped to the window, merged, rounded once) is `kantor_core::attendance`; the stays are
//! written by the room (`crate::meet::room`).

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kantor_core::attendance::{self as rules, Scope, UnitNode, Window};
use kantor_core::ids::{ParticipantId, UnitId, UserId};
use kantor_core::meet::MeetingRole;
use kantor_store::attendance as store;
use kantor_store::meet::{self as meetings, Meeting};
use kantor_store::orgs;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{load, meeting_role, member_of, MeetingRoleDto};
use crate::api::parse_unit;
use crate::auth::Caller;
use crate::clock::rfc3339;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

// --- shapes ------------------------------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttendanceParams {
    /// Only people in this unit and its sub-units. Required for unit leaders (a unit they
    /// lead); another unit → 404.
    pub unit_id: Option<String>,
    /// The window's start (RFC 3339); default: the meeting's first stay. For one occurrence of
    /// a recurring meeting, pass its start and end.
    pub from: Option<String>,
    /// The window's end (RFC 3339, exclusive); default: now.
    pub to: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsvParams {
    pub unit_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `semicolon` (default; what Excel expects where the decimal mark is a comma, as in
    /// Indonesia) or `comma`.
    pub sep: Option<String>,
}

/// *hadir* (at least one stay in the window) or *tidak hadir*.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceStatusDto {
    Hadir,
    TidakHadir,
}

/// One stay in the room within the window (overlapping stays merged).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct StayDto {
    pub joined_at: String,
    /// Null while the person is still in the meeting.
    #[schema(required = true)]
    pub left_at: Option<String>,
}

/// One person: a member of the organisation (by user id) or a guest (by participant).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AttendanceRowDto {
    pub name: String,
    /// Null for guests.
    #[schema(required = true)]
    pub user_id: Option<String>,
    /// The participant row, null for invitees who never joined.
    #[schema(required = true)]
    pub participant_id: Option<String>,
    pub guest: bool,
    #[schema(required = true)]
    pub unit_id: Option<String>,
    #[schema(required = true)]
    pub unit_name: Option<String>,
    /// NIP / NIK karyawan.
    #[schema(required = true)]
    pub employee_number: Option<String>,
    #[schema(required = true)]
    pub position: Option<String>,
    /// Role in the meeting; null for invitees who never joined.
    #[schema(required = true)]
    pub role: Option<MeetingRoleDto>,
    pub invited: bool,
    pub stays: Vec<StayDto>,
    #[schema(required = true)]
    pub first_join: Option<String>,
    /// Null when never present or still in the meeting.
    #[schema(required = true)]
    pub last_leave: Option<String>,
    /// Time in the meeting within the window, merged, rounded to the nearest minute.
    pub minutes: i64,
    pub status: AttendanceStatusDto,
}

#[derive(Serialize, ToSchema, Clone, Debug, Default)]
pub struct AttendanceTotalsDto {
    pub people: i64,
    pub present: i64,
    pub absent: i64,
    pub invited: i64,
    /// Invited and never joined in the window.
    pub invited_absent: i64,
    pub guests: i64,
    pub minutes: i64,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct AttendanceReportDto {
    pub meeting_id: String,
    pub title: String,
    pub number_display: String,
    /// The window as asked (null: the whole meeting).
    #[schema(required = true)]
    pub from: Option<String>,
    #[schema(required = true)]
    pub to: Option<String>,
    #[schema(required = true)]
    pub unit_id: Option<String>,
    /// `all` (host, cohost, HR, admin) or `unit` (a unit leader's own unit).
    pub scope: String,
    pub rows: Vec<AttendanceRowDto>,
    pub totals: AttendanceTotalsDto,
}

// --- the report ---------------------------------------------------------------------------------

struct Row {
    dto: AttendanceRowDto,
    /// The first instant of the first stay (for titles and file names), ms.
    first_ms: Option<i64>,
    spans: Vec<rules::Span>,
    first_join_ms: Option<i64>,
    last_leave_ms: Option<i64>,
}

struct Report {
    meeting: Meeting,
    rows: Vec<Row>,
    dto_totals: AttendanceTotalsDto,
    from: Option<i64>,
    to: Option<i64>,
    unit_id: Option<UnitId>,
    scope: &'static str,
    /// The viewer, for audit and presentation.
    viewer: UserId,
    org_id: kantor_core::ids::OrgId,
}

fn parse_instant(field: &str, s: Option<&str>) -> ApiResult<Option<i64>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<jiff::Timestamp>()
            .map(|t| Some(t.as_millisecond()))
            .map_err(|_| ApiError::invalid(field, "validation.invalid", "not an RFC 3339 instant")),
    }
}

/// Reads, authorises and accounts: the one path behind the JSON, XLSX and CSV answers.
async fn build(
    state: &AppState,
    caller: &Caller,
    org_id: &str,
    meeting_id: &str,
    unit: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> ApiResult<Report> {
    let who = member_of(state, caller, org_id).await?;
    let unit_id = parse_unit("unit_id", unit)?;
    let from = parse_instant("from", from)?;
    let to = parse_instant("to", to)?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::invalid(
                "to",
                "validation.invalid",
                "the window must end after it starts",
            ));
        }
    }
    let mut conn = state.store.read_conn().await?;
    let (m, me) = load(&mut conn, &who, meeting_id).await?;
    let runs = meeting_role(&m, who.user_id, me.as_ref()).is_some_and(MeetingRole::runs_meeting);
    let units = orgs::units(&mut conn, who.org_id).await?;
    let nodes: Vec<UnitNode> = units
        .iter()
        .map(|u| UnitNode {
            id: u.id,
            parent_id: u.parent_id,
        })
        .collect();
    let led = orgs::units_led_by(&mut conn, who.org_id, who.user_id).await?;
    let scope = rules::scope(who.role, runs, &nodes, &led, unit_id)
        .map_err(|rules::Hidden| ApiError::not_found())?;
    let stays = store::stays(&mut conn, m.id).await?;
    let participants = meetings::participants(&mut conn, m.id).await?;
    let people = store::people(&mut conn, who.org_id).await?;
    let invited_rows = store::invitees(&mut conn, m.id).await?;
    drop(conn);

    let window = Window {
        from: from.unwrap_or(i64::MIN),
        to: to.unwrap_or(i64::MAX),
    };
    let whole = from.is_none() && to.is_none();
    let now = state.clock.now_ms();
    let unit_names: HashMap<UnitId, String> =
        units.iter().map(|u| (u.id, u.name.clone())).collect();
    let person_of: HashMap<UserId, &store::Person> =
        people.iter().map(|p| (p.user_id, p)).collect();
    let active: Vec<(UserId, Option<UnitId>)> = people
        .iter()
        .filter(|p| p.active)
        .map(|p| (p.user_id, p.unit_id))
        .collect();
    let invited = rules::invited(&invited_rows.users, &invited_rows.units, &nodes, &active);
    let mut stays_of: HashMap<ParticipantId, Vec<rules::Stay>> = HashMap::new();
    for s in &stays {
        stays_of
            .entry(s.participant_id)
            .or_default()
            .push(rules::Stay {
                joined_at: s.joined_at,
                left_at: s.left_at,
            });
    }

    let mut rows: Vec<Row> = Vec::new();
    let mut seen_users: Vec<UserId> = Vec::new();
    let make = |name: String,
                user_id: Option<UserId>,
                participant: Option<&meetings::Participant>,
                stays: &[rules::Stay]|
     -> Row {
        let a = rules::account(stays, window, now, m.ended_at);
        let person = user_id.and_then(|u| person_of.get(&u).copied());
        let unit = person.and_then(|p| p.unit_id);
        let is_invited = user_id.is_some_and(|u| invited.contains(&u));
        Row {
            first_ms: a.first_join,
            first_join_ms: a.first_join,
            last_leave_ms: a.last_leave,
            spans: a.spans.clone(),
            dto: AttendanceRowDto {
                name: person.map_or(name, |p| p.name.clone()),
                user_id: user_id.map(|u| u.to_string()),
                participant_id: participant.map(|p| p.id.to_string()),
                guest: user_id.is_none(),
                unit_id: unit.map(|u| u.to_string()),
                unit_name: unit.and_then(|u| unit_names.get(&u).cloned()),
                employee_number: person.and_then(|p| p.employee_number.clone()),
                position: person.and_then(|p| p.position.clone()),
                role: participant.map(|p| p.role.into()),
                invited: is_invited,
                stays: a
                    .spans
                    .iter()
                    .map(|s| StayDto {
                        joined_at: rfc3339(s.from),
                        left_at: (!s.open).then(|| rfc3339(s.to)),
                    })
                    .collect(),
                first_join: a.first_join.map(rfc3339),
                last_leave: a.last_leave.map(rfc3339),
                minutes: a.minutes,
                status: if a.present() {
                    AttendanceStatusDto::Hadir
                } else {
                    AttendanceStatusDto::TidakHadir
                },
            },
        }
    };
    for p in &participants {
        let own = stays_of.get(&p.id).map(Vec::as_slice).unwrap_or_default();
        let row = make(p.name.clone(), p.user_id, Some(p), own);
        let unit = p
            .user_id
            .and_then(|u| person_of.get(&u).and_then(|x| x.unit_id));
        // In a window (one occurrence), a participant of another occurrence is not listed
        // unless invited.
        let listed = whole || row.dto.status == AttendanceStatusDto::Hadir || row.dto.invited;
        if listed && scope.shows(unit) {
            if let Some(u) = p.user_id {
                seen_users.push(u);
            }
            rows.push(row);
        }
    }
    for u in &invited {
        if seen_users.contains(u) {
            continue;
        }
        let Some(person) = person_of.get(u) else {
            continue;
        };
        if scope.shows(person.unit_id) {
            rows.push(make(person.name.clone(), Some(*u), None, &[]));
        }
    }
    rows.sort_by(|a, b| {
        a.dto
            .name
            .to_lowercase()
            .cmp(&b.dto.name.to_lowercase())
            .then_with(|| a.dto.user_id.cmp(&b.dto.user_id))
    });
    let mut totals = AttendanceTotalsDto::default();
    for r in &rows {
        let present = r.dto.status == AttendanceStatusDto::Hadir;
        totals.people += 1;
        totals.present += i64::from(present);
        totals.absent += i64::from(!present);
        totals.invited += i64::from(r.dto.invited);
        totals.invited_absent += i64::from(r.dto.invited && !present);
        totals.guests += i64::from(r.dto.guest);
        totals.minutes += r.dto.minutes;
    }
    Ok(Report {
        org_id: who.org_id,
        viewer: who.user_id,
        meeting: m,
        rows,
        dto_totals: totals,
        from,
        to,
        unit_id,
        scope: match scope {
            Scope::All { .. } => "all",
            Scope::Units(_) => "unit",
        },
    })
}

fn report_dto(r: Report) -> AttendanceReportDto {
    AttendanceReportDto {
        meeting_id: r.meeting.id.to_string(),
        title: r.meeting.title.clone(),
        number_display: kantor_core::meet::format_number(&r.meeting.number),
        from: r.from.map(rfc3339),
        to: r.to.map(rfc3339),
        unit_id: r.unit_id.map(|u| u.to_string()),
        scope: r.scope.to_string(),
        rows: r.rows.into_iter().map(|row| row.dto).collect(),
        totals: r.dto_totals,
    }
}

// --- handlers ----------------------------------------------------------------------------------

/// The meeting's attendance: every invitee and participant (host, cohosts, HR and admins see
/// everyone; a unit leader sees their unit, named with `unit_id`).
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance", operation_id = "meeting_attendance", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path), AttendanceParams),
    responses((status = 200, body = AttendanceReportDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
    Query(q): Query<AttendanceParams>,
) -> ApiResult<axum::Json<AttendanceReportDto>> {
    let r = build(
        &state,
        &caller,
        &org_id,
        &meeting_id,
        q.unit_id.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await?;
    Ok(axum::Json(report_dto(r)))
}

/// The attendance as an Excel workbook (audit-logged): a title, the meeting's date, headers in
/// the viewer's language, times in the viewer's zone, minutes as numbers.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance.xlsx", operation_id = "meeting_attendance_xlsx", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path), AttendanceParams),
    responses((status = 200, description = "The workbook", content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn xlsx(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
    Query(q): Query<AttendanceParams>,
) -> ApiResult<Response> {
    let r = build(
        &state,
        &caller,
        &org_id,
        &meeting_id,
        q.unit_id.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await?;
    let look = Look::of(&state, r.viewer).await?;
    let bytes = workbook(&r, &look).map_err(|e| anyhow::anyhow!("writing the workbook: {e}"))?;
    audit_export(&state, &r, "xlsx").await?;
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &file_name(&r, &look, "xlsx"),
    ))
}

/// The attendance as CSV (audit-logged), UTF-8 with a byte-order mark so Excel reads it;
/// `sep=semicolon` (default) for Excel set up for Indonesia, `sep=comma` elsewhere.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/meetings/{meeting_id}/attendance.csv", operation_id = "meeting_attendance_csv", tag = "meetings", params(("org_id" = String, Path), ("meeting_id" = String, Path), CsvParams),
    responses((status = 200, description = "The CSV", content(("text/csv"))), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn csv(
    State(state): State<AppState>,
    caller: Caller,
    Path((org_id, meeting_id)): Path<(String, String)>,
    Query(q): Query<CsvParams>,
) -> ApiResult<Response> {
    let sep = match q.sep.as_deref().map(str::trim) {
        None | Some("") | Some("semicolon") => b';',
        Some("comma") => b',',
        Some(_) => {
            return Err(ApiError::invalid(
                "sep",
                "validation.invalid",
                "semicolon or comma",
            ))
        }
    };
    let r = build(
        &state,
        &caller,
        &org_id,
        &meeting_id,
        q.unit_id.as_deref(),
        q.from.as_deref(),
        q.to.as_deref(),
    )
    .await?;
    let look = Look::of(&state, r.viewer).await?;
    let bytes = csv_bytes(&r, &look, sep).map_err(|e| anyhow::anyhow!("writing the CSV: {e}"))?;
    audit_export(&state, &r, "csv").await?;
    Ok(download(
        bytes,
        "text/csv; charset=utf-8",
        &file_name(&r, &look, "csv"),
    ))
}

async fn audit_export(state: &AppState, r: &Report, format: &str) -> ApiResult<()> {
    let now = state.clock.now_ms();
    let mut tx = state.store.begin().await?;
    crate::api::audit(
        &mut tx,
        r.org_id,
        Some(r.viewer),
        "meeting.attendance.export",
        Some(r.meeting.id.to_string()),
        serde_json::json!({
            "format": format,
            "unit_id": r.unit_id.map(|u| u.to_string()),
            "rows": r.rows.len(),
        }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn download(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
    ];
    (headers, bytes).into_response()
}

// --- presentation --------------------------------------------------------------------------------

/// The viewer's language and zone.
struct Look {
    english: bool,
    zone: jiff::tz::TimeZone,
}

impl Look {
    async fn of(state: &AppState, user: UserId) -> ApiResult<Look> {
        let user = state.store.user(user).await?;
        let zone = crate::clock::user_zone(&user.time_zone);
        Ok(Look {
            english: user.language == "en",
            zone,
        })
    }

    fn at(&self, ms: i64) -> Option<jiff::Zoned> {
        jiff::Timestamp::from_millisecond(ms)
            .ok()
            .map(|t| t.to_zoned(self.zone.clone()))
    }

    /// `07.30` (Indonesian) or `07:30`.
    fn time(&self, ms: i64) -> String {
        let Some(z) = self.at(ms) else {
            return String::new();
        };
        let sep = if self.english { ':' } else { '.' };
        format!("{:02}{sep}{:02}", z.hour(), z.minute())
    }

    /// `Senin, 23 November 2026` or `Monday, 23 November 2026`, with the zone's abbreviation
    /// when it has one (`WIB`).
    fn date(&self, ms: i64) -> String {
        let Some(z) = self.at(ms) else {
            return String::new();
        };
        format!(
            "{}, {} {} {}",
            crate::clock::day_name(z.weekday(), self.english, false),
            z.day(),
            crate::clock::month_name(z.month(), self.english, false),
            z.year()
        )
    }

    fn zone_name(&self, ms: i64) -> String {
        crate::clock::zone_abbreviation(&self.zone, ms).unwrap_or_default()
    }

    fn day(&self, ms: i64) -> String {
        self.at(ms)
            .map(|z| z.strftime("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }
}

/// When the report is "of": the window's start, else the first stay, else the meeting's
/// creation.
fn report_instant(r: &Report) -> i64 {
    r.from
        .or_else(|| r.rows.iter().filter_map(|row| row.first_ms).min())
        .unwrap_or(r.meeting.created_at)
}

fn file_name(r: &Report, look: &Look, ext: &str) -> String {
    let mut slug = String::new();
    for c in r.meeting.title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 40 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "rapat" } else { slug };
    let prefix = if look.english {
        "attendance"
    } else {
        "kehadiran"
    };
    format!("{prefix}-{slug}-{}.{ext}", look.day(report_instant(r)))
}

const HEADERS_ID: [&str; 12] = [
    "No",
    "Nama",
    "NIP/NIK",
    "Unit kerja",
    "Jabatan",
    "Peran",
    "Diundang",
    "Status",
    "Masuk pertama",
    "Keluar terakhir",
    "Total menit",
    "Rincian masuk–keluar",
];
const HEADERS_EN: [&str; 12] = [
    "No",
    "Name",
    "Employee number",
    "Unit",
    "Position",
    "Role",
    "Invited",
    "Status",
    "First join",
    "Last leave",
    "Total minutes",
    "Joins and leaves",
];

/// One row's cells as text (minutes too; the XLSX writes them as a number).
fn cells(row: &Row, n: usize, look: &Look) -> [String; 12] {
    let d = &row.dto;
    let en = look.english;
    let role = match (d.role, d.guest) {
        (Some(MeetingRoleDto::Host), _) => {
            if en {
                "Host"
            } else {
                "Tuan rumah"
            }
        }
        (Some(MeetingRoleDto::Cohost), _) => {
            if en {
                "Co-host"
            } else {
                "Tuan rumah pendamping"
            }
        }
        (_, true) => {
            if en {
                "Guest"
            } else {
                "Tamu"
            }
        }
        (Some(MeetingRoleDto::Participant), _) => {
            if en {
                "Participant"
            } else {
                "Peserta"
            }
        }
        (None, _) => "",
    };
    let yes_no = |b: bool| match (b, en) {
        (true, true) => "Yes",
        (false, true) => "No",
        (true, false) => "Ya",
        (false, false) => "Tidak",
    };
    let status = match (d.status, en) {
        (AttendanceStatusDto::Hadir, false) => "Hadir",
        (AttendanceStatusDto::TidakHadir, false) => "Tidak hadir",
        (AttendanceStatusDto::Hadir, true) => "Present",
        (AttendanceStatusDto::TidakHadir, true) => "Absent",
    };
    let still = if en { "still in" } else { "masih di rapat" };
    let stays: Vec<String> = row
        .spans
        .iter()
        .map(|s| {
            let end = if s.open {
                still.to_string()
            } else {
                look.time(s.to)
            };
            format!("{}–{end}", look.time(s.from))
        })
        .collect();
    [
        n.to_string(),
        d.name.clone(),
        d.employee_number.clone().unwrap_or_default(),
        d.unit_name.clone().unwrap_or_default(),
        d.position.clone().unwrap_or_default(),
        role.to_string(),
        yes_no(d.invited).to_string(),
        status.to_string(),
        row.first_join_ms.map(|t| look.time(t)).unwrap_or_default(),
        row.last_leave_ms.map(|t| look.time(t)).unwrap_or_default(),
        d.minutes.to_string(),
        stays.join("; "),
    ]
}

/// The title line and the date line, in the viewer's language and zone.
fn heading(r: &Report, look: &Look) -> (String, String) {
    let at = report_instant(r);
    let title = if look.english {
        format!("Meeting attendance: {}", r.meeting.title)
    } else {
        format!("Kehadiran rapat: {}", r.meeting.title)
    };
    let zone = look.zone_name(at);
    let mut date = look.date(at);
    if r.from.is_some() || r.to.is_some() {
        let from = r.from.map(|f| look.time(f)).unwrap_or_default();
        let to = r.to.map(|t| look.time(t)).unwrap_or_default();
        date = format!("{date}, {from}–{to}");
    }
    if !zone.is_empty() {
        date = format!("{date} ({zone})");
    }
    (title, date)
}

fn workbook(r: &Report, look: &Look) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(if look.english {
        "Attendance"
    } else {
        "Kehadiran"
    })?;
    let bold = Format::new().set_bold();
    let title_format = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color("#DDE7F0")
        .set_border_bottom(rust_xlsxwriter::FormatBorder::Thin);
    let (title, date) = heading(r, look);
    sheet.write_string_with_format(0, 0, &title, &title_format)?;
    sheet.write_string(1, 0, &date)?;
    let headers = if look.english { HEADERS_EN } else { HEADERS_ID };
    const HEADER_ROW: u32 = 3;
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(HEADER_ROW, c as u16, *h, &header)?;
    }
    for (i, row) in r.rows.iter().enumerate() {
        let line = HEADER_ROW + 1 + i as u32;
        let texts = cells(row, i + 1, look);
        for (c, text) in texts.iter().enumerate() {
            match c {
                0 => {
                    sheet.write_number(line, 0, (i + 1) as f64)?;
                }
                10 => {
                    sheet.write_number(line, 10, row.dto.minutes as f64)?;
                }
                _ => {
                    sheet.write_string(line, c as u16, text)?;
                }
            }
        }
    }
    let totals_line = HEADER_ROW + 1 + r.rows.len() as u32;
    let t = &r.dto_totals;
    let summary = if look.english {
        format!(
            "{} people: {} present, {} absent ({} invited, never joined)",
            t.people, t.present, t.absent, t.invited_absent
        )
    } else {
        format!(
            "{} orang: {} hadir, {} tidak hadir ({} diundang, tidak pernah masuk)",
            t.people, t.present, t.absent, t.invited_absent
        )
    };
    sheet.write_string_with_format(totals_line + 1, 1, &summary, &bold)?;
    for (c, width) in [
        5.0, 28.0, 20.0, 24.0, 20.0, 18.0, 10.0, 12.0, 14.0, 14.0, 12.0, 40.0,
    ]
    .into_iter()
    .enumerate()
    {
        sheet.set_column_width(c as u16, width)?;
    }
    sheet.set_freeze_panes(HEADER_ROW + 1, 0)?;
    book.save_to_buffer()
}

fn csv_bytes(r: &Report, look: &Look, sep: u8) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::WriterBuilder::new()
            .delimiter(sep)
            .from_writer(&mut out);
        let headers = if look.english { HEADERS_EN } else { HEADERS_ID };
        w.write_record(headers)?;
        for (i, row) in r.rows.iter().enumerate() {
            w.write_record(cells(row, i + 1, look))?;
        }
        w.flush()?;
    }
    Ok(out)
}

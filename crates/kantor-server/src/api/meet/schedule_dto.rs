//! The shapes of scheduled meetings on the wire (kept apart from the handlers in
//! [`super::schedule`] so the contract reads in one place).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::api::chat::groups::UnitRefDto;
use crate::api::chat::UserRefDto;

/// How a series repeats.
#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum FrequencyDto {
    /// Once.
    None,
    /// Every `interval` days.
    Daily,
    /// Monday to Friday, skipping the organisation's holidays.
    Weekdays,
    /// Every `interval` weeks on `weekdays`.
    Weekly,
    /// Every `interval` months on `month_day`, or on the `month_week`-th `month_weekday`
    /// (-1: the last).
    Monthly,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "snake_case")]
pub enum WeekdayDto {
    Mo,
    Tu,
    We,
    Th,
    Fr,
    Sa,
    Su,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceDto {
    pub freq: FrequencyDto,
    /// 1–99 (default 1).
    #[serde(default = "one")]
    pub interval: u16,
    /// Weekly: the days (default: the start's day).
    #[serde(default)]
    pub weekdays: Vec<WeekdayDto>,
    /// Monthly by date: 1–31 (a month without that day is skipped).
    #[serde(default)]
    #[schema(required = false)]
    pub month_day: Option<u8>,
    /// Monthly by weekday: 1–4, or -1 for the last.
    #[serde(default)]
    #[schema(required = false)]
    pub month_week: Option<i8>,
    #[serde(default)]
    #[schema(required = false)]
    pub month_weekday: Option<WeekdayDto>,
    /// The last day an occurrence may start on (`YYYY-MM-DD`, in the series' zone).
    #[serde(default)]
    #[schema(required = false)]
    pub until: Option<String>,
    /// At most this many occurrences (1–1000).
    #[serde(default)]
    #[schema(required = false)]
    pub count: Option<u16>,
}

fn one() -> u16 {
    1
}

/// A changed occurrence: cancelled, or moved to another start and/or length.
#[derive(Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq, Debug)]
pub struct ExceptionDto {
    /// The occurrence's original date (`YYYY-MM-DD`, in the series' zone).
    pub date: String,
    pub cancelled: bool,
    /// Moved: the new start (`YYYY-MM-DDTHH:MM`, civil time in the series' zone).
    #[schema(required = true)]
    pub start: Option<String>,
    #[schema(required = true)]
    pub duration_minutes: Option<u32>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone, PartialEq, Eq, Debug)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    /// The first occurrence's start, `YYYY-MM-DDTHH:MM`, civil time in `time_zone`.
    pub start: String,
    /// The organiser's IANA zone (default: theirs), e.g. `Asia/Makassar`.
    #[serde(default)]
    #[schema(required = false)]
    pub time_zone: Option<String>,
    /// 5–1440.
    pub duration_minutes: u32,
    /// Default: once.
    #[serde(default)]
    #[schema(required = false)]
    pub recurrence: Option<RecurrenceDto>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct ScheduleDto {
    pub start: String,
    pub time_zone: String,
    pub duration_minutes: u32,
    pub recurrence: RecurrenceDto,
    pub exceptions: Vec<ExceptionDto>,
    /// In words for people, in the caller's language ("Setiap Senin, 09.00 WIB").
    pub summary: String,
}

#[derive(Deserialize, ToSchema, Clone, Default, Debug)]
#[serde(deny_unknown_fields)]
pub struct InviteesInput {
    #[serde(default)]
    pub user_ids: Vec<String>,
    /// A unit invites its members and its sub-units' members.
    #[serde(default)]
    pub unit_ids: Vec<String>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct InviteesDto {
    pub users: Vec<UserRefDto>,
    pub units: Vec<UnitRefDto>,
    /// Everyone invited, units expanded.
    pub people_count: i64,
}

/// One occurrence of a scheduled meeting (or an instant/personal meeting's own time).
#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct OccurrenceDto {
    /// Stable id of the occurrence: its original date in the series' zone.
    pub date: String,
    pub start: String,
    pub end: String,
    pub moved: bool,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CalendarEntryDto {
    pub meeting_id: String,
    pub title: String,
    pub number_display: String,
    pub join_url: String,
    pub host_name: String,
    /// The caller hosts it (else invited).
    pub hosting: bool,
    pub occurrence: OccurrenceDto,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct CalendarDto {
    /// By start.
    pub entries: Vec<CalendarEntryDto>,
}

#[derive(Serialize, ToSchema, Clone, Debug)]
pub struct FeedDto {
    /// A secret URL calendar apps subscribe to; making a new one retires the old.
    pub url: String,
}

#[derive(Deserialize, ToSchema, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct OccurrenceInput {
    /// Cancel this occurrence.
    #[serde(default)]
    pub cancelled: bool,
    /// Or move it: the new start, `YYYY-MM-DDTHH:MM` in the series' zone.
    #[serde(default)]
    #[schema(required = false)]
    pub start: Option<String>,
    #[serde(default)]
    #[schema(required = false)]
    pub duration_minutes: Option<u32>,
}

//! Meeting series: a start in the organiser's zone, a duration, a recurrence rule with
//! exceptions, expanded to occurrences in UTC; and the series written as iCalendar (RFC 5545).
//!
//! **Civil time rules.** An occurrence happens at the series' civil start time in the series'
//! zone on each of its dates, so a 09:00 meeting stays at 09:00 across a daylight-saving change
//! (Indonesia has none, but organisers abroad do). A civil time that does not exist or exists
//! twice on a day is resolved like RFC 5545 and most calendars do (jiff's *compatible*
//! disambiguation: the later time in a gap, the earlier in a fold).
//!
//! **Rules.** `none` (once), `daily` (every N days), `weekdays` (Monday–Friday, skipping the
//! organisation's holidays, which the caller passes in), `weekly` (every N weeks on some days),
//! `monthly` (every N months on a day of the month — months without that day are skipped, as
//! in RFC 5545 — or on the first…fourth or last such weekday). A series ends never, after a
//! count, or on a date. The count counts the dates the rule makes (a cancelled occurrence still
//! uses up its place, as RFC 5545's EXDATE does); holidays are not dates of a weekday rule.
//!
//! **Exceptions** name an occurrence by its original date: cancelled, or moved (another civil
//! start and/or duration). An occurrence keeps that date as its stable id.
//!
//! **Bounds.** Expansion looks at most [`MAX_DATES`] dates and [`MAX_YEARS`] years past the
//! start, so no request can make it loop long.

use std::fmt::Write as _;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

/// The most dates one expansion looks at.
pub const MAX_DATES: usize = 5_000;
/// How far past the start a series is expanded.
pub const MAX_YEARS: i16 = 10;
pub const MAX_INTERVAL: u16 = 99;
pub const MAX_COUNT: u16 = 1_000;
pub const MIN_DURATION_MINUTES: u32 = 5;
pub const MAX_DURATION_MINUTES: u32 = 24 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freq {
    None,
    Daily,
    Weekdays,
    Weekly,
    Monthly,
}

/// A recurrence rule. Weekdays are numbered from Monday = 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub freq: Freq,
    pub interval: u16,
    #[serde(default)]
    pub weekdays: Vec<u8>,
    #[serde(default)]
    pub month_day: Option<u8>,
    /// 1–4, or -1 for the last.
    #[serde(default)]
    pub month_week: Option<i8>,
    #[serde(default)]
    pub month_weekday: Option<u8>,
    #[serde(default)]
    pub until: Option<Date>,
    #[serde(default)]
    pub count: Option<u16>,
}

impl Rule {
    pub fn once() -> Rule {
        Rule {
            freq: Freq::None,
            interval: 1,
            weekdays: Vec::new(),
            month_day: None,
            month_week: None,
            month_weekday: None,
            until: None,
            count: None,
        }
    }
}

/// A changed occurrence, named by its original date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exception {
    pub date: Date,
    pub cancelled: bool,
    #[serde(default)]
    pub start: Option<DateTime>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
}

/// A meeting series.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    /// The first occurrence's civil start in `zone`.
    pub start: DateTime,
    /// IANA name.
    pub zone: String,
    pub duration_minutes: u32,
    pub rule: Rule,
    #[serde(default)]
    pub exceptions: Vec<Exception>,
}

/// One occurrence: its original date (stable id) and its instants in milliseconds (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub date: Date,
    pub start: i64,
    pub end: i64,
    pub moved: bool,
}

fn invalid(field: &'static str, message: &str) -> Invalid {
    Invalid::new(field, "validation.invalid", message)
}

fn no_occurrences() -> Invalid {
    Invalid::new(
        "schedule",
        "schedule.no_occurrences",
        "this schedule has no occurrence",
    )
}

fn weekday_of(n: u8) -> Weekday {
    Weekday::from_monday_zero_offset(n as i8).unwrap_or(Weekday::Monday)
}

fn weekday_number(w: Weekday) -> u8 {
    w.to_monday_zero_offset() as u8
}

impl Series {
    /// A checked series: the rule's fields in range and filled in (a weekly rule without days
    /// takes the start's day; a monthly rule without a day takes the start's date), and at
    /// least one occurrence.
    pub fn new(
        zone: &str,
        start: DateTime,
        duration_minutes: u32,
        mut rule: Rule,
        holidays: &[Date],
    ) -> Result<Series, Invalid> {
        TimeZone::get(zone).map_err(|_| {
            Invalid::new("time_zone", "validation.time_zone", "not a known time zone")
        })?;
        if !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&duration_minutes) {
            return Err(invalid(
                "schedule.duration_minutes",
                "a meeting lasts 5 minutes to 24 hours",
            ));
        }
        if rule.interval == 0 || rule.interval > MAX_INTERVAL {
            return Err(invalid(
                "schedule.recurrence.interval",
                "an interval of 1 to 99",
            ));
        }
        if rule.count.is_some_and(|c| c == 0 || c > MAX_COUNT) {
            return Err(invalid("schedule.recurrence.count", "a count of 1 to 1000"));
        }
        match rule.freq {
            Freq::Weekly => {
                if rule.weekdays.iter().any(|d| *d > 6) {
                    return Err(invalid("schedule.recurrence.weekdays", "days mo to su"));
                }
                if rule.weekdays.is_empty() {
                    rule.weekdays.push(weekday_number(start.date().weekday()));
                }
                rule.weekdays.sort_unstable();
                rule.weekdays.dedup();
            }
            Freq::Monthly => {
                match (rule.month_day, rule.month_week, rule.month_weekday) {
                    (Some(d), None, None) if (1..=31).contains(&d) => {}
                    (None, Some(w), Some(d)) if (w == -1 || (1..=4).contains(&w)) && d <= 6 => {}
                    (None, None, None) => rule.month_day = Some(start.day() as u8),
                    _ => {
                        return Err(invalid(
                            "schedule.recurrence",
                            "a monthly rule has a day of the month (1-31), or a week (1-4, -1) and a weekday",
                        ))
                    }
                }
                rule.weekdays.clear();
            }
            _ => {
                rule.weekdays.clear();
                rule.month_day = None;
                rule.month_week = None;
                rule.month_weekday = None;
            }
        }
        if rule.freq == Freq::None {
            rule.count = None;
            rule.until = None;
            rule.interval = 1;
        }
        let series = Series {
            start,
            zone: zone.to_string(),
            duration_minutes,
            rule,
            exceptions: Vec::new(),
        };
        if series.dates(holidays, None).is_empty() {
            return Err(no_occurrences());
        }
        Ok(series)
    }

    fn tz(&self) -> TimeZone {
        TimeZone::get(&self.zone).unwrap_or(TimeZone::UTC)
    }

    fn instant(&self, tz: &TimeZone, civil: DateTime) -> i64 {
        tz.to_ambiguous_zoned(civil)
            .compatible()
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(0)
    }

    /// The rule's dates in order (before exceptions), up to `until_date` when given.
    pub fn dates(&self, holidays: &[Date], until_date: Option<Date>) -> Vec<Date> {
        let r = &self.rule;
        let first = self.start.date();
        let horizon = first
            .checked_add(i32::from(MAX_YEARS).years())
            .unwrap_or(first);
        let last = [r.until, until_date, Some(horizon)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(horizon);
        let count = r.count.map(usize::from).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let push = |d: Date, out: &mut Vec<Date>| -> bool {
            if d > last || out.len() >= count || out.len() >= MAX_DATES {
                return false;
            }
            if d >= first {
                out.push(d);
            }
            true
        };
        let step = i64::from(r.interval);
        match r.freq {
            Freq::None => {
                push(first, &mut out);
            }
            Freq::Daily => {
                let mut d = first;
                while push(d, &mut out) {
                    match d.checked_add(step.days()) {
                        Ok(n) => d = n,
                        Err(_) => break,
                    }
                }
            }
            Freq::Weekdays => {
                let mut d = first;
                for _ in 0..MAX_DATES * 2 {
                    let workday = d.weekday().to_monday_zero_offset() < 5;
                    if workday && !holidays.contains(&d) && !push(d, &mut out) {
                        break;
                    }
                    if d > last {
                        break;
                    }
                    match d.tomorrow() {
                        Ok(n) => d = n,
                        Err(_) => break,
                    }
                }
            }
            Freq::Weekly => {
                let monday = first
                    .checked_sub(i64::from(first.weekday().to_monday_zero_offset()).days())
                    .unwrap_or(first);
                let mut week = monday;
                'weeks: for _ in 0..MAX_DATES {
                    for wd in &r.weekdays {
                        let Ok(d) = week.checked_add(i64::from(*wd).days()) else {
                            break 'weeks;
                        };
                        if !push(d, &mut out) {
                            break 'weeks;
                        }
                    }
                    match week.checked_add((7 * step).days()) {
                        Ok(n) => week = n,
                        Err(_) => break,
                    }
                }
            }
            Freq::Monthly => {
                let base = first.first_of_month();
                for k in 0..MAX_DATES as i64 {
                    let Ok(month) = base.checked_add((k * step).months()) else {
                        break;
                    };
                    if month > last {
                        break;
                    }
                    let d = match (r.month_day, r.month_week, r.month_weekday) {
                        (Some(day), _, _) => Date::new(month.year(), month.month(), day as i8).ok(),
                        (None, Some(week), Some(wd)) => {
                            month.nth_weekday_of_month(week, weekday_of(wd)).ok()
                        }
                        _ => None,
                    };
                    if let Some(d) = d {
                        if !push(d, &mut out) {
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    /// Every occurrence (exceptions applied), in order of start; `until_date` bounds the
    /// dates looked at for endless series.
    fn all(&self, holidays: &[Date], until_date: Option<Date>) -> Vec<Occurrence> {
        let tz = self.tz();
        let mut out: Vec<Occurrence> = Vec::new();
        for date in self.dates(holidays, until_date) {
            let ex = self.exceptions.iter().find(|e| e.date == date);
            if ex.is_some_and(|e| e.cancelled) {
                continue;
            }
            let civil = ex
                .and_then(|e| e.start)
                .unwrap_or_else(|| date.to_datetime(self.start.time()));
            let minutes = ex
                .and_then(|e| e.duration_minutes)
                .unwrap_or(self.duration_minutes);
            let start = self.instant(&tz, civil);
            out.push(Occurrence {
                date,
                start,
                end: start + i64::from(minutes) * 60_000,
                moved: ex.is_some(),
            });
        }
        out.sort_by_key(|o| (o.start, o.date));
        out
    }

    /// A date safely past `ms` in any zone, to bound the expansion of endless series.
    fn date_after(ms: i64) -> Option<Date> {
        let t = Timestamp::from_millisecond(ms).ok()?;
        t.to_zoned(TimeZone::UTC).date().checked_add(2.days()).ok()
    }

    /// The occurrences overlapping `[from, to)` (milliseconds, UTC). A moved occurrence may
    /// have been moved up to a few days away from its date; those are found too.
    pub fn occurrences(&self, holidays: &[Date], from: i64, to: i64) -> Vec<Occurrence> {
        let until = Self::date_after(to).and_then(|d| d.checked_add(7.days()).ok());
        self.all(holidays, until)
            .into_iter()
            .filter(|o| o.end > from && o.start < to)
            .collect()
    }

    /// The first occurrence starting at or after `after`.
    pub fn next_after(&self, holidays: &[Date], after: i64) -> Option<Occurrence> {
        // Look a year ahead at a time, so endless series stay cheap.
        let mut to = after + 400 * 86_400_000;
        for _ in 0..MAX_YEARS {
            let until = Self::date_after(to);
            if let Some(o) = self
                .all(holidays, until)
                .into_iter()
                .find(|o| o.start >= after)
            {
                return Some(o);
            }
            if !self.is_endless() {
                return None;
            }
            to += 400 * 86_400_000;
        }
        None
    }

    /// Neither a count nor an end date.
    pub fn is_endless(&self) -> bool {
        self.rule.freq != Freq::None && self.rule.count.is_none() && self.rule.until.is_none()
    }

    /// The first start and the last end (none for an endless series); `schedule.no_occurrences`
    /// when every occurrence is cancelled.
    pub fn bounds(&self, holidays: &[Date]) -> Result<(i64, Option<i64>), Invalid> {
        if self.is_endless() {
            let first = self
                .next_after(holidays, i64::MIN / 4)
                .ok_or_else(no_occurrences)?;
            return Ok((first.start, None));
        }
        let all = self.all(holidays, None);
        let first = all
            .iter()
            .map(|o| o.start)
            .min()
            .ok_or_else(no_occurrences)?;
        let last = all.iter().map(|o| o.end).max().ok_or_else(no_occurrences)?;
        Ok((first, Some(last)))
    }

    /// The series with one occurrence cancelled or moved (replacing an earlier change to it).
    /// The date must be one of the rule's dates (`schedule.unknown_occurrence`).
    pub fn with_exception(
        mut self,
        holidays: &[Date],
        date: Date,
        cancelled: bool,
        start: Option<DateTime>,
        duration_minutes: Option<u32>,
    ) -> Result<Series, Invalid> {
        let until = date.checked_add(1.days()).ok();
        if !self.dates(holidays, until).contains(&date) {
            return Err(Invalid::new(
                "date",
                "schedule.unknown_occurrence",
                "this series has no occurrence on that date",
            ));
        }
        if duration_minutes
            .is_some_and(|d| !(MIN_DURATION_MINUTES..=MAX_DURATION_MINUTES).contains(&d))
        {
            return Err(invalid(
                "duration_minutes",
                "a meeting lasts 5 minutes to 24 hours",
            ));
        }
        self.exceptions.retain(|e| e.date != date);
        self.exceptions.push(Exception {
            date,
            cancelled,
            start: if cancelled { None } else { start },
            duration_minutes: if cancelled { None } else { duration_minutes },
        });
        self.exceptions.sort_by_key(|e| e.date);
        Ok(self)
    }
}

// --- iCalendar -------------------------------------------------------------------------------

/// One series as an iCalendar event.
#[derive(Clone, Debug)]
pub struct IcsEvent {
    pub uid: String,
    pub sequence: i64,
    pub title: String,
    pub description: String,
    pub url: String,
    pub organizer: String,
    pub cancelled: bool,
    pub series: Series,
    pub holidays: Vec<Date>,
    pub created_at: i64,
}

/// Escapes TEXT (RFC 5545 §3.3.11).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets (never inside a UTF-8 character) and ends it with CRLF.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

fn utc_stamp(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

fn local_stamp(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// The RRULE value of a series (none for a single meeting). A weekday series with a count is
/// written with the last date instead (UNTIL), because its holidays are EXDATEs, which
/// RFC 5545 counts and Kantor does not.
pub fn rrule(series: &Series, holidays: &[Date]) -> Option<String> {
    let r = &series.rule;
    let mut out = match r.freq {
        Freq::None => return None,
        Freq::Daily => "FREQ=DAILY".to_string(),
        Freq::Weekdays => "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_string(),
        Freq::Weekly => {
            let days: Vec<&str> = r.weekdays.iter().map(|d| DAYS[*d as usize % 7]).collect();
            format!("FREQ=WEEKLY;BYDAY={}", days.join(","))
        }
        Freq::Monthly => match (r.month_day, r.month_week, r.month_weekday) {
            (Some(d), _, _) => format!("FREQ=MONTHLY;BYMONTHDAY={d}"),
            (None, Some(w), Some(d)) => format!("FREQ=MONTHLY;BYDAY={w}{}", DAYS[d as usize % 7]),
            _ => "FREQ=MONTHLY".to_string(),
        },
    };
    if r.interval > 1 && r.freq != Freq::Weekdays {
        let _ = write!(out, ";INTERVAL={}", r.interval);
    }
    let until = match (r.freq, r.count, r.until) {
        (Freq::Weekdays, Some(_), _) => series.dates(holidays, None).last().copied(),
        (_, Some(c), _) => {
            let _ = write!(out, ";COUNT={c}");
            None
        }
        (_, None, u) => u,
    };
    if let Some(u) = until {
        // The end of that day in the series' zone, as UTC (RFC 5545 wants UTC with a TZID
        // DTSTART).
        let tz = TimeZone::get(&series.zone).unwrap_or(TimeZone::UTC);
        let end = u.to_datetime(Time::constant(23, 59, 59, 0));
        let ms = series.instant(&tz, end);
        let _ = write!(out, ";UNTIL={}", utc_stamp(ms));
    }
    if r.freq == Freq::Weekly {
        out.push_str(";WKST=MO");
    }
    Some(out)
}

/// A VTIMEZONE for `zone` covering `[from, to)`: its offsets as STANDARD/DAYLIGHT observances
/// with the transitions in that span as RDATEs (one STANDARD block for zones without changes).
fn vtimezone(zone: &str, from: i64, to: i64) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let start = Timestamp::from_millisecond(from).unwrap_or(Timestamp::UNIX_EPOCH);
    let before = tz.to_offset_info(start);
    let mut out = String::new();
    out.push_str(&fold("BEGIN:VTIMEZONE"));
    out.push_str(&fold(&format!("TZID:{zone}")));
    let offset = |o: jiff::tz::Offset| {
        let s = o.seconds();
        let sign = if s < 0 { '-' } else { '+' };
        let s = s.abs();
        format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
    };
    let mut prev = before.offset();
    let first_local = start
        .to_zoned(tz.clone())
        .datetime()
        .strftime("%Y%m%dT%H%M%S")
        .to_string();
    let block = |kind: &str, dtstart: &str, from: &str, to: &str, name: &str| {
        let mut b = String::new();
        b.push_str(&fold(&format!("BEGIN:{kind}")));
        b.push_str(&fold(&format!("DTSTART:{dtstart}")));
        b.push_str(&fold(&format!("TZOFFSETFROM:{from}")));
        b.push_str(&fold(&format!("TZOFFSETTO:{to}")));
        if !name.is_empty() {
            b.push_str(&fold(&format!("TZNAME:{}", escape(name))));
        }
        b.push_str(&fold(&format!("END:{kind}")));
        b
    };
    let kind_of = |dst: bool| if dst { "DAYLIGHT" } else { "STANDARD" };
    out.push_str(&block(
        kind_of(before.dst().is_dst()),
        &first_local,
        &offset(prev),
        &offset(prev),
        before.abbreviation(),
    ));
    let end = Timestamp::from_millisecond(to).unwrap_or(start);
    for t in tz.following(start).take(200) {
        if t.timestamp() >= end {
            break;
        }
        // The local wall time of the transition, in the offset before it.
        let local = t
            .timestamp()
            .to_zoned(TimeZone::fixed(prev))
            .datetime()
            .strftime("%Y%m%dT%H%M%S")
            .to_string();
        out.push_str(&block(
            kind_of(t.dst().is_dst()),
            &local,
            &offset(prev),
            &offset(t.offset()),
            t.abbreviation(),
        ));
        prev = t.offset();
    }
    out.push_str(&fold("END:VTIMEZONE"));
    out
}

fn event_lines(e: &IcsEvent, now: i64) -> String {
    let s = &e.series;
    let mut out = String::new();
    let head = |out: &mut String, e: &IcsEvent| {
        out.push_str(&fold(&format!("UID:{}", escape(&e.uid))));
        out.push_str(&fold(&format!("DTSTAMP:{}", utc_stamp(now))));
        out.push_str(&fold(&format!("CREATED:{}", utc_stamp(e.created_at))));
        out.push_str(&fold(&format!("SEQUENCE:{}", e.sequence.max(0))));
        out.push_str(&fold(&format!("SUMMARY:{}", escape(&e.title))));
        if !e.description.is_empty() {
            out.push_str(&fold(&format!("DESCRIPTION:{}", escape(&e.description))));
        }
        if !e.url.is_empty() {
            out.push_str(&fold(&format!("URL:{}", e.url)));
            out.push_str(&fold(&format!("LOCATION:{}", escape(&e.url))));
        }
        out.push_str(&fold(&format!(
            "ORGANIZER;CN={}:mailto:noreply@kantor.invalid",
            escape(&e.organizer).replace(':', " ")
        )));
        out.push_str(&fold(if e.cancelled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        }));
    };
    out.push_str(&fold("BEGIN:VEVENT"));
    head(&mut out, e);
    out.push_str(&fold(&format!(
        "DTSTART;TZID={}:{}",
        s.zone,
        local_stamp(s.start)
    )));
    out.push_str(&fold(&format!("DURATION:PT{}M", s.duration_minutes)));
    if let Some(rule) = rrule(s, &e.holidays) {
        out.push_str(&fold(&format!("RRULE:{rule}")));
        let time = s.start.time();
        let mut ex: Vec<Date> = s
            .exceptions
            .iter()
            .filter(|x| x.cancelled)
            .map(|x| x.date)
            .collect();
        if s.rule.freq == Freq::Weekdays {
            // Holidays on weekdays within the series' span.
            let last = s.dates(&e.holidays, None).last().copied();
            ex.extend(e.holidays.iter().copied().filter(|h| {
                *h >= s.start.date()
                    && last.is_none_or(|l| *h <= l)
                    && h.weekday().to_monday_zero_offset() < 5
            }));
        }
        ex.sort();
        ex.dedup();
        for d in ex {
            out.push_str(&fold(&format!(
                "EXDATE;TZID={}:{}",
                s.zone,
                local_stamp(d.to_datetime(time))
            )));
        }
    }
    out.push_str(&fold("END:VEVENT"));
    // Moved occurrences: the same UID with RECURRENCE-ID.
    for x in s.exceptions.iter().filter(|x| !x.cancelled) {
        let original = x.date.to_datetime(s.start.time());
        let start = x.start.unwrap_or(original);
        out.push_str(&fold("BEGIN:VEVENT"));
        head(&mut out, e);
        out.push_str(&fold(&format!(
            "RECURRENCE-ID;TZID={}:{}",
            s.zone,
            local_stamp(original)
        )));
        out.push_str(&fold(&format!(
            "DTSTART;TZID={}:{}",
            s.zone,
            local_stamp(start)
        )));
        out.push_str(&fold(&format!(
            "DURATION:PT{}M",
            x.duration_minutes.unwrap_or(s.duration_minutes)
        )));
        out.push_str(&fold("END:VEVENT"));
    }
    out
}

/// A VCALENDAR with these events (and a VTIMEZONE for each zone they use). `name` makes it a
/// feed (X-WR-CALNAME); `publish` says METHOD:PUBLISH (a downloaded invitation).
pub fn calendar(events: &[IcsEvent], name: Option<&str>, now: i64, publish: bool) -> String {
    let mut out = String::new();
    out.push_str(&fold("BEGIN:VCALENDAR"));
    out.push_str(&fold("VERSION:2.0"));
    out.push_str(&fold("PRODID:-//Kantor//Rapat//ID"));
    out.push_str(&fold("CALSCALE:GREGORIAN"));
    if publish {
        out.push_str(&fold("METHOD:PUBLISH"));
    }
    if let Some(n) = name {
        out.push_str(&fold(&format!("X-WR-CALNAME:{}", escape(n))));
    }
    let mut zones: Vec<(&str, i64, i64)> = Vec::new();
    for e in events {
        let s = &e.series;
        let from = s.instant(&s.tz(), s.start) - 86_400_000;
        let to = match s.bounds(&e.holidays) {
            Ok((_, Some(end))) => end + 86_400_000,
            _ => from + i64::from(MAX_YEARS) * 366 * 86_400_000,
        };
        match zones.iter_mut().find(|z| z.0 == s.zone) {
            Some(z) => {
                z.1 = z.1.min(from);
                z.2 = z.2.max(to);
            }
            None => zones.push((&s.zone, from, to)),
        }
    }
    for (zone, from, to) in zones {
        out.push_str(&vtimezone(zone, from, to));
    }
    for e in events {
        out.push_str(&event_lines(e, now));
    }
    out.push_str(&fold("END:VCALENDAR"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DateTime {
        s.parse().expect("civil")
    }

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>().expect("instant").as_millisecond()
    }

    fn rule(freq: Freq) -> Rule {
        Rule {
            freq,
            ..Rule::once()
        }
    }

    fn starts(s: &Series, holidays: &[Date], from: &str, to: &str) -> Vec<String> {
        s.occurrences(holidays, ms(from), ms(to))
            .iter()
            .map(|o| {
                Timestamp::from_millisecond(o.start)
                    .expect("ms")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn weekly_in_each_indonesian_zone() {
        let r = Rule {
            weekdays: vec![0],
            count: Some(3),
            ..rule(Freq::Weekly)
        };
        for (zone, utc) in [
            ("Asia/Jakarta", "02:00"),
            ("Asia/Makassar", "01:00"),
            ("Asia/Jayapura", "00:00"),
        ] {
            let s = Series::new(zone, dt("2026-11-30T09:00"), 30, r.clone(), &[]).expect("ok");
            assert_eq!(
                starts(&s, &[], "2026-11-01T00:00:00Z", "2027-02-01T00:00:00Z"),
                [
                    format!("2026-11-30T{utc}:00Z"),
                    format!("2026-12-07T{utc}:00Z"),
                    format!("2026-12-14T{utc}:00Z")
                ]
            );
        }
    }

    #[test]
    fn civil_time_holds_across_daylight_saving() {
        let r = Rule {
            count: Some(3),
            ..rule(Freq::Weekly)
        };
        // Amsterdam leaves summer time on 2026-10-25.
        let s = Series::new("Europe/Amsterdam", dt("2026-10-19T09:00"), 60, r, &[]).expect("ok");
        assert_eq!(
            starts(&s, &[], "2026-10-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            [
                "2026-10-19T07:00:00Z",
                "2026-10-26T08:00:00Z",
                "2026-11-02T08:00:00Z"
            ]
        );
    }

    #[test]
    fn weekdays_skip_holidays_and_count_working_days() {
        let holidays = [d("2026-12-25"), d("2026-12-24")];
        let r = Rule {
            count: Some(4),
            ..rule(Freq::Weekdays)
        };
        let s = Series::new("Asia/Jakarta", dt("2026-12-21T08:00"), 15, r, &holidays).expect("ok");
        let dates: Vec<Date> = s.dates(&holidays, None);
        assert_eq!(
            dates,
            [
                d("2026-12-21"),
                d("2026-12-22"),
                d("2026-12-23"),
                d("2026-12-28")
            ]
        );
        let rr = rrule(&s, &holidays).expect("a rule");
        assert!(
            rr.starts_with("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261228T"),
            "{rr}"
        );
    }

    #[test]
    fn weekly_with_two_days_every_other_week() {
        let r = Rule {
            interval: 2,
            weekdays: vec![3, 0],
            count: Some(4),
            ..rule(Freq::Weekly)
        };
        // Starts on a Wednesday: that week's Monday is before the start and not counted.
        let s = Series::new("Asia/Jakarta", dt("2026-11-25T10:00"), 60, r, &[]).expect("ok");
        assert_eq!(
            s.dates(&[], None),
            [
                d("2026-11-26"),
                d("2026-12-07"),
                d("2026-12-10"),
                d("2026-12-21")
            ]
        );
        assert_eq!(
            rrule(&s, &[]).as_deref(),
            Some("FREQ=WEEKLY;BYDAY=MO,TH;INTERVAL=2;COUNT=4;WKST=MO")
        );
    }

    #[test]
    fn monthly_by_date_skips_short_months_and_by_weekday_finds_the_last() {
        let r = Rule {
            month_day: Some(31),
            count: Some(3),
            ..rule(Freq::Monthly)
        };
        let s = Series::new("Asia/Jakarta", dt("2026-12-31T13:00"), 60, r, &[]).expect("ok");
        assert_eq!(
            s.dates(&[], None),
            [d("2026-12-31"), d("2027-01-31"), d("2027-03-31")]
        );
        let last_friday = Rule {
            month_week: Some(-1),
            month_weekday: Some(4),
            until: Some(d("2027-02-28")),
            ..rule(Freq::Monthly)
        };
        let s =
            Series::new("Asia/Jakarta", dt("2026-11-01T15:00"), 60, last_friday, &[]).expect("ok");
        assert_eq!(
            s.dates(&[], None),
            [
                d("2026-11-27"),
                d("2026-12-25"),
                d("2027-01-29"),
                d("2027-02-26")
            ]
        );
        assert!(rrule(&s, &[])
            .expect("rule")
            .starts_with("FREQ=MONTHLY;BYDAY=-1FR;UNTIL="));
        let second_tuesday = Rule {
            month_week: Some(2),
            month_weekday: Some(1),
            count: Some(2),
            ..rule(Freq::Monthly)
        };
        let s = Series::new(
            "Asia/Jakarta",
            dt("2026-11-01T15:00"),
            60,
            second_tuesday,
            &[],
        )
        .expect("ok");
        assert_eq!(s.dates(&[], None), [d("2026-11-10"), d("2026-12-08")]);
    }

    #[test]
    fn daily_endless_series_expand_only_the_window() {
        let r = Rule {
            interval: 3,
            ..rule(Freq::Daily)
        };
        let s = Series::new("Asia/Jakarta", dt("2026-01-01T07:00"), 30, r, &[]).expect("ok");
        assert!(s.is_endless());
        let got = starts(&s, &[], "2030-01-01T00:00:00Z", "2030-01-08T00:00:00Z");
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(s.bounds(&[]).expect("bounds").1, None);
        let next = s
            .next_after(&[], ms("2027-06-01T00:00:00Z"))
            .expect("a next one");
        assert!(next.start >= ms("2027-06-01T00:00:00Z"));
    }

    #[test]
    fn exceptions_cancel_and_move_by_original_date() {
        let r = Rule {
            count: Some(3),
            ..rule(Freq::Weekly)
        };
        let s = Series::new("Asia/Jakarta", dt("2026-11-30T09:00"), 30, r, &[]).expect("ok");
        let s = s
            .with_exception(&[], d("2026-12-07"), true, None, None)
            .expect("cancel")
            .with_exception(
                &[],
                d("2026-12-14"),
                false,
                Some(dt("2026-12-15T10:00")),
                Some(45),
            )
            .expect("move");
        let all = s.occurrences(&[], ms("2026-11-01T00:00:00Z"), ms("2027-01-01T00:00:00Z"));
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].date, d("2026-12-14"));
        assert_eq!(all[1].start, ms("2026-12-15T03:00:00Z"));
        assert_eq!(all[1].end - all[1].start, 45 * 60_000);
        assert!(all[1].moved);
        assert_eq!(
            s.clone()
                .with_exception(&[], d("2026-12-08"), true, None, None)
                .expect_err("no such date")
                .code,
            "schedule.unknown_occurrence"
        );
        // Every occurrence cancelled: no occurrence left.
        let gone = s
            .with_exception(&[], d("2026-11-30"), true, None, None)
            .and_then(|s| s.with_exception(&[], d("2026-12-14"), true, None, None))
            .expect("cancelled");
        assert_eq!(
            gone.bounds(&[]).expect_err("none").code,
            "schedule.no_occurrences"
        );
    }

    #[test]
    fn windows_include_occurrences_that_overlap_their_edges() {
        let s = Series::new(
            "Asia/Jakarta",
            dt("2026-11-30T09:00"),
            60,
            Rule::once(),
            &[],
        )
        .expect("ok");
        // 02:00–03:00 UTC.
        assert_eq!(
            s.occurrences(&[], ms("2026-11-30T02:30:00Z"), ms("2026-11-30T02:40:00Z"))
                .len(),
            1
        );
        assert!(s
            .occurrences(&[], ms("2026-11-30T03:00:00Z"), ms("2026-11-30T04:00:00Z"))
            .is_empty());
        assert!(s
            .occurrences(&[], ms("2026-11-30T01:00:00Z"), ms("2026-11-30T02:00:00Z"))
            .is_empty());
    }

    #[test]
    fn rules_without_occurrences_and_bad_fields_are_refused() {
        let z = "Asia/Jakarta";
        let start = dt("2026-11-30T09:00");
        let until_before = Rule {
            until: Some(d("2026-11-29")),
            ..rule(Freq::Daily)
        };
        assert_eq!(
            Series::new(z, start, 30, until_before, &[])
                .expect_err("none")
                .code,
            "schedule.no_occurrences"
        );
        // Weekdays where every weekday is a holiday.
        let holidays: Vec<Date> = (0..5)
            .map(|i| d("2026-11-30").checked_add(i.days()).expect("d"))
            .collect();
        let one_week = Rule {
            until: Some(d("2026-12-06")),
            ..rule(Freq::Weekdays)
        };
        assert_eq!(
            Series::new(z, start, 30, one_week, &holidays)
                .expect_err("none")
                .code,
            "schedule.no_occurrences"
        );
        // The 31st in a window of months without one.
        let thirty_first = Rule {
            month_day: Some(31),
            until: Some(d("2027-03-30")),
            ..rule(Freq::Monthly)
        };
        assert_eq!(
            Series::new(z, dt("2027-02-01T09:00"), 30, thirty_first, &[])
                .expect_err("none")
                .code,
            "schedule.no_occurrences"
        );
        for bad in [
            Rule {
                interval: 0,
                ..rule(Freq::Daily)
            },
            Rule {
                interval: 100,
                ..rule(Freq::Daily)
            },
            Rule {
                count: Some(0),
                ..rule(Freq::Daily)
            },
            Rule {
                count: Some(1001),
                ..rule(Freq::Daily)
            },
            Rule {
                weekdays: vec![7],
                ..rule(Freq::Weekly)
            },
            Rule {
                month_week: Some(5),
                month_weekday: Some(1),
                ..rule(Freq::Monthly)
            },
            Rule {
                month_day: Some(32),
                ..rule(Freq::Monthly)
            },
        ] {
            assert_eq!(
                Series::new(z, start, 30, bad.clone(), &[])
                    .expect_err("bad")
                    .code,
                "validation.invalid",
                "{bad:?}"
            );
        }
        assert_eq!(
            Series::new(z, start, 0, Rule::once(), &[])
                .expect_err("bad")
                .code,
            "validation.invalid"
        );
        assert_eq!(
            Series::new(z, start, 1441, Rule::once(), &[])
                .expect_err("bad")
                .code,
            "validation.invalid"
        );
        assert_eq!(
            Series::new("Mars/Olympus", start, 30, Rule::once(), &[])
                .expect_err("bad")
                .code,
            "validation.time_zone"
        );
    }

    #[test]
    fn text_is_escaped_and_lines_are_folded_between_characters() {
        assert_eq!(escape("a;b,c\\d\ne"), "a\\;b\\,c\\\\d\\ne");
        let long = format!("SUMMARY:{}", "é".repeat(60));
        let folded = fold(&long);
        for line in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(line.len() <= 75, "{}", line.len());
            assert!(std::str::from_utf8(line.as_bytes()).is_ok());
        }
        assert_eq!(folded.replace("\r\n ", ""), format!("{long}\r\n"));
    }

    #[test]
    fn a_calendar_has_its_zones_events_and_exceptions() {
        let r = Rule {
            count: Some(3),
            ..rule(Freq::Weekly)
        };
        let s = Series::new("Asia/Jakarta", dt("2026-11-30T09:00"), 30, r, &[])
            .expect("ok")
            .with_exception(&[], d("2026-12-07"), true, None, None)
            .expect("cancel")
            .with_exception(
                &[],
                d("2026-12-14"),
                false,
                Some(dt("2026-12-15T10:00")),
                None,
            )
            .expect("move");
        let e = IcsEvent {
            uid: "m1@kantor".into(),
            sequence: 2,
            title: "Rapat, mingguan; tim".into(),
            description: "Agenda\nsatu".into(),
            url: "https://kantor.example/meet/8123456789".into(),
            organizer: "Budi".into(),
            cancelled: false,
            series: s,
            holidays: Vec::new(),
            created_at: 0,
        };
        let text = calendar(&[e], Some("Kantor"), ms("2026-11-23T00:00:00Z"), true);
        assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for needle in [
            "TZID:Asia/Jakarta",
            "TZOFFSETTO:+0700",
            "DTSTART;TZID=Asia/Jakarta:20261130T090000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3;WKST=MO",
            "EXDATE;TZID=Asia/Jakarta:20261207T090000",
            "RECURRENCE-ID;TZID=Asia/Jakarta:20261214T090000",
            "DTSTART;TZID=Asia/Jakarta:20261215T100000",
            "SUMMARY:Rapat\\, mingguan\\; tim",
            "DESCRIPTION:Agenda\\nsatu",
            "SEQUENCE:2",
            "X-WR-CALNAME:Kantor",
        ] {
            assert!(text.contains(needle), "{needle} in\n{text}");
        }
        assert!(!text.contains("\n\n") && text.split("\r\n").all(|l| !l.contains('\n')));
    }

    #[test]
    fn daylight_saving_zones_get_both_observances() {
        let r = Rule {
            count: Some(30),
            ..rule(Freq::Weekly)
        };
        let s = Series::new("America/New_York", dt("2026-10-05T09:00"), 30, r, &[]).expect("ok");
        let text = vtimezone(
            "America/New_York",
            ms("2026-10-01T00:00:00Z"),
            ms("2027-06-01T00:00:00Z"),
        );
        assert!(
            text.contains("BEGIN:DAYLIGHT") && text.contains("BEGIN:STANDARD"),
            "{text}"
        );
        assert!(
            text.contains("TZOFFSETTO:-0500") && text.contains("TZOFFSETTO:-0400"),
            "{text}"
        );
        drop(s);
    }
}

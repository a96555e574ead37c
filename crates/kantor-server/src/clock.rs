//! The server's one source of time. Services take the time from here and hand it to the core
//! and the store, so tests drive time with [`Clock::manual`] instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct Clock {
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// A clock that only moves when told to.
    pub fn manual(start_ms: i64) -> Clock {
        Clock {
            manual: Some(Arc::new(AtomicI64::new(start_ms))),
        }
    }

    /// Milliseconds since the Unix epoch (UTC).
    pub fn now_ms(&self) -> i64 {
        match &self.manual {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
        }
    }

    /// Moves a manual clock forward; no effect on the system clock.
    pub fn advance_ms(&self, ms: i64) {
        if let Some(t) = &self.manual {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

/// The zone of a person's `time_zone` setting; Jakarta (WIB) if it is not a known zone.
pub fn user_zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap_or_else(|_| {
        jiff::tz::TimeZone::get("Asia/Jakarta").unwrap_or(jiff::tz::TimeZone::UTC)
    })
}

const DAYS_ID: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A day's name for texts the server writes: `Senin` / `Monday`, or `Sen` / `Mon` when
/// `short` (the glossary's abbreviations are the first three letters).
pub fn day_name(day: jiff::civil::Weekday, english: bool, short: bool) -> &'static str {
    let names = if english { &DAYS_EN } else { &DAYS_ID };
    let name = names[day.to_monday_zero_offset() as usize];
    if short {
        &name[..3]
    } else {
        name
    }
}

/// A month's name (1–12): `Agustus` / `August`, or `Agu` / `Aug` when `short`.
pub fn month_name(month: i8, english: bool, short: bool) -> &'static str {
    let names = if english { &MONTHS_EN } else { &MONTHS_ID };
    let name = names[(month.clamp(1, 12) - 1) as usize];
    if short {
        &name[..3]
    } else {
        name
    }
}

/// The zone's abbreviation at an instant when the time-zone database has a word for it (WIB,
/// WITA, WIT, CET); none for numeric ones (`+03`).
pub fn zone_abbreviation(zone: &jiff::tz::TimeZone, ms: i64) -> Option<String> {
    let t = jiff::Timestamp::from_millisecond(ms).ok()?;
    let info = zone.to_offset_info(t);
    let abbr = info.abbreviation();
    (!abbr.is_empty() && abbr.chars().all(|c| c.is_ascii_alphabetic())).then(|| abbr.to_string())
}

/// RFC 3339 UTC text for an instant in milliseconds.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

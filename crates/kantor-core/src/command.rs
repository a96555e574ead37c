//! Slash commands typed in the chat composer: splitting `/name rest`, the rules for command
//! names, and the two built-in commands' arguments — `/poll` and `/remind`.
//!
//! Both built-ins read Bahasa Indonesia and English alike:
//!
//! - `/poll "Makan siang di mana?" "Warung" "Kantin" [--multi]` — a question and 2–10
//!   options, in straight or curly quotes (phones type “ ”).
//! - `/remind [me|saya|<@user>|here|sini] <what> <when>` where `<when>` ends the line:
//!   `in 10 minutes` / `dalam 10 menit` / `10 menit lagi`, `at 14:30` / `pukul 14.30` /
//!   `jam 9`, `tomorrow [at 9:00]` / `besok [pukul 9]`, `on 2026-12-01 [at 9]` /
//!   `tanggal 1/12/2026 [pukul 9]`, `on monday` / `hari senin`. Times are civil times in the
//!   person's zone; a time of day already past today means tomorrow; a day without a time
//!   means 09:00. `/remind list` (`daftar`) lists one's pending reminders.

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

use crate::validate::Invalid;

/// Built-in command names; a bot cannot register them.
pub const BUILT_IN: [&str; 2] = ["remind", "poll"];
/// Indonesian names of the built-ins, also reserved.
pub const BUILT_IN_ALIASES: [(&str, &str); 2] = [("ingatkan", "remind"), ("polling", "poll")];
pub const MAX_NAME_CHARS: usize = 32;
pub const MAX_OPTIONS: usize = 10;
pub const MAX_OPTION_CHARS: usize = 200;
pub const MAX_QUESTION_CHARS: usize = 300;
pub const MAX_REMINDER_CHARS: usize = 1000;
/// The furthest ahead a reminder may be set.
pub const MAX_REMIND_DAYS: i64 = 366;

/// `/name rest` → (`name` lower-cased, `rest` trimmed); `None` when the text is not a
/// command (no leading `/`, or `//…` which posts a message starting with `/`).
pub fn split(text: &str) -> Option<(String, &str)> {
    let t = text.trim_start();
    let rest = t.strip_prefix('/')?;
    if rest.starts_with('/') {
        return None;
    }
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let name = &rest[..end];
    if name.is_empty() {
        return None;
    }
    Some((name.to_lowercase(), rest[end..].trim()))
}

/// The built-in a name means (`ingatkan` → `remind`), if any.
pub fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN.iter().copied().find(|b| *b == name).or_else(|| {
        BUILT_IN_ALIASES
            .iter()
            .find(|(alias, _)| *alias == name)
            .map(|(_, b)| *b)
    })
}

/// A command name a bot may register: 1–32 of `a-z 0-9 - _`, starting with a letter, not a
/// built-in. Returns it lower-cased.
pub fn bot_command_name(name: &str) -> Result<String, Invalid> {
    let n = name.trim().trim_start_matches('/').to_lowercase();
    let ok = !n.is_empty()
        && n.chars().count() <= MAX_NAME_CHARS
        && n.starts_with(|c: char| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(Invalid::new(
            "name",
            "validation.invalid",
            "a command is 1 to 32 of a-z, 0-9, - and _, starting with a letter",
        ));
    }
    if built_in(&n).is_some() {
        return Err(Invalid::new(
            "name",
            "chat.command_reserved",
            format!("/{n} is a built-in command"),
        ));
    }
    Ok(n)
}

/// A poll's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PollSpec {
    pub question: String,
    pub options: Vec<String>,
    /// Each person may choose several options.
    pub multiple: bool,
}

/// Checks a poll's question and options (also for polls made outside `/poll`).
pub fn poll(question: &str, options: &[String], multiple: bool) -> Result<PollSpec, Invalid> {
    let question = crate::validate::text("question", question, MAX_QUESTION_CHARS)?;
    if options.len() < 2 || options.len() > MAX_OPTIONS {
        return Err(Invalid::new(
            "options",
            "chat.poll_options",
            "a poll has 2 to 10 options",
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(options.len());
    for o in options {
        let o = crate::validate::text("options", o, MAX_OPTION_CHARS)?;
        if out.iter().any(|x| x.to_lowercase() == o.to_lowercase()) {
            return Err(Invalid::new(
                "options",
                "chat.poll_options",
                "each option appears once",
            ));
        }
        out.push(o);
    }
    Ok(PollSpec {
        question,
        options: out,
        multiple,
    })
}

/// `/poll` arguments: quoted strings (the question, then the options) and an optional
/// `--multi` (`--banyak`) flag anywhere outside quotes.
pub fn parse_poll(args: &str) -> Result<PollSpec, Invalid> {
    let usage = || {
        Invalid::new(
            "text",
            "chat.command_usage",
            "/poll \"question\" \"option 1\" \"option 2\" [--multi]",
        )
    };
    let mut parts = Vec::new();
    let mut multiple = false;
    let mut chars = args.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '“' | '”' | '„' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"' | '“' | '”') => break,
                        Some(x) => s.push(x),
                        None => return Err(usage()),
                    }
                }
                parts.push(s);
            }
            c if c.is_whitespace() => {}
            _ => {
                let mut word = String::from(c);
                while let Some(&x) = chars.peek() {
                    if x.is_whitespace() {
                        break;
                    }
                    word.push(x);
                    chars.next();
                }
                match word.to_lowercase().as_str() {
                    "--multi" | "--multiple" | "--banyak" => multiple = true,
                    _ => return Err(usage()),
                }
            }
        }
    }
    let Some((question, options)) = parts.split_first() else {
        return Err(usage());
    };
    poll(question, options, multiple)
}

/// Who a reminder is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemindTarget {
    Me,
    /// A person, by the user id of a `<@id>` mention token.
    Person(String),
    /// The conversation the command was typed in.
    Here,
}

/// A parsed `/remind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remind {
    List,
    Set {
        target: RemindTarget,
        what: String,
        at: Timestamp,
    },
}

fn remind_usage() -> Invalid {
    Invalid::new(
        "text",
        "chat.command_usage",
        "/remind [me|@person|here] what in 10 minutes | at 14:30 | tomorrow | on 2026-12-01",
    )
}

/// Parses `/remind` arguments at `now`, for a person in `zone`.
pub fn parse_remind(args: &str, now: Timestamp, zone: &TimeZone) -> Result<Remind, Invalid> {
    let words: Vec<&str> = args.split_whitespace().collect();
    match words.as_slice() {
        [] => return Err(remind_usage()),
        [one] if matches!(one.to_lowercase().as_str(), "list" | "daftar") => {
            return Ok(Remind::List)
        }
        _ => {}
    }
    let first = words[0].to_lowercase();
    let (target, rest) = match first.as_str() {
        "me" | "saya" | "aku" => (RemindTarget::Me, &words[1..]),
        "here" | "sini" | "channel" => (RemindTarget::Here, &words[1..]),
        _ => match words[0]
            .strip_prefix("<@")
            .and_then(|s| s.strip_suffix('>'))
        {
            Some(id) if !id.is_empty() => (RemindTarget::Person(id.to_string()), &words[1..]),
            _ => (RemindTarget::Me, &words[..]),
        },
    };
    let local = now.to_zoned(zone.clone()).datetime();
    // The longest suffix that reads as a time wins; what is left is the reminder.
    let found = (1..rest.len()).find_map(|start| when(&rest[start..], local).map(|at| (start, at)));
    let Some((start, at)) = found else {
        return Err(remind_usage());
    };
    let mut what: Vec<&str> = rest[..start].to_vec();
    if let Some(w) = what.first() {
        if matches!(
            w.to_lowercase().as_str(),
            "to" | "untuk" | "agar" | "supaya"
        ) {
            what.remove(0);
        }
    }
    if let Some(w) = what.last() {
        if matches!(w.to_lowercase().as_str(), "at" | "on" | "pada") {
            what.pop();
        }
    }
    let what = crate::validate::text("text", &what.join(" "), MAX_REMINDER_CHARS)
        .map_err(|_| remind_usage())?;
    let at = zone
        .to_ambiguous_zoned(at)
        .compatible()
        .map_err(|_| remind_usage())?
        .timestamp();
    if at <= now {
        return Err(Invalid::new(
            "text",
            "chat.remind_past",
            "that time has already passed",
        ));
    }
    if at.as_second() - now.as_second() > MAX_REMIND_DAYS * 86_400 {
        return Err(Invalid::new(
            "text",
            "chat.remind_too_far",
            "a reminder is at most a year ahead",
        ));
    }
    Ok(Remind::Set { target, what, at })
}

/// A time phrase (all of `words`) → the civil time it names, from `now` (civil, the
/// person's zone).
fn when(words: &[&str], now: DateTime) -> Option<DateTime> {
    let w: Vec<String> = words.iter().map(|s| s.to_lowercase()).collect();
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    let nine = Time::constant(9, 0, 0, 0);
    match w.as_slice() {
        // in 10 minutes / dalam 10 menit / 10 menit lagi
        ["in" | "dalam", n, unit] | [n, unit, "lagi"] => {
            let n: i64 = n.parse().ok().filter(|n| (1..=100_000).contains(n))?;
            let span = match *unit {
                "minute" | "minutes" | "min" | "mins" | "menit" => n.minutes(),
                "hour" | "hours" | "jam" => n.hours(),
                "day" | "days" | "hari" => n.days(),
                "week" | "weeks" | "minggu" | "pekan" => (n * 7).days(),
                _ => return None,
            };
            now.checked_add(span).ok()
        }
        // at 14:30 / pukul 14.30 / jam 9
        ["at" | "pukul" | "jam", t] => {
            let t = time_of_day(t)?;
            let today = now.date().to_datetime(t);
            if today > now {
                Some(today)
            } else {
                now.date().tomorrow().ok().map(|d| d.to_datetime(t))
            }
        }
        ["tomorrow" | "besok", tail @ ..] => {
            let d = now.date().tomorrow().ok()?;
            Some(d.to_datetime(at_time(tail, nine)?))
        }
        ["on" | "pada" | "tanggal" | "tgl", d, tail @ ..] => {
            if let Some(day) = weekday(d) {
                return Some(next_weekday(now, day).to_datetime(at_time(tail, nine)?));
            }
            Some(date(d)?.to_datetime(at_time(tail, nine)?))
        }
        ["hari", d, tail @ ..] => {
            let day = weekday(d)?;
            Some(next_weekday(now, day).to_datetime(at_time(tail, nine)?))
        }
        _ => None,
    }
}

/// `[]` → the default; `["at"|"pukul"|"jam", t]` → t.
fn at_time(tail: &[&str], default: Time) -> Option<Time> {
    match tail {
        [] => Some(default),
        ["at" | "pukul" | "jam", t] => time_of_day(t),
        _ => None,
    }
}

/// `14:30`, `14.30`, `9`, `09.00`.
fn time_of_day(s: &str) -> Option<Time> {
    let (h, m) = match s.split_once([':', '.']) {
        Some((h, m)) => (h, m),
        None => (s, "0"),
    };
    if h.is_empty() || h.len() > 2 || m.is_empty() || m.len() > 2 {
        return None;
    }
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    Time::new(h, m, 0, 0).ok()
}

/// `2026-12-01` or `1/12/2026` (day first, as written in Indonesia).
fn date(s: &str) -> Option<Date> {
    if let Ok(d) = s.parse::<Date>() {
        return Some(d);
    }
    let mut it = s.split(['/', '-']);
    let (d, m, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

fn weekday(s: &str) -> Option<Weekday> {
    Some(match s {
        "monday" | "senin" => Weekday::Monday,
        "tuesday" | "selasa" => Weekday::Tuesday,
        "wednesday" | "rabu" => Weekday::Wednesday,
        "thursday" | "kamis" => Weekday::Thursday,
        "friday" | "jumat" | "jum'at" => Weekday::Friday,
        "saturday" | "sabtu" => Weekday::Saturday,
        "sunday" | "minggu" | "ahad" => Weekday::Sunday,
        _ => return None,
    })
}

/// The next such weekday after today (a week ahead when today is that day).
fn next_weekday(now: DateTime, day: Weekday) -> Date {
    let mut d = now.date();
    for _ in 0..7 {
        d = d.tomorrow().unwrap_or(d);
        if d.weekday() == day {
            break;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jakarta() -> TimeZone {
        TimeZone::get("Asia/Jakarta").expect("valid")
    }

    /// Monday 2026-11-23 10:00 WIB.
    fn now() -> Timestamp {
        "2026-11-23T03:00:00Z".parse().expect("valid")
    }

    fn at(s: &str) -> Timestamp {
        s.parse().expect("valid")
    }

    fn set(args: &str) -> (RemindTarget, String, Timestamp) {
        match parse_remind(args, now(), &jakarta()).expect("valid") {
            Remind::Set { target, what, at } => (target, what, at),
            Remind::List => panic!("list"),
        }
    }

    #[test]
    fn split_reads_name_and_rest() {
        assert_eq!(
            split("/Poll \"a\" \"b\""),
            Some(("poll".into(), "\"a\" \"b\""))
        );
        assert_eq!(split("  /remind"), Some(("remind".into(), "")));
        assert_eq!(split("//not a command"), None);
        assert_eq!(split("halo /poll"), None);
        assert_eq!(split("/"), None);
        assert_eq!(built_in("ingatkan"), Some("remind"));
        assert_eq!(built_in("deploy"), None);
    }

    #[test]
    fn bot_command_names() {
        assert_eq!(bot_command_name("/Deploy").expect("valid"), "deploy");
        assert_eq!(bot_command_name("cuti-2").expect("valid"), "cuti-2");
        assert_eq!(
            bot_command_name("poll").expect_err("refused").code,
            "chat.command_reserved"
        );
        assert_eq!(
            bot_command_name("ingatkan").expect_err("refused").code,
            "chat.command_reserved"
        );
        for bad in ["", "2x", "a b", "ümlaut", &"x".repeat(33)] {
            assert_eq!(
                bot_command_name(bad).expect_err("refused").code,
                "validation.invalid",
                "{bad}"
            );
        }
    }

    #[test]
    fn poll_arguments() {
        let p = parse_poll("\"Makan siang di mana?\" “Warung” \"Kantin\" --multi").expect("valid");
        assert_eq!(p.question, "Makan siang di mana?");
        assert_eq!(p.options, ["Warung", "Kantin"]);
        assert!(p.multiple);
        assert!(!parse_poll("\"Q\" \"a\" \"b\"").expect("valid").multiple);
        for bad in [
            "",
            "\"Q\" \"a\"",
            "\"Q\" \"a\" \"b",
            "Q a b",
            "\"Q\" \"a\" \"A\"",
            "\"Q\" \"a\" \"\"",
        ] {
            assert!(parse_poll(bad).is_err(), "{bad}");
        }
        let eleven: String = (0..11).map(|i| format!(" \"o{i}\"")).collect();
        assert_eq!(
            parse_poll(&format!("\"Q\"{eleven}"))
                .expect_err("refused")
                .code,
            "chat.poll_options"
        );
    }

    #[test]
    fn remind_relative_times() {
        assert_eq!(
            set("me to submit the report in 10 minutes"),
            (
                RemindTarget::Me,
                "submit the report".into(),
                at("2026-11-23T03:10:00Z")
            )
        );
        assert_eq!(
            set("saya kirim laporan dalam 2 jam"),
            (
                RemindTarget::Me,
                "kirim laporan".into(),
                at("2026-11-23T05:00:00Z")
            )
        );
        assert_eq!(set("minum obat 3 hari lagi").2, at("2026-11-26T03:00:00Z"));
    }

    #[test]
    fn remind_times_of_day_in_the_persons_zone() {
        // 14.30 WIB today.
        assert_eq!(set("rapat pukul 14.30").2, at("2026-11-23T07:30:00Z"));
        // 08:00 has passed today (it is 10:00): tomorrow.
        assert_eq!(set("apel at 8:00").2, at("2026-11-24T01:00:00Z"));
        assert_eq!(set("stand-up besok").2, at("2026-11-24T02:00:00Z"));
        assert_eq!(set("stand-up besok jam 8").2, at("2026-11-24T01:00:00Z"));
        assert_eq!(
            set("bayar on 2026-12-01 at 13:00").2,
            at("2026-12-01T06:00:00Z")
        );
        assert_eq!(set("bayar tanggal 1/12/2026").2, at("2026-12-01T02:00:00Z"));
        // Monday today → next Monday.
        assert_eq!(
            set("laporan mingguan hari senin").2,
            at("2026-11-30T02:00:00Z")
        );
        assert_eq!(
            set("review on friday at 16.00").2,
            at("2026-11-27T09:00:00Z")
        );
        // The same words in Jayapura (WIT, UTC+9).
        let jayapura = TimeZone::get("Asia/Jayapura").expect("valid");
        match parse_remind("rapat pukul 14.30", now(), &jayapura).expect("valid") {
            Remind::Set { at: t, .. } => assert_eq!(t, at("2026-11-23T05:30:00Z")),
            Remind::List => panic!(),
        }
    }

    #[test]
    fn remind_targets() {
        assert_eq!(
            set("<@abc> isi absen in 5 min").0,
            RemindTarget::Person("abc".into())
        );
        assert_eq!(set("here standup besok").0, RemindTarget::Here);
        assert_eq!(set("sini standup besok").1, "standup");
        assert_eq!(
            parse_remind("daftar", now(), &jakarta()).expect("valid"),
            Remind::List
        );
    }

    #[test]
    fn remind_refuses_what_it_cannot_read() {
        let z = jakarta();
        for bad in [
            "",
            "me",
            "me something",
            "in 10 minutes",
            "x pukul 25.00",
            "x dalam 0 menit",
        ] {
            assert_eq!(
                parse_remind(bad, now(), &z).expect_err("refused").code,
                "chat.command_usage",
                "{bad}"
            );
        }
        assert_eq!(
            parse_remind("x on 2020-01-01", now(), &z)
                .expect_err("refused")
                .code,
            "chat.remind_past"
        );
        assert_eq!(
            parse_remind("x on 2030-01-01", now(), &z)
                .expect_err("refused")
                .code,
            "chat.remind_too_far"
        );
    }
}

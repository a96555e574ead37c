//! The search query language (Slack-like), parsed into a [`Query`] with positions for errors.
//!
//! ```text
//! laporan "rapat mingguan" -draf in:#umum from:@budi after:2026-01-31 has:file is:pinned
//! ```
//!
//! - **Words** must all match (AND). A word is split into words like message text is
//!   (`e-mail` is `e` and `mail`), and each is looked up by its stems ([`Term::terms`]).
//! - **"Quoted phrases"** must occur as consecutive words; the index finds candidates by their
//!   words and [`Query::phrases_hold`] checks the order on the message body.
//! - **`-word`** and **`-"a phrase"`** exclude messages that have them.
//! - **Filters** are `name:value`. Several `in:` or `from:` filters mean any of them; the date
//!   filters combine into one [`DayRange`] of local calendar days:
//!   - `in:#channel`, `in:@person` (a direct conversation), `in:name`;
//!   - `from:@person`, `from:name`, `from:"Budi Santoso"` (values may be quoted);
//!   - `before:YYYY-MM-DD`, `after:YYYY-MM-DD` (both exclusive), `on:YYYY-MM-DD`,
//!     `during:YYYY-MM`;
//!   - `has:file`, `has:link`, `is:pinned`, `is:thread`.
//!
//!   Indonesian names work too: `di:`, `dari:`, `sebelum:`, `sesudah:`, `pada:`, `selama:`,
//!   `ada:`, and the values `berkas`, `tautan`, `disematkan`, `utas`.
//!
//! **What is a filter.** An item is a filter when it starts with ASCII letters followed by `:`.
//! A known name must have a value (`search.empty_filter`). An unknown name with a value is an
//! error at the name (`search.unknown_filter`), so a typo such as `form:budi` is not silently
//! searched as words. Everything else stays words: `10:30` (digits before the colon), a URL
//! (`https://…`: the value starts with `//`), and a trailing colon as in `agenda: rapat`.
//!
//! **Errors** carry the character (not byte) index into the query where the problem is and a
//! stable code the UI translates. A query longer than [`MAX_QUERY_CHARS`] is refused before
//! parsing with [`code::QUERY_TOO_LONG`] (the server answers 413); every other error is a
//! syntax error (422).

use std::fmt;

use jiff::civil::Date;

use super::analyse::{query_terms, tokens, word_terms};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Most words (phrase words and excluded words included) and filters in one query: each word
/// is one more join in the search, so this bounds the work one request can ask for.
pub const MAX_QUERY_TERMS: usize = 20;

/// Stable error codes of [`QueryError`].
pub mod code {
    /// The query is longer than [`super::MAX_QUERY_CHARS`] (413).
    pub const QUERY_TOO_LONG: &str = "search.query_too_long";
    /// Nothing to search for: no word, phrase or filter (excluded words alone do not count).
    pub const EMPTY_QUERY: &str = "search.empty_query";
    /// More than [`super::MAX_QUERY_TERMS`] words and filters.
    pub const TOO_MANY_TERMS: &str = "search.too_many_terms";
    /// A `"` without its closing `"`.
    pub const UNCLOSED_QUOTE: &str = "search.unclosed_quote";
    /// `name:value` where `name` is not a filter.
    pub const UNKNOWN_FILTER: &str = "search.unknown_filter";
    /// A filter without a value (`in:`, `from:@`).
    pub const EMPTY_FILTER: &str = "search.empty_filter";
    /// A value a filter does not know (`has:photo`).
    pub const BAD_FILTER_VALUE: &str = "search.bad_filter_value";
    /// A date that is not `YYYY-MM-DD` (`YYYY-MM` for `during:`) or does not exist.
    pub const BAD_DATE: &str = "search.bad_date";
    /// The same date filter twice (`before:` … `before:`).
    pub const REPEATED_FILTER: &str = "search.repeated_filter";
    /// A filter with `-` in front: filters cannot be negated.
    pub const NEGATED_FILTER: &str = "search.negated_filter";
}

/// A query that cannot be searched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryError {
    /// Character index into the query where the problem starts.
    pub position: usize,
    /// Stable code, one of [`code`].
    pub code: &'static str,
    /// Human explanation (English) for API clients; the UI translates `code`.
    pub message: String,
}

impl QueryError {
    fn new(position: usize, code: &'static str, message: impl Into<String>) -> Self {
        QueryError {
            position,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at character {})", self.message, self.position)
    }
}

impl std::error::Error for QueryError {}

/// One word to look up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// The word normalised (lowercase, folded), e.g. for prefix search on the last word.
    pub text: String,
    /// Character index of the word in the query.
    pub position: usize,
    /// Index terms of which any one is a match (the word's stems).
    pub terms: Vec<String>,
}

/// Consecutive words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phrase {
    /// The text between the quotes, as typed.
    pub text: String,
    /// Character index of the opening quote.
    pub position: usize,
    pub words: Vec<Term>,
}

impl Phrase {
    /// Whether the phrase's words occur one after another in `body`, each meeting its term.
    pub fn occurs_in(&self, body: &str) -> bool {
        if self.words.is_empty() {
            return true;
        }
        let body_words: Vec<Vec<String>> = tokens(body)
            .iter()
            .map(|token| word_terms(&token.text))
            .collect();
        body_words.windows(self.words.len()).any(|window| {
            window
                .iter()
                .zip(&self.words)
                .all(|(body_terms, word)| word.terms.iter().any(|t| body_terms.contains(t)))
        })
    }
}

/// Where an `in:` filter points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// `in:#name`: a channel by name (without the `#`).
    Channel(String),
    /// `in:@person`: the direct conversation with a person (without the `@`).
    Person(String),
    /// `in:name`: a channel, or a person's direct conversation, by name.
    Named(String),
}

/// A calendar month (`during:2026-11`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

/// Local calendar days a search is limited to: `from` inclusive, `until` exclusive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayRange {
    pub from: Option<Date>,
    pub until: Option<Date>,
}

/// A parsed search query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Words that must all match.
    pub words: Vec<Term>,
    pub phrases: Vec<Phrase>,
    /// Words a match must not have.
    pub excluded: Vec<Term>,
    pub excluded_phrases: Vec<Phrase>,
    /// `in:` filters; a match is in any of them.
    pub in_: Vec<Place>,
    /// `from:` filters (names or handles without `@`); a match is from any of them.
    pub from: Vec<String>,
    /// Exclusive: days before this one.
    pub before: Option<Date>,
    /// Exclusive: days after this one.
    pub after: Option<Date>,
    pub on: Option<Date>,
    pub during: Option<Month>,
    pub has_file: bool,
    pub has_link: bool,
    pub is_pinned: bool,
    /// Only replies in threads.
    pub is_thread: bool,
}

impl Query {
    /// The date filters as one range of local days; `from >= until` means nothing matches.
    pub fn day_range(&self) -> DayRange {
        let mut range = DayRange::default();
        let mut narrow = |from: Option<Date>, until: Option<Date>| {
            if let Some(from) = from {
                range.from = Some(range.from.map_or(from, |f| f.max(from)));
            }
            if let Some(until) = until {
                range.until = Some(range.until.map_or(until, |u| u.min(until)));
            }
        };
        // Dates are parsed with years up to 9998, so the next day and month always exist.
        let next_day = |d: Date| {
            d.tomorrow()
                .expect("dates are parsed with years up to 9998")
        };
        narrow(None, self.before);
        narrow(self.after.map(next_day), None);
        narrow(self.on, self.on.map(next_day));
        if let Some(Month { year, month }) = self.during {
            let first = Date::new(year, month, 1).expect("months are parsed valid");
            let next = if month == 12 {
                Date::new(year + 1, 1, 1)
            } else {
                Date::new(year, month + 1, 1)
            };
            narrow(
                Some(first),
                Some(next.expect("years are parsed up to 9998")),
            );
        }
        range
    }

    /// The index terms to mark in results: those of the words and phrase words.
    pub fn highlight_terms(&self) -> Vec<String> {
        let mut terms: Vec<String> = Vec::new();
        let phrase_words = self.phrases.iter().flat_map(|p| &p.words);
        for term in self.words.iter().chain(phrase_words).flat_map(|w| &w.terms) {
            if !terms.contains(term) {
                terms.push(term.clone());
            }
        }
        terms
    }

    /// Whether `body` has every phrase and none of the excluded phrases, which the index alone
    /// cannot tell (it knows words, not their order).
    pub fn phrases_hold(&self, body: &str) -> bool {
        self.phrases.iter().all(|p| p.occurs_in(body))
            && !self.excluded_phrases.iter().any(|p| p.occurs_in(body))
    }

    fn has_filter(&self) -> bool {
        !self.in_.is_empty()
            || !self.from.is_empty()
            || self.before.is_some()
            || self.after.is_some()
            || self.on.is_some()
            || self.during.is_some()
            || self.has_file
            || self.has_link
            || self.is_pinned
            || self.is_thread
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    In,
    From,
    Before,
    After,
    On,
    During,
    Has,
    Is,
}

impl Filter {
    fn from_name(name: &str) -> Option<Filter> {
        Some(match name.to_ascii_lowercase().as_str() {
            "in" | "di" => Filter::In,
            "from" | "dari" => Filter::From,
            "before" | "sebelum" => Filter::Before,
            "after" | "sesudah" => Filter::After,
            "on" | "pada" => Filter::On,
            "during" | "selama" => Filter::During,
            "has" | "ada" => Filter::Has,
            "is" => Filter::Is,
            _ => return None,
        })
    }
}

/// Parses a search query.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    if input.chars().count() > MAX_QUERY_CHARS {
        return Err(QueryError::new(
            MAX_QUERY_CHARS,
            code::QUERY_TOO_LONG,
            format!("a search is at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let mut parser = Parser {
        chars: input.chars().collect(),
        query: Query::default(),
        count: 0,
    };
    parser.items()?;
    let query = parser.query;
    if query.words.is_empty() && query.phrases.is_empty() && !query.has_filter() {
        return Err(QueryError::new(
            0,
            code::EMPTY_QUERY,
            "type a word, a phrase or a filter",
        ));
    }
    Ok(query)
}

struct Parser {
    chars: Vec<char>,
    query: Query,
    /// Words and filters so far, against [`MAX_QUERY_TERMS`].
    count: usize,
}

impl Parser {
    fn items(&mut self) -> Result<(), QueryError> {
        let len = self.chars.len();
        let mut pos = 0;
        loop {
            while pos < len && self.chars[pos].is_whitespace() {
                pos += 1;
            }
            if pos == len {
                return Ok(());
            }
            let negated = self.chars[pos] == '-'
                && self.chars.get(pos + 1).is_some_and(|c| !c.is_whitespace());
            let start = if negated { pos + 1 } else { pos };
            if self.chars[start] == '"' {
                let (text, after) = self.quoted(start)?;
                let phrase = self.phrase(text, start)?;
                if !phrase.words.is_empty() {
                    match negated {
                        true => self.query.excluded_phrases.push(phrase),
                        false => self.query.phrases.push(phrase),
                    }
                }
                pos = after;
                continue;
            }
            let mut end = start;
            while end < len && !self.chars[end].is_whitespace() && self.chars[end] != '"' {
                end += 1;
            }
            let name_len = self.chars[start..end]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .count();
            if name_len > 0 && self.chars.get(start + name_len) == Some(&':') {
                let name: String = self.chars[start..start + name_len].iter().collect();
                let value_at = start + name_len + 1;
                if let Some(filter) = Filter::from_name(&name) {
                    if negated {
                        return Err(QueryError::new(
                            pos,
                            code::NEGATED_FILTER,
                            format!("`{name}:` cannot be negated with `-`"),
                        ));
                    }
                    let (value, after) = if end == value_at && self.chars.get(end) == Some(&'"') {
                        self.quoted(end)?
                    } else {
                        (self.chars[value_at..end].iter().collect(), end)
                    };
                    self.count(start)?;
                    self.filter(filter, &name, value.trim(), start, value_at)?;
                    pos = after;
                    continue;
                }
                let value: String = self.chars[value_at..end].iter().collect();
                if !value.is_empty() && !value.starts_with("//") {
                    return Err(QueryError::new(
                        start,
                        code::UNKNOWN_FILTER,
                        format!("`{name}:` is not a search filter"),
                    ));
                }
            }
            let item: String = self.chars[start..end].iter().collect();
            for word in self.words(&item, start)? {
                match negated {
                    true => self.query.excluded.push(word),
                    false => self.query.words.push(word),
                }
            }
            pos = end;
        }
    }

    /// Counts one more word or filter at `position`.
    fn count(&mut self, position: usize) -> Result<(), QueryError> {
        self.count += 1;
        if self.count > MAX_QUERY_TERMS {
            return Err(QueryError::new(
                position,
                code::TOO_MANY_TERMS,
                format!("a search has at most {MAX_QUERY_TERMS} words and filters"),
            ));
        }
        Ok(())
    }

    /// The text of the quoted string opening at `quote`, and the position after its closing
    /// quote.
    fn quoted(&self, quote: usize) -> Result<(String, usize), QueryError> {
        let close = self.chars[quote + 1..]
            .iter()
            .position(|c| *c == '"')
            .ok_or_else(|| QueryError::new(quote, code::UNCLOSED_QUOTE, "a quote is not closed"))?;
        let text = self.chars[quote + 1..quote + 1 + close].iter().collect();
        Ok((text, quote + close + 2))
    }

    fn phrase(&mut self, text: String, quote: usize) -> Result<Phrase, QueryError> {
        let words = self.words(&text, quote + 1)?;
        Ok(Phrase {
            text,
            position: quote,
            words,
        })
    }

    /// The words of `item`, which starts at character `at` of the query.
    fn words(&mut self, item: &str, at: usize) -> Result<Vec<Term>, QueryError> {
        let mut words = Vec::new();
        for token in tokens(item) {
            let position = at + item[..token.start].chars().count();
            self.count(position)?;
            words.push(Term {
                terms: query_terms(&token.text),
                text: token.text,
                position,
            });
        }
        Ok(words)
    }

    fn filter(
        &mut self,
        filter: Filter,
        name: &str,
        value: &str,
        at: usize,
        value_at: usize,
    ) -> Result<(), QueryError> {
        let empty = || QueryError::new(at, code::EMPTY_FILTER, format!("`{name}:` needs a value"));
        let bad_value = || {
            QueryError::new(
                value_at,
                code::BAD_FILTER_VALUE,
                format!("`{name}:` does not know `{value}`"),
            )
        };
        let query = &mut self.query;
        let date_slot = match filter {
            Filter::Before => Some(&mut query.before),
            Filter::After => Some(&mut query.after),
            Filter::On => Some(&mut query.on),
            _ => None,
        };
        if let Some(slot) = date_slot {
            if value.is_empty() {
                return Err(empty());
            }
            if slot.is_some() {
                return Err(repeated(at, name));
            }
            *slot = Some(parse_date(value).ok_or_else(|| bad_date(value_at, "YYYY-MM-DD"))?);
            return Ok(());
        }
        match filter {
            Filter::In => {
                let place = if let Some(channel) = value.strip_prefix('#') {
                    Place::Channel(channel.to_owned())
                } else if let Some(person) = value.strip_prefix('@') {
                    Place::Person(person.to_owned())
                } else {
                    Place::Named(value.to_owned())
                };
                let (Place::Channel(name) | Place::Person(name) | Place::Named(name)) = &place;
                if name.trim().is_empty() {
                    return Err(empty());
                }
                query.in_.push(place);
            }
            Filter::From => {
                let person = value.strip_prefix('@').unwrap_or(value);
                if person.trim().is_empty() {
                    return Err(empty());
                }
                query.from.push(person.to_owned());
            }
            Filter::During => {
                if value.is_empty() {
                    return Err(empty());
                }
                if query.during.is_some() {
                    return Err(repeated(at, name));
                }
                query.during =
                    Some(parse_month(value).ok_or_else(|| bad_date(value_at, "YYYY-MM"))?);
            }
            Filter::Has => match value.to_lowercase().as_str() {
                "" => return Err(empty()),
                "file" | "berkas" => query.has_file = true,
                "link" | "tautan" => query.has_link = true,
                _ => return Err(bad_value()),
            },
            Filter::Is => match value.to_lowercase().as_str() {
                "" => return Err(empty()),
                "pinned" | "disematkan" => query.is_pinned = true,
                "thread" | "utas" => query.is_thread = true,
                _ => return Err(bad_value()),
            },
            Filter::Before | Filter::After | Filter::On => {}
        }
        Ok(())
    }
}

fn repeated(at: usize, name: &str) -> QueryError {
    QueryError::new(
        at,
        code::REPEATED_FILTER,
        format!("`{name}:` is given twice"),
    )
}

fn bad_date(at: usize, shape: &str) -> QueryError {
    QueryError::new(at, code::BAD_DATE, format!("expected a date as {shape}"))
}

/// `YYYY-MM-DD`, a day that exists, year 1..=9998.
fn parse_date(value: &str) -> Option<Date> {
    let (year_month, day) = value.rsplit_once('-')?;
    let Month { year, month } = parse_month(year_month)?;
    let day = digits(day, 2)?;
    Date::new(year, month, i8::try_from(day).ok()?).ok()
}

/// `YYYY-MM`, year 1..=9998.
fn parse_month(value: &str) -> Option<Month> {
    let (year, month) = value.split_once('-')?;
    let year = i16::try_from(digits(year, 4)?)
        .ok()
        .filter(|y| (1..=9998).contains(y))?;
    let month = i8::try_from(digits(month, 2)?)
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    Some(Month { year, month })
}

/// Exactly `len` ASCII digits.
fn digits(text: &str, len: usize) -> Option<u32> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A compact rendering of a parsed query (or its error) for comparison.
    fn render(input: &str) -> String {
        let query = match parse(input) {
            Ok(query) => query,
            Err(e) => return format!("error {} at {}", e.code, e.position),
        };
        let mut out = Vec::new();
        let term = |t: &Term| format!("{}@{}={}", t.text, t.position, t.terms.join("|"));
        out.extend(query.words.iter().map(term));
        for p in &query.phrases {
            out.push(format!("\"{}\"@{}", p.text, p.position));
        }
        out.extend(query.excluded.iter().map(|t| format!("-{}", term(t))));
        for p in &query.excluded_phrases {
            out.push(format!("-\"{}\"@{}", p.text, p.position));
        }
        out.extend(query.in_.iter().map(|p| format!("in:{p:?}")));
        out.extend(query.from.iter().map(|p| format!("from:{p}")));
        let dates = [
            ("before", query.before),
            ("after", query.after),
            ("on", query.on),
        ];
        for (name, d) in dates {
            if let Some(d) = d {
                out.push(format!("{name}:{d}"));
            }
        }
        if let Some(m) = query.during {
            out.push(format!("during:{}-{:02}", m.year, m.month));
        }
        let flags = [
            ("has:file", query.has_file),
            ("has:link", query.has_link),
            ("is:pinned", query.is_pinned),
            ("is:thread", query.is_thread),
        ];
        out.extend(
            flags
                .iter()
                .filter(|(_, on)| *on)
                .map(|(name, _)| name.to_string()),
        );
        out.join(" ")
    }

    fn check(input: &str, expect: &str) {
        assert_eq!(render(input), expect, "parse({input:?})");
    }

    #[test]
    fn words_and_phrases() {
        check(
            "Mencari laporan",
            "mencari@0=cari|mencari laporan@8=lapor|laporan",
        );
        check("  rapat  ", "rapat@2=rapat");
        check("e-mail", "e@0=e mail@2=mail");
        check("\"rapat mingguan\" ok", "ok@17=ok \"rapat mingguan\"@0");
        check("abc\"de f\"", "abc@0=abc \"de f\"@3");
        check("\"!!!\" x", "x@6=x");
        check(
            "-draf -\"versi lama\" x",
            "x@20=x -draf@1=draf -\"versi lama\"@7",
        );
        check("a - b", "a@0=a b@4=b");
    }

    #[test]
    fn colons_in_words() {
        check("jam 10:30", "jam@0=jam 10@4=10 30@7=30");
        check("agenda: rapat", "agenda@0=agenda rapat@8=rapat");
        check("https://kantor.id/x", "kantor@8=kantor id@15=id");
    }

    #[test]
    fn every_filter() {
        check("in:#umum", "in:Channel(\"umum\")");
        check(
            "in:@budi in:proyek",
            "in:Person(\"budi\") in:Named(\"proyek\")",
        );
        check("from:@budi from:Sari", "from:budi from:Sari");
        check("from:\"Budi Santoso\" x", "x@20=x from:Budi Santoso");
        check("before:2026-03-01", "before:2026-03-01");
        check("after:2024-02-29", "after:2024-02-29");
        check("on:2026-11-23", "on:2026-11-23");
        check("during:2026-11", "during:2026-11");
        check("has:file has:link", "has:file has:link");
        check("is:pinned IS:Thread", "is:pinned is:thread");
        check(
            "dari:@budi di:#umum sebelum:2026-01-02 ada:berkas is:disematkan",
            "in:Channel(\"umum\") from:budi before:2026-01-02 has:file is:pinned",
        );
    }

    #[test]
    fn errors_with_positions() {
        check("rapat foo:bar", "error search.unknown_filter at 6");
        check("form:budi", "error search.unknown_filter at 0");
        check("x before:2026-02-30", "error search.bad_date at 9");
        check("x before:2025-02-29", "error search.bad_date at 9");
        check("on:26-01-01", "error search.bad_date at 3");
        check("on:2026-1-01", "error search.bad_date at 3");
        check("during:2026-13", "error search.bad_date at 7");
        check("during:2026-11-01", "error search.bad_date at 7");
        check("on:9999-01-01", "error search.bad_date at 3");
        check("rapat \"mingguan", "error search.unclosed_quote at 6");
        check("from:\"Budi", "error search.unclosed_quote at 5");
        check("x in:", "error search.empty_filter at 2");
        check("in:# x", "error search.empty_filter at 0");
        check("from:@", "error search.empty_filter at 0");
        check("has:", "error search.empty_filter at 0");
        check("has:photo", "error search.bad_filter_value at 4");
        check("is:read", "error search.bad_filter_value at 3");
        check(
            "on:2026-01-01 x on:2026-01-02",
            "error search.repeated_filter at 16",
        );
        check("x -in:#umum", "error search.negated_filter at 2");
        check("", "error search.empty_query at 0");
        check("   !!! ", "error search.empty_query at 0");
        check("-draf", "error search.empty_query at 0");
    }

    #[test]
    fn limits() {
        let twenty: String = (0..20).map(|n| format!("w{n} ")).collect();
        assert!(parse(&twenty).is_ok());
        check(
            &format!("{twenty}in:#umum"),
            "error search.too_many_terms at 70",
        );
        check(
            &format!("{twenty}\"a b\""),
            "error search.too_many_terms at 71",
        );
        let long = format!("rapát{}", " ".repeat(MAX_QUERY_CHARS - 5));
        assert!(parse(&long).is_ok());
        check(&format!("{long}x"), "error search.query_too_long at 500");
    }

    #[test]
    fn day_ranges() {
        let range = |input: &str| {
            let r = parse(input).map(|q| q.day_range()).expect("a valid query");
            (r.from, r.until)
        };
        assert_eq!(range("x"), (None, None));
        assert_eq!(range("after:2024-02-28"), (Some(date(2024, 2, 29)), None));
        assert_eq!(range("before:2026-01-01"), (None, Some(date(2026, 1, 1))));
        assert_eq!(
            range("on:2026-12-31"),
            (Some(date(2026, 12, 31)), Some(date(2027, 1, 1)))
        );
        assert_eq!(
            range("during:2026-12"),
            (Some(date(2026, 12, 1)), Some(date(2027, 1, 1)))
        );
        assert_eq!(
            range("during:2026-02 after:2026-02-10 before:2026-03-15"),
            (Some(date(2026, 2, 11)), Some(date(2026, 3, 1)))
        );
    }

    #[test]
    fn phrases_hold_in_order() {
        let query = parse("\"rapat mingguan\" -\"versi lama\"").expect("a valid query");
        assert!(query.phrases_hold("Besok Rapat  Mingguan, jam 9"));
        assert!(!query.phrases_hold("mingguan rapat"));
        assert!(!query.phrases_hold("rapat mingguan versi lama"));
        let query = parse("\"pencarian data\"").expect("a valid query");
        assert!(query.phrases_hold("sedang mencari data"));
        assert_eq!(query.highlight_terms(), ["cari", "pencarian", "data"]);
    }
}

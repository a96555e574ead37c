//! Field rules shared by every write. Each function returns the normalised value or an
//! [`Invalid`] naming the field and a stable code the web app translates.

use std::fmt;

/// A field failed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    /// Stable code, e.g. `validation.invalid` or `validation.time_zone`.
    pub code: &'static str,
    /// Human explanation (English) for API clients; the UI translates `code`.
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            field,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

pub const MAX_NAME_CHARS: usize = 200;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const LANGUAGES: [&str; 2] = ["id", "en"];
/// The three Indonesian zones, offered first everywhere.
pub const INDONESIAN_ZONES: [&str; 3] = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"];

/// A display text: trimmed, 1..=max characters, no control characters. Quotes, HTML, SQL and
/// emoji are ordinary text and are kept verbatim.
pub fn text(field: &'static str, value: &str, max_chars: usize) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(
            field,
            "validation.required",
            format!("{field} must not be empty"),
        ));
    }
    if value.chars().count() > max_chars {
        return Err(Invalid::new(
            field,
            "validation.too_long",
            format!("{field} is longer than {max_chars} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Invalid::new(
            field,
            "validation.invalid",
            format!("{field} has control characters"),
        ));
    }
    Ok(value.to_string())
}

/// Like [`text`], but empty means "none".
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max_chars: usize,
) -> Result<Option<String>, Invalid> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max_chars).map(Some),
    }
}

pub fn name(field: &'static str, value: &str) -> Result<String, Invalid> {
    text(field, value, MAX_NAME_CHARS)
}

/// An email address, trimmed and lower-cased. Deliberately loose (one `@`, a dot in the domain,
/// no spaces): the real check is the invite link reaching the person.
pub fn email(value: &str) -> Result<String, Invalid> {
    let v = value.trim().to_lowercase();
    let bad = || Invalid::new("email", "validation.email", "not a valid email address");
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = v.split_once('@').ok_or_else(bad)?;
    if local.is_empty() || domain.contains('@') || !domain.contains('.') {
        return Err(bad());
    }
    if domain.starts_with('.') || domain.ends_with('.') || domain.contains("..") {
        return Err(bad());
    }
    Ok(v)
}

pub fn password(field: &'static str, value: &str) -> Result<(), Invalid> {
    let n = value.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Invalid::new(
            field,
            "validation.password_short",
            format!("password must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Invalid::new(
            field,
            "validation.too_long",
            "password is too long",
        ));
    }
    Ok(())
}

/// An IANA time zone name known to the time zone database (`Asia/Jakarta`).
pub fn time_zone(field: &'static str, value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    // "UTC" and friends are accepted; abbreviations like "WIB" are not zones.
    if v.is_empty() || v.len() > 64 || jiff::tz::TimeZone::get(v).is_err() {
        return Err(Invalid::new(
            field,
            "validation.time_zone",
            format!("{value:?} is not an IANA time zone"),
        ));
    }
    Ok(v.to_string())
}

pub fn language(value: &str) -> Result<String, Invalid> {
    let v = value.trim().to_lowercase();
    if LANGUAGES.contains(&v.as_str()) {
        Ok(v)
    } else {
        Err(Invalid::new(
            "language",
            "validation.language",
            "language must be \"id\" or \"en\"",
        ))
    }
}

/// A phone number as people write it (`+62 812-3456-7890`); stored as given, trimmed.
pub fn phone(value: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let ok_chars = v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let digits = v.chars().filter(char::is_ascii_digit).count();
    if !ok_chars || !(6..=20).contains(&digits) || v.len() > 32 {
        return Err(Invalid::new(
            "phone",
            "validation.phone",
            "not a valid phone number",
        ));
    }
    Ok(Some(v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            email("  Budi@Kominfo.go.ID ").as_deref(),
            Ok("budi@kominfo.go.id")
        );
        for bad in [
            "", "budi", "budi@", "@x.id", "a b@x.id", "a@b", "a@.id", "a@x..id", "a@b@c.id",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zones_are_iana_names() {
        for tz in INDONESIAN_ZONES {
            assert_eq!(time_zone("time_zone", tz).as_deref(), Ok(tz));
        }
        assert_eq!(
            time_zone("time_zone", "WIB").expect_err("invalid").code,
            "validation.time_zone"
        );
        assert!(time_zone("time_zone", "Mars/Olympus").is_err());
    }

    #[test]
    fn text_keeps_quotes_html_and_emoji_verbatim() {
        let v = r#"O'Brien "<b>" ; DROP TABLE users; -- 🎉"#;
        assert_eq!(text("name", v, 200).as_deref(), Ok(v));
        assert_eq!(
            text("name", "   ", 200).expect_err("invalid").code,
            "validation.required"
        );
        assert_eq!(
            text("name", "a\u{0}b", 200).expect_err("invalid").code,
            "validation.invalid"
        );
        assert_eq!(
            text("name", &"x".repeat(201), 200)
                .expect_err("invalid")
                .code,
            "validation.too_long"
        );
    }

    #[test]
    fn phones_and_passwords() {
        assert_eq!(
            phone(Some(" +62 812-3456-7890 "))
                .expect("a valid phone")
                .as_deref(),
            Some("+62 812-3456-7890")
        );
        assert!(phone(Some("call me")).is_err());
        assert_eq!(phone(Some("")), Ok(None));
        assert!(password("password", "short").is_err());
        assert!(password("password", "long enough").is_ok());
    }
}

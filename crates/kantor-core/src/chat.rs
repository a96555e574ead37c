//! Chat rules: conversation kinds, channel names, message bodies and mentions, read receipts
//! and do-not-disturb hours. Pure functions; the server applies them.

use crate::ids::UserId;
use crate::validate::Invalid;

/// Largest message body, in characters.
pub const MAX_BODY_CHARS: usize = 8_000;
/// Largest channel name, in characters.
pub const MAX_CHANNEL_NAME_CHARS: usize = 80;
/// Topic and description limits.
pub const MAX_TOPIC_CHARS: usize = 250;
pub const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// A group DM has at most this many people besides its creator.
pub const MAX_GROUP_OTHERS: usize = 8;
/// Attachments per message.
pub const MAX_ATTACHMENTS: usize = 10;
/// Read receipts (ticks) are kept for conversations up to this size.
pub const READ_RECEIPTS_MAX_MEMBERS: i64 = 50;
/// Distinct reactions one person may put on one message.
pub const MAX_REACTIONS_PER_USER: i64 = 20;
/// Emoji (or short names) are at most this long.
pub const MAX_EMOJI_CHARS: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Public,
    Private,
    Dm,
    Group,
    /// A meeting's chat: members are the organisation's people admitted to the meeting; it
    /// follows the meeting (title, membership) and is not managed through chat.
    Meeting,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Public => "public",
            Kind::Private => "private",
            Kind::Dm => "dm",
            Kind::Group => "group",
            Kind::Meeting => "meeting",
        }
    }

    pub fn is_channel(self) -> bool {
        matches!(self, Kind::Public | Kind::Private)
    }
}

impl std::str::FromStr for Kind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "public" => Kind::Public,
            "private" => Kind::Private,
            "dm" => Kind::Dm,
            "group" => Kind::Group,
            "meeting" => Kind::Meeting,
            _ => return Err(()),
        })
    }
}

/// Whether members see each other's read positions (ticks).
pub fn read_receipts(kind: Kind, member_count: i64) -> bool {
    kind != Kind::Public && member_count <= READ_RECEIPTS_MAX_MEMBERS
}

/// A channel name as stored: trimmed, lowercased, runs of whitespace become `-`, a leading `#`
/// dropped. Letters of any script, digits, `-` and `_` are allowed.
pub fn channel_name(value: &str) -> Result<String, Invalid> {
    let trimmed = value.trim().trim_start_matches('#').trim();
    let mut out = String::with_capacity(trimmed.len());
    let mut dash = false;
    for c in trimmed.chars() {
        if c.is_whitespace() || c == '-' {
            if !dash && !out.is_empty() {
                out.push('-');
            }
            dash = true;
            continue;
        }
        dash = false;
        if c.is_alphanumeric() || c == '_' || c == '.' {
            out.extend(c.to_lowercase());
        } else {
            return Err(Invalid::new(
                "name",
                "chat.bad_channel_name",
                "channel names use letters, digits, '-', '_' and '.'",
            ));
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        return Err(Invalid::new(
            "name",
            "validation.required",
            "name must not be empty",
        ));
    }
    if out.chars().count() > MAX_CHANNEL_NAME_CHARS {
        return Err(Invalid::new(
            "name",
            "validation.too_long",
            format!("name is longer than {MAX_CHANNEL_NAME_CHARS} characters"),
        ));
    }
    Ok(out)
}

/// Why a message body is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyError {
    Empty,
    TooLong,
}

/// A message body as stored: trailing whitespace trimmed, leading blank lines dropped (leading
/// spaces of the first line kept for code). Empty is allowed only with attachments.
pub fn body(value: &str, has_attachments: bool) -> Result<String, BodyError> {
    let trimmed = value.trim_end();
    let trimmed = trimmed.trim_start_matches(['\n', '\r']);
    if trimmed.chars().count() > MAX_BODY_CHARS {
        return Err(BodyError::TooLong);
    }
    // Control characters other than newline and tab are dropped.
    let kept: String = trimmed
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    if kept.trim().is_empty() && !has_attachments {
        return Err(BodyError::Empty);
    }
    Ok(kept)
}

/// Mentions found in a body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    /// `<@user_id>` tokens, in order of first appearance, deduplicated. Not yet checked
    /// against members: the caller keeps only ids of members.
    pub users: Vec<UserId>,
    pub here: bool,
    pub channel: bool,
}

/// Finds `<@uuid>` tokens and the words `@here` / `@channel` (also `@semua`, Indonesian for
/// "everyone", as `@channel`) outside code spans and code blocks.
pub fn mentions(body: &str) -> Mentions {
    let mut m = Mentions::default();
    let mut in_block = false;
    for line in body.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        // Drop inline code spans.
        let mut text = String::with_capacity(line.len());
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 0 {
                text.push_str(part);
                text.push(' ');
            }
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("<@") {
            let after = &rest[at + 2..];
            if let Some(end) = after.find('>') {
                if let Ok(id) = after[..end].parse::<uuid::Uuid>() {
                    let id = UserId(id);
                    if !m.users.contains(&id) {
                        m.users.push(id);
                    }
                }
            }
            rest = after;
        }
        for word in text.split(|c: char| c.is_whitespace() || ",.!?;:()".contains(c)) {
            match word {
                "@here" => m.here = true,
                "@channel" | "@semua" | "@all" => m.channel = true,
                _ => {}
            }
        }
    }
    m
}

/// Whether a local time of day (minutes after midnight) falls inside do-not-disturb hours that
/// run from `start` to `end` (minutes after midnight); `start > end` wraps past midnight.
pub fn in_dnd(start: i64, end: i64, minute_of_day: i64) -> bool {
    if start == end {
        return false;
    }
    if start < end {
        (start..end).contains(&minute_of_day)
    } else {
        minute_of_day >= start || minute_of_day < end
    }
}

/// Parses "HH:MM" into minutes after midnight.
pub fn parse_clock(field: &'static str, value: &str) -> Result<i64, Invalid> {
    let bad = || Invalid::new(field, "validation.invalid", "expected HH:MM");
    let (h, m) = value.trim().split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub fn format_clock(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A reaction: an emoji character sequence or a `:short_name:`; no spaces or control characters.
pub fn emoji(value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    if v.is_empty()
        || v.chars().count() > MAX_EMOJI_CHARS
        || v.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>&\"'".contains(c))
    {
        return Err(Invalid::new(
            "emoji",
            "chat.bad_emoji",
            "not an emoji or :short_name:",
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_are_normalised() {
        assert_eq!(
            channel_name("  #Tim Lapangan  ").expect("a valid name"),
            "tim-lapangan"
        );
        assert_eq!(channel_name("umum").expect("a valid name"), "umum");
        assert_eq!(channel_name("a  -  b").expect("a valid name"), "a-b");
        assert!(channel_name("   ").is_err());
        assert!(channel_name("bad/name").is_err());
        assert!(channel_name(&"x".repeat(81)).is_err());
    }

    #[test]
    fn bodies_are_checked() {
        assert_eq!(body("  \n ", false), Err(BodyError::Empty));
        assert_eq!(body("", true), Ok(String::new()));
        assert_eq!(body(&"a".repeat(8_001), false), Err(BodyError::TooLong));
        assert_eq!(body("\n\n  code\n", false), Ok("  code".into()));
        assert_eq!(body("a\u{7}b", false), Ok("ab".into()));
        assert_eq!(body("\u{7}\u{1b}", false), Err(BodyError::Empty));
    }

    #[test]
    fn mentions_skip_code() {
        let id = uuid::Uuid::now_v7();
        let b = format!("hi <@{id}> and <@{id}>, @here! `@channel` <@nobody>\n```\n@channel\n```");
        let m = mentions(&b);
        assert_eq!(m.users, vec![UserId(id)]);
        assert!(m.here);
        assert!(!m.channel);
        assert!(mentions("rapat @semua").channel);
    }

    #[test]
    fn dnd_wraps_midnight() {
        assert!(in_dnd(22 * 60, 7 * 60, 23 * 60));
        assert!(in_dnd(22 * 60, 7 * 60, 60));
        assert!(!in_dnd(22 * 60, 7 * 60, 12 * 60));
        assert!(in_dnd(12 * 60, 13 * 60, 12 * 60 + 30));
        assert!(!in_dnd(60, 60, 60));
        assert_eq!(parse_clock("start", "07:30").expect("a valid time"), 450);
        assert!(parse_clock("start", "24:00").is_err());
        assert_eq!(format_clock(450), "07:30");
    }

    #[test]
    fn emoji_refuses_markup() {
        assert!(emoji("👍").is_ok());
        assert!(emoji(":tada:").is_ok());
        assert!(emoji("<script>").is_err());
        assert!(emoji("").is_err());
    }
}

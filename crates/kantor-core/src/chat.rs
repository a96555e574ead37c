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

/// Longest slow mode a channel may set (one hour).
pub const MAX_SLOW_MODE_SECS: i64 = 3_600;
/// Largest per-message mention limit a channel may set.
pub const MAX_MENTION_LIMIT: i64 = 100;
/// "Remind the unread" of one message at most this often.
pub const REMIND_EVERY_MS: i64 = 10 * 60 * 1000;

/// A conversation's posting rules (large groups). The default is no rule at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PostingRules {
    /// Only speakers (see [`may_post`]) start messages; everyone may react and reply in
    /// threads.
    pub announcement: bool,
    /// Other members wait this long between messages; 0 is off.
    pub slow_mode_secs: i64,
    /// Most people one message of another member may mention; 0 is no limit.
    pub mention_limit: i64,
}

/// A post a conversation's rules refuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostRefused {
    /// Announcement mode: only owners, posters and admins start messages.
    AnnouncementOnly,
    /// Slow mode: the member may post again in this many milliseconds.
    SlowMode { wait_ms: i64 },
    /// More people mentioned than the conversation allows.
    TooManyMentions { limit: i64 },
}

/// What [`may_post`] needs to know about one post.
#[derive(Clone, Copy, Debug)]
pub struct Post {
    /// The author is an owner or poster of the conversation, or an admin of the organisation:
    /// the rules do not bind them.
    pub speaker: bool,
    /// A thread reply that stays in its thread (not also sent to the channel).
    pub thread_reply: bool,
    /// When the author last posted in the conversation (ms).
    pub last_post_at: Option<i64>,
    /// People mentioned by id.
    pub mentions: usize,
    pub now: i64,
}

/// Whether a conversation's rules let this post through.
pub fn may_post(rules: PostingRules, post: Post) -> Result<(), PostRefused> {
    if post.speaker {
        return Ok(());
    }
    if rules.announcement && !post.thread_reply {
        return Err(PostRefused::AnnouncementOnly);
    }
    if rules.slow_mode_secs > 0 {
        if let Some(last) = post.last_post_at {
            let next = last + rules.slow_mode_secs * 1000;
            if next > post.now {
                return Err(PostRefused::SlowMode {
                    wait_ms: next - post.now,
                });
            }
        }
    }
    if rules.mention_limit > 0 && post.mentions as i64 > rules.mention_limit {
        return Err(PostRefused::TooManyMentions {
            limit: rules.mention_limit,
        });
    }
    Ok(())
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

    fn post(speaker: bool, thread_reply: bool, last: Option<i64>, mentions: usize) -> Post {
        Post {
            speaker,
            thread_reply,
            last_post_at: last,
            mentions,
            now: 100_000,
        }
    }

    #[test]
    fn posting_rules() {
        let open = PostingRules::default();
        assert_eq!(may_post(open, post(false, false, Some(99_999), 50)), Ok(()));
        let announce = PostingRules {
            announcement: true,
            ..PostingRules::default()
        };
        assert_eq!(
            may_post(announce, post(false, false, None, 0)),
            Err(PostRefused::AnnouncementOnly)
        );
        assert_eq!(may_post(announce, post(false, true, None, 0)), Ok(()));
        assert_eq!(may_post(announce, post(true, false, None, 0)), Ok(()));
        let slow = PostingRules {
            slow_mode_secs: 30,
            mention_limit: 3,
            ..PostingRules::default()
        };
        assert_eq!(
            may_post(slow, post(false, false, Some(90_000), 0)),
            Err(PostRefused::SlowMode { wait_ms: 20_000 })
        );
        assert_eq!(may_post(slow, post(false, false, Some(70_000), 3)), Ok(()));
        assert_eq!(
            may_post(slow, post(false, true, Some(70_000), 4)),
            Err(PostRefused::TooManyMentions { limit: 3 })
        );
        // Speakers are not bound.
        assert_eq!(may_post(slow, post(true, false, Some(99_000), 40)), Ok(()));
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

//! Who gets a notification for a new chat message, and what it says: pure rules, no IO.
//!
//! A member's *preference* for a conversation is `default`, `all`, `mentions` or `none`;
//! `default` means `all` in DMs, groups and meeting chats and `mentions` in channels. The older
//! `muted` flag means `none`. Nobody is notified during their do-not-disturb hours, counted in
//! their own time zone, nor of their own messages.

use std::collections::HashMap;

use crate::chat::Kind;

/// Longest notification body, in characters (`…` included).
pub const MAX_BODY_CHARS: usize = 140;

/// A member's notification preference for one conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notify {
    #[default]
    Default,
    All,
    Mentions,
    None,
}

impl Notify {
    pub fn as_str(self) -> &'static str {
        match self {
            Notify::Default => "default",
            Notify::All => "all",
            Notify::Mentions => "mentions",
            Notify::None => "none",
        }
    }

    /// Parses a stored or requested value; anything unknown is `None` (the caller decides).
    pub fn parse(value: &str) -> Option<Notify> {
        match value {
            "default" => Some(Notify::Default),
            "all" => Some(Notify::All),
            "mentions" => Some(Notify::Mentions),
            "none" => Some(Notify::None),
            _ => None,
        }
    }

    /// `default` resolved for a kind of conversation, and `muted` applied.
    pub fn effective(self, kind: Kind, muted: bool) -> Notify {
        if muted {
            return Notify::None;
        }
        match self {
            Notify::Default if kind.is_channel() => Notify::Mentions,
            Notify::Default => Notify::All,
            other => other,
        }
    }
}

/// How a message concerns one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relevance {
    /// The member's id is among the message's mentions.
    pub mentioned: bool,
    /// `@here`, `@channel`, `@semua` or `@all`.
    pub broadcast: bool,
}

/// How urgently a notification should reach the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    /// DMs and mentions.
    High,
}

/// One member's situation when a message arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub notify: Notify,
    pub muted: bool,
    /// Inside their do-not-disturb hours now (see [`dnd_now`]).
    pub in_dnd: bool,
    pub is_author: bool,
}

/// Whether to notify this member of this message, and how urgently.
pub fn decide(kind: Kind, recipient: Recipient, relevance: Relevance) -> Option<Urgency> {
    if recipient.is_author || recipient.in_dnd {
        return None;
    }
    let mentioned = relevance.mentioned || relevance.broadcast;
    let wanted = match recipient.notify.effective(kind, recipient.muted) {
        Notify::None => false,
        Notify::Mentions => mentioned,
        Notify::All | Notify::Default => true,
    };
    if !wanted {
        return None;
    }
    Some(if mentioned || kind == Kind::Dm {
        Urgency::High
    } else {
        Urgency::Normal
    })
}

/// Whether `now_ms` (UTC) falls inside do-not-disturb hours `start`..`end` (minutes after local
/// midnight) in `time_zone`. An unknown zone counts as UTC.
pub fn dnd_now(start: Option<i64>, end: Option<i64>, time_zone: &str, now_ms: i64) -> bool {
    let (Some(start), Some(end)) = (start, end) else {
        return false;
    };
    let Ok(ts) = jiff::Timestamp::from_millisecond(now_ms) else {
        return false;
    };
    let tz = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let local = ts.to_zoned(tz);
    crate::chat::in_dnd(
        start,
        end,
        i64::from(local.hour()) * 60 + i64::from(local.minute()),
    )
}

/// The notification text of a message body: mention tokens `<@id>` become `@name` (unknown ids
/// `@…`), whitespace is folded, and the result is cut to [`MAX_BODY_CHARS`] with `…`.
pub fn excerpt(body: &str, names: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(body.len().min(4 * MAX_BODY_CHARS));
    let mut rest = body;
    while let Some(at) = rest.find("<@") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find('>') {
            Some(close) => {
                let id = &after[..close];
                out.push('@');
                out.push_str(names.get(id).map_or("…", String::as_str));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    let folded = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.chars().count() <= MAX_BODY_CHARS {
        return folded;
    }
    let mut cut: String = folded.chars().take(MAX_BODY_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(notify: Notify) -> Recipient {
        Recipient {
            notify,
            muted: false,
            in_dnd: false,
            is_author: false,
        }
    }

    const PLAIN: Relevance = Relevance {
        mentioned: false,
        broadcast: false,
    };
    const MENTION: Relevance = Relevance {
        mentioned: true,
        broadcast: false,
    };
    const BROADCAST: Relevance = Relevance {
        mentioned: false,
        broadcast: true,
    };

    #[test]
    fn default_is_all_in_dms_and_groups_and_mentions_in_channels() {
        let m = member(Notify::Default);
        assert_eq!(decide(Kind::Dm, m, PLAIN), Some(Urgency::High));
        assert_eq!(decide(Kind::Group, m, PLAIN), Some(Urgency::Normal));
        assert_eq!(decide(Kind::Meeting, m, PLAIN), Some(Urgency::Normal));
        assert_eq!(decide(Kind::Public, m, PLAIN), None);
        assert_eq!(decide(Kind::Private, m, PLAIN), None);
        assert_eq!(decide(Kind::Public, m, MENTION), Some(Urgency::High));
        assert_eq!(decide(Kind::Public, m, BROADCAST), Some(Urgency::High));
    }

    #[test]
    fn explicit_preferences_win_over_the_default() {
        assert_eq!(
            decide(Kind::Public, member(Notify::All), PLAIN),
            Some(Urgency::Normal)
        );
        assert_eq!(decide(Kind::Dm, member(Notify::Mentions), PLAIN), None);
        assert_eq!(
            decide(Kind::Dm, member(Notify::Mentions), MENTION),
            Some(Urgency::High)
        );
        assert_eq!(decide(Kind::Public, member(Notify::None), MENTION), None);
        assert_eq!(decide(Kind::Dm, member(Notify::None), PLAIN), None);
    }

    #[test]
    fn muted_dnd_and_own_messages_are_never_notified() {
        let muted = Recipient {
            muted: true,
            ..member(Notify::All)
        };
        assert_eq!(decide(Kind::Dm, muted, MENTION), None);
        let resting = Recipient {
            in_dnd: true,
            ..member(Notify::All)
        };
        assert_eq!(decide(Kind::Dm, resting, MENTION), None);
        let author = Recipient {
            is_author: true,
            ..member(Notify::All)
        };
        assert_eq!(decide(Kind::Public, author, BROADCAST), None);
    }

    #[test]
    fn preferences_round_trip() {
        for n in [Notify::Default, Notify::All, Notify::Mentions, Notify::None] {
            assert_eq!(Notify::parse(n.as_str()), Some(n));
        }
        assert_eq!(Notify::parse("loud"), None);
    }

    #[test]
    fn dnd_is_counted_in_the_members_zone() {
        // 2026-11-23 14:30 UTC is 23:30 in Jayapura (UTC+9) and 21:30 in Jakarta (UTC+7).
        let now = jiff::Timestamp::from_second(1_795_444_200)
            .expect("a valid instant")
            .as_millisecond();
        let (start, end) = (Some(22 * 60), Some(6 * 60));
        assert!(dnd_now(start, end, "Asia/Jayapura", now));
        assert!(!dnd_now(start, end, "Asia/Jakarta", now));
        assert!(!dnd_now(None, end, "Asia/Jayapura", now));
        assert!(!dnd_now(start, end, "Asia/Jayapura", now + 8 * 3_600_000));
    }

    #[test]
    fn excerpts_render_mentions_and_stay_short() {
        let names = HashMap::from([("u1".to_string(), "Sari".to_string())]);
        assert_eq!(
            excerpt("Halo <@u1>,\n  cek  <@u9> ya", &names),
            "Halo @Sari, cek @… ya"
        );
        assert_eq!(excerpt("a <@ b", &names), "a <@ b");
        let long = "kata ".repeat(100);
        let cut = excerpt(&long, &names);
        assert_eq!(cut.chars().count(), MAX_BODY_CHARS);
        assert!(cut.ends_with("kata…"), "{cut}");
    }
}

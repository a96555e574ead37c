//! Meeting rules: numbers and passcodes, participant roles and states, who may do which host
//! action, where a joining person lands, and TURN credentials. Pure functions; randomness comes
//! in as an [`rand::Rng`] so tests seed it, and time comes in as an argument.
//!
//! The contract these rules implement is docs/meet-protocol.md.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::Rng;

use crate::validate::Invalid;

/// The smallest meeting number (10 digits, first digit not 0).
pub const MIN_NUMBER: u64 = 1_000_000_000;
/// The largest meeting number (11 digits).
pub const MAX_NUMBER: u64 = 99_999_999_999;
pub const MIN_PASSCODE_CHARS: usize = 4;
pub const MAX_PASSCODE_CHARS: usize = 10;
/// Meeting titles and participant names.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NAME_CHARS: usize = 80;
/// A guest's device key (kept by the browser per meeting); only its hash is stored.
pub const MAX_DEVICE_KEY_CHARS: usize = 200;

// --- numbers -----------------------------------------------------------------------------------

/// A new meeting number, uniformly random over every valid number (10 or 11 digits, the first
/// not 0). Numbers are unique in the database; the store draws again on a collision.
pub fn generate_number<R: Rng + ?Sized>(rng: &mut R) -> String {
    rng.gen_range(MIN_NUMBER..=MAX_NUMBER).to_string()
}

/// A number grouped for people: `812 3456 7890` (3-4-4) for 11 digits, `812 345 6789` (3-3-4)
/// for 10. Anything else is returned as it is.
pub fn format_number(digits: &str) -> String {
    let groups: &[usize] = match digits.len() {
        11 => &[3, 4, 4],
        10 => &[3, 3, 4],
        _ => return digits.to_string(),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.to_string();
    }
    let mut out = String::with_capacity(digits.len() + 2);
    let mut at = 0;
    for (i, n) in groups.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&digits[at..at + n]);
        at += n;
    }
    out
}

/// A number as typed (`812 3456 7890`, `812-3456-7890`): spaces and dashes are ignored; what is
/// left must be 10 or 11 digits, the first not 0. Returns the bare digits.
pub fn parse_number(typed: &str) -> Result<String, Invalid> {
    let digits: String = typed.chars().filter(|c| *c != ' ' && *c != '-').collect();
    let ok = (10..=11).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !ok {
        return Err(Invalid::new(
            "number",
            "validation.invalid",
            "a meeting number has 10 or 11 digits",
        ));
    }
    Ok(digits)
}

// --- passcodes ---------------------------------------------------------------------------------

/// A passcode chosen by the host: trimmed, 4–10 ASCII letters and digits (case kept).
pub fn passcode(value: &str) -> Result<String, Invalid> {
    let v = value.trim();
    let ok = (MIN_PASSCODE_CHARS..=MAX_PASSCODE_CHARS).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric());
    if !ok {
        return Err(Invalid::new(
            "passcode",
            "meeting.passcode_format",
            "a passcode has 4 to 10 letters and digits",
        ));
    }
    Ok(v.to_string())
}

/// A generated passcode: 6 random digits (easy to read out on a phone call).
pub fn generate_passcode<R: Rng + ?Sized>(rng: &mut R) -> String {
    (0..6)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// Whether a typed passcode is the meeting's, in time that does not depend on where they
/// differ (the length of the stored one may leak; it is 4–10 characters anyway). Surrounding
/// spaces of the typed one are ignored.
pub fn passcode_matches(stored: &str, typed: &str) -> bool {
    let (a, b) = (stored.as_bytes(), typed.trim().as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Wrong passcodes are counted over this window.
pub const PASSCODE_WINDOW_MS: i64 = 10 * 60_000;
/// Wrong passcodes allowed per meeting from one IP within the window.
pub const MAX_FAILURES_PER_MEETING_IP: i64 = 5;
/// Wrong passcodes allowed per meeting from all IPs within the window.
pub const MAX_FAILURES_PER_MEETING: i64 = 20;
/// Wrong passcodes allowed from one IP across meetings within the window.
pub const MAX_FAILURES_PER_IP: i64 = 30;

/// Whether wrong passcodes counted within [`PASSCODE_WINDOW_MS`] stop any further attempt —
/// checked *before* the passcode, so the limit also stops a right guess.
pub fn passcode_limit_reached(meeting_ip: i64, meeting: i64, ip: i64) -> bool {
    meeting_ip >= MAX_FAILURES_PER_MEETING_IP
        || meeting >= MAX_FAILURES_PER_MEETING
        || ip >= MAX_FAILURES_PER_IP
}

// --- roles and states --------------------------------------------------------------------------

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Whether a meeting is going on.
    Status { Live => "live", Ended => "ended" }
);

text_enum!(
    /// What a meeting is: started now and ended for good (`instant`), a scheduled series, or a
    /// person's own room. Scheduled meetings and personal rooms are used again: "end for all"
    /// ends the session, not the meeting, and until the host arrives people wait in the lobby.
    MeetingKind { Instant => "instant", Scheduled => "scheduled", Personal => "personal" }
);

impl MeetingKind {
    /// Used for more than one session.
    pub fn reusable(self) -> bool {
        self != MeetingKind::Instant
    }
}

text_enum!(
    /// Who waits to be admitted.
    WaitingRoom { Off => "off", Guests => "guests", Everyone => "everyone" }
);

text_enum!(
    /// A participant's role in one meeting (not their role in the organisation).
    MeetingRole { Host => "host", Cohost => "cohost", Participant => "participant" }
);

text_enum!(
    /// Where a participant stands.
    ParticipantState {
        Waiting => "waiting",
        Admitted => "admitted",
        Denied => "denied",
        Removed => "removed",
        Left => "left",
    }
);

impl MeetingRole {
    /// Hosts and cohosts run the meeting.
    pub fn runs_meeting(self) -> bool {
        matches!(self, MeetingRole::Host | MeetingRole::Cohost)
    }
}

/// Whether a participant token opens the meeting's room: the meeting is live and the
/// participant is neither removed nor denied. (A waiting participant's socket opens, and waits.)
pub fn token_opens_room(status: Status, state: ParticipantState) -> bool {
    status == Status::Live && !matches!(state, ParticipantState::Removed | ParticipantState::Denied)
}

// --- joining -----------------------------------------------------------------------------------

/// Who is joining, as far as the rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Joiner {
    /// A signed-in member of the meeting's organisation (else a guest).
    pub member: bool,
    /// The meeting's host.
    pub is_host: bool,
    /// Their row from an earlier join (same user, or same device key for guests).
    pub existing: Option<(MeetingRole, ParticipantState)>,
}

/// The meeting settings a join depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinSettings {
    pub status: Status,
    pub locked: bool,
    pub waiting_room: WaitingRoom,
    pub allow_guests: bool,
    /// The meeting is reusable and its host is not in it: everyone else waits in the lobby
    /// until the host arrives.
    pub host_absent_lobby: bool,
}

/// Why a (passcode-checked) join is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinRefused {
    Ended,
    GuestsNotAllowed,
    Removed,
    Locked,
}

/// Where a joining person lands: their role and state, or why they may not enter. Order:
/// ended, guests not allowed, removed, locked (hosts, cohosts and already-admitted participants
/// still enter a locked meeting).
pub fn admission(
    settings: JoinSettings,
    joiner: Joiner,
) -> Result<(MeetingRole, ParticipantState), JoinRefused> {
    if settings.status == Status::Ended {
        return Err(JoinRefused::Ended);
    }
    if !joiner.member && !settings.allow_guests {
        return Err(JoinRefused::GuestsNotAllowed);
    }
    let (old_role, old_state) = match joiner.existing {
        Some((r, s)) => (Some(r), Some(s)),
        None => (None, None),
    };
    if old_state == Some(ParticipantState::Removed) {
        return Err(JoinRefused::Removed);
    }
    let role = if joiner.is_host {
        MeetingRole::Host
    } else {
        match old_role {
            // Only the meeting's host holds `host`; a stale row is a participant.
            Some(MeetingRole::Cohost) => MeetingRole::Cohost,
            _ => MeetingRole::Participant,
        }
    };
    let already_in = old_state == Some(ParticipantState::Admitted);
    if settings.locked && !role.runs_meeting() && !already_in {
        return Err(JoinRefused::Locked);
    }
    let state = if role.runs_meeting() || already_in {
        ParticipantState::Admitted
    } else if settings.host_absent_lobby
        || waits_for_admission(settings.waiting_room, joiner.member)
    {
        ParticipantState::Waiting
    } else {
        ParticipantState::Admitted
    };
    Ok((role, state))
}

/// Whether the waiting room holds this person until a host admits them (as opposed to the
/// host-absent lobby, which lets them in when the host arrives).
pub fn waits_for_admission(waiting_room: WaitingRoom, member: bool) -> bool {
    match waiting_room {
        WaitingRoom::Off => false,
        WaitingRoom::Guests => !member,
        WaitingRoom::Everyone => true,
    }
}

// --- host actions ------------------------------------------------------------------------------

/// A host action on one participant (`POST …/participants/{id}/{action}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParticipantAction {
    Admit,
    Deny,
    Remove,
    Mute,
    AskUnmute,
    StopVideo,
    Spotlight,
    Unspotlight,
    MakeCohost,
    MakeParticipant,
    Rename,
}

impl ParticipantAction {
    pub const ALL: [ParticipantAction; 11] = [
        ParticipantAction::Admit,
        ParticipantAction::Deny,
        ParticipantAction::Remove,
        ParticipantAction::Mute,
        ParticipantAction::AskUnmute,
        ParticipantAction::StopVideo,
        ParticipantAction::Spotlight,
        ParticipantAction::Unspotlight,
        ParticipantAction::MakeCohost,
        ParticipantAction::MakeParticipant,
        ParticipantAction::Rename,
    ];

    /// The action's name in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantAction::Admit => "admit",
            ParticipantAction::Deny => "deny",
            ParticipantAction::Remove => "remove",
            ParticipantAction::Mute => "mute",
            ParticipantAction::AskUnmute => "ask-unmute",
            ParticipantAction::StopVideo => "stop-video",
            ParticipantAction::Spotlight => "spotlight",
            ParticipantAction::Unspotlight => "unspotlight",
            ParticipantAction::MakeCohost => "make-cohost",
            ParticipantAction::MakeParticipant => "make-participant",
            ParticipantAction::Rename => "rename",
        }
    }

    pub fn parse(s: &str) -> Option<ParticipantAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Only the host may do it (cohosts may not hand out or take away roles).
    pub fn host_only(self) -> bool {
        matches!(
            self,
            ParticipantAction::MakeCohost | ParticipantAction::MakeParticipant
        )
    }

    /// The meeting's host is protected from it when a cohost (or anyone but the host) does it;
    /// `remove` and demotion are refused even to the host, who cannot leave their own meeting
    /// without a host.
    fn protects_host(self) -> bool {
        matches!(
            self,
            ParticipantAction::Remove
                | ParticipantAction::Mute
                | ParticipantAction::StopVideo
                | ParticipantAction::MakeCohost
                | ParticipantAction::MakeParticipant
                | ParticipantAction::Rename
        )
    }
}

/// A meeting-wide action (not on one participant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeetingAction {
    /// Read the participant list.
    ListParticipants,
    /// Change title, lock, waiting room, guests, passcode.
    Update,
    MuteAll,
    End,
}

/// Why a host action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostDenied {
    /// The caller is not the host (or, where cohosts may act, not a cohost either).
    NotHost,
    /// The target is the host, who cannot be removed, muted or demoted by a cohost.
    Forbidden,
    /// The target is not in the meeting (not admitted; or not waiting, for admit/deny).
    NotInMeeting,
}

/// Whether the caller (`actor`: their role in the meeting, `None` if they have none) may do a
/// meeting-wide action.
pub fn may_run(actor: Option<MeetingRole>, action: MeetingAction) -> Result<(), HostDenied> {
    let ok = match action {
        MeetingAction::End => actor == Some(MeetingRole::Host),
        MeetingAction::ListParticipants | MeetingAction::Update | MeetingAction::MuteAll => {
            actor.is_some_and(MeetingRole::runs_meeting)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(HostDenied::NotHost)
    }
}

/// Whether the caller may do `action` to a participant with `target` role and state.
/// `target_is_host` is true when the target is the meeting's host.
pub fn may_act(
    actor: Option<MeetingRole>,
    action: ParticipantAction,
    target: (MeetingRole, ParticipantState),
    target_is_host: bool,
) -> Result<(), HostDenied> {
    let actor = match actor {
        Some(r) if r.runs_meeting() => r,
        _ => return Err(HostDenied::NotHost),
    };
    let (role, state) = target;
    let is_host = target_is_host || role == MeetingRole::Host;
    if is_host && action.protects_host() {
        let by_host_to_self_harmless = actor == MeetingRole::Host
            && matches!(
                action,
                ParticipantAction::Mute | ParticipantAction::StopVideo | ParticipantAction::Rename
            );
        if !by_host_to_self_harmless {
            return Err(HostDenied::Forbidden);
        }
    }
    if action.host_only() && actor != MeetingRole::Host {
        return Err(HostDenied::NotHost);
    }
    let in_place = match action {
        // Admitting someone already in is a harmless repeat.
        ParticipantAction::Admit => {
            matches!(
                state,
                ParticipantState::Waiting | ParticipantState::Admitted
            )
        }
        ParticipantAction::Deny => state == ParticipantState::Waiting,
        _ => state == ParticipantState::Admitted,
    };
    if !in_place {
        return Err(HostDenied::NotInMeeting);
    }
    Ok(())
}

// --- TURN --------------------------------------------------------------------------------------

/// A TURN credential in coturn's REST API scheme (`use-auth-secret`): the username is
/// `{expiry_unix}:{participant_id}` and the password is base64(HMAC-SHA1(secret, username)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TurnCredential {
    pub username: String,
    pub credential: String,
}

/// The credential for `participant`, valid until `expires_unix` (seconds since the epoch).
pub fn turn_credential(secret: &str, participant: &str, expires_unix: i64) -> TurnCredential {
    let username = format!("{expires_unix}:{participant}");
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    TurnCredential {
        username,
        credential,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn numbers_are_10_or_11_digits_and_never_start_with_0() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut lengths = [0usize; 2];
        for _ in 0..2_000 {
            let n = generate_number(&mut rng);
            assert!(parse_number(&n).is_ok(), "{n}");
            lengths[n.len() - 10] += 1;
        }
        // Uniform over all numbers: about one in eleven has 10 digits.
        assert!(lengths[0] > 100 && lengths[0] < 300, "{lengths:?}");
    }

    #[test]
    fn numbers_are_grouped_for_people() {
        assert_eq!(format_number("81234567890"), "812 3456 7890");
        assert_eq!(format_number("8123456789"), "812 345 6789");
        assert_eq!(format_number("123"), "123");
    }

    #[test]
    fn typed_numbers_ignore_spaces_and_dashes() {
        assert_eq!(
            parse_number(" 812 3456-7890 ").expect("a valid number"),
            "81234567890"
        );
        assert_eq!(
            parse_number("812-345-6789").expect("a valid number"),
            "8123456789"
        );
        for bad in [
            "",
            "812 3456 789a",
            "01234567890",
            "123456789",
            "123456789012",
            "812.345.6789",
        ] {
            let e = parse_number(bad).expect_err("not a number");
            assert_eq!(
                (e.field, e.code),
                ("number", "validation.invalid"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn passcodes_are_4_to_10_letters_and_digits() {
        assert_eq!(passcode(" Ab12 ").expect("a valid passcode"), "Ab12");
        assert_eq!(
            passcode("abcdefghij").expect("a valid passcode"),
            "abcdefghij"
        );
        for bad in ["abc", "abcdefghijk", "ab 12", "ab-12", "rähm", ""] {
            assert_eq!(
                passcode(bad).expect_err("not a passcode").code,
                "meeting.passcode_format",
                "{bad:?}"
            );
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let p = generate_passcode(&mut rng);
        assert_eq!(p.len(), 6);
        assert!(p.bytes().all(|b| b.is_ascii_digit()));
        assert!(passcode(&p).is_ok());
    }

    #[test]
    fn passcode_limits_count_per_meeting_ip_meeting_and_ip() {
        assert!(!passcode_limit_reached(4, 19, 29));
        assert!(passcode_limit_reached(5, 5, 5));
        assert!(passcode_limit_reached(0, 20, 0));
        assert!(passcode_limit_reached(0, 0, 30));
    }

    #[test]
    fn passcodes_compare_exactly() {
        assert!(passcode_matches("482913", "482913"));
        assert!(passcode_matches("482913", " 482913 "));
        assert!(!passcode_matches("482913", "482914"));
        assert!(!passcode_matches("Ab12", "ab12"));
        assert!(!passcode_matches("482913", "48291"));
        assert!(!passcode_matches("482913", ""));
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for s in ParticipantState::ALL {
            assert_eq!(s.as_str().parse::<ParticipantState>(), Ok(*s));
        }
        for r in MeetingRole::ALL {
            assert_eq!(r.as_str().parse::<MeetingRole>(), Ok(*r));
        }
        for w in WaitingRoom::ALL {
            assert_eq!(w.as_str().parse::<WaitingRoom>(), Ok(*w));
        }
        for a in ParticipantAction::ALL {
            assert_eq!(ParticipantAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(ParticipantAction::parse("kick"), None);
    }

    fn settings() -> JoinSettings {
        JoinSettings {
            status: Status::Live,
            locked: false,
            waiting_room: WaitingRoom::Guests,
            allow_guests: true,
            host_absent_lobby: false,
        }
    }

    #[test]
    fn without_its_host_a_reusable_room_keeps_everyone_else_in_the_lobby() {
        let lobby = JoinSettings {
            host_absent_lobby: true,
            waiting_room: WaitingRoom::Off,
            ..settings()
        };
        assert_eq!(admission(lobby, joiner(true)), Ok((Participant, Waiting)));
        assert_eq!(admission(lobby, joiner(false)), Ok((Participant, Waiting)));
        let host = Joiner {
            is_host: true,
            ..joiner(true)
        };
        assert_eq!(admission(lobby, host), Ok((Host, Admitted)));
        let cohost = Joiner {
            existing: Some((Cohost, Left)),
            ..joiner(true)
        };
        assert_eq!(admission(lobby, cohost), Ok((Cohost, Admitted)));
        // When the host arrives, only the waiting room's rule still holds people back.
        assert!(!waits_for_admission(WaitingRoom::Guests, true));
        assert!(waits_for_admission(WaitingRoom::Guests, false));
        assert!(waits_for_admission(WaitingRoom::Everyone, true));
        assert!(!waits_for_admission(WaitingRoom::Off, false));
        assert!(MeetingKind::Personal.reusable() && !MeetingKind::Instant.reusable());
    }

    fn joiner(member: bool) -> Joiner {
        Joiner {
            member,
            is_host: false,
            existing: None,
        }
    }

    use MeetingRole::{Cohost, Host, Participant};
    use ParticipantState::{Admitted, Denied, Left, Removed, Waiting};

    #[test]
    fn members_enter_and_guests_wait_by_default() {
        assert_eq!(
            admission(settings(), joiner(true)),
            Ok((Participant, Admitted))
        );
        assert_eq!(
            admission(settings(), joiner(false)),
            Ok((Participant, Waiting))
        );
        let off = JoinSettings {
            waiting_room: WaitingRoom::Off,
            ..settings()
        };
        assert_eq!(admission(off, joiner(false)), Ok((Participant, Admitted)));
        let everyone = JoinSettings {
            waiting_room: WaitingRoom::Everyone,
            ..settings()
        };
        assert_eq!(
            admission(everyone, joiner(true)),
            Ok((Participant, Waiting))
        );
        let host = Joiner {
            is_host: true,
            ..joiner(true)
        };
        assert_eq!(admission(everyone, host), Ok((Host, Admitted)));
        let cohost = Joiner {
            existing: Some((Cohost, Left)),
            ..joiner(true)
        };
        assert_eq!(admission(everyone, cohost), Ok((Cohost, Admitted)));
        // A denied guest may knock again.
        let denied = Joiner {
            existing: Some((Participant, Denied)),
            ..joiner(false)
        };
        assert_eq!(admission(settings(), denied), Ok((Participant, Waiting)));
    }

    #[test]
    fn joins_are_refused_in_order() {
        let ended = JoinSettings {
            status: Status::Ended,
            ..settings()
        };
        let host = Joiner {
            is_host: true,
            ..joiner(true)
        };
        assert_eq!(admission(ended, host), Err(JoinRefused::Ended));
        let no_guests = JoinSettings {
            allow_guests: false,
            ..settings()
        };
        assert_eq!(
            admission(no_guests, joiner(false)),
            Err(JoinRefused::GuestsNotAllowed)
        );
        assert_eq!(
            admission(no_guests, joiner(true)),
            Ok((Participant, Admitted))
        );
        let removed = Joiner {
            existing: Some((Participant, Removed)),
            ..joiner(true)
        };
        assert_eq!(admission(settings(), removed), Err(JoinRefused::Removed));
        let locked = JoinSettings {
            locked: true,
            ..settings()
        };
        assert_eq!(admission(locked, joiner(true)), Err(JoinRefused::Locked));
        assert_eq!(admission(locked, host), Ok((Host, Admitted)));
        let back = Joiner {
            existing: Some((Participant, Admitted)),
            ..joiner(false)
        };
        assert_eq!(admission(locked, back), Ok((Participant, Admitted)));
        let left = Joiner {
            existing: Some((Participant, Left)),
            ..joiner(true)
        };
        assert_eq!(admission(locked, left), Err(JoinRefused::Locked));
    }

    #[test]
    fn only_hosts_and_cohosts_run_the_meeting() {
        use ParticipantAction as A;
        let p = (Participant, Admitted);
        assert_eq!(may_act(None, A::Mute, p, false), Err(HostDenied::NotHost));
        assert_eq!(
            may_act(Some(Participant), A::Mute, p, false),
            Err(HostDenied::NotHost)
        );
        assert_eq!(may_act(Some(Cohost), A::Mute, p, false), Ok(()));
        assert_eq!(
            may_act(Some(Cohost), A::MakeCohost, p, false),
            Err(HostDenied::NotHost)
        );
        assert_eq!(may_act(Some(Host), A::MakeCohost, p, false), Ok(()));
        assert_eq!(
            may_run(Some(Cohost), MeetingAction::End),
            Err(HostDenied::NotHost)
        );
        assert_eq!(may_run(Some(Host), MeetingAction::End), Ok(()));
        assert_eq!(may_run(Some(Cohost), MeetingAction::MuteAll), Ok(()));
        assert_eq!(
            may_run(Some(Participant), MeetingAction::Update),
            Err(HostDenied::NotHost)
        );
        assert_eq!(
            may_run(None, MeetingAction::ListParticipants),
            Err(HostDenied::NotHost)
        );
    }

    #[test]
    fn the_host_is_protected_from_cohosts() {
        use ParticipantAction as A;
        let host = (Host, Admitted);
        for a in [
            A::Remove,
            A::Mute,
            A::StopVideo,
            A::MakeParticipant,
            A::Rename,
        ] {
            assert_eq!(
                may_act(Some(Cohost), a, host, true),
                Err(HostDenied::Forbidden),
                "{a:?}"
            );
        }
        assert_eq!(may_act(Some(Cohost), A::AskUnmute, host, true), Ok(()));
        assert_eq!(may_act(Some(Cohost), A::Spotlight, host, true), Ok(()));
        // The host mutes or renames themselves, but never removes or demotes the host.
        assert_eq!(may_act(Some(Host), A::Mute, host, true), Ok(()));
        assert_eq!(
            may_act(Some(Host), A::Remove, host, true),
            Err(HostDenied::Forbidden)
        );
        assert_eq!(
            may_act(Some(Host), A::MakeParticipant, host, true),
            Err(HostDenied::Forbidden)
        );
    }

    #[test]
    fn targets_must_be_in_the_meeting() {
        use ParticipantAction as A;
        let h = Some(Host);
        assert_eq!(may_act(h, A::Admit, (Participant, Waiting), false), Ok(()));
        assert_eq!(may_act(h, A::Deny, (Participant, Waiting), false), Ok(()));
        assert_eq!(may_act(h, A::Admit, (Participant, Admitted), false), Ok(()));
        assert_eq!(
            may_act(h, A::Deny, (Participant, Admitted), false),
            Err(HostDenied::NotInMeeting)
        );
        assert_eq!(
            may_act(h, A::Admit, (Participant, Removed), false),
            Err(HostDenied::NotInMeeting)
        );
        for a in [A::Remove, A::Mute, A::Rename, A::MakeCohost, A::Spotlight] {
            for s in [Waiting, Left, Denied, Removed] {
                assert_eq!(
                    may_act(h, a, (Participant, s), false),
                    Err(HostDenied::NotInMeeting),
                    "{a:?} {s:?}"
                );
            }
        }
    }

    #[test]
    fn tokens_open_the_room_while_live_and_not_sent_away() {
        assert!(token_opens_room(Status::Live, Waiting));
        assert!(token_opens_room(Status::Live, Left));
        assert!(!token_opens_room(Status::Live, Removed));
        assert!(!token_opens_room(Status::Live, Denied));
        assert!(!token_opens_room(Status::Ended, Admitted));
    }

    #[test]
    fn turn_credentials_match_coturn() {
        // python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(
        //   b"s3cr3t-turn", b"1795000000:0195f0e2-7b5c-7d3a-9e2f-1a2b3c4d5e6f",
        //   hashlib.sha1).digest()).decode())'
        let c = turn_credential(
            "s3cr3t-turn",
            "0195f0e2-7b5c-7d3a-9e2f-1a2b3c4d5e6f",
            1_795_000_000,
        );
        assert_eq!(
            c.username,
            "1795000000:0195f0e2-7b5c-7d3a-9e2f-1a2b3c4d5e6f"
        );
        assert_eq!(c.credential, "4bgzfjvr+eoKCE87l060JmBY2eU=");
    }
}

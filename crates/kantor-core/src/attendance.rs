//! Meeting attendance accounting (the *rekap kehadiran rapat*): from the stays the room records
//! (entered → left, or still open) to one line per person — their stays inside a reporting
//! window, first join, last leave, total minutes — and who was invited but never came. Also
//! who may read which lines ([`scope`]).
//!
//! **Stays are merged before they are counted**: two devices, a reconnect racing the old
//! socket's departure, or a room that reopened after a crash can leave overlapping stays, and
//! a person is in a meeting once, not twice. Stays are clamped to the window first, so an
//! occurrence of a recurring meeting counts only its own time.
//!
//! **Rounding**: the merged total in milliseconds is rounded to the nearest minute, halves up
//! (29 s → 0, 30 s → 1, 90 s → 2), once per person — never per stay, so many short reconnects do
//! not add up rounding errors. Someone present for a few seconds is still *hadir* with 0
//! minutes.

use std::collections::{BTreeSet, HashMap};

use crate::ids::{UnitId, UserId};
use crate::role::Role;

/// One stay in the room as recorded: milliseconds since the epoch (UTC); `left_at` is `None`
/// while the person is still in (or the room ended without recording it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stay {
    pub joined_at: i64,
    pub left_at: Option<i64>,
}

/// The reporting window `[from, to)`, in milliseconds. [`Window::ALL`] is the whole meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
}

impl Window {
    pub const ALL: Window = Window {
        from: i64::MIN,
        to: i64::MAX,
    };
}

/// A stretch of time in the room after clamping and merging; `open` when it runs to "now"
/// (the person is still in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub from: i64,
    pub to: i64,
    pub open: bool,
}

/// One person's attendance within a window.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Attendance {
    /// Merged, clamped, in time order.
    pub spans: Vec<Span>,
    pub first_join: Option<i64>,
    /// The end of the last span, unless the person is still in.
    pub last_leave: Option<i64>,
    pub total_ms: i64,
    /// `total_ms` rounded to the nearest minute (halves up).
    pub minutes: i64,
}

impl Attendance {
    /// *Hadir*: at least one stay inside the window.
    pub fn present(&self) -> bool {
        !self.spans.is_empty()
    }
}

/// Milliseconds to whole minutes, to the nearest, halves up.
pub fn minutes(ms: i64) -> i64 {
    (ms.max(0) + 30_000) / 60_000
}

/// Accounts one person's stays: an open stay ends at `now` (or at `ended_at`, when the meeting
/// ended and the stay was never closed — a room that crashed); each stay is clamped to
/// `window`; overlapping and touching stays are merged; the total is their union.
pub fn account(stays: &[Stay], window: Window, now: i64, ended_at: Option<i64>) -> Attendance {
    let open_end = ended_at.map_or(now, |e| e.min(now));
    let mut clamped: Vec<Span> = Vec::new();
    for s in stays {
        let (end, open) = match s.left_at {
            Some(l) => (l.max(s.joined_at), false),
            None => (open_end.max(s.joined_at), ended_at.is_none()),
        };
        let from = s.joined_at.max(window.from);
        let to = end.min(window.to);
        // A stay starting at the window's end belongs to the next window; a zero-length stay
        // (joined and left within a millisecond) counts only if it lies inside the window.
        let inside = if s.joined_at == end {
            s.joined_at >= window.from && s.joined_at < window.to
        } else {
            to > from
        };
        if inside {
            // Open only if it really runs to now (not cut by the window's end).
            clamped.push(Span {
                from,
                to,
                open: open && end <= window.to,
            });
        }
    }
    clamped.sort_by_key(|s| (s.from, s.to));
    let mut spans: Vec<Span> = Vec::new();
    for s in clamped {
        match spans.last_mut() {
            Some(last) if s.from <= last.to => {
                if s.to > last.to || (s.to == last.to && s.open) {
                    last.to = s.to;
                    last.open = s.open;
                }
            }
            _ => spans.push(s),
        }
    }
    let total_ms: i64 = spans.iter().map(|s| s.to - s.from).sum();
    let last = spans.last().copied();
    Attendance {
        first_join: spans.first().map(|s| s.from),
        last_leave: last.filter(|s| !s.open).map(|s| s.to),
        total_ms,
        minutes: minutes(total_ms),
        spans,
    }
}

/// A unit and its parent, as the organisation's tree stores them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitNode {
    pub id: UnitId,
    pub parent_id: Option<UnitId>,
}

/// `roots` and every unit below them (a unit's sub-units, their sub-units, …). Safe against a
/// cycle in bad data: each unit is visited once.
pub fn subtree(units: &[UnitNode], roots: &[UnitId]) -> BTreeSet<UnitId> {
    let mut children: HashMap<UnitId, Vec<UnitId>> = HashMap::new();
    for u in units {
        if let Some(p) = u.parent_id {
            children.entry(p).or_default().push(u.id);
        }
    }
    let mut out = BTreeSet::new();
    let mut todo: Vec<UnitId> = roots.to_vec();
    while let Some(u) = todo.pop() {
        if out.insert(u) {
            todo.extend(children.get(&u).into_iter().flatten().copied());
        }
    }
    out
}

/// Everyone a meeting invites: the people named, and the members (`(user, unit)`) of the units
/// named or of their sub-units.
pub fn invited(
    named_users: &[UserId],
    named_units: &[UnitId],
    units: &[UnitNode],
    members: &[(UserId, Option<UnitId>)],
) -> BTreeSet<UserId> {
    let by_unit = subtree(units, named_units);
    let mut out: BTreeSet<UserId> = named_users.iter().copied().collect();
    out.extend(
        members
            .iter()
            .filter(|(_, unit)| unit.is_some_and(|u| by_unit.contains(&u)))
            .map(|(user, _)| *user),
    );
    out
}

/// Which lines of a meeting's attendance a viewer reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every line (optionally narrowed to one unit's subtree by the viewer's choice).
    All { unit: Option<BTreeSet<UnitId>> },
    /// Only people in these units (a unit the viewer leads, with its sub-units).
    Units(BTreeSet<UnitId>),
}

/// The viewer may not read this meeting's attendance, or asked for a unit they do not lead or
/// that does not exist — answered as "not found", so it reveals nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hidden;

/// Who reads what: the meeting's host and cohosts, HR, admins and owners read everyone (a
/// `unit` narrows to that unit and its sub-units); a unit leader reads only people in a unit
/// they lead (or a sub-unit of one) and must name such a unit; anyone else reads nothing.
pub fn scope(
    org_role: Role,
    runs_meeting: bool,
    units: &[UnitNode],
    led: &[UnitId],
    unit: Option<UnitId>,
) -> Result<Scope, Hidden> {
    if let Some(u) = unit {
        if !units.iter().any(|n| n.id == u) {
            return Err(Hidden);
        }
    }
    let sees_all = runs_meeting || matches!(org_role, Role::Owner | Role::Admin | Role::Hr);
    if sees_all {
        return Ok(Scope::All {
            unit: unit.map(|u| subtree(units, &[u])),
        });
    }
    let Some(u) = unit else {
        return Err(Hidden);
    };
    if org_role == Role::Guest || !subtree(units, led).contains(&u) {
        return Err(Hidden);
    }
    Ok(Scope::Units(subtree(units, &[u])))
}

impl Scope {
    /// Whether a person in `unit` (none for guests and people without a unit) is shown.
    pub fn shows(&self, unit: Option<UnitId>) -> bool {
        match self {
            Scope::All { unit: None } => true,
            Scope::All { unit: Some(set) } | Scope::Units(set) => {
                unit.is_some_and(|u| set.contains(&u))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn stay(joined: i64, left: Option<i64>) -> Stay {
        Stay {
            joined_at: joined * MIN,
            left_at: left.map(|l| l * MIN),
        }
    }

    fn span(from: i64, to: i64, open: bool) -> Span {
        Span {
            from: from * MIN,
            to: to * MIN,
            open,
        }
    }

    fn window(from: i64, to: i64) -> Window {
        Window {
            from: from * MIN,
            to: to * MIN,
        }
    }

    #[test]
    fn attendance_accounting_with_reconnects() {
        // Joined at 0, dropped at 10 and came back at 12 (after the grace period: a new
        // stay), left at 30, rejoined at 40 until 45.
        let stays = [stay(0, Some(10)), stay(12, Some(30)), stay(40, Some(45))];
        let a = account(&stays, Window::ALL, 100 * MIN, None);
        assert_eq!(
            a.spans,
            vec![span(0, 10, false), span(12, 30, false), span(40, 45, false)]
        );
        assert_eq!(a.first_join, Some(0));
        assert_eq!(a.last_leave, Some(45 * MIN));
        assert_eq!(a.minutes, 10 + 18 + 5);
        assert!(a.present());
        // A reconnect that touches the previous stay is one span.
        let a = account(
            &[stay(0, Some(10)), stay(10, Some(20))],
            Window::ALL,
            0,
            None,
        );
        assert_eq!(a.spans, vec![span(0, 20, false)]);
        assert_eq!(a.minutes, 20);
    }

    #[test]
    fn overlapping_and_duplicate_stays_count_once() {
        // Two devices (0–30 and 10–20), a duplicate (0–30) and clock skew (25–35).
        let stays = [
            stay(0, Some(30)),
            stay(10, Some(20)),
            stay(0, Some(30)),
            stay(25, Some(35)),
        ];
        let a = account(&stays, Window::ALL, 100 * MIN, None);
        assert_eq!(a.spans, vec![span(0, 35, false)]);
        assert_eq!(a.minutes, 35);
        // Order of the input does not matter.
        let mut reversed = stays;
        reversed.reverse();
        assert_eq!(account(&reversed, Window::ALL, 100 * MIN, None), a);
    }

    #[test]
    fn open_stays_run_to_now_or_to_the_end_of_the_meeting() {
        let a = account(&[stay(5, None)], Window::ALL, 65 * MIN, None);
        assert_eq!(a.spans, vec![span(5, 65, true)]);
        assert_eq!(a.last_leave, None, "still in the meeting");
        assert_eq!(a.minutes, 60);
        // The meeting ended at 20 but the stay was never closed (the room crashed).
        let a = account(&[stay(5, None)], Window::ALL, 65 * MIN, Some(20 * MIN));
        assert_eq!(a.spans, vec![span(5, 20, false)]);
        assert_eq!(a.last_leave, Some(20 * MIN));
        // An open stay merged with a closed one that ends later stays open only if it runs on.
        let a = account(
            &[stay(0, Some(50)), stay(10, None)],
            Window::ALL,
            40 * MIN,
            None,
        );
        assert_eq!(a.spans, vec![span(0, 50, false)]);
        let a = account(
            &[stay(0, Some(30)), stay(10, None)],
            Window::ALL,
            40 * MIN,
            None,
        );
        assert_eq!(a.spans, vec![span(0, 40, true)]);
    }

    #[test]
    fn stays_are_clamped_to_the_window() {
        // An occurrence from 60 to 120: a stay from 50 to 70 counts 10, one from 110 to 130
        // counts 10, one from 0 to 50 and one from 120 on not at all.
        let stays = [
            stay(0, Some(50)),
            stay(50, Some(70)),
            stay(110, Some(130)),
            stay(120, Some(125)),
        ];
        let a = account(&stays, window(60, 120), 200 * MIN, None);
        assert_eq!(a.spans, vec![span(60, 70, false), span(110, 120, false)]);
        assert_eq!(a.minutes, 20);
        assert_eq!(a.first_join, Some(60 * MIN));
        // Nothing inside: not present.
        let a = account(&[stay(0, Some(60))], window(60, 120), 200 * MIN, None);
        assert!(!a.present());
        assert_eq!(a.first_join, None);
        assert_eq!(a.minutes, 0);
        // An open stay cut by the window's end is not "still in" for that window.
        let a = account(&[stay(100, None)], window(60, 120), 200 * MIN, None);
        assert_eq!(a.spans, vec![span(100, 120, false)]);
        assert_eq!(a.last_leave, Some(120 * MIN));
    }

    #[test]
    fn minutes_round_to_the_nearest_halves_up() {
        assert_eq!(minutes(0), 0);
        assert_eq!(minutes(29_999), 0);
        assert_eq!(minutes(30_000), 1);
        assert_eq!(minutes(89_999), 1);
        assert_eq!(minutes(90_000), 2);
        assert_eq!(minutes(-5), 0);
        // Rounded once over the total: three 40-second stays are 2 minutes, not 3.
        let stays = [
            Stay {
                joined_at: 0,
                left_at: Some(40_000),
            },
            Stay {
                joined_at: 100_000,
                left_at: Some(140_000),
            },
            Stay {
                joined_at: 200_000,
                left_at: Some(240_000),
            },
        ];
        assert_eq!(account(&stays, Window::ALL, 0, None).minutes, 2);
        // A blink is still present.
        let a = account(
            &[Stay {
                joined_at: 5,
                left_at: Some(5),
            }],
            Window::ALL,
            10,
            None,
        );
        assert!(a.present());
        assert_eq!(a.minutes, 0);
    }

    fn unit(n: u128) -> UnitId {
        UnitId(uuid::Uuid::from_u128(n))
    }

    fn user(n: u128) -> UserId {
        UserId(uuid::Uuid::from_u128(n))
    }

    /// Sekretariat (1) ⊃ Bidang Umum (2) ⊃ Seksi Arsip (3); Bidang Keuangan (4) on its own.
    fn tree() -> Vec<UnitNode> {
        vec![
            UnitNode {
                id: unit(1),
                parent_id: None,
            },
            UnitNode {
                id: unit(2),
                parent_id: Some(unit(1)),
            },
            UnitNode {
                id: unit(3),
                parent_id: Some(unit(2)),
            },
            UnitNode {
                id: unit(4),
                parent_id: None,
            },
        ]
    }

    #[test]
    fn invited_units_include_their_sub_units() {
        let members = [
            (user(10), Some(unit(1))),
            (user(11), Some(unit(3))),
            (user(12), Some(unit(4))),
            (user(13), None),
        ];
        let got = invited(&[user(13)], &[unit(2)], &tree(), &members);
        assert_eq!(got, [user(11), user(13)].into_iter().collect());
        let got = invited(&[], &[unit(1)], &tree(), &members);
        assert_eq!(got, [user(10), user(11)].into_iter().collect());
        // A cycle in bad data ends.
        let cyclic = [
            UnitNode {
                id: unit(1),
                parent_id: Some(unit(2)),
            },
            UnitNode {
                id: unit(2),
                parent_id: Some(unit(1)),
            },
        ];
        assert_eq!(subtree(&cyclic, &[unit(1)]).len(), 2);
    }

    #[test]
    fn who_reads_which_lines() {
        let t = tree();
        // The host and HR read everyone; a unit narrows to its subtree.
        assert_eq!(
            scope(Role::Member, true, &t, &[], None),
            Ok(Scope::All { unit: None })
        );
        assert_eq!(
            scope(Role::Hr, false, &t, &[], None),
            Ok(Scope::All { unit: None })
        );
        let s = scope(Role::Admin, false, &t, &[], Some(unit(2))).expect("admin");
        assert!(s.shows(Some(unit(3))) && !s.shows(Some(unit(1))) && !s.shows(None));
        // The leader of Bidang Umum reads Bidang Umum and Seksi Arsip, nothing else.
        let s = scope(Role::Member, false, &t, &[unit(2)], Some(unit(2))).expect("leader");
        assert!(s.shows(Some(unit(2))) && s.shows(Some(unit(3))));
        assert!(!s.shows(Some(unit(1))) && !s.shows(None));
        assert!(scope(Role::Member, false, &t, &[unit(2)], Some(unit(3))).is_ok());
        assert_eq!(
            scope(Role::Member, false, &t, &[unit(2)], Some(unit(4))),
            Err(Hidden)
        );
        assert_eq!(
            scope(Role::Member, false, &t, &[unit(2)], Some(unit(1))),
            Err(Hidden)
        );
        // A leader must name a unit; a member who leads nothing reads nothing.
        assert_eq!(
            scope(Role::Member, false, &t, &[unit(2)], None),
            Err(Hidden)
        );
        assert_eq!(
            scope(Role::Member, false, &t, &[], Some(unit(2))),
            Err(Hidden)
        );
        // A unit that does not exist is not found, even for HR.
        assert_eq!(scope(Role::Hr, false, &t, &[], Some(unit(99))), Err(Hidden));
    }
}

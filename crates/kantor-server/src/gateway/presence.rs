//! Presence: online, away or offline, derived from a person's sockets across tabs, devices and
//! nodes.
//!
//! Each node knows its own sockets and whether each is active (the web app reports focus and
//! idleness). When a person's state on this node changes, the node announces it on the bus;
//! every node (itself included) folds the announcements into one view, where the most present
//! state of any node wins. Nodes re-announce everything every [`ANNOUNCE_EVERY`], and a node's
//! entries that are not refreshed within [`STALE_AFTER`] are dropped, so a node that dies takes
//! its people offline within a minute and a half.
//!
//! Changes are pushed only to sockets that watch the person (the web app watches the people it
//! shows), so an organisation of 5,000 coming online at nine does not send every socket 5,000
//! updates.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kantor_core::ids::{OrgId, UserId};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

pub const ANNOUNCE_EVERY: Duration = Duration::from_secs(30);
pub const STALE_AFTER: Duration = Duration::from_secs(75);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Offline,
    Away,
    Online,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    pub user_id: UserId,
    pub orgs: Vec<OrgId>,
    pub state: State,
}

/// One node's announcement; `full` lists every person on the node (others are offline there).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Announce {
    pub node: String,
    pub full: bool,
    pub entries: Vec<Entry>,
}

#[derive(Default)]
pub struct Presence {
    inner: Mutex<Inner>,
}

struct Seen {
    state: State,
    orgs: Vec<OrgId>,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    /// This node's sockets: person → (organisations, socket → active).
    local: HashMap<UserId, (Vec<OrgId>, HashMap<u64, bool>)>,
    /// Every node's view: person → node → what it said.
    seen: HashMap<UserId, HashMap<String, Seen>>,
    /// Changes not yet pushed to the sockets watching these people, with the organisations
    /// the person is in (only their co-members may learn of it).
    pending: HashMap<UserId, (State, Vec<OrgId>)>,
}

impl Inner {
    fn local_entry(&self, user_id: UserId) -> Entry {
        match self.local.get(&user_id) {
            None => Entry {
                user_id,
                orgs: Vec::new(),
                state: State::Offline,
            },
            Some((orgs, sockets)) => Entry {
                user_id,
                orgs: orgs.clone(),
                state: if sockets.values().any(|a| *a) {
                    State::Online
                } else if sockets.is_empty() {
                    State::Offline
                } else {
                    State::Away
                },
            },
        }
    }

    fn combined(&self, user_id: UserId) -> State {
        self.seen
            .get(&user_id)
            .and_then(|nodes| nodes.values().map(|s| s.state).max())
            .unwrap_or(State::Offline)
    }

    fn orgs_of(&self, user_id: UserId) -> Vec<OrgId> {
        let mut orgs: Vec<OrgId> = self
            .seen
            .get(&user_id)
            .into_iter()
            .flat_map(|n| n.values().flat_map(|s| s.orgs.iter().copied()))
            .collect();
        orgs.sort();
        orgs.dedup();
        orgs
    }

    /// Records a person's new combined state for pushing, if it changed.
    fn note_change(&mut self, user_id: UserId, before: State, orgs_before: Vec<OrgId>) {
        let after = self.combined(user_id);
        if after != before {
            let mut orgs = orgs_before;
            orgs.extend(self.orgs_of(user_id));
            orgs.sort();
            orgs.dedup();
            self.pending.insert(user_id, (after, orgs));
        }
    }
}

impl Presence {
    /// Changes this node's sockets and returns what to announce when the person's state here
    /// changed.
    fn change_local(&self, user_id: UserId, f: impl FnOnce(&mut Inner)) -> Option<Entry> {
        let mut inner = self.inner.lock();
        let before = inner.local_entry(user_id).state;
        f(&mut inner);
        if inner.local.get(&user_id).is_some_and(|(_, s)| s.is_empty()) {
            inner.local.remove(&user_id);
        }
        let after = inner.local_entry(user_id);
        (after.state != before).then_some(after)
    }

    pub fn socket_opened(&self, user_id: UserId, socket: u64, orgs: Vec<OrgId>) -> Option<Entry> {
        self.change_local(user_id, |inner| {
            let e = inner.local.entry(user_id).or_default();
            e.0 = orgs;
            e.1.insert(socket, true);
        })
    }

    pub fn socket_activity(&self, user_id: UserId, socket: u64, active: bool) -> Option<Entry> {
        self.change_local(user_id, |inner| {
            if let Some((_, sockets)) = inner.local.get_mut(&user_id) {
                sockets.insert(socket, active);
            }
        })
    }

    pub fn socket_closed(&self, user_id: UserId, socket: u64) -> Option<Entry> {
        self.change_local(user_id, |inner| {
            if let Some((_, sockets)) = inner.local.get_mut(&user_id) {
                sockets.remove(&socket);
            }
        })
    }

    /// Everything this node knows of its own people, for the periodic announcement.
    pub fn local_snapshot(&self, node: &str) -> Announce {
        let inner = self.inner.lock();
        Announce {
            node: node.to_string(),
            full: true,
            entries: inner.local.keys().map(|u| inner.local_entry(*u)).collect(),
        }
    }

    /// Folds a node's announcement into the view.
    pub fn apply(&self, a: &Announce, now: Instant) {
        let mut inner = self.inner.lock();
        let mut touched: Vec<UserId> = a.entries.iter().map(|e| e.user_id).collect();
        if a.full {
            // People the node no longer lists are offline there.
            let listed: std::collections::HashSet<UserId> = touched.iter().copied().collect();
            touched.extend(
                inner
                    .seen
                    .iter()
                    .filter(|(u, nodes)| nodes.contains_key(&a.node) && !listed.contains(u))
                    .map(|(u, _)| *u),
            );
        }
        for user_id in touched {
            let before = inner.combined(user_id);
            let orgs_before = inner.orgs_of(user_id);
            let entry = a.entries.iter().find(|e| e.user_id == user_id);
            let nodes = inner.seen.entry(user_id).or_default();
            match entry {
                Some(e) if e.state != State::Offline => {
                    nodes.insert(
                        a.node.clone(),
                        Seen {
                            state: e.state,
                            orgs: e.orgs.clone(),
                            at: now,
                        },
                    );
                }
                _ => {
                    nodes.remove(&a.node);
                }
            }
            if nodes.is_empty() {
                inner.seen.remove(&user_id);
            }
            inner.note_change(user_id, before, orgs_before);
        }
    }

    /// Drops what nodes have not refreshed lately (a node that died).
    pub fn expire(&self, now: Instant) {
        let mut inner = self.inner.lock();
        let stale: Vec<(UserId, String)> = inner
            .seen
            .iter()
            .flat_map(|(u, nodes)| {
                nodes
                    .iter()
                    .filter(|(_, s)| now.duration_since(s.at) > STALE_AFTER)
                    .map(|(n, _)| (*u, n.clone()))
            })
            .collect();
        for (user_id, node) in stale {
            let before = inner.combined(user_id);
            let orgs_before = inner.orgs_of(user_id);
            if let Some(nodes) = inner.seen.get_mut(&user_id) {
                nodes.remove(&node);
                if nodes.is_empty() {
                    inner.seen.remove(&user_id);
                }
            }
            inner.note_change(user_id, before, orgs_before);
        }
    }

    /// Changes to push to the sockets that watch these people.
    pub fn take_pending(&self) -> HashMap<UserId, (State, Vec<OrgId>)> {
        std::mem::take(&mut self.inner.lock().pending)
    }

    /// The state of one person as someone in `orgs` may see it: offline unless they share an
    /// organisation.
    pub fn state_for(&self, user_id: UserId, orgs: &[OrgId]) -> State {
        let inner = self.inner.lock();
        if inner.orgs_of(user_id).iter().any(|o| orgs.contains(o)) {
            inner.combined(user_id)
        } else {
            State::Offline
        }
    }

    /// Everyone present (online or away) in an organisation.
    pub fn present_in(&self, org_id: OrgId) -> Vec<(UserId, State)> {
        let inner = self.inner.lock();
        inner
            .seen
            .iter()
            .filter(|(_, nodes)| nodes.values().any(|s| s.orgs.contains(&org_id)))
            .map(|(u, _)| (*u, inner.combined(*u)))
            .filter(|(_, s)| *s != State::Offline)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (UserId, OrgId) {
        (UserId(uuid::Uuid::now_v7()), OrgId(uuid::Uuid::now_v7()))
    }

    fn announce(node: &str, e: Option<Entry>) -> Announce {
        Announce {
            node: node.into(),
            full: false,
            entries: e.into_iter().collect(),
        }
    }

    #[test]
    fn tabs_and_nodes_combine() {
        let (u, o) = ids();
        let p = Presence::default();
        let t0 = Instant::now();
        p.apply(&announce("a", p.socket_opened(u, 1, vec![o])), t0);
        assert_eq!(p.present_in(o), vec![(u, State::Online)]);
        // A second tab changes nothing; the first going idle leaves the second active.
        assert!(p.socket_opened(u, 2, vec![o]).is_none());
        assert!(p.socket_activity(u, 1, false).is_none());
        // Both idle: away.
        p.apply(&announce("a", p.socket_activity(u, 2, false)), t0);
        assert_eq!(p.present_in(o), vec![(u, State::Away)]);
        // Online on another node wins.
        p.apply(
            &announce(
                "b",
                Some(Entry {
                    user_id: u,
                    orgs: vec![o],
                    state: State::Online,
                }),
            ),
            t0,
        );
        assert_eq!(p.present_in(o), vec![(u, State::Online)]);
        let pending = p.take_pending();
        assert_eq!(pending[&u], (State::Online, vec![o]));
        assert_eq!(p.state_for(u, &[o]), State::Online);
        assert_eq!(
            p.state_for(u, &[OrgId(uuid::Uuid::now_v7())]),
            State::Offline
        );
        // Node b dies: after the stale window its word is dropped.
        p.apply(&p.local_snapshot("a"), t0 + STALE_AFTER);
        p.expire(t0 + STALE_AFTER + Duration::from_secs(1));
        assert_eq!(p.present_in(o), vec![(u, State::Away)]);
        // Closing every socket: offline, and the change is pushed.
        assert!(p.socket_closed(u, 1).is_none());
        p.apply(&announce("a", p.socket_closed(u, 2)), t0);
        p.apply(&p.local_snapshot("a"), t0);
        assert!(p.present_in(o).is_empty());
        assert_eq!(p.take_pending()[&u], (State::Offline, vec![o]));
    }
}

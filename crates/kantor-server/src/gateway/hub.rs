//! The hub: this node's follower of the numbered event stream, and the router that hands each
//! event to exactly the sockets in its audience.
//!
//! Routing happens once per event, here, rather than in every socket: a socket's queue only
//! ever receives events meant for it, so 5,000 sockets cost nothing for an event addressed to
//! the 30 members of one channel. The hub keeps each conversation's members (read from the
//! store on first use, then updated by `ConversationJoin` / `ConversationLeave` audiences in
//! event order), so membership and messages are applied in one order on every node.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use kantor_core::event::Audience;
use kantor_core::ids::{ConversationId, OrgId, UserId};
use kantor_core::role::Role;
use kantor_store::events::Event;
use parking_lot::{Mutex, RwLock};
use tokio::sync::mpsc;

use super::presence::Presence;
use super::{outgoing, Outgoing, CLOSE_RECONNECT, CLOSE_SESSION_ENDED};
use crate::state::AppState;

/// Messages a socket may have queued before it counts as too slow; it is then told to reconnect,
/// and resumes from its last `seq` without loss.
pub(super) const SOCKET_QUEUE: usize = 2048;
/// Conversations whose members the hub remembers; past this it forgets them all and reloads
/// on demand.
const MEMBER_CACHE_MAX: usize = 100_000;

/// What the hub hands a socket.
pub enum ToSocket {
    Event(Arc<Outgoing>),
    /// An ephemeral message (typing, presence), already JSON.
    Ephemeral(Arc<str>),
}

pub(super) struct SocketEntry {
    /// Set when its queue overflowed: nothing more is queued (the socket was told to reconnect
    /// and resumes from its last `seq`), so no event can slip in after the gap.
    pub dead: std::sync::atomic::AtomicBool,
    pub user_id: UserId,
    pub credential_hash: String,
    pub memberships: Vec<(OrgId, Role)>,
    pub tx: mpsc::Sender<ToSocket>,
    pub close: mpsc::Sender<u16>,
}

#[derive(Default)]
struct Routes {
    sockets: HashMap<u64, SocketEntry>,
    by_user: HashMap<UserId, Vec<u64>>,
    /// Whose presence each socket watches, and the reverse.
    watching: HashMap<u64, Vec<UserId>>,
    watchers: HashMap<UserId, HashSet<u64>>,
}

pub struct Hub {
    /// Highest `seq` routed.
    last_seq: AtomicI64,
    routes: RwLock<Routes>,
    /// Conversation members as the event stream has them, for conversations seen lately.
    members: Mutex<HashMap<ConversationId, Arc<HashSet<UserId>>>>,
    next_socket: AtomicU64,
    /// Serialises routing (events leave in `seq` order) and socket registration.
    deliver_lock: tokio::sync::Mutex<()>,
    pub presence: Presence,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            last_seq: AtomicI64::new(0),
            routes: RwLock::new(Routes::default()),
            members: Mutex::new(HashMap::new()),
            next_socket: AtomicU64::new(1),
            deliver_lock: tokio::sync::Mutex::new(()),
            presence: Presence::default(),
        }
    }
}

impl Hub {
    pub fn connections(&self) -> usize {
        self.routes.read().sockets.len()
    }

    pub fn last_seq(&self) -> i64 {
        self.last_seq.load(Ordering::SeqCst)
    }

    pub(super) fn set_last_seq(&self, seq: i64) {
        self.last_seq.store(seq, Ordering::SeqCst);
    }

    fn close_where(&self, code: u16, pred: impl Fn(&SocketEntry) -> bool) {
        for s in self.routes.read().sockets.values().filter(|s| pred(s)) {
            let _ = s.close.try_send(code);
        }
    }

    pub fn close_user(&self, user_id: UserId, code: u16) {
        self.close_where(code, |s| s.user_id == user_id);
    }

    pub fn close_credential(&self, hash: &str) {
        self.close_where(CLOSE_SESSION_ENDED, |s| s.credential_hash == hash);
    }

    pub fn close_all(&self, code: u16) {
        self.close_where(code, |_| true);
    }

    /// Registers a socket. Every event routed after this call reaches its queue; the returned
    /// `seq` is the last one routed before, which the socket must read from the store itself.
    pub(super) async fn register(&self, entry: SocketEntry) -> (u64, i64) {
        let _guard = self.deliver_lock.lock().await;
        let id = self.next_socket.fetch_add(1, Ordering::Relaxed);
        let mut routes = self.routes.write();
        routes.by_user.entry(entry.user_id).or_default().push(id);
        routes.sockets.insert(id, entry);
        (id, self.last_seq())
    }

    /// Replaces the people whose presence a socket watches.
    pub(super) fn watch(&self, id: u64, users: Vec<UserId>) {
        let mut routes = self.routes.write();
        for u in routes.watching.remove(&id).unwrap_or_default() {
            if let Some(w) = routes.watchers.get_mut(&u) {
                w.remove(&id);
                if w.is_empty() {
                    routes.watchers.remove(&u);
                }
            }
        }
        for u in &users {
            routes.watchers.entry(*u).or_default().insert(id);
        }
        routes.watching.insert(id, users);
    }

    /// Sends presence changes to the sockets watching those people (if they share an
    /// organisation), one message per socket.
    pub(super) fn push_presence(
        &self,
        changes: &HashMap<UserId, (super::presence::State, Vec<OrgId>)>,
    ) {
        let routes = self.routes.read();
        let mut per_socket: HashMap<u64, Vec<serde_json::Value>> = HashMap::new();
        for (user, (state, orgs)) in changes {
            for id in routes.watchers.get(user).into_iter().flatten() {
                let shares = routes
                    .sockets
                    .get(id)
                    .is_some_and(|s| s.memberships.iter().any(|(o, _)| orgs.contains(o)));
                if shares {
                    per_socket
                        .entry(*id)
                        .or_default()
                        .push(serde_json::json!({"user_id": user, "state": state}));
                }
            }
        }
        for (id, list) in per_socket {
            if let Some(s) = routes.sockets.get(&id) {
                let text = serde_json::json!({"type": "presence", "changes": list}).to_string();
                let _ = s.tx.try_send(ToSocket::Ephemeral(text.into()));
            }
        }
    }

    pub(super) fn unregister(&self, id: u64) {
        self.watch(id, Vec::new());
        let mut routes = self.routes.write();
        routes.watching.remove(&id);
        if let Some(s) = routes.sockets.remove(&id) {
            if let Some(list) = routes.by_user.get_mut(&s.user_id) {
                list.retain(|x| *x != id);
                if list.is_empty() {
                    routes.by_user.remove(&s.user_id);
                }
            }
        }
    }

    /// Routes events up to the newest known, reading from the store whatever this node has not
    /// seen (`known` are events the bus just brought, which spare a read when contiguous).
    pub(super) async fn catch_up(&self, state: &AppState, known: &[Event]) -> anyhow::Result<()> {
        let _guard = self.deliver_lock.lock().await;
        let mut last = self.last_seq();
        let mut pending: Vec<&Event> = known.iter().filter(|e| e.seq > last).collect();
        pending.sort_by_key(|e| e.seq);
        let contiguous = pending.first().is_none_or(|e| e.seq == last + 1)
            && pending.windows(2).all(|w| w[1].seq == w[0].seq + 1);
        let fetched;
        let to_send: Vec<&Event> = if contiguous && !pending.is_empty() {
            pending
        } else {
            fetched = state.store.events_after(last, 10_000).await?;
            fetched.iter().collect()
        };
        for e in to_send {
            if e.seq != last + 1 {
                // Only possible if events were pruned under us; skip ahead.
                tracing::warn!(from = last, to = e.seq, "event stream jumped");
            }
            last = e.seq;
            if e.kind == MEMBERS_RESET {
                // Many joined at once (a super group made or widened, an import): read the
                // conversation's members afresh when it is next needed.
                if let Some(cid) = e.audience.conversation_id().or_else(|| reset_target(e)) {
                    self.members.lock().remove(&cid);
                }
            }
            state.rooms.chat_event(e);
            self.route(state, Arc::new(outgoing(e))).await;
            self.last_seq.store(last, Ordering::SeqCst);
        }
        Ok(())
    }

    /// The members of a conversation as the hub knows them (loaded on first use).
    async fn members_of(
        &self,
        state: &AppState,
        id: ConversationId,
    ) -> anyhow::Result<Arc<HashSet<UserId>>> {
        if let Some(m) = self.members.lock().get(&id) {
            return Ok(m.clone());
        }
        let ids: HashSet<UserId> = state
            .store
            .conversation_member_ids(id)
            .await?
            .into_iter()
            .collect();
        let ids = Arc::new(ids);
        let mut cache = self.members.lock();
        if cache.len() >= MEMBER_CACHE_MAX {
            cache.clear();
        }
        cache.insert(id, ids.clone());
        Ok(ids)
    }

    fn update_members(&self, id: ConversationId, f: impl FnOnce(&mut HashSet<UserId>)) {
        if let Some(m) = self.members.lock().get_mut(&id) {
            f(Arc::make_mut(m));
        }
    }

    /// Sends `msg` to the sockets of `users` that belong to `org_id`, or to every socket of the
    /// organisation (optionally only its admins and HR) when `users` is `None`.
    fn send_to(
        &self,
        org_id: Option<OrgId>,
        users: Option<&HashSet<UserId>>,
        admins_only: bool,
        exclude: Option<UserId>,
        msg: impl Fn() -> ToSocket,
    ) {
        let routes = self.routes.read();
        let in_org = |s: &SocketEntry| match org_id {
            None => true,
            Some(org) => s
                .memberships
                .iter()
                .any(|(o, r)| *o == org && (!admins_only || r.is_admin() || *r == Role::Hr)),
        };
        let deliver = |id: &u64, s: &SocketEntry| {
            if Some(s.user_id) == exclude || !in_org(s) || s.dead.load(Ordering::Relaxed) {
                return;
            }
            match s.tx.try_send(msg()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::debug!(socket = id, "socket queue full; asking it to reconnect");
                    s.dead.store(true, Ordering::Relaxed);
                    let _ = s.close.try_send(CLOSE_RECONNECT);
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        };
        match users {
            // Few users: look their sockets up; many: walk the sockets.
            Some(users) if users.len() <= routes.sockets.len() => {
                for u in users {
                    for id in routes.by_user.get(u).into_iter().flatten() {
                        if let Some(s) = routes.sockets.get(id) {
                            deliver(id, s);
                        }
                    }
                }
            }
            Some(users) => {
                for (id, s) in &routes.sockets {
                    if users.contains(&s.user_id) {
                        deliver(id, s);
                    }
                }
            }
            None => {
                for (id, s) in &routes.sockets {
                    deliver(id, s);
                }
            }
        }
    }

    async fn route(&self, state: &AppState, o: Arc<Outgoing>) {
        let msg = || ToSocket::Event(o.clone());
        match &o.audience {
            Audience::User { user_id } => {
                let one: HashSet<UserId> = [*user_id].into();
                self.send_to(None, Some(&one), false, None, msg);
            }
            Audience::Org { org_id } => self.send_to(Some(*org_id), None, false, None, msg),
            Audience::OrgAdmins { org_id } => self.send_to(Some(*org_id), None, true, None, msg),
            Audience::Users { org_id, user_ids } => {
                let some: HashSet<UserId> = user_ids.iter().copied().collect();
                self.send_to(Some(*org_id), Some(&some), false, None, msg);
            }
            Audience::Conversation {
                org_id,
                conversation_id,
            }
            | Audience::ConversationJoin {
                org_id,
                conversation_id,
                ..
            }
            | Audience::ConversationLeave {
                org_id,
                conversation_id,
                ..
            } => {
                let members = match self.members_of(state, *conversation_id).await {
                    Ok(m) => m,
                    Err(e) => {
                        // Sockets of members then miss this event live; they are told to
                        // reconnect so their replay (which reads membership itself) fills it.
                        tracing::warn!(error = %e, "could not read conversation members");
                        self.close_all(CLOSE_RECONNECT);
                        return;
                    }
                };
                match &o.audience {
                    Audience::ConversationJoin { user_id, .. } => {
                        self.update_members(*conversation_id, |m| {
                            m.insert(*user_id);
                        });
                        let mut with = (*members).clone();
                        with.insert(*user_id);
                        self.send_to(Some(*org_id), Some(&with), false, None, msg);
                    }
                    Audience::ConversationLeave { user_id, .. } => {
                        let mut with = (*members).clone();
                        with.insert(*user_id);
                        self.send_to(Some(*org_id), Some(&with), false, None, msg);
                        self.update_members(*conversation_id, |m| {
                            m.remove(user_id);
                        });
                    }
                    _ => self.send_to(Some(*org_id), Some(&members), false, None, msg),
                }
            }
        }
    }

    /// Routes an ephemeral message (typing) to a conversation's members on this node.
    pub(super) async fn route_ephemeral(
        &self,
        state: &AppState,
        audience: &Audience,
        exclude: Option<UserId>,
        text: Arc<str>,
    ) {
        let msg = || ToSocket::Ephemeral(text.clone());
        match audience {
            Audience::Conversation {
                org_id,
                conversation_id,
            } => {
                // Read under the routing lock so the member view matches the event order.
                let _guard = self.deliver_lock.lock().await;
                if let Ok(members) = self.members_of(state, *conversation_id).await {
                    self.send_to(Some(*org_id), Some(&members), false, exclude, msg);
                }
            }
            Audience::Org { org_id } => self.send_to(Some(*org_id), None, false, exclude, msg),
            Audience::Users { org_id, user_ids } => {
                let some: HashSet<UserId> = user_ids.iter().copied().collect();
                self.send_to(Some(*org_id), Some(&some), false, exclude, msg);
            }
            Audience::User { user_id } => {
                let one: HashSet<UserId> = [*user_id].into();
                self.send_to(None, Some(&one), false, exclude, msg);
            }
            _ => {}
        }
    }
}

/// The event kind that says many people joined a conversation at once, without one
/// `ConversationJoin` each; its payload names the conversation.
pub const MEMBERS_RESET: &str = "chat.members.reset";

fn reset_target(e: &Event) -> Option<ConversationId> {
    let v: serde_json::Value = serde_json::from_str(&e.payload).ok()?;
    v["conversation_id"].as_str()?.parse().ok()
}

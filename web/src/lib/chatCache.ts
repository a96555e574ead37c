// Chat state outside React: query keys, the message window kept per conversation, messages on
// their way to the server (optimistic, with retry), who is typing, and how realtime `chat.*`
// events change the react-query caches. Pure functions where possible (tested in
// chatCache.test.ts); the stores are tiny subscribe/snapshot objects for useSyncExternalStore.

import type { QueryClient } from '@tanstack/react-query';
import type {
  Attachment,
  ChatReminder,
  ChatStatus,
  Conversation,
  ConversationMember,
  Me,
  Message,
  NewMessage,
  Presence,
  PresenceMessage,
  Quote,
  ReadStatusMessage,
  Thread,
  TypingMessage,
} from '../api/types';
import { inDnd, notificationText, shouldNotify, showInAppNotification } from './notifications';

export const chatKeys = {
  all: (orgId: string) => ['chat', orgId] as const,
  conversations: (orgId: string) => ['chat', orgId, 'conversations'] as const,
  conversation: (orgId: string, cid: string) => ['chat', orgId, 'conversation', cid] as const,
  messages: (orgId: string, cid: string) => ['chat', orgId, 'messages', cid] as const,
  thread: (orgId: string, rootId: string) => ['chat', orgId, 'thread', rootId] as const,
  members: (orgId: string, cid: string) => ['chat', orgId, 'members', cid] as const,
  pins: (orgId: string, cid: string) => ['chat', orgId, 'pins', cid] as const,
  channels: (orgId: string, q: string) => ['chat', orgId, 'channels', q] as const,
  presence: (orgId: string) => ['chat', orgId, 'presence'] as const,
  scheduled: (orgId: string) => ['chat', orgId, 'scheduled'] as const,
  edits: (orgId: string, mid: string) => ['chat', orgId, 'edits', mid] as const,
};

/** The part of a conversation's channel view that is loaded: one contiguous run of messages. */
export interface MessageWindow {
  /** Ascending `seq`, channel view only (top level and replies sent "also to channel"). */
  messages: Message[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
  /** Virtuoso's `firstItemIndex`: lowered by the number of messages each older page prepends,
   * so the list keeps its scroll position. */
  firstIndex: number;
  /** Bumped when the window is replaced by another run of messages ("jump to latest"): the list
   * starts over instead of pretending the new run continues the old one. */
  epoch: number;
  /** The message this run was loaded around to show (a search result): the list starts there. */
  focusSeq?: number;
}

export const FIRST_INDEX = 1_000_000_000;

/** Whether a message shows in the conversation's main list. */
export function inChannelView(m: Message): boolean {
  return !m.thread_root_id || m.also_in_channel;
}

/** Union by id, newer copy wins, ascending seq. */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.seq - b.seq);
}

/** Drops messages the retention purge deleted (`chat.messages.purged`). They are the oldest, at
 * the top of the list: `firstIndex` moves down by as many, so the list keeps its position. */
export function windowWithoutPurged(w: MessageWindow, ids: ReadonlySet<string>): MessageWindow {
  const messages = w.messages.filter((m) => !ids.has(m.id));
  const removed = w.messages.length - messages.length;
  return removed === 0 ? w : { ...w, messages, firstIndex: w.firstIndex + removed };
}

/** Prepends an older page; `firstIndex` moves by the number of messages that are new. */
export function prependPage(w: MessageWindow, older: readonly Message[], hasMoreBefore: boolean): MessageWindow {
  const merged = mergeMessages(w.messages, older);
  return { ...w, messages: merged, hasMoreBefore, firstIndex: w.firstIndex - (merged.length - w.messages.length) };
}

export function appendPage(w: MessageWindow, newer: readonly Message[], hasMoreAfter: boolean): MessageWindow {
  return { ...w, messages: mergeMessages(w.messages, newer), hasMoreAfter };
}

/** A live message: appended only when the window already reaches the newest message. */
export function windowWithCreated(w: MessageWindow, m: Message): MessageWindow {
  if (!inChannelView(m) || w.hasMoreAfter) return w;
  if (w.messages.some((x) => x.id === m.id)) return windowWithUpdated(w, m);
  return { ...w, messages: mergeMessages(w.messages, [m]) };
}

export function windowWithUpdated(w: MessageWindow, m: Message): MessageWindow {
  const i = w.messages.findIndex((x) => x.id === m.id);
  if (i < 0) return w;
  const messages = w.messages.slice();
  messages[i] = m;
  return { ...w, messages };
}

export function threadWithMessage(t: Thread, m: Message): Thread {
  if (m.id === t.root.id) return { ...t, root: m };
  if (m.thread_root_id !== t.root.id) return t;
  return { ...t, replies: mergeMessages(t.replies, [m]) };
}

/** Whether a message from someone else mentions `userId` (by name, @here or @channel). */
export function mentionsUser(m: Message, userId: string): boolean {
  return m.mentions.includes(userId) || m.mention_here || m.mention_channel;
}

/** The sidebar after a new message: newest activity first; unread counts rise for messages by
 * others that the person is not looking at. */
export function conversationsWithCreated(
  list: readonly Conversation[],
  m: Message,
  meId: string | undefined,
  shown: boolean,
): Conversation[] | null {
  const i = list.findIndex((c) => c.id === m.conversation_id);
  if (i < 0) return null;
  const c = list[i]!;
  const counts = inChannelView(m) && m.author.id !== meId && !shown && m.seq > c.last_read_seq;
  const updated: Conversation = {
    ...c,
    last_seq: Math.max(c.last_seq, m.seq),
    last_message_at: m.created_at,
    unread_count: c.unread_count + (counts ? 1 : 0),
    mention_count: c.mention_count + (counts && meId && mentionsUser(m, meId) ? 1 : 0),
    last_read_seq: m.author.id === meId ? Math.max(c.last_read_seq, m.seq) : c.last_read_seq,
  };
  const rest = list.filter((_, j) => j !== i);
  return [updated, ...rest];
}

/** Our read position moved (this device or another one). */
export function conversationsWithRead(list: readonly Conversation[], cid: string, seq: number): Conversation[] | null {
  const i = list.findIndex((c) => c.id === cid);
  if (i < 0) return null;
  const c = list[i]!;
  if (seq <= c.last_read_seq) return list.slice();
  const all = seq >= c.last_seq;
  const next = list.slice();
  next[i] = {
    ...c,
    last_read_seq: seq,
    unread_count: all ? 0 : c.unread_count,
    mention_count: all ? 0 : c.mention_count,
  };
  return next;
}

/** A conversation.updated event carries no per-member fields: keep ours. */
export function mergeConversation(local: Conversation | undefined, incoming: Conversation): Conversation {
  if (!local) return incoming;
  return {
    ...incoming,
    is_member: local.is_member,
    my_role: local.my_role,
    last_read_seq: local.last_read_seq,
    unread_count: local.unread_count,
    mention_count: local.mention_count,
    muted: local.muted,
  };
}

// ---------------------------------------------------------------------------------------------
// Small external stores

class Store<T> {
  private listeners = new Set<() => void>();
  constructor(private value: T) {}
  get = (): T => this.value;
  set(next: T): void {
    this.value = next;
    for (const l of this.listeners) l();
  }
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
}

/** A message the server has not acknowledged yet. `request.client_key` is made once and reused
 * by every retry, so the server keeps one copy however often it is sent. */
export interface PendingMessage {
  orgId: string;
  request: NewMessage;
  conversationId: string;
  author: { id: string; name: string; avatar_url: string | null };
  attachments: Attachment[];
  quote: Quote | null;
  createdAt: string;
  status: 'sending' | 'failed';
  error?: unknown;
}

export const pendingStore = new Store<readonly PendingMessage[]>([]);

export function upsertPending(p: PendingMessage): void {
  const list = pendingStore.get().filter((x) => x.request.client_key !== p.request.client_key);
  pendingStore.set([...list, p]);
}

export function removePending(clientKey: string): void {
  const list = pendingStore.get();
  if (list.some((x) => x.request.client_key === clientKey)) {
    pendingStore.set(list.filter((x) => x.request.client_key !== clientKey));
  }
}

export const TYPING_SHOW_MS = 5_000;

/** `${conversation}|${threadRoot}` → user id → until (ms). */
export type TypingState = ReadonlyMap<string, ReadonlyMap<string, number>>;

export const typingStore = new Store<TypingState>(new Map());

/** Read counts of announcements (message id → read / total), from `read-status` and the live
 * `read_status` pushes. */
export type ReadCounts = ReadonlyMap<string, { read: number; total: number }>;
export const readCountStore = new Store<ReadCounts>(new Map());

/** The message just opened from a search result: its row lights up once (kept in a store, not
 * on the DOM node, because the list remounts rows while it measures them). */
export const flashStore = new Store<string | null>(null);

export function withReadCounts(state: ReadCounts, items: readonly { message_id: string; read: number; total: number }[]): ReadCounts {
  if (!items.length) return state;
  const next = new Map(state);
  for (const i of items) next.set(i.message_id, { read: i.read, total: i.total });
  return next;
}

export function applyReadStatus(msg: ReadStatusMessage): void {
  readCountStore.set(withReadCounts(readCountStore.get(), msg.messages));
}

/** Reminders to read announcements that arrived while signed in, newest last. */
export interface PendingReminder extends ChatReminder {
  orgId: string;
}
export const reminderStore = new Store<readonly PendingReminder[]>([]);

export function dismissReminder(messageId: string): void {
  reminderStore.set(reminderStore.get().filter((r) => r.message_id !== messageId));
}

export function typingKey(cid: string, threadRootId: string | null | undefined): string {
  return `${cid}|${threadRootId ?? ''}`;
}

export function withTyping(state: TypingState, msg: TypingMessage, now: number): Map<string, Map<string, number>> {
  const next = new Map<string, Map<string, number>>();
  for (const [k, users] of state) {
    const live = new Map([...users].filter(([, until]) => until > now));
    if (live.size) next.set(k, live);
  }
  const key = typingKey(msg.conversation_id, msg.thread_root_id);
  const users = next.get(key) ?? new Map<string, number>();
  users.set(msg.user_id, now + TYPING_SHOW_MS);
  next.set(key, users);
  return next;
}

export function withoutTyping(state: TypingState, cid: string, threadRootId: string | null, userId: string): TypingState {
  const key = typingKey(cid, threadRootId);
  const users = state.get(key);
  if (!users?.has(userId)) return state;
  const next = new Map(state);
  const u = new Map(users);
  u.delete(userId);
  next.set(key, u);
  return next;
}

export function typersNow(state: TypingState, key: string, now: number, exceptUserId?: string): string[] {
  const users = state.get(key);
  if (!users) return [];
  return [...users].filter(([id, until]) => until > now && id !== exceptUserId).map(([id]) => id);
}

/** The conversation on screen, so live messages there do not count as unread while the window
 * has focus (the read tracker marks them read instead). */
let openConversation: string | null = null;

export function setOpenConversation(cid: string | null): void {
  openConversation = cid;
}

export function presenceWithStatus(list: readonly Presence[], userId: string, status: ChatStatus): Presence[] {
  const fields = { status_text: status.text, status_emoji: status.emoji, status_expires_at: status.expires_at };
  const i = list.findIndex((p) => p.user_id === userId);
  if (i < 0) return [...list, { user_id: userId, state: 'offline', dnd: false, ...fields }];
  const next = list.slice();
  next[i] = { ...next[i]!, ...fields };
  return next;
}

export function presenceWithChanges(list: readonly Presence[], msg: PresenceMessage): Presence[] {
  const next = list.slice();
  for (const change of msg.changes) {
    const i = next.findIndex((p) => p.user_id === change.user_id);
    if (i >= 0) next[i] = { ...next[i]!, state: change.state };
    else next.push({ user_id: change.user_id, state: change.state, status_text: '', status_emoji: '', status_expires_at: null, dnd: false });
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Realtime → caches

interface ChatEvent {
  kind: string;
  org_id?: string;
  data: unknown;
}

/** A browser notification while the tab is hidden, by the same rules as Web Push. */
function notifyHidden(qc: QueryClient, orgId: string, c: Conversation | undefined, m: Message): void {
  const me = qc.getQueryData<Me | null>(['me']);
  if (!me || !c || typeof document === 'undefined' || !document.hidden) return;
  if (!shouldNotify(c, m, me.user.id)) return;
  if (inDnd(me.chat_status.dnd_start, me.chat_status.dnd_end, me.user.time_zone, new Date())) return;
  const names: Record<string, string> = {};
  for (const u of c.members) names[u.id] = u.name;
  const channel = c.kind === 'public' || c.kind === 'private';
  const title = c.kind === 'dm' ? m.author.name : channel ? `#${c.name ?? ''}` : c.topic.trim() || m.author.name;
  const text = m.body.trim() ? m.body : '📎';
  const body = notificationText(c.kind === 'dm' ? text : `${m.author.name}: ${text}`, names);
  showInAppNotification(title, body, c.id, `/o/${orgId}/chat/${c.id}`);
}

function hasFocus(): boolean {
  return typeof document !== 'undefined' && document.hasFocus();
}

/** Applies one `chat.*` event to the caches; returns false for kinds it does not know. */
export function applyChatEvent(qc: QueryClient, event: ChatEvent): boolean {
  const orgId = event.org_id;
  if (!orgId || !event.kind.startsWith('chat.')) return false;
  const meId = qc.getQueryData<Me | null>(['me'])?.user.id;
  // A purged message's retained events are replaced by `{id, conversation_id, seq, purged}`:
  // nothing to show (the `chat.messages.purged` that follows drops any cached copy).
  if (event.kind.startsWith('chat.message.') && (event.data as { purged?: boolean } | null)?.purged) return true;
  switch (event.kind) {
    case 'chat.message.created': {
      const m = event.data as Message;
      removePending(m.client_key);
      const typing = withoutTyping(typingStore.get(), m.conversation_id, m.thread_root_id, m.author.id);
      if (typing !== typingStore.get()) typingStore.set(typing);
      qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, m.conversation_id), (w) => (w ? windowWithCreated(w, m) : w));
      if (m.thread_root_id) {
        qc.setQueryData<Thread>(chatKeys.thread(orgId, m.thread_root_id), (t) => (t ? threadWithMessage(t, m) : t));
      }
      const shown = openConversation === m.conversation_id && hasFocus();
      const list = qc.getQueryData<Conversation[]>(chatKeys.conversations(orgId));
      const next = list ? conversationsWithCreated(list, m, meId, shown) : null;
      if (next) qc.setQueryData(chatKeys.conversations(orgId), next);
      else if (list) void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
      notifyHidden(qc, orgId, list?.find((c) => c.id === m.conversation_id), m);
      return true;
    }
    case 'chat.message.updated': {
      const m = event.data as Message;
      qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, m.conversation_id), (w) => (w ? windowWithUpdated(w, m) : w));
      qc.setQueryData<Thread>(chatKeys.thread(orgId, m.id), (t) => (t ? threadWithMessage(t, m) : t));
      if (m.thread_root_id) {
        qc.setQueryData<Thread>(chatKeys.thread(orgId, m.thread_root_id), (t) => (t ? threadWithMessage(t, m) : t));
      }
      void qc.invalidateQueries({ queryKey: chatKeys.pins(orgId, m.conversation_id) });
      return true;
    }
    case 'chat.messages.purged': {
      const p = event.data as { conversation_id: string; before_seq: number; message_ids: string[] };
      const ids = new Set(p.message_ids);
      qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, p.conversation_id), (w) => (w ? windowWithoutPurged(w, ids) : w));
      for (const id of ids) qc.removeQueries({ queryKey: chatKeys.thread(orgId, id) });
      void qc.invalidateQueries({ queryKey: chatKeys.pins(orgId, p.conversation_id) });
      return true;
    }
    case 'chat.conversation.updated': {
      const c = event.data as Conversation;
      const list = qc.getQueryData<Conversation[]>(chatKeys.conversations(orgId));
      if (list) {
        const i = list.findIndex((x) => x.id === c.id);
        if (i >= 0) {
          const next = list.slice();
          next[i] = mergeConversation(list[i], c);
          qc.setQueryData(chatKeys.conversations(orgId), next);
        } else {
          void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
        }
      }
      qc.setQueryData<Conversation>(chatKeys.conversation(orgId, c.id), (local) => (local ? mergeConversation(local, c) : local));
      void qc.invalidateQueries({ queryKey: ['chat', orgId, 'channels'] });
      return true;
    }
    case 'chat.member.joined':
    case 'chat.member.left': {
      const d = event.data as { conversation_id: string; user_id: string };
      // Member counts (and, for the person themself, the list) change.
      void qc.invalidateQueries({ queryKey: chatKeys.members(orgId, d.conversation_id) });
      void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
      void qc.invalidateQueries({ queryKey: chatKeys.conversation(orgId, d.conversation_id) });
      return true;
    }
    case 'chat.read': {
      const d = event.data as { conversation_id: string; user_id: string; seq: number };
      if (d.user_id === meId) {
        const list = qc.getQueryData<Conversation[]>(chatKeys.conversations(orgId));
        const next = list ? conversationsWithRead(list, d.conversation_id, d.seq) : null;
        if (next) qc.setQueryData(chatKeys.conversations(orgId), next);
      }
      qc.setQueryData<ConversationMember[]>(chatKeys.members(orgId, d.conversation_id), (members) =>
        members?.map((m) => (m.user.id === d.user_id && d.seq > m.last_read_seq ? { ...m, last_read_seq: d.seq } : m)),
      );
      return true;
    }
    case 'chat.scheduled.updated':
      void qc.invalidateQueries({ queryKey: chatKeys.scheduled(orgId) });
      return true;
    case 'chat.status.updated': {
      // Someone's status text/emoji changed; whether they are in do-not-disturb hours now is
      // the server's to say, so the list is fetched again too.
      const d = event.data as { user_id: string; status: ChatStatus };
      qc.setQueryData<Presence[]>(chatKeys.presence(orgId), (list) => (list ? presenceWithStatus(list, d.user_id, d.status) : list));
      void qc.invalidateQueries({ queryKey: chatKeys.presence(orgId) });
      return true;
    }
    case 'chat.settings.updated': {
      // My own settings of a conversation, changed on another device.
      const d = event.data as { conversation_id: string; muted: boolean };
      qc.setQueryData<Conversation[]>(chatKeys.conversations(orgId), (list) =>
        list?.map((c) => (c.id === d.conversation_id ? { ...c, muted: d.muted } : c)),
      );
      return true;
    }
    case 'chat.channel.created':
      void qc.invalidateQueries({ queryKey: ['chat', orgId, 'channels'] });
      return true;
    case 'chat.members.reset': {
      // Many people joined a group at once (an org-wide group made or widened): everyone in
      // the organisation hears of it, so the refetches are spread over a few seconds.
      const d = event.data as { conversation_id: string };
      setTimeout(() => {
        void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
        void qc.invalidateQueries({ queryKey: chatKeys.conversation(orgId, d.conversation_id) });
        void qc.invalidateQueries({ queryKey: chatKeys.members(orgId, d.conversation_id) });
      }, Math.random() * 5000);
      return true;
    }
    case 'chat.member.role': {
      const d = event.data as { conversation_id: string };
      void qc.invalidateQueries({ queryKey: chatKeys.members(orgId, d.conversation_id) });
      void qc.invalidateQueries({ queryKey: chatKeys.conversation(orgId, d.conversation_id) });
      void qc.invalidateQueries({ queryKey: chatKeys.conversations(orgId) });
      return true;
    }
    case 'chat.reminder': {
      const d = event.data as ChatReminder;
      reminderStore.set([...reminderStore.get().filter((r) => r.message_id !== d.message_id), { ...d, orgId }].slice(-5));
      return true;
    }
    default:
      return false;
  }
}

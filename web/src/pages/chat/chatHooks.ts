// React-query hooks and actions of the chat screen. Caches and realtime rules live in
// lib/chatCache.ts (shared with the socket handler); this file is what components call.

import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import * as ep from '../../api/chatEndpoints';
import { listMembers } from '../../api/endpoints';
import type { Attachment, Conversation, Message, NewMessage, Presence, Quote, UserRef } from '../../api/types';
import {
  appendPage,
  chatKeys,
  conversationsWithRead,
  FIRST_INDEX,
  pendingStore,
  prependPage,
  presenceWithChanges,
  removePending,
  threadWithMessage,
  typersNow,
  typingKey,
  typingStore,
  upsertPending,
  windowWithCreated,
  withTyping,
  type MessageWindow,
  type PendingMessage,
} from '../../lib/chatCache';
import { sendRealtime, subscribeRealtime } from '../../lib/realtimeHub';

export const PAGE_SIZE = 50;

export function useConversations(orgId: string) {
  return useQuery({
    queryKey: chatKeys.conversations(orgId),
    queryFn: () => ep.listConversations(orgId),
    staleTime: 60_000,
  });
}

/** One conversation: from the sidebar list when the caller is a member, else fetched (a public
 * channel opened from "browse"). */
export function useConversation(orgId: string, cid: string | undefined) {
  const list = useConversations(orgId).data;
  const fromList = cid ? list?.find((c) => c.id === cid) : undefined;
  const single = useQuery({
    queryKey: chatKeys.conversation(orgId, cid ?? ''),
    queryFn: () => ep.getConversation(orgId, cid!),
    enabled: !!cid && !!list && !fromList,
  });
  return { conversation: fromList ?? single.data, isPending: !fromList && (single.isPending || !list), error: fromList ? null : single.error };
}

/** The title of a conversation: `#name` for channels, the other people's names otherwise. */
export function conversationTitle(c: Conversation, meId: string): string {
  if (c.name) return c.name;
  // A meeting's chat is named after its meeting.
  if (c.kind === 'meeting') return c.topic;
  const others = c.members.filter((m) => m.id !== meId);
  if (others.length === 0) return c.members[0]?.name ?? '';
  return others.map((m) => m.name).join(', ');
}

export function isChannel(c: Conversation): boolean {
  return c.kind === 'public' || c.kind === 'private';
}

/** The other person of a DM. */
export function dmPartner(c: Conversation, meId: string): UserRef | undefined {
  return c.kind === 'dm' ? c.members.find((m) => m.id !== meId) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The message window

async function initialWindow(orgId: string, c: Conversation): Promise<MessageWindow> {
  const jumpToUnread = c.is_member && c.unread_count > 0 && c.last_read_seq < c.last_seq;
  const page = await ep.listMessages(orgId, c.id, jumpToUnread ? { around: c.last_read_seq + 1, limit: PAGE_SIZE } : { limit: PAGE_SIZE });
  return { messages: page.messages, hasMoreBefore: page.has_more_before, hasMoreAfter: page.has_more_after, firstIndex: FIRST_INDEX, epoch: 0 };
}

export function useMessageWindow(orgId: string, c: Conversation | undefined) {
  const qc = useQueryClient();
  const cid = c?.id ?? '';
  const query = useQuery({
    queryKey: chatKeys.messages(orgId, cid),
    queryFn: () => initialWindow(orgId, c!),
    enabled: !!c,
    staleTime: Infinity, // kept current by realtime events
  });
  const busy = useRef({ older: false, newer: false });
  const [loading, setLoading] = useState<'older' | 'newer' | null>(null);

  const loadOlder = useCallback(async () => {
    const w = qc.getQueryData<MessageWindow>(chatKeys.messages(orgId, cid));
    if (!w || !w.hasMoreBefore || busy.current.older || !w.messages[0]) return;
    busy.current.older = true;
    setLoading('older');
    try {
      const page = await ep.listMessages(orgId, cid, { before: w.messages[0].seq, limit: PAGE_SIZE });
      qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, cid), (cur) => (cur ? prependPage(cur, page.messages, page.has_more_before) : cur));
    } finally {
      busy.current.older = false;
      setLoading(null);
    }
  }, [qc, orgId, cid]);

  const loadNewer = useCallback(async () => {
    const w = qc.getQueryData<MessageWindow>(chatKeys.messages(orgId, cid));
    const last = w?.messages[w.messages.length - 1];
    if (!w || !w.hasMoreAfter || busy.current.newer || !last) return;
    busy.current.newer = true;
    setLoading('newer');
    try {
      const page = await ep.listMessages(orgId, cid, { after: last.seq, limit: PAGE_SIZE });
      qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, cid), (cur) => (cur ? appendPage(cur, page.messages, page.has_more_after) : cur));
    } finally {
      busy.current.newer = false;
      setLoading(null);
    }
  }, [qc, orgId, cid]);

  /** Replaces the window with the newest page (the "jump to latest" button). */
  const loadLatest = useCallback(async () => {
    const page = await ep.listMessages(orgId, cid, { limit: PAGE_SIZE });
    const prev = qc.getQueryData<MessageWindow>(chatKeys.messages(orgId, cid));
    qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, cid), {
      messages: page.messages,
      hasMoreBefore: page.has_more_before,
      hasMoreAfter: false,
      firstIndex: FIRST_INDEX,
      epoch: (prev?.epoch ?? 0) + 1,
    });
  }, [qc, orgId, cid]);

  return { ...query, loadOlder, loadNewer, loadLatest, loading };
}

// ---------------------------------------------------------------------------------------------
// Sending, with the pending → sent / failed life of a message

export function usePending(cid: string, threadRootId: string | null): PendingMessage[] {
  const all = useSyncExternalStore(pendingStore.subscribe, pendingStore.get);
  return useMemo(
    () => all.filter((p) => p.conversationId === cid && (p.request.thread_root_id ?? null) === threadRootId),
    [all, cid, threadRootId],
  );
}

/** Inserts a message the server acknowledged into the caches it belongs to. */
export function insertMessage(qc: QueryClient, orgId: string, m: Message): void {
  qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, m.conversation_id), (w) => (w ? windowWithCreated(w, m) : w));
  if (m.thread_root_id) {
    qc.setQueryData(chatKeys.thread(orgId, m.thread_root_id), (t: Parameters<typeof threadWithMessage>[0] | undefined) =>
      t ? threadWithMessage(t, m) : t,
    );
  }
}

export function updateMessage(qc: QueryClient, orgId: string, m: Message): void {
  qc.setQueryData<MessageWindow>(chatKeys.messages(orgId, m.conversation_id), (w) => {
    if (!w) return w;
    const i = w.messages.findIndex((x) => x.id === m.id);
    if (i < 0) return w;
    const messages = w.messages.slice();
    messages[i] = m;
    return { ...w, messages };
  });
  qc.setQueryData(chatKeys.thread(orgId, m.id), (t: Parameters<typeof threadWithMessage>[0] | undefined) => (t ? threadWithMessage(t, m) : t));
  if (m.thread_root_id) {
    qc.setQueryData(chatKeys.thread(orgId, m.thread_root_id), (t: Parameters<typeof threadWithMessage>[0] | undefined) =>
      t ? threadWithMessage(t, m) : t,
    );
  }
}

/** Sends (or re-sends, with the same client_key) a pending message. */
export async function deliver(qc: QueryClient, p: PendingMessage): Promise<void> {
  upsertPending({ ...p, status: 'sending', error: undefined });
  try {
    const m = await ep.postMessage(p.orgId, p.conversationId, p.request);
    removePending(p.request.client_key);
    insertMessage(qc, p.orgId, m);
  } catch (error) {
    // Still pending? (The socket may have delivered it already.)
    if (pendingStore.get().some((x) => x.request.client_key === p.request.client_key)) {
      upsertPending({ ...p, status: 'failed', error });
    }
  }
}

export function newClientKey(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Old browsers: RFC 4122 v4 from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function makePending(args: {
  orgId: string;
  conversationId: string;
  author: UserRef;
  body: string;
  threadRootId?: string | null;
  alsoToChannel?: boolean;
  attachments?: Attachment[];
  quote?: Quote | null;
  forwardOf?: string;
}): PendingMessage {
  const request: NewMessage = { client_key: newClientKey(), body: args.body };
  if (args.threadRootId) request.thread_root_id = args.threadRootId;
  if (args.alsoToChannel) request.also_to_channel = true;
  if (args.attachments?.length) request.attachment_ids = args.attachments.map((a) => a.id);
  if (args.quote) request.quote_of = args.quote.message_id;
  if (args.forwardOf) request.forward_of = args.forwardOf;
  return {
    orgId: args.orgId,
    request,
    conversationId: args.conversationId,
    author: args.author,
    attachments: args.attachments ?? [],
    quote: args.quote ?? null,
    createdAt: new Date().toISOString(),
    status: 'sending',
  };
}

/** Marks the conversation read up to `seq` and moves the sidebar's counts at once. */
export async function markConversationRead(qc: QueryClient, orgId: string, cid: string, seq: number): Promise<void> {
  const list = qc.getQueryData<Conversation[]>(chatKeys.conversations(orgId));
  const next = list ? conversationsWithRead(list, cid, seq) : null;
  if (next) qc.setQueryData(chatKeys.conversations(orgId), next);
  await ep.markRead(orgId, cid, seq);
}

// ---------------------------------------------------------------------------------------------
// People: names, presence, typing

/** Everyone whose name the chat may need: the organisation's active members (first 200) plus
 * anyone met in conversations and messages. */
export function useOrgPeople(orgId: string, enabled: boolean) {
  return useQuery({
    enabled,
    queryKey: ['members', orgId, 'chat-directory'],
    queryFn: () => listMembers(orgId, { limit: 200, status: 'active' }),
    staleTime: 5 * 60_000,
  });
}

/** The server pushes presence only for people a socket watches: at most this many. */
export const MAX_WATCHED = 1_000;

/**
 * Presence and status of the organisation's people: `GET …/presence` once, then live changes of
 * the people in `watch` (sent as `watch_presence`, again whenever the list changes or the socket
 * reopens). Typing signals come through the same subscription.
 */
export function usePresence(orgId: string, watch: readonly string[]) {
  const qc = useQueryClient();
  const query = useQuery({ queryKey: chatKeys.presence(orgId), queryFn: () => ep.listPresence(orgId), staleTime: 60_000 });
  const watched = useMemo(() => [...new Set(watch)].sort().slice(0, MAX_WATCHED), [watch]);
  const watchKey = watched.join(',');
  const watchedRef = useRef(watched);
  watchedRef.current = watched;

  useEffect(
    () =>
      subscribeRealtime({
        onEphemeral: (msg) => {
          // The answer to watch_presence carries no org_id; changes are about people, not orgs.
          if (msg.type === 'presence' && (!msg.org_id || msg.org_id === orgId)) {
            qc.setQueryData<Presence[]>(chatKeys.presence(orgId), (list) => presenceWithChanges(list ?? [], msg));
          }
          if (msg.type === 'typing' && msg.org_id === orgId) typingStore.set(withTyping(typingStore.get(), msg, Date.now()));
        },
        // After a reconnect: watch again, and re-read statuses that may have moved meanwhile.
        onOpen: () => {
          sendRealtime({ type: 'watch_presence', user_ids: watchedRef.current });
          void qc.invalidateQueries({ queryKey: chatKeys.presence(orgId) });
        },
      }),
    [qc, orgId],
  );
  useEffect(() => {
    if (watchKey) sendRealtime({ type: 'watch_presence', user_ids: watchedRef.current });
  }, [watchKey]);
  // Leaving the chat screen: stop the pushes.
  useEffect(() => () => void sendRealtime({ type: 'watch_presence', user_ids: [] }), []);

  return useMemo(() => new Map((query.data ?? []).map((p) => [p.user_id, p])), [query.data]);
}

/** User ids typing in a conversation (or thread), re-evaluated as the 5 s windows run out. */
export function useTypers(cid: string, threadRootId: string | null, meId: string): string[] {
  const state = useSyncExternalStore(typingStore.subscribe, typingStore.get);
  const [now, setNow] = useState(() => Date.now());
  const key = typingKey(cid, threadRootId);
  const typers = typersNow(state, key, now, meId);
  const stateHas = typersNow(state, key, Date.now(), meId).length > 0;
  useEffect(() => {
    setNow(Date.now());
    if (!stateHas) return;
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, [state, stateHas]);
  return typers;
}

import { describe, expect, it } from 'vitest';
import { QueryClient } from '@tanstack/react-query';
import type { Conversation, Message } from '../api/types';
import {
  applyChatEvent,
  chatKeys,
  conversationsWithCreated,
  conversationsWithRead,
  FIRST_INDEX,
  mergeConversation,
  pendingStore,
  prependPage,
  presenceWithChanges,
  presenceWithStatus,
  typersNow,
  typingKey,
  upsertPending,
  windowWithCreated,
  withTyping,
  type MessageWindow,
} from './chatCache';

const ME = 'u-me';
const OTHER = 'u-other';

function msg(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `m${seq}`,
    conversation_id: 'c1',
    seq,
    client_key: `k${seq}`,
    author: { id: OTHER, name: 'Rina', avatar_url: null },
    body: `pesan ${seq}`,
    mentions: [],
    mention_here: false,
    mention_channel: false,
    thread_root_id: null,
    also_in_channel: true,
    reply_count: 0,
    last_reply_at: null,
    reactions: [],
    attachments: [],
    quote: null,
    forwarded: null,
    pinned: false,
    created_at: '2026-11-23T01:00:00Z',
    edited_at: null,
    deleted: false,
    interactive: null,
    poll: null,
    ...over,
  };
}

function conv(over: Partial<Conversation> = {}): Conversation {
  return {
    id: 'c1',
    kind: 'public',
    name: 'umum',
    topic: '',
    description: '',
    member_count: 2,
    members: [],
    archived: false,
    created_at: '2026-11-23T00:00:00Z',
    last_seq: 10,
    last_message_at: null,
    is_member: true,
    my_role: 'member',
    last_read_seq: 10,
    unread_count: 0,
    mention_count: 0,
    muted: false,
    notify: 'default',
    read_receipts: false,
    org_wide: false,
    announcement: false,
    slow_mode_secs: 0,
    mention_limit: 0,
    ...over,
  };
}

const win = (seqs: number[], over: Partial<MessageWindow> = {}): MessageWindow => ({
  messages: seqs.map((s) => msg(s)),
  hasMoreBefore: true,
  hasMoreAfter: false,
  firstIndex: FIRST_INDEX,
  epoch: 0,
  ...over,
});

describe('message window', () => {
  it('prepending an older page moves firstIndex by the number of new messages', () => {
    const w = prependPage(win([5, 6, 7]), [msg(3), msg(4), msg(5)], false);
    expect(w.messages.map((m) => m.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(w.firstIndex).toBe(FIRST_INDEX - 2);
    expect(w.hasMoreBefore).toBe(false);
  });

  it('live messages append only when the window reaches the newest, and never twice', () => {
    expect(windowWithCreated(win([1, 2]), msg(3)).messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(windowWithCreated(win([1, 2], { hasMoreAfter: true }), msg(3)).messages).toHaveLength(2);
    const twice = windowWithCreated(windowWithCreated(win([1]), msg(2)), msg(2, { body: 'diedit' }));
    expect(twice.messages.map((m) => m.body)).toEqual(['pesan 1', 'diedit']);
  });

  it('thread replies stay out of the channel unless also sent there', () => {
    const reply = msg(3, { thread_root_id: 'm1', also_in_channel: false });
    expect(windowWithCreated(win([1]), reply).messages).toHaveLength(1);
    expect(windowWithCreated(win([1]), { ...reply, also_in_channel: true }).messages).toHaveLength(2);
  });
});

describe('sidebar counts', () => {
  it('messages by others count as unread unless shown; mentions count too', () => {
    const list = [conv({ id: 'c0' }), conv()];
    const next = conversationsWithCreated(list, msg(11, { mentions: [ME] }), ME, false)!;
    expect(next[0]!.id).toBe('c1'); // newest activity first
    expect([next[0]!.unread_count, next[0]!.mention_count, next[0]!.last_seq]).toEqual([1, 1, 11]);
    const shown = conversationsWithCreated(list, msg(11), ME, true)!;
    expect(shown[0]!.unread_count).toBe(0);
  });

  it('my own messages do not count and move my read position', () => {
    const next = conversationsWithCreated([conv()], msg(11, { author: { id: ME, name: 'Budi', avatar_url: null } }), ME, false)!;
    expect([next[0]!.unread_count, next[0]!.last_read_seq]).toEqual([0, 11]);
  });

  it('an unknown conversation asks for a refetch (null)', () => {
    expect(conversationsWithCreated([conv()], msg(1, { conversation_id: 'new' }), ME, false)).toBeNull();
  });

  it('reading to the end clears the counts; reading backwards changes nothing', () => {
    const list = [conv({ last_read_seq: 5, last_seq: 10, unread_count: 5, mention_count: 1 })];
    expect(conversationsWithRead(list, 'c1', 7)![0]).toMatchObject({ last_read_seq: 7, unread_count: 5 });
    expect(conversationsWithRead(list, 'c1', 10)![0]).toMatchObject({ last_read_seq: 10, unread_count: 0, mention_count: 0 });
    expect(conversationsWithRead(list, 'c1', 3)![0]).toMatchObject({ last_read_seq: 5 });
  });

  it('conversation.updated keeps the per-member fields', () => {
    const local = conv({ unread_count: 4, muted: true, last_read_seq: 6 });
    const merged = mergeConversation(local, conv({ topic: 'baru', unread_count: 0, muted: false, last_read_seq: 0 }));
    expect(merged).toMatchObject({ topic: 'baru', unread_count: 4, muted: true, last_read_seq: 6 });
  });
});

describe('typing and presence', () => {
  it('typers show for five seconds, per conversation and thread', () => {
    const at = 1_000_000;
    const s = withTyping(new Map(), { type: 'typing', org_id: 'o', conversation_id: 'c1', thread_root_id: null, user_id: OTHER }, at);
    expect(typersNow(s, typingKey('c1', null), at + 4_000)).toEqual([OTHER]);
    expect(typersNow(s, typingKey('c1', null), at + 5_001)).toEqual([]);
    expect(typersNow(s, typingKey('c1', 'm1'), at)).toEqual([]);
    expect(typersNow(s, typingKey('c1', null), at, OTHER)).toEqual([]);
  });

  it('presence changes update or add people', () => {
    const next = presenceWithChanges(
      [{ user_id: OTHER, state: 'online', status_text: 'WFH', status_emoji: '🏠', status_expires_at: null, dnd: false }],
      { type: 'presence', org_id: 'o', changes: [{ user_id: OTHER, state: 'away' }, { user_id: ME, state: 'online' }] },
    );
    expect(next.map((p) => [p.user_id, p.state, p.status_text])).toEqual([[OTHER, 'away', 'WFH'], [ME, 'online', '']]);
  });

  it('a status update changes the text and emoji, keeping the state', () => {
    const list = [{ user_id: OTHER, state: 'online' as const, status_text: '', status_emoji: '', status_expires_at: null, dnd: false }];
    const status = { text: 'Rapat', emoji: '📅', expires_at: null, dnd_start: null, dnd_end: null };
    expect(presenceWithStatus(list, OTHER, status)[0]).toMatchObject({ state: 'online', status_text: 'Rapat', status_emoji: '📅' });
    expect(presenceWithStatus(list, ME, status)[1]).toMatchObject({ user_id: ME, state: 'offline', status_text: 'Rapat' });
  });

  it('settings from another device and new channels reach the caches', () => {
    const qc = new QueryClient();
    qc.setQueryData(chatKeys.conversations('o'), [conv()]);
    applyChatEvent(qc, { kind: 'chat.settings.updated', org_id: 'o', data: { conversation_id: 'c1', muted: true } });
    expect(qc.getQueryData<Conversation[]>(chatKeys.conversations('o'))![0]!.muted).toBe(true);
    expect(applyChatEvent(qc, { kind: 'chat.channel.created', org_id: 'o', data: { conversation_id: 'c9' } })).toBe(true);
  });
});

describe('realtime events', () => {
  it('a created message lands in the window, clears its pending copy and bumps the sidebar', () => {
    const qc = new QueryClient();
    qc.setQueryData(['me'], { user: { id: ME } });
    qc.setQueryData(chatKeys.messages('o', 'c1'), win([9, 10]));
    qc.setQueryData(chatKeys.conversations('o'), [conv()]);
    upsertPending({
      orgId: 'o',
      request: { client_key: 'k11', body: 'x' },
      conversationId: 'c1',
      author: { id: OTHER, name: 'Rina', avatar_url: null },
      attachments: [],
      quote: null,
      createdAt: '',
      status: 'failed',
    });
    expect(applyChatEvent(qc, { kind: 'chat.message.created', org_id: 'o', data: msg(11) })).toBe(true);
    expect(qc.getQueryData<MessageWindow>(chatKeys.messages('o', 'c1'))!.messages.map((m) => m.seq)).toEqual([9, 10, 11]);
    expect(qc.getQueryData<Conversation[]>(chatKeys.conversations('o'))![0]!.unread_count).toBe(1);
    expect(pendingStore.get()).toEqual([]);
  });

  it('a retention purge drops the purged messages and ignores scrubbed replays', () => {
    const qc = new QueryClient();
    qc.setQueryData(['me'], { user: { id: ME } });
    qc.setQueryData(chatKeys.messages('o', 'c1'), win([1, 2, 3]));
    const stub = { id: 'm9', conversation_id: 'c1', seq: 9, purged: true };
    expect(applyChatEvent(qc, { kind: 'chat.message.created', org_id: 'o', data: stub })).toBe(true);
    expect(
      applyChatEvent(qc, {
        kind: 'chat.messages.purged',
        org_id: 'o',
        data: { conversation_id: 'c1', before_seq: 2, message_ids: ['m1', 'm2'] },
      }),
    ).toBe(true);
    expect(qc.getQueryData<MessageWindow>(chatKeys.messages('o', 'c1'))!.messages.map((m) => m.seq)).toEqual([3]);
  });

  it('read events move members’ positions (ticks) and ignore other kinds', () => {
    const qc = new QueryClient();
    qc.setQueryData(chatKeys.members('o', 'c1'), [{ user: { id: OTHER, name: 'Rina', avatar_url: null }, role: 'member', last_read_seq: 2, joined_at: '' }]);
    applyChatEvent(qc, { kind: 'chat.read', org_id: 'o', data: { conversation_id: 'c1', user_id: OTHER, seq: 9 } });
    expect(qc.getQueryData<{ last_read_seq: number }[]>(chatKeys.members('o', 'c1'))![0]!.last_read_seq).toBe(9);
    expect(applyChatEvent(qc, { kind: 'member.updated', org_id: 'o', data: {} })).toBe(false);
  });
});

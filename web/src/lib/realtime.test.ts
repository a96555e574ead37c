import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  BACKOFF_MAX_MS,
  queryKeysForKind,
  RealtimeClient,
  realtimeUrl,
  SESSION_ENDED_CLOSE_CODE,
  wsOrigin,
  type SocketLike,
} from './realtime';

class FakeSocket implements SocketLike {
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  drop(code = 1006) {
    this.onclose?.({ code });
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const events: string[] = [];
  let resyncs = 0;
  let ended = 0;
  let membershipsChanged = 0;
  const client = new RealtimeClient({
    origin: 'wss://kantor.example',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onEvent: (e) => events.push(`${e.seq}:${e.kind}`),
    onResync: () => resyncs++,
    onSessionEnded: () => ended++,
    onMembershipsChanged: () => membershipsChanged++,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
    random: () => 0.5,
  });
  const fireTimer = () => timers.shift()!.fn();
  return {
    client,
    sockets,
    timers,
    events,
    fireTimer,
    resyncs: () => resyncs,
    ended: () => ended,
    membershipsChanged: () => membershipsChanged,
  };
}

describe('realtime url', () => {
  it('uses wss on https and ws on http', () => {
    expect(wsOrigin({ protocol: 'https:', host: 'k.go.id' })).toBe('wss://k.go.id');
    expect(wsOrigin({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080');
    expect(realtimeUrl('ws://h', 42)).toBe('ws://h/api/v1/ws?since=42');
    expect(realtimeUrl('ws://h', null)).toBe('ws://h/api/v1/ws');
  });
});

describe('RealtimeClient', () => {
  it('takes the hello seq when none is known, then follows events', () => {
    const h = harness();
    h.client.start();
    const s = h.sockets[0]!;
    expect(s.url).toBe('wss://kantor.example/api/v1/ws');
    s.receive({ type: 'hello', seq: 10 });
    expect(h.client.lastSeq).toBe(10);
    s.receive({ type: 'event', seq: 11, kind: 'member.updated', org_id: 'o', data: {} });
    s.receive({ type: 'event', seq: 12, kind: 'unit.created', org_id: 'o', data: {} });
    expect(h.client.lastSeq).toBe(12);
    expect(h.events).toEqual(['11:member.updated', '12:unit.created']);
  });

  it('reconnects with backoff and resumes from the last seq', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.receive({ type: 'hello', seq: 5 });
    h.sockets[0]!.receive({ type: 'event', seq: 7, kind: 'invite.created', org_id: 'o', data: null });
    h.sockets[0]!.drop();
    expect(h.timers[0]!.ms).toBe(1000);
    h.fireTimer();
    expect(h.sockets[1]!.url).toBe('wss://kantor.example/api/v1/ws?since=7');
    // A hello on the resumed stream does not move us back.
    h.sockets[1]!.receive({ type: 'hello', seq: 9 });
    expect(h.client.lastSeq).toBe(7);
    h.sockets[1]!.drop();
    h.fireTimer();
    h.sockets[2]!.drop();
    // hello reset the attempt counter to 0 → 1 s; a failure without hello doubles it.
    expect(h.timers[0]!.ms).toBe(2000);
  });

  it('answers ping with pong', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.receive({ type: 'ping' });
    expect(h.sockets[0]!.sent).toEqual([JSON.stringify({ type: 'pong' })]);
  });

  it('on resync_required refetches everything and continues from the seq it names', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.receive({ type: 'hello', seq: 3 });
    h.sockets[0]!.drop();
    h.fireTimer();
    expect(h.sockets[1]!.url).toBe('wss://kantor.example/api/v1/ws?since=3');
    // The server's order: resync_required {seq}, then hello {seq}.
    h.sockets[1]!.receive({ type: 'resync_required', seq: 900 });
    h.sockets[1]!.receive({ type: 'hello', seq: 900 });
    expect(h.resyncs()).toBe(1);
    expect(h.client.lastSeq).toBe(900);
    h.sockets[1]!.receive({ type: 'event', seq: 901, kind: 'unit.created', org_id: 'o', data: {} });
    expect(h.client.lastSeq).toBe(901);
  });

  it('without a seq in resync_required, takes the hello that follows', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.receive({ type: 'hello', seq: 3 });
    h.sockets[0]!.drop();
    h.fireTimer();
    h.sockets[1]!.receive({ type: 'resync_required' });
    h.sockets[1]!.receive({ type: 'hello', seq: 900 });
    expect(h.client.lastSeq).toBe(900);
  });

  it('reconnects at once when memberships changed (close 4002)', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.receive({ type: 'hello', seq: 8 });
    h.sockets[0]!.drop(4002);
    expect(h.membershipsChanged()).toBe(1);
    expect(h.timers[0]!.ms).toBe(0);
    h.fireTimer();
    expect(h.sockets[1]!.url).toBe('wss://kantor.example/api/v1/ws?since=8');
  });

  it('stops and reports when the session ended (close 4001)', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.drop(SESSION_ENDED_CLOSE_CODE);
    expect(h.ended()).toBe(1);
    expect(h.timers).toHaveLength(0);
  });

  it('does not reconnect after stop', () => {
    const h = harness();
    h.client.start();
    h.client.stop();
    expect(h.sockets[0]!.closed).toBe(true);
    expect(h.timers).toHaveLength(0);
  });

  it('ignores garbage', () => {
    const h = harness();
    h.client.start();
    h.sockets[0]!.onmessage?.({ data: 'not json' });
    h.sockets[0]!.onmessage?.({ data: new ArrayBuffer(2) });
    expect(h.events).toEqual([]);
  });
});

describe('backoff', () => {
  it('doubles and caps', () => {
    const mid = () => 0.5;
    expect(backoffDelay(0, mid)).toBe(1000);
    expect(backoffDelay(1, mid)).toBe(2000);
    expect(backoffDelay(3, mid)).toBe(8000);
    expect(backoffDelay(50, mid)).toBe(BACKOFF_MAX_MS);
    expect(backoffDelay(0, () => 0)).toBe(800);
    expect(backoffDelay(0, () => 1)).toBe(1200);
  });
});

describe('queryKeysForKind', () => {
  it('maps event kinds to query prefixes', () => {
    expect(queryKeysForKind('member.updated')).toEqual([['members']]);
    expect(queryKeysForKind('unit.deleted')).toEqual([['units']]);
    expect(queryKeysForKind('invite.revoked')).toEqual([['invites']]);
    expect(queryKeysForKind('org.updated')).toEqual([['me'], ['org']]);
    expect(queryKeysForKind('user.updated')).toEqual([['me']]);
    expect(queryKeysForKind('chat.message.created')).toEqual([]); // applied by chatCache instead
  });
});

describe('ephemeral messages and sending', () => {
  it('hands typing and presence to onEphemeral and sends only on an open socket', () => {
    const sockets: FakeSocket[] = [];
    const ephemeral: string[] = [];
    let opened = 0;
    const client = new RealtimeClient({
      origin: 'wss://kantor.example',
      createSocket: (url) => {
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      onEvent: () => {},
      onEphemeral: (m) => ephemeral.push(m.type),
      onOpen: () => opened++,
      onResync: () => {},
      onSessionEnded: () => {},
      setTimer: () => 0,
      clearTimer: () => {},
    });
    client.start();
    const s = sockets[0]!;
    expect(client.send({ type: 'activity', state: 'active' })).toBe(false);
    s.onopen?.({});
    expect(opened).toBe(1);
    expect(client.send({ type: 'typing', conversation_id: 'c1' })).toBe(true);
    expect(s.sent).toEqual(['{"type":"typing","conversation_id":"c1"}']);
    s.receive({ type: 'typing', org_id: 'o', conversation_id: 'c1', thread_root_id: null, user_id: 'u' });
    s.receive({ type: 'presence', org_id: 'o', changes: [] });
    expect(ephemeral).toEqual(['typing', 'presence']);
    s.drop();
    expect(client.send({ type: 'activity', state: 'idle' })).toBe(false);
    client.stop();
  });
});

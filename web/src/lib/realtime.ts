// The realtime connection, without React: a WebSocket to `/api/v1/ws?since=SEQ` that remembers
// the last sequence number it saw, answers pings, and reconnects with backoff — resuming from
// that sequence so nothing is missed. `useRealtime` (useRealtime.ts) wires it to react-query.

import type { ClientMessage, EphemeralMessage, ServerMessage } from '../api/types';

/** The part of WebSocket this client uses (so tests can hand in a fake). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number): void;
}

/** Close code the server uses when the session behind the socket ended. */
export const SESSION_ENDED_CLOSE_CODE = 4001;
/** Close code asking to reconnect at once (with `since`): the account's memberships changed. */
export const RECONNECT_CLOSE_CODE = 4002;

export interface RealtimeOptions {
  createSocket: (url: string) => SocketLike;
  /** ws(s)://host — the path and query are added here. */
  origin: string;
  onEvent: (event: Extract<ServerMessage, { type: 'event' }>) => void;
  /** Ephemeral messages (typing, presence): not numbered, not replayed. */
  onEphemeral?: (message: EphemeralMessage) => void;
  /** The socket is open (first time or after a reconnect). */
  onOpen?: () => void;
  onResync: () => void;
  onSessionEnded: () => void;
  /** The server asked us to reconnect because memberships changed (close 4002). */
  onMembershipsChanged?: () => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** 0..1, for jitter; injectable so tests are deterministic. */
  random?: () => number;
}

export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;

/** Delay before reconnect attempt `attempt` (0-based): doubling, capped, with ±20 % jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export function wsOrigin(loc: { protocol: string; host: string }): string {
  return (loc.protocol === 'https:' ? 'wss' : 'ws') + '://' + loc.host;
}

export function realtimeUrl(origin: string, since: number | null): string {
  return `${origin}/api/v1/ws` + (since === null ? '' : `?since=${since}`);
}

/** Query-key prefixes to invalidate for an event kind (`member.updated` → ['members']). */
export function queryKeysForKind(kind: string): string[][] {
  const prefix = kind.split('.')[0];
  switch (prefix) {
    case 'member':
      return [['members']];
    case 'unit':
      return [['units']];
    case 'invite':
      return [['invites']];
    case 'org':
      return [['me'], ['org']];
    case 'user':
      return [['me']];
    default:
      return [];
  }
}

export class RealtimeClient {
  /** The last sequence number seen; sent as `since` on reconnect. */
  lastSeq: number | null = null;
  private helloSeq: number | null = null;
  private socket: SocketLike | null = null;
  /** The socket has fired `open` (sending before that throws). */
  private open = false;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = true;
  private readonly opts: Required<RealtimeOptions>;

  constructor(options: RealtimeOptions) {
    this.opts = {
      onMembershipsChanged: () => {},
      onEphemeral: () => {},
      onOpen: () => {},
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      random: Math.random,
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.onerror = null;
      socket.close(1000);
    }
  }

  /** Reconnect now (e.g. the browser came back online) instead of waiting for the backoff. */
  reconnectNow(): void {
    if (this.stopped || this.socket) return;
    this.cancelTimer();
    this.connect();
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  /** Sends a client message if the socket is open; false when it could not (it is not queued:
   * typing and activity are only worth sending now). */
  send(message: ClientMessage): boolean {
    if (!this.socket || !this.open) return false;
    try {
      this.socket.send(JSON.stringify(message));
      return true;
    } catch {
      return false;
    }
  }

  private connect(): void {
    this.timer = null;
    let socket: SocketLike;
    try {
      socket = this.opts.createSocket(realtimeUrl(this.opts.origin, this.lastSeq));
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    this.open = false;
    socket.onopen = () => {
      this.open = true;
      this.opts.onOpen();
    };
    socket.onmessage = (ev) => this.handleMessage(ev.data);
    socket.onclose = (ev) => this.handleClose(ev.code);
    socket.onerror = () => {
      /* a close always follows; reconnect is decided there */
    };
  }

  handleMessage(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let msg: ServerMessage;
    try {
      msg = JSON.parse(raw) as ServerMessage;
    } catch {
      return;
    }
    switch (msg.type) {
      case 'hello':
        this.attempt = 0;
        this.helloSeq = msg.seq;
        if (this.lastSeq === null) this.lastSeq = msg.seq;
        break;
      case 'event':
        this.attempt = 0;
        if (typeof msg.seq === 'number' && (this.lastSeq === null || msg.seq > this.lastSeq)) {
          this.lastSeq = msg.seq;
        }
        this.opts.onEvent(msg);
        break;
      case 'resync_required':
        // What we missed is gone: refetch everything, and continue from the server's present
        // (the seq it names, else the hello that follows).
        this.lastSeq = typeof msg.seq === 'number' ? msg.seq : this.helloSeq;
        this.opts.onResync();
        break;
      case 'ping':
        this.socket?.send(JSON.stringify({ type: 'pong' }));
        break;
      case 'typing':
      case 'presence':
      case 'read_status':
        this.opts.onEphemeral(msg);
        break;
      default:
        break;
    }
  }

  private handleClose(code: number): void {
    this.socket = null;
    this.open = false;
    this.helloSeq = null;
    if (this.stopped) return;
    if (code === SESSION_ENDED_CLOSE_CODE) {
      this.stopped = true;
      this.opts.onSessionEnded();
      return;
    }
    if (code === RECONNECT_CLOSE_CODE) {
      this.opts.onMembershipsChanged();
      this.attempt = 0;
      this.timer = this.opts.setTimer(() => this.connect(), 0);
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt, this.opts.random);
    this.attempt += 1;
    this.timer = this.opts.setTimer(() => this.connect(), delay);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.opts.clearTimer(this.timer);
      this.timer = null;
    }
  }
}

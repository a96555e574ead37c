// One participant's connection to a meeting (docs/meet-protocol.md): the meeting WebSocket and
// two RTCPeerConnections — "publish" (we offer: mic, camera with simulcast q/h/f, screen) and
// "subscribe" (the server offers whatever we should receive, with a mid → track map). No React
// here; the room reads `store` with useStore.

import type {
  IceServer,
  MeetClientMessage,
  MeetServerMessage,
  Participant,
  Peer,
  RoomChat,
  RoomMeeting,
  SubTrack,
  TrackSource,
} from '../../api/meetEndpoints';
import { noteSpeaker, viewSizes, type Size } from '../../lib/meet/layout';
import { combine, QualityMeter, readStats } from '../../lib/meet/quality';
import type { LocalMedia } from './media';
import { Store } from './store';

export type Phase =
  | 'connecting'
  | 'waiting'
  | 'live'
  | 'reconnecting'
  | 'ended'
  | 'removed'
  | 'denied'
  | 'replaced'
  | 'left'
  | 'failed';

export const FINAL_PHASES: readonly Phase[] = ['ended', 'removed', 'denied', 'replaced', 'left', 'failed'];

export interface RemoteTrack {
  key: string;
  peer: string;
  source: TrackSource;
  stream: MediaStream;
  mid: string;
}

export interface ChatLine extends RoomChat {
  key: string;
  pending?: boolean;
}

export interface FloatingReaction {
  key: number;
  id: string;
  emoji: string;
}

export interface MeetState {
  phase: Phase;
  failCode: string | null;
  you: Participant | null;
  meeting: RoomMeeting | null;
  peers: Peer[];
  waiting: Participant[];
  speaker: string | null;
  recent: string[];
  chat: ChatLine[];
  chatSeen: number;
  /** Members only: the meeting's chat conversation (its messages are also in Obrolan). */
  conversationId: string | null;
  reactions: FloatingReaction[];
  remote: Record<string, RemoteTrack>;
  mic: boolean;
  cam: boolean;
  screen: boolean;
  hand: boolean;
  dataSaver: boolean;
  audioOnly: boolean;
  quality: number | null;
  /** The network has been bad for a while (the quality meter's sustained state): offer data saver. */
  weak: boolean;
  media: RTCPeerConnectionState | 'new';
  askUnmute: string | null;
}

export type Notice =
  | { kind: 'muted_by_host'; by: string }
  | { kind: 'video_stopped_by_host'; by: string }
  | { kind: 'error'; code: string }
  | { kind: 'reconnected' };

/** Simulcast layers of the camera: quarter, half and full resolution. */
export const SIMULCAST: RTCRtpEncodingParameters[] = [
  { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

const SCREEN_ENCODING: RTCRtpEncodingParameters = { maxBitrate: 2_500_000, maxFramerate: 15 };
/** Error codes the server sends right before closing for good. */
const FATAL_ERRORS = ['meeting.token_invalid', 'meeting.media_unavailable'];
const BACKOFF_MS = [1000, 2000, 4000, 8000, 10000];
const STATS_EVERY_MS = 1000;
const REACTION_MS = 4500;

/** `?relay=1` in the page URL, or localStorage `kantor.meet.relay` = `1`: TURN only. */
export function relayOnly(): boolean {
  try {
    if (new URLSearchParams(window.location.search).get('relay') === '1') return true;
    return localStorage.getItem('kantor.meet.relay') === '1';
  } catch {
    return false;
  }
}

function wsUrl(): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}/api/v1/meet/ws`;
}

/** Puts VP8 first (the SFU forwards VP8 simulcast); leaves the list alone if unsupported. */
function preferVp8(tx: RTCRtpTransceiver) {
  try {
    const caps = RTCRtpReceiver.getCapabilities?.('video') ?? RTCRtpSender.getCapabilities?.('video');
    if (!caps || typeof tx.setCodecPreferences !== 'function') return;
    const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === 'video/vp8');
    if (!vp8.length) return;
    const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== 'video/vp8');
    tx.setCodecPreferences([...vp8, ...rest]);
  } catch {
    // the browser picks
  }
}

function trackKey(t: SubTrack): string {
  return typeof t.track === 'string' && t.track.includes(':') ? t.track : `${t.peer}:${t.source}`;
}

export class MeetSession {
  readonly store: Store<MeetState>;
  onNotice: (n: Notice) => void = () => {};

  private ws: WebSocket | null = null;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  private lastError: string | null = null;

  pubPc: RTCPeerConnection | null = null;
  subPc: RTCPeerConnection | null = null;
  private micTx: RTCRtpTransceiver | null = null;
  private camTx: RTCRtpTransceiver | null = null;
  private screenTx: RTCRtpTransceiver | null = null;
  private pubBusy = false;
  private pubAgain = false;
  private subChain: Promise<void> = Promise.resolve();
  /** mid → what the subscribe connection carries there (latest sub_offer). */
  subTracks: Record<string, SubTrack> = {};
  private streamsByMid = new Map<string, { trackId: string; stream: MediaStream }>();
  private iceServers: IceServer[];
  private lastView = '';
  private viewTiles = new Map<string, Size>();
  private meter = new QualityMeter();
  private sampling = false;
  private sentQuality: number | null = null;
  /** The last network measurement (for the test hook and debugging). */
  lastSample: unknown = null;
  private reactionKey = 0;
  private chatKey = 0;

  constructor(
    private readonly token: string,
    iceServers: IceServer[],
    private readonly media: LocalMedia,
  ) {
    this.iceServers = iceServers;
    const m = media.state;
    this.store = new Store<MeetState>({
      phase: 'connecting',
      failCode: null,
      you: null,
      meeting: null,
      peers: [],
      waiting: [],
      speaker: null,
      recent: [],
      chat: [],
      chatSeen: 0,
      conversationId: null,
      reactions: [],
      remote: {},
      mic: !!m.mic && m.micOn,
      cam: !!m.cam && m.camOn,
      screen: false,
      hand: false,
      dataSaver: false,
      audioOnly: false,
      quality: null,
      weak: false,
      media: 'new',
      askUnmute: null,
    });
    media.onTrack = (kind, track) => void this.replaceTrack(kind, track);
  }

  get state(): MeetState {
    return this.store.get();
  }

  // ------------------------------------------------------------------------------------------
  // WebSocket

  connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(wsUrl());
    this.ws = ws;
    ws.onopen = () => this.send({ t: 'hello', token: this.token });
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      let msg: MeetServerMessage;
      try {
        msg = JSON.parse(ev.data) as MeetServerMessage;
      } catch {
        return;
      }
      void this.handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onClose(ev.code);
    };
  }

  private send(msg: MeetClientMessage): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private onClose(code: number) {
    if (this.stopped || FINAL_PHASES.includes(this.state.phase)) return this.teardown();
    const lastError = this.lastError;
    this.lastError = null;
    if (code === 4410) return this.finish('ended');
    if (code === 4409) return this.finish('replaced');
    if (code === 4403) return this.finish(this.state.phase === 'waiting' ? 'denied' : 'removed');
    // The token stopped working (joined again elsewhere, or access ended): offer to join again.
    if (code === 4401) return this.finish('failed', lastError ?? 'meeting.token_invalid');
    if (lastError && FATAL_ERRORS.includes(lastError)) return this.finish('failed', lastError);
    this.store.update({ phase: this.state.phase === 'waiting' ? 'waiting' : 'reconnecting' });
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!;
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private finish(phase: Phase, failCode: string | null = null) {
    this.store.update({ phase, failCode });
    this.stopped = true;
    this.teardown();
  }

  /** Closes the socket as a network drop would (the reconnect path; used by tests). */
  dropSocket(): void {
    this.ws?.close(4000);
  }

  /** Leave the meeting: closing the socket is leaving. */
  leave(): void {
    this.send({ t: 'leave' });
    this.store.update({ phase: 'left' });
    this.stopped = true;
    this.teardown();
  }

  private teardown() {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.close(1000);
      } catch {
        // already closed
      }
    }
    this.closePcs();
    this.media.onTrack = () => {};
  }

  private closePcs() {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
    this.pubPc?.close();
    this.subPc?.close();
    this.pubPc = null;
    this.subPc = null;
    this.micTx = this.camTx = this.screenTx = null;
    this.pubBusy = this.pubAgain = false;
    this.subChain = Promise.resolve();
    this.subTracks = {};
    this.streamsByMid.clear();
    this.lastView = '';
    this.meter.reset();
    this.sentQuality = null;
    if (this.state.weak) this.store.update({ weak: false });
    if (Object.keys(this.state.remote).length) this.store.update({ remote: {} });
  }

  private peerName(id: string | undefined): string {
    if (!id) return '';
    return this.state.peers.find((p) => p.id === id)?.name ?? id;
  }

  private async handle(msg: MeetServerMessage): Promise<void> {
    switch (msg.t) {
      case 'welcome': {
        const wasReconnecting = this.state.phase === 'reconnecting';
        this.attempt = 0;
        if (msg.ice_servers?.length) this.iceServers = msg.ice_servers;
        const peers = msg.participants.filter((p) => p.id !== msg.you.id);
        const self = msg.participants.find((p) => p.id === msg.you.id);
        this.store.update({
          phase: 'live',
          you: self ? { ...msg.you, role: self.role, name: self.name } : msg.you,
          meeting: msg.meeting,
          peers,
          waiting: msg.meeting.waiting ?? [],
          chat: [],
          conversationId: msg.conversation_id ?? null,
        });
        this.closePcs();
        this.setupPcs();
        this.sendState();
        this.sendMode();
        if (this.state.hand) this.send({ t: 'hand', up: true });
        if (wasReconnecting) this.onNotice({ kind: 'reconnected' });
        break;
      }
      case 'waiting':
        this.attempt = 0;
        this.store.update({ phase: 'waiting', meeting: msg.meeting ?? this.state.meeting });
        break;
      case 'admitted':
        this.store.update({ phase: 'connecting' });
        break;
      case 'denied':
        return this.finish('denied');
      case 'removed':
        return this.finish('removed');
      case 'ended':
        return this.finish('ended');
      case 'replaced':
        return this.finish('replaced');
      case 'peer': {
        const you = this.state.you;
        if (you && msg.peer.id === you.id) {
          this.store.update({ you: { ...you, role: msg.peer.role, name: msg.peer.name } });
          break;
        }
        this.store.update((s) => {
          const i = s.peers.findIndex((p) => p.id === msg.peer.id);
          const peers = i >= 0 ? s.peers.map((p, j) => (j === i ? msg.peer : p)) : [...s.peers, msg.peer];
          return { peers };
        });
        break;
      }
      case 'peer_left':
        this.store.update((s) => ({
          peers: s.peers.filter((p) => p.id !== msg.id),
          speaker: s.speaker === msg.id ? null : s.speaker,
        }));
        break;
      case 'waiting_list':
        this.store.update({ waiting: msg.waiting });
        break;
      case 'meeting': {
        const you = msg.you && this.state.you ? { ...this.state.you, ...msg.you } : this.state.you;
        this.store.update({ meeting: msg.meeting, waiting: msg.meeting.waiting ?? this.state.waiting, you });
        break;
      }
      case 'speaker':
        this.store.update((s) => ({ speaker: msg.id, recent: noteSpeaker(s.recent, msg.id) }));
        break;
      case 'reaction':
        if (msg.id !== this.state.you?.id) this.addReaction(msg.id, msg.emoji);
        break;
      case 'chat':
        this.store.update((s) => {
          const mine = msg.id !== null && msg.id === s.you?.id;
          const pendingIdx = mine ? s.chat.findIndex((c) => c.pending && c.text === msg.text) : -1;
          const line: ChatLine = {
            id: msg.id,
            user_id: msg.user_id,
            message_id: msg.message_id,
            name: msg.name,
            text: msg.text,
            files: msg.files,
            at: msg.at,
            key: `c${this.chatKey++}`,
          };
          const chat = pendingIdx >= 0 ? s.chat.map((c, i) => (i === pendingIdx ? line : c)) : [...s.chat, line];
          return { chat: chat.slice(-500) };
        });
        break;
      case 'chat_history':
        this.store.update({
          chat: msg.messages.map((m) => ({ ...m, key: `c${this.chatKey++}` })),
          chatSeen: msg.messages.length,
        });
        break;
      case 'muted_by_host':
        await this.media.setMicOn(false);
        this.store.update({ mic: false, askUnmute: null });
        this.sendState();
        this.onNotice({ kind: 'muted_by_host', by: this.peerName(msg.by) });
        break;
      case 'ask_unmute':
        this.store.update({ askUnmute: this.peerName(msg.by) || '?' });
        break;
      case 'video_stopped_by_host':
        await this.media.setCamOn(false);
        this.store.update({ cam: false });
        this.sendState();
        this.onNotice({ kind: 'video_stopped_by_host', by: this.peerName(msg.by) });
        break;
      case 'pub_answer':
        await this.onPubAnswer(msg.sdp);
        break;
      case 'sub_offer':
        this.subChain = this.subChain.then(() => this.onSubOffer(msg.sdp, msg.tracks)).catch(() => {});
        break;
      case 'error':
        this.lastError = msg.code;
        // A refused publish offer: allow the next one.
        if (msg.code === 'meeting.sdp_invalid' && this.pubBusy) {
          this.pubBusy = false;
          if (this.pubAgain) void this.negotiatePub();
        }
        // Errors that end the connection get the closing screen instead of a toast.
        if (!FATAL_ERRORS.includes(msg.code)) this.onNotice({ kind: 'error', code: msg.code });
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Peer connections

  private rtcConfig(): RTCConfiguration {
    const iceServers = this.iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential }));
    return { iceServers, iceTransportPolicy: relayOnly() ? 'relay' : 'all', bundlePolicy: 'max-bundle' };
  }

  private setupPcs() {
    const m = this.media.state;
    const pub = new RTCPeerConnection(this.rtcConfig());
    this.pubPc = pub;
    this.micTx = pub.addTransceiver(m.mic ?? 'audio', { direction: 'sendonly' });
    this.camTx = pub.addTransceiver(m.cam ?? 'video', { direction: 'sendonly', sendEncodings: SIMULCAST.map((e) => ({ ...e })) });
    preferVp8(this.camTx);
    if (m.screen) this.addScreenTx(m.screen);
    pub.onconnectionstatechange = () => this.onPcState();

    const sub = new RTCPeerConnection(this.rtcConfig());
    this.subPc = sub;
    sub.onconnectionstatechange = () => this.onPcState();
    sub.ontrack = () => this.mapSubTracks();

    void this.negotiatePub();
    this.statsTimer = setInterval(() => void this.sampleStats(), STATS_EVERY_MS);
  }

  private addScreenTx(track: MediaStreamTrack) {
    if (!this.pubPc) return;
    if (this.screenTx && this.screenTx.currentDirection !== 'stopped') {
      this.screenTx.direction = 'sendonly';
      void this.screenTx.sender.replaceTrack(track);
    } else {
      this.screenTx = this.pubPc.addTransceiver(track, { direction: 'sendonly', sendEncodings: [{ ...SCREEN_ENCODING }] });
      preferVp8(this.screenTx);
    }
    const params = this.screenTx.sender.getParameters();
    params.degradationPreference = 'maintain-resolution';
    void this.screenTx.sender.setParameters(params).catch(() => {});
  }

  private onPcState() {
    const states = [this.pubPc?.connectionState, this.subPc?.connectionState].filter(Boolean) as RTCPeerConnectionState[];
    const worst: RTCPeerConnectionState | 'new' = states.includes('failed')
      ? 'failed'
      : states.includes('disconnected')
        ? 'disconnected'
        : states.includes('connecting')
          ? 'connecting'
          : (this.pubPc?.connectionState ?? 'new');
    this.store.update({ media: worst });
    if (worst === 'failed' && this.ws) {
      // Start over: a fresh hello gives a fresh welcome, which builds new connections.
      this.ws.close(4000);
    }
  }

  private async negotiatePub(): Promise<void> {
    const pc = this.pubPc;
    if (!pc) return;
    if (this.pubBusy) {
      this.pubAgain = true;
      return;
    }
    this.pubBusy = true;
    this.pubAgain = false;
    try {
      const offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      if (pc !== this.pubPc) return;
      const tracks: { mid: string; source: TrackSource }[] = [];
      if (this.micTx?.mid) tracks.push({ mid: this.micTx.mid, source: 'mic' });
      if (this.camTx?.mid) tracks.push({ mid: this.camTx.mid, source: 'cam' });
      if (this.screenTx?.mid && this.screenTx.direction === 'sendonly' && this.media.state.screen) {
        tracks.push({ mid: this.screenTx.mid, source: 'screen' });
      }
      this.send({ t: 'pub_offer', sdp: pc.localDescription?.sdp ?? offer.sdp ?? '', tracks });
      this.send({ t: 'tracks', tracks });
    } catch {
      this.pubBusy = false;
    }
  }

  private async onPubAnswer(sdp: string) {
    const pc = this.pubPc;
    if (!pc) return;
    if (pc.signalingState !== 'have-local-offer') {
      // Nothing outstanding (a late or repeated answer): just carry on.
      this.pubBusy = false;
      if (this.pubAgain) void this.negotiatePub();
      return;
    }
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp });
    } catch {
      this.onNotice({ kind: 'error', code: 'meeting.sdp_invalid' });
    }
    this.pubBusy = false;
    if (this.pubAgain) void this.negotiatePub();
  }

  private async onSubOffer(sdp: string, tracks: Record<string, SubTrack>) {
    const pc = this.subPc;
    if (!pc) return;
    // The map first: `ontrack` fires inside setRemoteDescription and reads it.
    this.subTracks = tracks ?? {};
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (pc !== this.subPc) return;
    this.send({ t: 'sub_answer', sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' });
    this.mapSubTracks();
  }

  /** Rebuilds `remote` (track id → stream) from the subscribe transceivers and the latest map. */
  private mapSubTracks() {
    const pc = this.subPc;
    if (!pc) return;
    const remote: Record<string, RemoteTrack> = {};
    for (const tx of pc.getTransceivers()) {
      const mid = tx.mid;
      if (!mid || tx.currentDirection === 'inactive' || tx.currentDirection === 'stopped') continue;
      const info = this.subTracks[mid];
      if (!info) continue;
      const track = tx.receiver.track;
      let cached = this.streamsByMid.get(mid);
      if (!cached || cached.trackId !== track.id) {
        cached = { trackId: track.id, stream: new MediaStream([track]) };
        this.streamsByMid.set(mid, cached);
      }
      const key = trackKey(info);
      remote[key] = { key, peer: info.peer, source: info.source, stream: cached.stream, mid };
    }
    const before = this.state.remote;
    const same =
      Object.keys(before).length === Object.keys(remote).length &&
      Object.entries(remote).every(([k, v]) => before[k]?.stream === v.stream && before[k]?.mid === v.mid);
    if (!same) this.store.update({ remote });
  }

  private async replaceTrack(kind: 'mic' | 'cam' | 'screen', track: MediaStreamTrack | null) {
    if (kind === 'mic') {
      await this.micTx?.sender.replaceTrack(track).catch(() => {});
      this.store.update({ mic: !!track && this.media.state.micOn });
    } else if (kind === 'cam') {
      await this.camTx?.sender.replaceTrack(track).catch(() => {});
      this.store.update({ cam: !!track });
    } else {
      if (track) {
        this.addScreenTx(track);
      } else if (this.screenTx) {
        await this.screenTx.sender.replaceTrack(null).catch(() => {});
        this.screenTx.direction = 'inactive';
      }
      this.store.update({ screen: !!track });
      void this.negotiatePub();
    }
    this.sendState();
  }

  // ------------------------------------------------------------------------------------------
  // What we send

  private sendState() {
    const m = this.media.state;
    const s = { mic: !!m.mic && m.micOn, cam: !!m.cam, screen: !!m.screen };
    this.store.update(s);
    this.send({ t: 'state', ...s });
  }

  private sendMode() {
    this.send({ t: 'mode', data_saver: this.state.dataSaver, audio_only: this.state.audioOnly });
    this.lastView = '';
    this.flushView();
  }

  async setMic(on: boolean) {
    await this.media.setMicOn(on);
    if (on) this.store.update({ askUnmute: null });
    this.sendState();
  }

  async setCam(on: boolean) {
    if (on && this.state.audioOnly) this.setModes({ audioOnly: false });
    await this.media.setCamOn(on);
    this.sendState();
  }

  async toggleScreen(): Promise<void> {
    if (this.media.state.screen) this.media.stopScreen();
    else await this.media.startScreen();
  }

  setHand(up: boolean) {
    this.store.update({ hand: up });
    this.send({ t: 'hand', up });
  }

  react(emoji: string) {
    this.send({ t: 'reaction', emoji });
    const you = this.state.you;
    if (you) this.addReaction(you.id, emoji);
  }

  private addReaction(id: string, emoji: string) {
    const key = ++this.reactionKey;
    this.store.update((s) => ({ reactions: [...s.reactions.slice(-19), { key, id, emoji }] }));
    setTimeout(() => this.store.update((s) => ({ reactions: s.reactions.filter((r) => r.key !== key) })), REACTION_MS);
  }

  sendChat(text: string) {
    const body = text.trim();
    const you = this.state.you;
    if (!body || !you) return;
    this.send({ t: 'chat', text: body });
    const line: ChatLine = { id: you.id, name: you.name, text: body, at: new Date().toISOString(), key: `c${this.chatKey++}`, pending: true };
    this.store.update((s) => ({ chat: [...s.chat, line], chatSeen: s.chat.length + 1 }));
  }

  markChatSeen() {
    if (this.state.chatSeen !== this.state.chat.length) this.store.update((s) => ({ chatSeen: s.chat.length }));
  }

  setModes(modes: { dataSaver?: boolean; audioOnly?: boolean }) {
    this.store.update(modes);
    if (modes.audioOnly) void this.setCam(false);
    this.sendMode();
  }

  dismissAskUnmute() {
    this.store.update({ askUnmute: null });
  }

  /** The shown remote videos and their CSS sizes; sent as `view` when it changes. */
  setViewTiles(tiles: Map<string, Size>) {
    this.viewTiles = tiles;
    this.flushView();
  }

  private flushView() {
    const tracks = this.state.audioOnly ? {} : viewSizes(this.viewTiles, window.devicePixelRatio || 1);
    const json = JSON.stringify(tracks);
    if (json === this.lastView || !this.ws || this.state.phase !== 'live') return;
    this.lastView = json;
    this.send({ t: 'view', tracks });
  }

  // ------------------------------------------------------------------------------------------
  // Network quality

  private async sampleStats() {
    const pub = this.pubPc;
    const sub = this.subPc;
    if (!pub || !sub || this.sampling) return;
    this.sampling = true;
    try {
      const [pr, sr] = await Promise.all([pub.getStats(), sub.getStats()]);
      if (pub !== this.pubPc || sub !== this.subPc) return; // replaced meanwhile
      const reading = combine(performance.now(), readStats(pr), readStats(sr));
      const { score, weak, sample } = this.meter.push(reading);
      this.lastSample = { ...sample, score, weak, limitation: reading.limitation };
      if (score !== this.state.quality || weak !== this.state.weak) this.store.update({ quality: score, weak });
      if (score !== null && score !== this.sentQuality) {
        this.sentQuality = score;
        this.send({ t: 'quality', q: score });
      }
    } catch {
      // a closed connection: the next welcome starts over
    } finally {
      this.sampling = false;
    }
  }
}

// Network quality from WebRTC statistics: packet loss, round-trip time and jitter each give a
// score 0–3 (3 good, 2 fair, 1 poor, 0 bad); the connection scores its worst one.

export interface QualitySample {
  /** Lost packets over the interval, percent (0–100). */
  lossPct: number | null;
  rttMs: number | null;
  jitterMs: number | null;
}

const LOSS = [2, 5, 12]; // < 2 % good, < 5 fair, < 12 poor, else bad
const RTT = [250, 450, 900];
const JITTER = [30, 60, 120];

function band(value: number | null, limits: number[]): number {
  if (value === null || !Number.isFinite(value)) return 3;
  if (value < limits[0]!) return 3;
  if (value < limits[1]!) return 2;
  if (value < limits[2]!) return 1;
  return 0;
}

/** 0–3, or null when nothing was measured. */
export function scoreQuality(s: QualitySample): number | null {
  if (s.lossPct === null && s.rttMs === null && s.jitterMs === null) return null;
  return Math.min(band(s.lossPct, LOSS), band(s.rttMs, RTT), band(s.jitterMs, JITTER));
}

/** Packet counters at one moment, summed over a connection's RTP streams. */
export interface Counters {
  received: number;
  lost: number;
}

/** Loss percent between two readings; null when no packets flowed. */
export function lossBetween(prev: Counters | null, cur: Counters): number | null {
  const received = cur.received - (prev?.received ?? 0);
  const lost = Math.max(0, cur.lost - (prev?.lost ?? 0));
  const total = received + lost;
  if (total <= 0 || received < 0) return null;
  return (lost / total) * 100;
}

/** A short smoothing so one bad second does not flip the bars: the worse of the last two. */
export function smooth(history: number[], next: number | null, keep = 2): { history: number[]; value: number | null } {
  if (next === null) return { history, value: history.length ? Math.min(...history) : null };
  const h = [...history, next].slice(-keep);
  return { history: h, value: Math.min(...h) };
}

type StatsLike = Iterable<Record<string, unknown>> | { forEach(cb: (v: Record<string, unknown>) => void): void };

function each(report: StatsLike, cb: (s: Record<string, unknown>) => void) {
  if ('forEach' in report && typeof report.forEach === 'function') report.forEach(cb);
  else for (const s of report as Iterable<Record<string, unknown>>) cb(s);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * What one getStats() report tells: inbound packet counters and the worst inbound jitter (ms) —
 * from audio when there is audio (video jitter mostly measures frame bursts, and a forwarding
 * server's layer switches look like loss on video), else from video —, the selected candidate
 * pair's RTT (ms) and the remote side's view of what we send (loss and RTT from
 * remote-inbound-rtp).
 */
export function readStats(report: StatsLike): { counters: Counters; jitterMs: number | null; rttMs: number | null; remoteLossPct: number | null } {
  const inbound = { audio: { received: 0, lost: 0, jitter: null as number | null, n: 0 }, video: { received: 0, lost: 0, jitter: null as number | null, n: 0 } };
  let pairRtt: number | null = null;
  let remoteRtt: number | null = null;
  let remoteLoss: number | null = null;
  let remoteJitter: number | null = null;
  each(report, (s) => {
    switch (s.type) {
      case 'inbound-rtp': {
        const k = s.kind === 'audio' ? inbound.audio : inbound.video;
        k.n += 1;
        k.received += num(s.packetsReceived) ?? 0;
        k.lost += Math.max(0, num(s.packetsLost) ?? 0);
        const j = num(s.jitter);
        if (j !== null) k.jitter = Math.max(k.jitter ?? 0, j * 1000);
        break;
      }
      case 'candidate-pair': {
        const rtt = num(s.currentRoundTripTime);
        if ((s.nominated || s.selected || s.state === 'succeeded') && rtt !== null) pairRtt = Math.max(pairRtt ?? 0, rtt * 1000);
        break;
      }
      case 'remote-inbound-rtp': {
        const f = num(s.fractionLost);
        if (f !== null) remoteLoss = Math.max(remoteLoss ?? 0, f * 100);
        const rtt = num(s.roundTripTime);
        if (rtt !== null) remoteRtt = Math.max(remoteRtt ?? 0, rtt * 1000);
        const j = num(s.jitter);
        if (j !== null && s.kind === 'audio') remoteJitter = Math.max(remoteJitter ?? 0, j * 1000);
        break;
      }
      default:
        break;
    }
  });
  const k = inbound.audio.n > 0 ? inbound.audio : inbound.video;
  const jitters = [k.jitter, remoteJitter].filter((x): x is number => x !== null);
  return {
    counters: { received: k.received, lost: k.lost },
    jitterMs: jitters.length ? Math.max(...jitters) : null,
    rttMs: pairRtt ?? remoteRtt,
    remoteLossPct: remoteLoss,
  };
}

// Network quality from WebRTC statistics: packet loss, round-trip time and jitter each give a
// score 0–3 (3 good, 2 fair, 1 poor, 0 bad); the connection scores its worst one.
//
// What getStats reports is noisy on a busy machine, and most of the noise is not the network:
//  - remote-inbound-rtp `fractionLost` comes from one RTCP receiver report; a forwarding server's
//    reports on simulcast layers can say 0.9 while its cumulative `packetsLost` stays 0. We use
//    the cumulative counters (ours for what we receive, the server's for what we send) and take
//    their differences over seconds — never cumulative totals, never one report's fraction.
//  - A CPU that stalls for a moment (ours, or the server's) drops a burst of packets, and RTT and
//    jitter jump (a STUN check answered late, late packets): we take medians over the window —
//    of each second's loss, of RTT, of jitter — and of the two connections' candidate pairs
//    (same path, same server) the lower RTT. A lossy network loses packets most seconds.
//  - outbound `qualityLimitationReason` ('cpu', 'bandwidth') says the encoder holds back, which a
//    loaded machine does all the time: it is reported for debugging, never scored.
// The "weak connection" banner needs a sustained bad score (SUSTAIN_MS), not one bad window.

export interface QualitySample {
  /** Lost packets over the window, percent (0–100). */
  lossPct: number | null;
  rttMs: number | null;
  jitterMs: number | null;
}

// Bands as WebRTC copes with them: Opus (in-band FEC, concealment) and video retransmissions
// hide a few per cent of loss; the adaptive jitter buffer absorbs tens of ms of jitter.
const LOSS = [3, 8, 15]; // < 3 % good, < 8 fair, < 15 poor, else bad
const RTT = [300, 600, 1000]; // ITU-T G.114: up to 150 ms each way is good
const JITTER = [50, 100, 200];

/** How far back the score looks. */
export const WINDOW_MS = 5000;
/** How long a bad (or, to clear it, good) score must last before the banner changes. */
export const SUSTAIN_MS = 5000;
/** Fewer packets than this in one interval say nothing about its loss (1 of 10 is not 10 %). */
export const MIN_INTERVAL_PACKETS = 40;
/** The same for one receiver report's interval of what we send (a muted mic sends a few
 * comfort-noise packets a second: two lost of 26 is not 8 % loss). */
export const MIN_REPORT_PACKETS = 50;

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

/** What we sent and what the receiving end says it lost of it, summed over streams. */
export interface SentCounters {
  sent: number;
  lost: number;
  /** How many receiver reports came back so far (remote-inbound-rtp roundTripTimeMeasurements),
   * to tell one report's interval from the next; null when not reported. */
  reports?: number | null;
}

/**
 * Loss percent between two readings of the receiving side's counters; null when too few packets
 * flowed (fewer than `minPackets`) or the counters went backwards (new connections).
 */
export function lossBetween(prev: Counters | null, cur: Counters, minPackets = 1): number | null {
  const received = cur.received - (prev?.received ?? 0);
  const lost = Math.max(0, cur.lost - (prev?.lost ?? 0));
  const total = received + lost;
  if (received < 0 || total <= 0 || total < minPackets) return null;
  return (lost / total) * 100;
}

/** Loss percent of what we sent between two readings (the server's receiver reports). */
export function sentLossBetween(prev: SentCounters, cur: SentCounters, minPackets = 1): number | null {
  const sent = cur.sent - prev.sent;
  const lost = Math.max(0, cur.lost - prev.lost);
  if (sent < 0 || sent < minPackets) return null;
  return Math.min(100, (lost / sent) * 100);
}

export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

type StatsLike = Iterable<Record<string, unknown>> | { forEach(cb: (v: Record<string, unknown>) => void): void };

function each(report: StatsLike, cb: (s: Record<string, unknown>) => void) {
  if ('forEach' in report && typeof report.forEach === 'function') report.forEach(cb);
  else for (const s of report as Iterable<Record<string, unknown>>) cb(s);
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** What one connection's getStats() report tells. */
export interface ConnStats {
  /** Inbound packet counters: audio when there is audio (a forwarding server's layer switches
   * look like loss on video), else video. */
  inbound: Counters;
  /** Outbound packets and the remote side's cumulative `packetsLost` of them (remote-inbound-rtp),
   * audio when there is audio. */
  outbound: SentCounters;
  /** The selected candidate pair's current RTT, ms. */
  pairRttMs: number | null;
  /** RTT from RTCP (remote-inbound-rtp), the lowest of the streams, ms. */
  rtcpRttMs: number | null;
  /** Inbound audio jitter (ours, and the remote side's view of our audio), the worst, ms; video
   * only without audio (video jitter mostly measures frame bursts). */
  jitterMs: number | null;
  /** Why the encoder holds back ('cpu', 'bandwidth', …), for debugging only — never scored. */
  limitation: string | null;
}

/** Reads one getStats() report. */
export function readStats(report: StatsLike): ConnStats {
  const inbound = { audio: { received: 0, lost: 0, jitter: null as number | null, n: 0 }, video: { received: 0, lost: 0, jitter: null as number | null, n: 0 } };
  const pairs = new Map<string, Record<string, unknown>>();
  const selectedPairs = new Set<string>();
  const outbound = new Map<string, Record<string, unknown>>();
  const remoteInbound: Record<string, unknown>[] = [];
  let remoteJitter: number | null = null;
  let limitation: string | null = null;
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
      case 'outbound-rtp': {
        if (typeof s.id === 'string') outbound.set(s.id, s);
        const reason = s.qualityLimitationReason;
        if (typeof reason === 'string' && reason !== 'none') limitation = reason;
        break;
      }
      case 'transport':
        if (typeof s.selectedCandidatePairId === 'string') selectedPairs.add(s.selectedCandidatePairId);
        break;
      case 'candidate-pair':
        if (typeof s.id === 'string') pairs.set(s.id, s);
        break;
      case 'remote-inbound-rtp': {
        remoteInbound.push(s);
        const j = num(s.jitter);
        if (j !== null && s.kind === 'audio') remoteJitter = Math.max(remoteJitter ?? 0, j * 1000);
        break;
      }
      default:
        break;
    }
  });

  // The selected pair (transport stats); without them, the nominated pair that succeeded.
  let pairRtt: number | null = null;
  const chosen = selectedPairs.size
    ? [...selectedPairs].map((id) => pairs.get(id)).filter((p): p is Record<string, unknown> => !!p)
    : [...pairs.values()].filter((p) => p.nominated && p.state === 'succeeded');
  for (const p of chosen) {
    const rtt = num(p.currentRoundTripTime);
    if (rtt !== null) pairRtt = pairRtt === null ? rtt * 1000 : Math.min(pairRtt, rtt * 1000);
  }

  // What we sent, and what the other side says it lost of it (its cumulative counter) — audio
  // when we send audio: video losses are mostly repaired by retransmission, and video's many
  // packets would hide audio's losses in a sum.
  const sent = { audio: { sent: 0, lost: 0, n: 0, reports: null as number | null }, video: { sent: 0, lost: 0, n: 0, reports: null as number | null } };
  let rtcpRtt: number | null = null;
  for (const r of remoteInbound) {
    const out =
      (typeof r.localId === 'string' ? outbound.get(r.localId) : undefined) ??
      [...outbound.values()].find((o) => o.ssrc === r.ssrc && o.kind === r.kind);
    const packetsSent = num(out?.packetsSent);
    if (packetsSent !== null) {
      const k = r.kind === 'audio' ? sent.audio : sent.video;
      k.n += 1;
      k.sent += packetsSent;
      k.lost += Math.max(0, num(r.packetsLost) ?? 0);
      const m = num(r.roundTripTimeMeasurements);
      if (m !== null) k.reports = (k.reports ?? 0) + m;
    }
    const rtt = num(r.roundTripTime);
    if (rtt !== null) rtcpRtt = rtcpRtt === null ? rtt * 1000 : Math.min(rtcpRtt, rtt * 1000);
  }
  const up = sent.audio.n > 0 ? sent.audio : sent.video;

  const k = inbound.audio.n > 0 ? inbound.audio : inbound.video;
  const jitters = [k.jitter, remoteJitter].filter((x): x is number => x !== null);
  return {
    inbound: { received: k.received, lost: k.lost },
    outbound: { sent: up.sent, lost: up.lost, reports: up.reports },
    pairRttMs: pairRtt,
    rtcpRttMs: rtcpRtt,
    jitterMs: jitters.length ? Math.max(...jitters) : null,
    limitation,
  };
}

/** One sampling of both connections (publish and subscribe) at `at` ms. */
export interface Reading {
  at: number;
  down: Counters;
  up: SentCounters;
  rttMs: number | null;
  jitterMs: number | null;
  limitation: string | null;
}

/**
 * Combines the two connections' reports. They go to the same server over the same path, so the
 * lower candidate-pair RTT is the path's (the other was answered late by a busy CPU); RTCP RTT
 * only when no pair has one.
 */
export function combine(at: number, pub: ConnStats, sub: ConnStats): Reading {
  const pairs = [pub.pairRttMs, sub.pairRttMs].filter((x): x is number => x !== null);
  const rtcp = [pub.rtcpRttMs, sub.rtcpRttMs].filter((x): x is number => x !== null);
  const jitters = [pub.jitterMs, sub.jitterMs].filter((x): x is number => x !== null);
  return {
    at,
    down: sub.inbound,
    up: pub.outbound,
    rttMs: pairs.length ? Math.min(...pairs) : rtcp.length ? Math.min(...rtcp) : null,
    jitterMs: jitters.length ? Math.max(...jitters) : null,
    limitation: pub.limitation,
  };
}


/**
 * The window's figures. Loss of what we receive is the median of the loss of each interval
 * between readings: a machine that stalls for a moment drops a burst of packets in one interval
 * (the next ones are clean), a lossy network loses packets in most of them. RTT and jitter are
 * medians too. (Loss of what we send comes from the server's receiver reports: see uplinkLoss.)
 */
export function windowSample(readings: readonly Reading[]): QualitySample & { downLossPct: number | null } {
  const intervals: number[] = [];
  for (let i = 1; i < readings.length; i++) {
    const l = lossBetween(readings[i - 1]!.down, readings[i]!.down, MIN_INTERVAL_PACKETS);
    if (l !== null) intervals.push(l);
  }
  const downLossPct = median(intervals);
  return {
    lossPct: downLossPct,
    downLossPct,
    rttMs: median(readings.map((r) => r.rttMs).filter((x): x is number => x !== null)),
    jitterMs: median(readings.map((r) => r.jitterMs).filter((x): x is number => x !== null)),
  };
}

/** Our counters at the arrival of a receiver report (or at a reading, without report counts). */
export interface ReportPoint {
  at: number;
  sent: number;
  lost: number;
}

/** Receiver reports older than this say nothing about now. */
export const REPORT_MAX_AGE_MS = 20_000;

/**
 * Loss of what we send, from the last three receiver-report points: the lower of the last two
 * report intervals' loss. The server reports every second or few with a cumulative count, so a
 * burst dropped while a CPU stalled lands in one interval; a lossy uplink loses in both.
 */
export function uplinkLoss(points: readonly ReportPoint[], now: number): number | null {
  const p = points.filter((x) => now - x.at <= REPORT_MAX_AGE_MS).slice(-3);
  if (p.length < 3) return null;
  const a = sentLossBetween(p[0]!, p[1]!, MIN_REPORT_PACKETS);
  const b = sentLossBetween(p[1]!, p[2]!, MIN_REPORT_PACKETS);
  // Both intervals must say something: one report alone could be one burst.
  return a === null || b === null ? null : Math.min(a, b);
}

export interface QualityState {
  /** 0–3 for the bars (and the server), null until two readings. */
  score: number | null;
  /** Bad (score ≤ 1) for at least SUSTAIN_MS: show the banner. */
  weak: boolean;
  sample: QualitySample & { downLossPct: number | null; upLossPct: number | null };
}

/** Keeps the readings of the last WINDOW_MS and the sustained weak/not-weak state. */
export class QualityMeter {
  private readings: Reading[] = [];
  private reports: ReportPoint[] = [];
  private lastReports: number | null = null;
  private weak = false;
  private badSince: number | null = null;
  private goodSince: number | null = null;

  constructor(
    private readonly windowMs = WINDOW_MS,
    private readonly sustainMs = SUSTAIN_MS,
  ) {}

  reset() {
    this.readings = [];
    this.reports = [];
    this.lastReports = null;
    this.weak = false;
    this.badSince = this.goodSince = null;
  }

  push(r: Reading): QualityState {
    const prev = this.readings[this.readings.length - 1];
    // Counters that went backwards belong to new connections: start over.
    if (prev && (r.at < prev.at || r.down.received < prev.down.received || r.up.sent < prev.up.sent)) {
      this.readings = [];
      this.reports = [];
      this.lastReports = null;
    }
    this.readings.push(r);
    // Keep the readings within the window, plus the one just before it (the window's start).
    while (this.readings.length > 2 && this.readings[1]!.at <= r.at - this.windowMs) this.readings.shift();
    // A point per receiver report (per reading when reports are not counted).
    const n = r.up.reports ?? null;
    if (n === null || this.lastReports === null || n > this.lastReports) {
      this.reports.push({ at: r.at, sent: r.up.sent, lost: r.up.lost });
      if (this.reports.length > 3) this.reports.shift();
    }
    this.lastReports = n;

    const w = windowSample(this.readings);
    const upLossPct = uplinkLoss(this.reports, r.at);
    const sample = {
      ...w,
      upLossPct,
      lossPct: w.downLossPct === null && upLossPct === null ? null : Math.max(w.downLossPct ?? 0, upLossPct ?? 0),
    };
    const score = this.readings.length >= 2 ? scoreQuality(sample) : null;
    if (score !== null && score <= 1) {
      this.goodSince = null;
      this.badSince ??= r.at;
      if (r.at - this.badSince >= this.sustainMs) this.weak = true;
    } else if (score !== null) {
      this.badSince = null;
      this.goodSince ??= r.at;
      if (r.at - this.goodSince >= this.sustainMs) this.weak = false;
    }
    return { score, weak: this.weak, sample };
  }
}

import { describe, expect, it } from 'vitest';
import { lossBetween, readStats, scoreQuality, smooth } from './quality';

describe('quality score', () => {
  it('is good on a clean link and the worst metric decides', () => {
    expect(scoreQuality({ lossPct: 0, rttMs: 40, jitterMs: 5 })).toBe(3);
    expect(scoreQuality({ lossPct: 3, rttMs: 40, jitterMs: 5 })).toBe(2);
    expect(scoreQuality({ lossPct: 0, rttMs: 600, jitterMs: 5 })).toBe(1);
    expect(scoreQuality({ lossPct: 0, rttMs: 40, jitterMs: 200 })).toBe(0);
    expect(scoreQuality({ lossPct: 20, rttMs: 300, jitterMs: 40 })).toBe(0);
  });

  it('ignores what was not measured, and is null with no data', () => {
    expect(scoreQuality({ lossPct: null, rttMs: 100, jitterMs: null })).toBe(3);
    expect(scoreQuality({ lossPct: null, rttMs: null, jitterMs: null })).toBeNull();
  });

  it('computes loss over an interval', () => {
    expect(lossBetween(null, { received: 0, lost: 0 })).toBeNull();
    expect(lossBetween({ received: 100, lost: 0 }, { received: 190, lost: 10 })).toBe(10);
    expect(lossBetween({ received: 100, lost: 5 }, { received: 200, lost: 5 })).toBe(0);
  });

  it('smooths with the worse of the last readings', () => {
    let s = smooth([], 3);
    expect(s.value).toBe(3);
    s = smooth(s.history, 1);
    expect(s.value).toBe(1);
    s = smooth(s.history, 3);
    expect(s.value).toBe(1);
    s = smooth(s.history, 3);
    expect(s.value).toBe(3);
    expect(smooth([], null).value).toBeNull();
  });

  it('reads a getStats report, preferring audio for loss and jitter', () => {
    const report = new Map<string, Record<string, unknown>>([
      ['a', { type: 'inbound-rtp', kind: 'video', packetsReceived: 900, packetsLost: 90, jitter: 0.2 }],
      ['b', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 100, packetsLost: 1, jitter: 0.004 }],
      ['b2', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 200, packetsLost: 2, jitter: 0.012 }],
      ['c', { type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.08 }],
      ['d', { type: 'remote-inbound-rtp', kind: 'video', fractionLost: 0.02, roundTripTime: 0.09, jitter: 0.3 }],
    ]);
    const r = readStats(report);
    expect(r.counters).toEqual({ received: 300, lost: 3 });
    expect(r.jitterMs).toBeCloseTo(12);
    expect(r.rttMs).toBeCloseTo(80);
    expect(r.remoteLossPct).toBeCloseTo(2);
  });

  it('falls back to video when nothing else arrives', () => {
    const r = readStats([{ type: 'inbound-rtp', kind: 'video', packetsReceived: 50, packetsLost: 5, jitter: 0.02 }]);
    expect(r.counters).toEqual({ received: 50, lost: 5 });
    expect(r.jitterMs).toBeCloseTo(20);
    expect(r.rttMs).toBeNull();
  });
});

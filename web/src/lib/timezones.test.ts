import { describe, expect, it } from 'vitest';
import { allTimeZones, timeZoneLabel } from './timezones';

describe('allTimeZones', () => {
  it('puts WIB, WITA, WIT first, once each', () => {
    const zones = allTimeZones();
    expect(zones.slice(0, 3)).toEqual(['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura']);
    expect(zones.filter((z) => z === 'Asia/Jakarta')).toHaveLength(1);
    expect(zones.length).toBeGreaterThan(10);
  });
  it('labels zones with abbreviation and offset', () => {
    const at = new Date('2026-11-23T00:00:00Z');
    expect(timeZoneLabel('Asia/Makassar', at)).toBe('WITA — Asia/Makassar (UTC+8)');
    expect(timeZoneLabel('America/New_York', at)).toBe('America/New York (UTC-5)');
  });
});

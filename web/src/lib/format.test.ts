import { describe, expect, it } from 'vitest';
import {
  browserTimeZone,
  formatDate,
  formatDateTime,
  formatNumber,
  formatRupiah,
  formatShortDate,
  formatTime,
  isValidTimeZone,
  utcOffsetLabel,
  zoneAbbreviation,
} from './format';

// 2026-11-23 07:30 in Jakarta (UTC+7) is 00:30 UTC; it is a Monday (Senin).
const MORNING = '2026-11-23T00:30:00Z';

describe('formatNumber', () => {
  it('uses the Indonesian thousands dot and decimal comma', () => {
    expect(formatNumber(5231, 'id')).toBe('5.231');
    expect(formatNumber(10000, 'id')).toBe('10.000');
    expect(formatNumber(37.5, 'id')).toBe('37,5');
  });
  it('uses English separators in English', () => {
    expect(formatNumber(5231, 'en')).toBe('5,231');
  });
});

describe('formatRupiah', () => {
  it('writes integer rupiah', () => {
    expect(formatRupiah(1250000, 'id')).toBe('Rp 1.250.000');
  });
});

describe('formatDate', () => {
  it('writes the Indonesian long date', () => {
    expect(formatDate(MORNING, 'Asia/Jakarta', 'id')).toBe('Senin, 23 November 2026');
  });
  it('writes the English long date', () => {
    expect(formatDate(MORNING, 'Asia/Jakarta', 'en')).toBe('Monday, 23 November 2026');
  });
  it('uses the given zone, not the machine one', () => {
    // 23:30 UTC on Sunday is already Monday in Jayapura (UTC+9).
    expect(formatDate('2026-11-22T23:30:00Z', 'Asia/Jayapura', 'id')).toBe('Senin, 23 November 2026');
    expect(formatDate('2026-11-22T23:30:00Z', 'UTC', 'id')).toBe('Minggu, 22 November 2026');
  });
  it('falls back to Jakarta for an unknown zone', () => {
    expect(formatDate(MORNING, 'Mars/Olympus', 'id')).toBe('Senin, 23 November 2026');
  });
  it('accepts Date objects and short dates', () => {
    expect(formatShortDate(new Date(MORNING), 'Asia/Jakarta', 'id')).toBe('23 Nov 2026');
  });
});

describe('formatTime', () => {
  it('writes 07.30 WIB in Jakarta', () => {
    expect(formatTime(MORNING, 'Asia/Jakarta', 'id')).toBe('07.30 WIB');
  });
  it('writes WITA and WIT for the other Indonesian zones', () => {
    expect(formatTime(MORNING, 'Asia/Makassar', 'id')).toBe('08.30 WITA');
    expect(formatTime(MORNING, 'Asia/Jayapura', 'id')).toBe('09.30 WIT');
  });
  it('uses a colon in English and keeps the Indonesian zone names', () => {
    expect(formatTime(MORNING, 'Asia/Jakarta', 'en')).toBe('07:30 WIB');
  });
  it('uses 24-hour time', () => {
    expect(formatTime('2026-11-23T10:05:00Z', 'Asia/Jakarta', 'id')).toBe('17.05 WIB');
  });
  it("names other zones with Intl's short name", () => {
    const text = formatTime(MORNING, 'Europe/London', 'en');
    expect(text.startsWith('00:30 ')).toBe(true);
    expect(text).toMatch(/GMT|UTC/);
  });
  it('combines date and time', () => {
    expect(formatDateTime(MORNING, 'Asia/Jakarta', 'id')).toBe('23 Nov 2026 07.30 WIB');
  });
});

describe('zones', () => {
  it('abbreviates the Indonesian zones', () => {
    expect(zoneAbbreviation('Asia/Jakarta')).toBe('WIB');
    expect(zoneAbbreviation('Asia/Makassar')).toBe('WITA');
    expect(zoneAbbreviation('Asia/Jayapura')).toBe('WIT');
  });
  it('labels UTC offsets', () => {
    expect(utcOffsetLabel('Asia/Jakarta', MORNING)).toBe('UTC+7');
    expect(utcOffsetLabel('Asia/Kolkata', MORNING)).toBe('UTC+5:30');
    expect(utcOffsetLabel('UTC', MORNING)).toBe('UTC');
  });
  it('validates IANA zones', () => {
    expect(isValidTimeZone('Asia/Makassar')).toBe(true);
    expect(isValidTimeZone('WIB')).toBe(false);
    expect(isValidTimeZone(browserTimeZone())).toBe(true);
  });
});

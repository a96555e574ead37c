import { describe, expect, it } from 'vitest';
import {
  formatMeetingNumber,
  isValidPasscode,
  joinLink,
  meetPath,
  parseJoinLink,
  parseMeetingNumber,
  reformatTyping,
} from './number';

describe('meeting numbers', () => {
  it('groups 11 digits 3-4-4 and 10 digits 3-3-4', () => {
    expect(formatMeetingNumber('81234567890')).toBe('812 3456 7890');
    expect(formatMeetingNumber('8123456789')).toBe('812 345 6789');
  });

  it('groups partial input as it is typed', () => {
    expect(formatMeetingNumber('')).toBe('');
    expect(formatMeetingNumber('81')).toBe('81');
    expect(formatMeetingNumber('812')).toBe('812');
    expect(formatMeetingNumber('8123')).toBe('812 3');
    expect(formatMeetingNumber('8123456')).toBe('812 345 6');
    expect(formatMeetingNumber('812-345-67890123')).toBe('812 3456 7890');
  });

  it('parses numbers with spaces and dashes, rejects the rest', () => {
    expect(parseMeetingNumber('812 3456 7890')).toBe('81234567890');
    expect(parseMeetingNumber(' 812-345-6789 ')).toBe('8123456789');
    expect(parseMeetingNumber('812 3456')).toBeNull();
    expect(parseMeetingNumber('812345678901')).toBeNull();
    expect(parseMeetingNumber('812a3456789')).toBeNull();
  });

  it('keeps the caret after the same digit when regrouping', () => {
    // typed the 4th digit at the end: "8123|" → "812 3|"
    expect(reformatTyping('8123', 4)).toEqual({ value: '812 3', caret: 5 });
    // inserted a digit in the middle of "812 345 6789" (after "81")
    expect(reformatTyping('8102 345 6789', 3)).toEqual({ value: '810 2345 6789', caret: 3 });
    // deleted everything before the caret
    expect(reformatTyping('812', 0)).toEqual({ value: '812', caret: 0 });
    // the 11th digit switches to 3-4-4
    const r = reformatTyping('812 345 67890', 13);
    expect(r.value).toBe('812 3456 7890');
    expect(r.caret).toBe(13);
  });

  it('reads join links', () => {
    expect(parseJoinLink('https://kantor.example.go.id/meet/81234567890?pwd=Ab12cd')).toEqual({ number: '81234567890', passcode: 'Ab12cd' });
    expect(parseJoinLink('/meet/8123456789')).toEqual({ number: '8123456789', passcode: null });
    expect(parseJoinLink('812 3456 7890')).toBeNull();
    expect(parseJoinLink('https://x/meet/123?pwd=1')).toBeNull();
  });

  it('validates passcodes and builds links', () => {
    expect(isValidPasscode('123456')).toBe(true);
    expect(isValidPasscode('aB3d')).toBe(true);
    expect(isValidPasscode('abc')).toBe(false);
    expect(isValidPasscode('abc-12')).toBe(false);
    expect(isValidPasscode('12345678901')).toBe(false);
    expect(meetPath('812 3456 7890', 'a b')).toBe('/meet/81234567890?pwd=a%20b');
    expect(joinLink('https://k.id/', '81234567890', '123456')).toBe('https://k.id/meet/81234567890?pwd=123456');
    expect(meetPath('81234567890')).toBe('/meet/81234567890');
  });
});

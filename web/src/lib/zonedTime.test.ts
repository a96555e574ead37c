import { describe, expect, it } from 'vitest';
import { addDays, fromLocalInput, instantOf, sameDay, toLocalInput, wallTimeAt } from './zonedTime';

describe('zoned wall time', () => {
  it('08.00 WIB is 01.00 UTC; 08.00 WIT is 23.00 UTC the day before', () => {
    const wall = { year: 2026, month: 11, day: 24, hour: 8, minute: 0 };
    expect(instantOf(wall, 'Asia/Jakarta').toISOString()).toBe('2026-11-24T01:00:00.000Z');
    expect(instantOf(wall, 'Asia/Jayapura').toISOString()).toBe('2026-11-23T23:00:00.000Z');
  });

  it('round-trips through wallTimeAt, also across a DST change', () => {
    const wall = { year: 2026, month: 3, day: 29, hour: 9, minute: 30 };
    const at = instantOf(wall, 'Europe/Berlin');
    expect(at.toISOString()).toBe('2026-03-29T07:30:00.000Z');
    const back = wallTimeAt(at, 'Europe/Berlin');
    expect([back.hour, back.minute]).toEqual([9, 30]);
  });

  it('adds days across months and reads datetime-local values', () => {
    expect(addDays({ year: 2026, month: 12, day: 31, hour: 8, minute: 0 }, 1)).toEqual({ year: 2027, month: 1, day: 1, hour: 8, minute: 0 });
    const w = fromLocalInput('2026-11-24T07:05')!;
    expect(toLocalInput(w)).toBe('2026-11-24T07:05');
    expect(fromLocalInput('nope')).toBeNull();
  });

  it('days are days in the given zone', () => {
    expect(sameDay('2026-11-23T16:30:00Z', '2026-11-23T17:30:00Z', 'Asia/Jakarta')).toBe(false);
    expect(sameDay('2026-11-23T16:30:00Z', '2026-11-23T17:30:00Z', 'UTC')).toBe(true);
  });
});

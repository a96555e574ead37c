import { describe, expect, it } from 'vitest';
import type { Unit } from '../../api/types';
import { defaultLedUnit, durationText, ledSubtree, mayOpenAttendance, seesEveryone } from './attendance';

const unit = (id: string, parent: string | null, leader: string | null): Unit =>
  ({ id, parent_id: parent, leader_user_id: leader, name: id, org_id: 'o', member_count: 0, leader_name: null }) as unknown as Unit;

describe('attendance helpers', () => {
  const units = [unit('sekretariat', null, 'dewi'), unit('arsip', 'sekretariat', null), unit('keuangan', null, 'bambang'), unit('kas', 'keuangan', null)];

  it('lets hosts, HR and admins see everyone, and leaders open it for their unit', () => {
    const meeting = { passcode: null, host_id: 'budi' };
    expect(seesEveryone({ role: 'member', isLeader: false, userId: 'budi' }, meeting)).toBe(true);
    expect(seesEveryone({ role: 'hr', isLeader: false, userId: 'sri' }, meeting)).toBe(true);
    expect(seesEveryone({ role: 'member', isLeader: false, userId: 'x' }, { passcode: '123456', host_id: 'budi' })).toBe(true);
    expect(seesEveryone({ role: 'member', isLeader: true, userId: 'dewi' }, meeting)).toBe(false);
    expect(mayOpenAttendance({ role: 'member', isLeader: true, userId: 'dewi' }, meeting)).toBe(true);
    expect(mayOpenAttendance({ role: 'member', isLeader: false, userId: 'joko' }, meeting)).toBe(false);
    expect(mayOpenAttendance({ role: 'guest', isLeader: true, userId: 'tamu' }, meeting)).toBe(false);
  });

  it('gives a leader their units and the units below them', () => {
    expect(ledSubtree(units, 'dewi').map((u) => u.id)).toEqual(['sekretariat', 'arsip']);
    expect(ledSubtree(units, 'joko')).toEqual([]);
    expect(defaultLedUnit(units, 'bambang')).toBe('keuangan');
    expect(defaultLedUnit(units, 'joko')).toBeUndefined();
  });

  it('writes durations in hours and minutes', () => {
    expect(durationText(0, 'id')).toBe('0 mnt');
    expect(durationText(25, 'id')).toBe('25 mnt');
    expect(durationText(85, 'id')).toBe('1 j 25 mnt');
    expect(durationText(120, 'en')).toBe('2 h 0 min');
  });
});

import { describe, expect, it } from 'vitest';
import { qrPath } from '../components/QrCode';
import { initials } from '../components/Avatar';
import { actorText, compactValue, targetText } from './admin/AuditPage';
import { absoluteLink } from '../lib/links';
import { memberPatch } from './admin/MemberDrawer';
import { describeUserAgent, groupSecret } from './SecurityPage';
import { afterLoginPath } from '../shell/session';
import type { Member } from '../api/types';

describe('screen helpers', () => {
  it('groups a TOTP secret in fours', () => {
    expect(groupSecret('JBSWY3DPEHPK3PXP')).toBe('JBSW Y3DP EHPK 3PXP');
    expect(groupSecret('ABCDE')).toBe('ABCD E');
  });
  it('names browsers', () => {
    expect(describeUserAgent('Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36')).toBe('Chrome · Android');
    expect(describeUserAgent(null)).toBeNull();
  });
  it('draws QR modules as one path', () => {
    expect(qrPath([[true, false], [false, true]])).toBe('M0 0h1v1h-1zM1 1h1v1h-1z');
  });
  it('makes initials', () => {
    expect(initials('Siti Nur Rahmawati')).toBe('SR');
    expect(initials('budi')).toBe('B');
  });
  it('patches only changed member fields', () => {
    const m: Member = {
      id: 'u', name: 'A', email: 'a@x.id', phone: null, avatar_url: null, time_zone: 'Asia/Jakarta',
      role: 'member', status: 'active', unit_id: 'u1', position: 'Staf', employee_number: null,
      joined_at: '2026-11-23T00:00:00Z',
    };
    expect(memberPatch(m, { role: 'member', unit_id: 'u1', position: 'Staf', employee_number: '' })).toEqual({});
    // Clearing sends empty strings: absent would mean "unchanged".
    expect(memberPatch(m, { role: 'hr', unit_id: '', position: ' Kepala ', employee_number: '123' })).toEqual({
      role: 'hr', unit_id: '', position: 'Kepala', employee_number: '123',
    });
    expect(memberPatch(m, { role: 'member', unit_id: 'u1', position: '', employee_number: '' })).toEqual({ position: '' });
  });
  it('renders audit values', () => {
    expect(actorText({ actor_id: null, actor_name: null }, 'Sistem')).toBe('Sistem');
    expect(actorText({ actor_id: '1', actor_name: 'Budi' }, 'Sistem')).toBe('Budi');
    expect(compactValue({ type: 'unit', id: 'x', name: 'Bidang TIK' })).toBe('Bidang TIK');
    expect(compactValue({ from: 'member', to: 'admin' })).toBe('from: member · to: admin');
    expect(compactValue(null)).toBe('');
    expect(targetText({ target: '0192f1c2-7d4e-7a3b-9c1d-5e6f7a8b9c0d', detail: { name: 'Bidang TIK' } })).toBe('Bidang TIK');
    expect(targetText({ target: '0192f1c2-7d4e-7a3b-9c1d-5e6f7a8b9c0d', detail: {} })).toBe('#0192f1c2');
    expect(targetText({ target: null, detail: null })).toBe('');
  });
  it('builds links', () => {
    expect(absoluteLink('/invite/abc', 'https://k.go.id')).toBe('https://k.go.id/invite/abc');
    expect(absoluteLink('https://x/invite/abc', 'https://k.go.id')).toBe('https://x/invite/abc');
  });
  it('only follows local next links after login', () => {
    expect(afterLoginPath('/o/1/members')).toBe('/o/1/members');
    expect(afterLoginPath('//evil.example')).toBe('/');
    expect(afterLoginPath('https://evil.example')).toBe('/');
    expect(afterLoginPath(null)).toBe('/');
  });
});

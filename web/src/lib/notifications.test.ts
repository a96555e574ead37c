import { describe, expect, it } from 'vitest';
import { inDnd, notificationText, shouldNotify } from './notifications';

const ME = 'me';
const plain = { author: { id: 'ani', name: 'Ani', avatar_url: null }, mentions: [], mention_here: false, mention_channel: false };
const mention = { ...plain, mentions: [ME] };
const here = { ...plain, mention_here: true };

describe('shouldNotify (same rules as kantor_core::notify)', () => {
  it('defaults to every message in DMs and groups, mentions in channels', () => {
    expect(shouldNotify({ kind: 'dm', muted: false, notify: 'default' }, plain, ME)).toBe(true);
    expect(shouldNotify({ kind: 'group', muted: false, notify: 'default' }, plain, ME)).toBe(true);
    expect(shouldNotify({ kind: 'public', muted: false, notify: 'default' }, plain, ME)).toBe(false);
    expect(shouldNotify({ kind: 'private', muted: false, notify: 'default' }, mention, ME)).toBe(true);
    expect(shouldNotify({ kind: 'public', muted: false, notify: 'default' }, here, ME)).toBe(true);
  });

  it('follows explicit choices, mute and never one’s own messages', () => {
    expect(shouldNotify({ kind: 'public', muted: false, notify: 'all' }, plain, ME)).toBe(true);
    expect(shouldNotify({ kind: 'dm', muted: false, notify: 'mentions' }, plain, ME)).toBe(false);
    expect(shouldNotify({ kind: 'dm', muted: false, notify: 'none' }, mention, ME)).toBe(false);
    expect(shouldNotify({ kind: 'dm', muted: true, notify: 'all' }, mention, ME)).toBe(false);
    const own = { ...plain, author: { id: ME, name: 'Saya', avatar_url: null } };
    expect(shouldNotify({ kind: 'dm', muted: false, notify: 'all' }, own, ME)).toBe(false);
  });
});

describe('notificationText', () => {
  it('renders mentions, folds whitespace and stays within 140 characters', () => {
    expect(notificationText('Halo <@u1>,\n  cek <@u9>', { u1: 'Sari' })).toBe('Halo @Sari, cek @…');
    const long = notificationText('kata '.repeat(100), {});
    expect(Array.from(long).length).toBeLessThanOrEqual(140);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('inDnd', () => {
  // 14:30 UTC is 23:30 in Jayapura and 21:30 in Jakarta.
  const now = new Date('2026-11-23T14:30:00Z');
  it('counts hours in the given zone, across midnight', () => {
    expect(inDnd('22:00', '06:00', 'Asia/Jayapura', now)).toBe(true);
    expect(inDnd('22:00', '06:00', 'Asia/Jakarta', now)).toBe(false);
    expect(inDnd('21:00', '22:00', 'Asia/Jakarta', now)).toBe(true);
    expect(inDnd(null, '06:00', 'Asia/Jayapura', now)).toBe(false);
  });
});

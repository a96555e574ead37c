import { describe, expect, it } from 'vitest';
import type { Conversation } from '../../api/types';
import { channelOptions, curlExample, deliveryState, normaliseHost, parseTriggerWords, withHost } from './integrations';

function conv(id: string, kind: Conversation['kind'], name: string | null, archived = false): Conversation {
  return { id, kind, name, archived } as Conversation;
}

describe('integrations helpers', () => {
  it('offers public channels and the private ones the admin is in, once each, by name', () => {
    const publics = [conv('c2', 'public', 'umum'), conv('c1', 'public', 'arsip-lama', true), conv('c3', 'public', 'anggaran')];
    const mine = [conv('c2', 'public', 'umum'), conv('c4', 'private', 'pimpinan'), conv('d1', 'dm', null), conv('g1', 'group', null), conv('m1', 'meeting', 'Rapat')];
    expect(channelOptions(publics, mine)).toEqual([
      { id: 'c3', label: '#anggaran' },
      { id: 'c4', label: '#pimpinan' },
      { id: 'c2', label: '#umum' },
    ]);
  });

  it('reads trigger words separated by commas, spaces or lines', () => {
    expect(parseTriggerWords(' Deploy, !status  deploy\nCUTI;; ')).toEqual(['deploy', '!status', 'cuti']);
    expect(parseTriggerWords('   ')).toEqual([]);
  });

  it('turns what an admin pastes into an allow-list host', () => {
    expect(normaliseHost(' Hooks.Internal. ')).toBe('hooks.internal');
    expect(normaliseHost('https://127.0.0.1/x')).toBe('127.0.0.1');
    expect(normaliseHost('http://build.kantor.local:8080/hook?a=1')).toBe('build.kantor.local');
    expect(normaliseHost('10.0.0.5:8443')).toBe('10.0.0.5');
    expect(normaliseHost('10.0.0.5/path')).toBe('10.0.0.5');
    expect(normaliseHost('[::1]')).toBe('::1');
    expect(normaliseHost('http://[fd00::1]:9000/')).toBe('fd00::1');
    expect(normaliseHost('fd00::1')).toBe('fd00::1');
    expect(normaliseHost('   ')).toBe('');
  });

  it('adds a host to the allow-list once', () => {
    expect(withHost(['a.local'], 'https://127.0.0.1/x')).toEqual(['a.local', '127.0.0.1']);
    expect(withHost(['a.local'], 'A.LOCAL')).toEqual(['a.local']);
    expect(withHost(['a.local'], ' ')).toEqual(['a.local']);
  });

  it('writes a curl example that survives quotes in the text', () => {
    expect(curlExample('https://kantor.example/hooks/kh_abc', "Halo 'semua'")).toBe(
      [
        "curl -X POST 'https://kantor.example/hooks/kh_abc' \\",
        "  -H 'Content-Type: application/json' \\",
        `  -d '{"text":"Halo '\\''semua'\\''"}'`,
      ].join('\n'),
    );
  });

  it('tells where deliveries stand', () => {
    expect(deliveryState({ last_status: null, last_attempt_at: null })).toBe('never');
    expect(deliveryState({ last_status: 'ok', last_attempt_at: '2026-11-23T01:00:00Z' })).toBe('ok');
    expect(deliveryState({ last_status: 'failed', last_attempt_at: '2026-11-23T01:00:00Z' })).toBe('failed');
  });
});

import { describe, expect, it } from 'vitest';
import { en } from './en';
import { id } from './id';

function leaves(obj: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') for (const [kk, vv] of leaves(v, key)) out.set(kk, vv);
    else out.set(key, v);
  }
  return out;
}

const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  const idLeaves = leaves(id);
  const enLeaves = leaves(en);

  it('have the same keys', () => {
    expect([...enLeaves.keys()].sort()).toEqual([...idLeaves.keys()].sort());
  });

  it('have non-empty strings with the same placeholders', () => {
    for (const [key, value] of idLeaves) {
      expect(typeof value, key).toBe('string');
      expect((value as string).length, key).toBeGreaterThan(0);
      expect(placeholders(enLeaves.get(key) as string), key).toEqual(placeholders(value as string));
    }
  });

  it('translate every error code of docs/API.md', () => {
    const codes = [
      'request.malformed',
      'auth.required',
      'auth.invalid_credentials',
      'auth.totp_required',
      'auth.totp_invalid',
      'auth.csrf_invalid',
      'auth.forbidden',
      'auth.totp_setup_required',
      'not_found',
      'member.email_taken',
      'setup.already_done',
      'unit.not_empty',
      'unit.cycle',
      'invite.expired',
      'invite.used',
      'invite.revoked',
      'request.too_large',
      'file.too_large',
      'file.unsupported_type',
      'validation.invalid',
      'validation.time_zone',
      'request.unknown_field',
      'request.missing_field',
      'import.has_errors',
      'file.too_many_pixels',
      'auth.rate_limited',
      // kantor-core validate.rs
      'validation.required',
      'validation.too_long',
      'validation.email',
      'validation.language',
      'validation.password_short',
      'validation.phone',
      // the server as written so far
      'import.duplicate_in_file',
      'import.unreadable',
      'import.empty',
      'import.missing_column',
      'import.too_many_rows',
      'import.conflict',
      'import.already_confirmed',
      'member.employee_number_taken',
      'member.last_owner',
      'member.self_deactivate',
      'setup.token_invalid',
      'totp.already_enabled',
      'totp.not_enabled',
      'totp.not_set_up',
      'request.content_type',
      // docs/chat-contract.md
      'chat.name_taken',
      'chat.archived',
      'chat.not_author',
      'chat.message_too_long',
      'chat.empty_message',
      // docs/API.md, chat
      'chat.not_member',
      'chat.broadcast_mention_forbidden',
      'chat.client_key_reused',
      'chat.scheduled_done',
      'chat.bad_channel_name',
      'chat.bad_emoji',
      'chat.dm_needs_one',
      'chat.group_size',
      'chat.unknown_member',
      'chat.cannot_leave_dm',
      'chat.dm_fixed',
      'chat.unknown_message',
      'chat.unknown_file',
      'chat.too_many_reactions',
      'chat.send_at_range',
      'file.empty',
      // docs/API.md, chat search
      'search.query_too_long',
      'search.empty_query',
      'search.too_many_terms',
      'search.unclosed_quote',
      'search.unknown_filter',
      'search.empty_filter',
      'search.bad_filter_value',
      'search.bad_date',
      'search.repeated_filter',
      'search.negated_filter',
      'search.unknown_person',
      'search.unknown_channel',
      // docs/API.md, chat retention and export
      'chat.retention_range',
      'chat.export_too_large',
      'chat.export_not_ready',
      // docs/API.md, webhooks and bots
      'webhook.address_refused',
      'webhook.https_required',
      'webhook.unresolvable',
      'webhook.not_channel',
      'webhook.trigger_required',
      'webhook.rate_limited',
      // docs/meet-protocol.md
      'meeting.not_found',
      'meeting.passcode_invalid',
      'meeting.too_many_attempts',
      'meeting.ended',
      'meeting.locked',
      'meeting.removed',
      'meeting.guests_not_allowed',
      'meeting.forbidden',
      'meeting.not_in_meeting',
      'meeting.not_host',
      'meeting.passcode_format',
      'meeting.sdp_invalid',
      'meeting.bad_message',
      'meeting.not_admitted',
      'meeting.token_invalid',
      'meeting.media_unavailable',
      'meeting.slow_down',
      'validation.failed',
    ];
    for (const code of codes) {
      expect(typeof idLeaves.get(`errors.${code}`), code).toBe('string');
      expect(typeof enLeaves.get(`errors.${code}`), code).toBe('string');
    }
  });
});

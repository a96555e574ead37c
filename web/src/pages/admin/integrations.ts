// The Integrasi screen's pure helpers: which channels a webhook may use, how typed lists of
// trigger words and hosts become what the server takes, the curl example, delivery states.

import type { Conversation, OutgoingWebhook } from '../../api/types';

/** A channel a webhook can be attached to. */
export interface ChannelOption {
  id: string;
  label: string;
}

/**
 * Channels the admin can attach a webhook to: the public ones (browsable) and the private ones
 * they are in — the same "channel you can see" rule the server applies. Archived ones and
 * DMs, groups and meeting chats are left out; sorted by name.
 */
export function channelOptions(publicChannels: readonly Conversation[], mine: readonly Conversation[]): ChannelOption[] {
  const byId = new Map<string, ChannelOption>();
  for (const c of [...publicChannels, ...mine]) {
    if ((c.kind !== 'public' && c.kind !== 'private') || c.archived || byId.has(c.id)) continue;
    byId.set(c.id, { id: c.id, label: channelLabel(c.id, c.name) });
  }
  return [...byId.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/** `#name`, or a short id when a channel has no name. */
export function channelLabel(id: string, name: string | null | undefined): string {
  return name ? `#${name}` : `#${id.slice(0, 8)}`;
}

/** Words typed with commas, spaces or new lines between them: trimmed, lower case, once each. */
export function parseTriggerWords(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[\s,;]+/)) {
    const w = raw.trim().toLowerCase();
    if (w && !out.includes(w)) out.push(w);
  }
  return out;
}

/**
 * A host as the allow-list holds it, from what an admin typed or pasted: a bare name or
 * address, or a whole URL (`https://hooks.internal:8443/x` → `hooks.internal`); lower case,
 * IPv6 without brackets, no trailing dot. Empty when nothing is left.
 */
export function normaliseHost(input: string): string {
  let s = input.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    try {
      s = new URL(s).hostname;
    } catch {
      s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
    }
  }
  // A pasted `host/path` or `host:port` (but not a bare IPv6 address).
  s = s.split('/')[0] ?? '';
  if (/^[^:[\]]+:\d+$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const bracketed = /^\[(.*)\](?::\d+)?$/.exec(s);
  if (bracketed) s = bracketed[1] ?? '';
  return s.replace(/\.+$/, '').toLowerCase();
}

/** The allow-list with one more host (normalised, not twice). */
export function withHost(hosts: readonly string[], input: string): string[] {
  const host = normaliseHost(input);
  if (!host || hosts.includes(host)) return [...hosts];
  return [...hosts, host];
}

/** Quotes a value for a POSIX shell. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A curl command that posts a Slack-shaped `{"text": …}` payload to an incoming webhook. */
export function curlExample(url: string, text: string): string {
  return [
    `curl -X POST ${shellQuote(url)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify({ text }))}`,
  ].join('\n');
}

export type DeliveryState = 'never' | 'ok' | 'failed';

/** Where an outgoing webhook's deliveries stand: none yet, the last one went through, or not. */
export function deliveryState(hook: Pick<OutgoingWebhook, 'last_status' | 'last_attempt_at'>): DeliveryState {
  if (!hook.last_attempt_at || !hook.last_status) return 'never';
  return hook.last_status === 'ok' ? 'ok' : 'failed';
}

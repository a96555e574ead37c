// Notifications: the rule for who is told of a message (the same as the server's
// `kantor_core::notify`), browser notifications while the tab is hidden, and this browser's Web
// Push subscription (service worker `/sw.js`, key from `GET /push/key`).

import { api, request } from '../api/client';
import type { components } from '../api/schema';

type Schemas = components['schemas'];
export type NotifyPref = Schemas['NotifyPref'];
type Conversation = Schemas['ConversationDto'];
type Message = Schemas['MessageDto'];

/** Whether a message should notify `meId`, and whether it is urgent (a DM or a mention). */
export function shouldNotify(
  c: Pick<Conversation, 'kind' | 'muted' | 'notify'>,
  m: Pick<Message, 'author' | 'mentions' | 'mention_here' | 'mention_channel'>,
  meId: string,
): boolean {
  if (m.author.id === meId || c.muted) return false;
  const channel = c.kind === 'public' || c.kind === 'private';
  const pref = c.notify === 'default' ? (channel ? 'mentions' : 'all') : c.notify;
  if (pref === 'none') return false;
  if (pref === 'all') return true;
  return m.mentions.includes(meId) || m.mention_here || m.mention_channel;
}

/** Mention tokens `<@id>` as `@name`, whitespace folded, at most 140 characters. */
export function notificationText(body: string, names: Record<string, string>): string {
  const text = body
    .replace(/<@([^>]+)>/g, (_, id: string) => `@${names[id] ?? '…'}`)
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(text);
  return chars.length <= 140 ? text : `${chars.slice(0, 139).join('').trimEnd()}…`;
}

/** Whether `now` falls in do-not-disturb hours "HH:MM"–"HH:MM" in `timeZone` (wrapping midnight). */
export function inDnd(start: string | null, end: string | null, timeZone: string, now: Date): boolean {
  if (!start || !end) return false;
  const minutes = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  };
  const [a, b] = [minutes(start), minutes(end)];
  if (a === b) return false;
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  } catch {
    return false;
  }
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = get('hour') * 60 + get('minute');
  return a < b ? local >= a && local < b : local >= a || local < b;
}

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function pushSupported(): boolean {
  return notificationsSupported() && 'serviceWorker' in navigator && 'PushManager' in window;
}

/** Registers `/sw.js` once, at start; failures only mean no push. */
export function registerServiceWorker(): void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
}

/** A browser notification for a message that arrived over the socket while the tab is hidden. */
export function showInAppNotification(title: string, body: string, tag: string, url: string): void {
  if (!notificationsSupported() || Notification.permission !== 'granted') return;
  if (typeof document !== 'undefined' && !document.hidden) return;
  try {
    const n = new Notification(title, { body, tag, icon: '/favicon.svg' });
    n.onclick = () => {
      window.focus();
      if (window.location.pathname !== url) window.location.assign(url);
      n.close();
    };
  } catch {
    // Some browsers (Android Chrome) only allow notifications from the service worker.
  }
}

function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const raw = atob(padded);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

export type PushState = 'unsupported' | 'denied' | 'off' | 'on';

export async function currentPushState(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = reg ? await reg.pushManager.getSubscription() : null;
  return sub && Notification.permission === 'granted' ? 'on' : 'off';
}

/** Asks for permission, subscribes this browser and tells the server. */
export async function enablePush(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return permission === 'denied' ? 'denied' : 'off';
  const { public_key } = await api.get<Schemas['PushKeyDto']>('/push/key');
  const reg = (await navigator.serviceWorker.getRegistration('/')) ?? (await navigator.serviceWorker.register('/sw.js', { scope: '/' }));
  await navigator.serviceWorker.ready;
  const sub =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(public_key) }));
  const json = sub.toJSON();
  await api.post<void>('/me/push-subscriptions', {
    endpoint: json.endpoint ?? sub.endpoint,
    keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' },
  } satisfies Schemas['PushSubscriptionInput']);
  return 'on';
}

/** Unsubscribes this browser and tells the server to forget it. */
export async function disablePush(): Promise<PushState> {
  if (!pushSupported()) return 'unsupported';
  const reg = await navigator.serviceWorker.getRegistration('/');
  const sub = reg ? await reg.pushManager.getSubscription() : null;
  if (sub) {
    await request<void>('/me/push-subscriptions', {
      method: 'DELETE',
      body: { endpoint: sub.endpoint } satisfies Schemas['PushUnsubscribeInput'],
    });
    await sub.unsubscribe();
  }
  return 'off';
}

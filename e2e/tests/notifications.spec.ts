// Notifications on the profile page in a real browser: with the notifications permission
// granted, "Aktifkan notifikasi" subscribes this browser with the server's VAPID key and posts
// the subscription; "Matikan" unsubscribes and deletes it. Headless Chromium has no push service
// (none is reachable here), so `PushManager` is replaced by a stand-in that makes real P-256 keys
// and records the applicationServerKey it was given. Delivery itself is tested in
// crates/kantor-server/tests/api/push.rs against a local push service.
// A channel's settings then switch it to every message.
// Screenshots: e2e/screenshots/notifications-*.png (look at them).
import { test, expect, screenshot, DESKTOP } from '../lib/fixtures';
import { chatOrg, watchErrors } from '../lib/chat';

const FAKE_PUSH_MANAGER = `(() => {
  let current = null;
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  PushManager.prototype.getSubscription = async function () { return current; };
  PushManager.prototype.subscribe = async function (options) {
    window.__applicationServerKey = b64(options.applicationServerKey);
    const pair = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
    const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
    const auth = crypto.getRandomValues(new Uint8Array(16));
    const endpoint = 'https://push.example.test/kantor/1';
    current = {
      endpoint,
      toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: b64(raw), auth: b64(auth) } }),
      unsubscribe: async () => { current = null; return true; },
    };
    return current;
  };
})();`;

test('the profile toggle asks permission and registers this browser for push', async ({ browser, server }) => {
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const { context, page } = org.owner;
  watchErrors(page, errors);
  await context.grantPermissions(['notifications']);
  await page.addInitScript(FAKE_PUSH_MANAGER);
  const calls: { method: string; body: unknown }[] = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/api/v1/me/push-subscriptions')) calls.push({ method: r.method(), body: r.postDataJSON() });
  });

  await page.goto('/profile');
  await expect(page.getByTestId('notification-settings')).toBeVisible();
  await expect(page.getByTestId('notification-state')).toHaveText('Notifikasi mati di browser ini.');
  await page.getByTestId('notification-enable').click();
  await expect(page.getByTestId('notification-state')).toHaveText('Notifikasi aktif di browser ini.');
  await expect(page.getByTestId('notification-error')).toHaveCount(0);

  const key = (await (await context.request.get('/api/v1/push/key')).json()).public_key as string;
  expect(await page.evaluate(() => (window as unknown as { __applicationServerKey: string }).__applicationServerKey)).toBe(key);
  expect(calls).toHaveLength(1);
  const posted = calls[0]!.body as { endpoint: string; keys: { p256dh: string; auth: string } };
  expect(calls[0]!.method).toBe('POST');
  expect(posted.endpoint).toBe('https://push.example.test/kantor/1');
  expect(posted.keys.p256dh).toHaveLength(87);
  expect(posted.keys.auth).toHaveLength(22);
  await screenshot(page, 'notifications-profile-on');

  await page.getByTestId('notification-disable').click();
  await expect(page.getByTestId('notification-state')).toHaveText('Notifikasi mati di browser ini.');
  expect(calls.map((c) => c.method)).toEqual(['POST', 'DELETE']);

  // Per conversation: "Notifikasi: Hanya sebutan" in a channel's settings.
  const headers = { 'X-CSRF-Token': org.owner.csrf };
  const made = await context.request.post(`/api/v1/orgs/${org.orgId}/chat/conversations`, {
    headers,
    data: { kind: 'public', name: 'pengumuman-dinas' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const cid: string = (await made.json()).id;
  await page.goto(`/o/${org.orgId}/chat/${cid}`);
  await page.getByTestId('conversation-settings').click();
  await expect(page.getByTestId('settings-notify')).toHaveValue('default');
  await page.getByTestId('settings-notify').selectOption('all');
  await expect
    .poll(async () => (await (await context.request.get(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}`)).json()).notify)
    .toBe('all');
  await expect(page.getByTestId('settings-notify')).toHaveValue('all');
  await page.getByTestId('settings-notify').scrollIntoViewIfNeeded();
  await screenshot(page, 'notifications-conversation-setting');
  expect(errors).toEqual([]);
});

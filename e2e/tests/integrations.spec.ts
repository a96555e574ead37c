// The Integrasi screen in a real browser: the owner makes an incoming webhook for a channel, reads
// its secret URL from the page (shown once) and posts a Slack-shaped payload to it from outside
// (no cookies) — the message appears in the channel. An outgoing webhook to a loopback address
// is refused with a clear message until the host is on the allow-list; its failed delivery is
// shown. A bot's token is shown once. Deleting a webhook asks first, and its URL stops working.
// A member sees no Integrasi entry. Screenshots go to e2e/screenshots/integrations-*.png (look).
import { request as playwrightRequest } from '@playwright/test';
import { test, expect, screenshot, DESKTOP, MOBILE } from '../lib/fixtures';
import { chatOrg, postMessage, watchErrors } from '../lib/chat';

test('an admin connects webhooks and a bot on the Integrasi page', async ({ browser, server }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: MOBILE });
  const budi = org.owner.page;
  watchErrors(budi, errors);
  const api = org.owner.context.request;
  const made = await api.post(`/api/v1/orgs/${org.orgId}/chat/conversations`, {
    headers: { 'X-CSRF-Token': org.owner.csrf },
    data: { kind: 'public', name: 'pemantauan-server' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const cid: string = (await made.json()).id;

  // The admin section has the entry.
  await budi.goto(`/o/${org.orgId}`);
  await budi.getByTestId('nav-integrations').first().click();
  await expect(budi).toHaveURL(new RegExp(`/o/${org.orgId}/integrations$`));
  await expect(budi.getByRole('heading', { name: 'Integrasi', level: 1 })).toBeVisible();
  await expect(budi.getByTestId('incoming-card')).toContainText('Belum ada webhook masuk.');

  // An incoming webhook: its URL is on the page once, with a curl example.
  await budi.getByTestId('incoming-name').fill('Pemantau Server');
  await budi.getByTestId('incoming-channel').selectOption(cid);
  await budi.getByTestId('incoming-create').click();
  const created = budi.getByTestId('incoming-created');
  await expect(created).toContainText('hanya ditampilkan sekali');
  const hookUrl = await budi.getByTestId('incoming-url').inputValue();
  expect(hookUrl).toMatch(/^https?:\/\/[^/]+\/hooks\/kh_\S+$/);
  await expect(budi.getByTestId('incoming-curl')).toContainText(`curl -X POST '${hookUrl}'`);
  await expect(budi.getByTestId('incoming-curl')).toContainText('{"text":"Halo dari webhook"}');
  await expect(budi.getByTestId('incoming-row').filter({ hasText: 'Pemantau Server' })).toContainText('#pemantauan-server');
  await screenshot(budi, 'integrations-incoming-created');

  // Another system posts to it — no session, the secret in the path is the credential.
  const outside = await playwrightRequest.newContext();
  const hooked = await outside.post(hookUrl, { data: { text: 'Halo dari webhook' } });
  expect(hooked.status(), await hooked.text()).toBe(200);

  // The message is in the channel, from the webhook's bot.
  await budi.goto(`${org.chatUrl}/${cid}`);
  const message = budi.getByTestId('message').filter({ hasText: 'Halo dari webhook' });
  await expect(message.getByTestId('message-author')).toHaveText('Pemantau Server');
  await screenshot(budi, 'integrations-webhook-message');

  // Once dismissed (or after a reload) the URL is not shown again.
  await budi.goto(`/o/${org.orgId}/integrations`);
  await expect(budi.getByTestId('incoming-row')).toHaveCount(1);
  await expect(budi.getByTestId('incoming-created')).toHaveCount(0);
  expect(await budi.content()).not.toContain(hookUrl.split('/hooks/')[1]);

  // An outgoing webhook to a loopback address is refused, with words that say why.
  await budi.getByTestId('outgoing-name').fill('Notifikasi Build');
  await budi.getByTestId('outgoing-channel').selectOption(cid);
  await budi.getByTestId('outgoing-url').fill('https://127.0.0.1/x');
  await budi.getByTestId('outgoing-words').fill('deploy, rilis');
  await budi.getByTestId('outgoing-create').click();
  const refused = budi.getByTestId('outgoing-error');
  await expect(refused).toHaveAttribute('data-code', 'webhook.address_refused');
  await expect(refused).toContainText('jaringan privat, loopback, atau alamat khusus');
  await expect(refused).toContainText('Host yang diizinkan');
  await screenshot(budi, 'integrations-outgoing-refused');

  // The admin allows the host (pasting the whole URL works), then the same form goes through.
  await expect(budi.getByTestId('allow-list-empty')).toBeVisible();
  await budi.getByTestId('allow-host-input').fill('https://127.0.0.1/x');
  await budi.getByTestId('allow-host-add').click();
  await expect(budi.getByTestId('allow-host')).toHaveAttribute('data-host', '127.0.0.1');
  expect((await (await api.get(`/api/v1/orgs/${org.orgId}/chat/webhooks/allow-list`)).json()).hosts).toEqual(['127.0.0.1']);
  await budi.getByTestId('outgoing-create').click();
  await expect(budi.getByTestId('outgoing-error')).toHaveCount(0);
  await expect(budi.getByTestId('outgoing-created')).toBeVisible();
  await expect(budi.getByTestId('outgoing-secret')).toHaveValue(/^kw_\S+$/);
  const outRow = budi.getByTestId('outgoing-row').filter({ hasText: 'Notifikasi Build' });
  await expect(outRow).toContainText('https://127.0.0.1/x');
  await expect(outRow).toContainText('deploy, rilis');
  await expect(outRow.getByTestId('outgoing-status')).toHaveAttribute('data-state', 'never');

  // A matching message is delivered; nothing listens on 127.0.0.1:443, so the list says it failed
  // and when (in the admin's zone, WIB).
  await postMessage(org.owner, org.orgId, cid, 'deploy versi 2.3 ke produksi', 'deploy-1');
  await expect
    .poll(
      async () => {
        await budi.reload();
        return budi.getByTestId('outgoing-row').getByTestId('outgoing-status').getAttribute('data-state');
      },
      { timeout: 30_000, intervals: [500, 1000, 2000] },
    )
    .toBe('failed');
  await expect(budi.getByTestId('outgoing-status')).toContainText('WIB');
  await expect(budi.getByTestId('outgoing-last-error')).toContainText('1 kali gagal');

  // A bot: its token is shown once.
  await budi.getByTestId('bot-name').fill('Robot Cuti');
  await budi.getByTestId('bot-create').click();
  const token = await budi.getByTestId('bot-token').inputValue();
  expect(token).toMatch(/^kt_\S+$/);
  await expect(budi.getByTestId('bot-row').filter({ hasText: 'Robot Cuti' })).toHaveCount(1);
  await screenshot(budi, 'integrations-desktop');
  const me = await playwrightRequest.newContext({ baseURL: server.url, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  const botMe = await me.get('/api/v1/me');
  expect(botMe.status(), await botMe.text()).toBe(200);
  expect((await botMe.json()).user.name).toBe('Robot Cuti');
  await budi.getByTestId('bot-created-done').click();
  await expect(budi.getByTestId('bot-token')).toHaveCount(0);
  expect(await budi.content()).not.toContain(token);

  // Deleting the incoming webhook asks first; cancelling keeps it.
  const inRow = budi.getByTestId('incoming-row').filter({ hasText: 'Pemantau Server' });
  await inRow.getByTestId('incoming-delete').click();
  const dialog = budi.getByTestId('confirm-dialog');
  await expect(dialog).toContainText('Hapus webhook “Pemantau Server”?');
  await dialog.getByTestId('confirm-cancel').click();
  await expect(inRow).toHaveCount(1);
  await inRow.getByTestId('incoming-delete').click();
  await screenshot(budi, 'integrations-confirm-delete');
  await dialog.getByTestId('confirm-ok').click();
  await expect(inRow).toHaveCount(0);
  await expect(budi.getByTestId('toast')).toContainText('Pemantau Server dihapus.');
  const gone = await outside.post(hookUrl, { data: { text: 'Masih ada?' } });
  expect(gone.status()).toBe(404);

  // On a phone the page fits the screen.
  await budi.setViewportSize(MOBILE);
  await budi.reload();
  await expect(budi.getByTestId('outgoing-row')).toHaveCount(1);
  expect(await budi.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(MOBILE.width);
  await screenshot(budi, 'integrations-phone');

  // A member has no Integrasi entry, and the address answers "no access".
  const rina = org.member.page;
  await rina.goto(`/o/${org.orgId}`);
  await expect(rina.getByTestId('bottom-nav-home')).toBeVisible();
  await expect(rina.getByTestId('nav-integrations')).toHaveCount(0);
  await rina.goto(`/o/${org.orgId}/integrations`);
  await expect(rina.getByTestId('forbidden')).toBeVisible();

  await outside.dispose();
  await me.dispose();
  expect(errors).toEqual([]);
});

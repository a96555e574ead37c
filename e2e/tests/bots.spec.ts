// A bot's interactive message in real browsers: a bot (made by the owner through the API) posts
// a message with two buttons; Rina clicks one; the bot — driven from this test with its token —
// hears the click on its own realtime socket (`chat.bot.action`, with Rina's identity) and edits
// the message; Rina sees the edit and the buttons go away.
// Screenshots go to e2e/screenshots/bots-*.png (look at them).
import { request as playwrightRequest } from '@playwright/test';
// The test plays the bot over a WebSocket with an Authorization header, which browsers cannot
// send; Playwright's own bundled `ws` client can (no extra dependency for one test).
const { ws: WebSocketClient } = require('playwright-core/lib/utilsBundle');
import { test, expect, screenshot, DESKTOP } from '../lib/fixtures';
import { chatOrg, watchErrors } from '../lib/chat';

test('a member clicks a bot button; the bot hears it on its socket and updates the message', async ({ browser, server }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const rina = org.member.page;
  watchErrors(rina, errors);
  const owner = org.owner.context.request;
  const csrf = { 'X-CSRF-Token': org.owner.csrf };

  const made = await owner.post(`/api/v1/orgs/${org.orgId}/chat/conversations`, {
    headers: csrf,
    data: { kind: 'public', name: 'cuti-pegawai' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const cid: string = (await made.json()).id;
  const joined = await org.member.context.request.post(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/join`, {
    headers: { 'X-CSRF-Token': org.member.csrf },
  });
  expect(joined.status(), await joined.text()).toBe(200);

  // The owner makes a bot; its token is shown once.
  const created = await owner.post(`/api/v1/orgs/${org.orgId}/bots`, { headers: csrf, data: { name: 'Robot Cuti' } });
  expect(created.status(), await created.text()).toBe(201);
  const { token } = await created.json();
  const bot = await playwrightRequest.newContext({ baseURL: server.url, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  const botJoin = await bot.post(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/join`);
  expect(botJoin.status(), await botJoin.text()).toBe(200);

  // The bot listens on its socket and answers a click by editing the message.
  const socket = new WebSocketClient(`${server.url.replace(/^http/, 'ws')}/api/v1/ws`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const clicks: Array<Record<string, unknown>> = [];
  const hello = new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('message', (raw: Buffer) => {
      const frame = JSON.parse(raw.toString());
      if (frame.type === 'hello') resolve();
      if (frame.type === 'event' && frame.kind === 'chat.bot.action') {
        const d = frame.data;
        clicks.push(d);
        const verdict = d.action_id === 'setuju' ? 'disetujui' : 'ditolak';
        void bot.patch(`/api/v1/orgs/${org.orgId}/chat/conversations/${d.conversation_id}/messages/${d.message_id}`, {
          data: { body: `Cuti Sari ${verdict} oleh ${d.user.name}.`, interactive: {} },
        });
      }
    });
  });
  await hello;

  const posted = await bot.post(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/messages`, {
    data: {
      client_key: 'cuti-17',
      body: 'Sari mengajukan cuti 2 hari (24–25 November).',
      interactive: {
        buttons: [
          { action_id: 'setuju', label: 'Setujui', value: 'cuti-17', style: 'primary' },
          { action_id: 'tolak', label: 'Tolak', value: 'cuti-17', style: 'danger' },
        ],
      },
    },
  });
  expect(posted.status(), await posted.text()).toBe(201);
  const mid: string = (await posted.json()).id;

  await rina.goto(`${org.chatUrl}/${cid}`);
  const message = rina.locator(`[data-message-id="${mid}"]`);
  await expect(message.getByTestId('message-author')).toHaveText('Robot Cuti');
  const buttons = message.getByTestId('interactive-button');
  await expect(buttons).toHaveText(['Setujui', 'Tolak']);
  await screenshot(rina, 'bots-buttons');

  await buttons.filter({ hasText: 'Setujui' }).click();
  await expect(message).toContainText('Cuti Sari disetujui oleh Rina Wulandari.');
  await expect(message.getByTestId('message-interactive')).toHaveCount(0);
  await screenshot(rina, 'bots-updated');
  expect(clicks).toHaveLength(1);
  expect(clicks[0]).toMatchObject({ action_id: 'setuju', value: 'cuti-17', user: { id: org.member.userId, name: 'Rina Wulandari' } });

  socket.close();
  await bot.dispose();
  expect(errors).toEqual([]);
});

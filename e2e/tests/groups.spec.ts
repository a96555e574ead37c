// Super groups in real browsers: the admin makes an org-wide group in announcement mode, a
// member cannot start messages there, the admin's announcement shows "Dibaca n / total" rising
// live as people read it in other contexts, the read-status dialog lists who has not read it,
// and "Ingatkan" reaches the unread member as a reminder over whatever screen she is on.
// Screenshots go to e2e/screenshots/groups-*.png (look at them).
import { test, expect, screenshot, DESKTOP } from '../lib/fixtures';
import { chatOrg, watchErrors } from '../lib/chat';

test('an org-wide announcement group: read count rises live, the unread are reminded', async ({ browser, server }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const budi = org.owner.page;
  const rina = org.member.page;
  watchErrors(budi, errors);
  watchErrors(rina, errors);

  // A third member, who only uses the API (she reads on her phone, say).
  const invite = await org.owner.context.request.post(`/api/v1/orgs/${org.orgId}/invites`, {
    headers: { 'X-CSRF-Token': org.owner.csrf },
    data: { email: 'sari@kominfo.go.id', role: 'member' },
  });
  expect(invite.status(), await invite.text()).toBe(201);
  const token = new URL((await invite.json()).url).pathname.split('/').pop()!;
  const sariCtx = await browser.newContext({ baseURL: server.url });
  const accepted = await sariCtx.request.post(`/api/v1/invites/${token}/accept`, {
    data: { name: 'Sari Dewi', password: 'kata-sandi-sari-1', time_zone: 'Asia/Makassar', language: 'id' },
  });
  expect(accepted.status(), await accepted.text()).toBe(200);
  const sari = await accepted.json();

  // The admin makes the group for everyone, in announcement mode.
  await budi.goto(org.chatUrl);
  await budi.getByTestId('chat-new-channel').click();
  await budi.getByTestId('new-channel-name').fill('pengumuman');
  await budi.getByTestId('new-channel-private').check();
  await budi.getByTestId('new-channel-org-wide').check();
  await budi.getByTestId('new-channel-announcement').check();
  await screenshot(budi, 'groups-new');
  await budi.getByTestId('new-channel-submit').click();
  await expect(budi.getByTestId('conversation-title')).toHaveText('pengumuman');
  const cid = await budi.getByTestId('conversation-pane').getAttribute('data-conversation-id');

  // Rina is in it without being added, and cannot start messages there.
  await rina.goto(org.chatUrl);
  await rina.getByTestId('conversation-row').filter({ hasText: 'pengumuman' }).click();
  await expect(rina.getByTestId('announcement-only')).toBeVisible();
  await expect(rina.getByTestId('composer-input')).toHaveCount(0);
  await rina.goto(`/o/${org.orgId}`);

  // The announcement: only Budi has read it.
  await budi.getByTestId('composer-input').fill('Apel pagi Senin pukul 07.30 WITA di halaman kantor bupati.');
  await budi.getByTestId('composer-input').press('Enter');
  const announcement = budi.getByTestId('conversation-pane').getByTestId('message').filter({ hasText: 'Apel pagi Senin' });
  const count = announcement.getByTestId('message-read-count');
  await expect(count).toHaveText(/Dibaca 1 \/ 3/);

  // Sari reads it on her phone: the count rises without a reload.
  const page = await org.owner.context.request.get(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/messages`);
  const messages = (await page.json()).messages as { seq: number; body: string }[];
  const seq = messages.find((m) => m.body.startsWith('Apel pagi'))!.seq;
  const read = await sariCtx.request.post(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/read`, {
    headers: { 'X-CSRF-Token': sari.csrf_token },
    data: { seq },
  });
  expect(read.status(), await read.text()).toBe(204);
  await expect(count).toHaveText(/Dibaca 2 \/ 3/);

  // Who has not read it: Rina. Budi reminds her.
  await count.click();
  const dialog = budi.getByTestId('readers-dialog');
  await expect(dialog.getByTestId('reader-row')).toHaveCount(1);
  await expect(dialog.getByTestId('reader-row')).toContainText('Rina Wulandari');
  await screenshot(budi, 'groups-readers');
  await dialog.getByTestId('readers-remind').click();
  await expect(budi.getByTestId('toast').filter({ hasText: '1 orang diingatkan' })).toBeVisible();
  await expect(dialog.getByTestId('readers-remind')).toBeDisabled();
  await dialog.getByTestId('readers-tab-read').click();
  await expect(dialog.getByTestId('reader-row')).toHaveCount(2);
  await budi.keyboard.press('Escape');

  // Rina, on the home screen, gets the reminder; "Baca" opens the announcement.
  const reminder = rina.getByTestId('reminder');
  await expect(reminder).toContainText('Budi Santoso mengingatkan Anda');
  await screenshot(rina, 'groups-reminder');
  await rina.bringToFront();
  await reminder.getByTestId('reminder-open').click();
  await expect(rina.getByTestId('conversation-title')).toHaveText('pengumuman');
  await expect(rina.getByTestId('message').filter({ hasText: 'Apel pagi Senin' })).toBeVisible();
  // Members see no read counts on others' messages.
  await expect(rina.getByTestId('message-read-count')).toHaveCount(0);

  // Everyone has read it now, live on Budi's screen.
  await budi.bringToFront();
  await expect(count).toHaveText(/Dibaca 3 \/ 3/);
  await screenshot(budi, 'groups-announcement');
  expect(errors).toEqual([]);
  await sariCtx.close();
});

// Chat (Obrolan) in real browsers against the real binary: two people in separate browser
// contexts talk live — channel, thread, reaction, edit, delete, picture, voice note, typing,
// unread badge, read ticks — plus hostile Markdown and the phone's one-pane navigation.
// Screenshots go to e2e/screenshots/chat-*.png (look at them).
import { test, expect, screenshot, DESKTOP } from '../lib/fixtures';
import { chatOrg, postMessage, watchErrors, type ChatOrg } from '../lib/chat';
import { CHROMIUM_ARGS } from '../playwright.config';
import type { Page } from '@playwright/test';

// A fake microphone (a tone) that needs no permission prompt, for the voice note.
test.use({
  launchOptions: {
    executablePath: process.env.KANTOR_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  },
});

const PHONE = { width: 360, height: 740 } as const;

/** A message in the conversation pane (the thread pane repeats its root). */
function message(page: Page, text: string) {
  return page.getByTestId('conversation-pane').getByTestId('message').filter({ hasText: text });
}

function row(page: Page, text: string) {
  return page.getByTestId('conversation-row').filter({ hasText: text });
}

async function createChannel(page: Page, name: string) {
  await page.getByTestId('chat-new-channel').click();
  await page.getByTestId('new-channel-name').fill(name);
  await page.getByTestId('new-channel-submit').click();
  await expect(page.getByTestId('conversation-title')).toHaveText(name);
}

async function send(page: Page, text: string, prefix = 'composer') {
  await page.getByTestId(`${prefix}-input`).fill(text);
  await page.getByTestId(`${prefix}-input`).press('Enter');
}

/** A real PNG drawn by the browser (the server checks image content, not only the name). */
async function drawPng(page: Page): Promise<Buffer> {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 1200;
    c.height = 800;
    const g = c.getContext('2d')!;
    const grad = g.createLinearGradient(0, 0, 1200, 800);
    grad.addColorStop(0, '#0f766e');
    grad.addColorStop(1, '#1d4ed8');
    g.fillStyle = grad;
    g.fillRect(0, 0, 1200, 800);
    g.fillStyle = '#fff';
    g.font = 'bold 96px sans-serif';
    g.fillText('Denah ruang rapat', 120, 420);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1]!, 'base64');
}

test('two people chat live: thread, reaction, edit, delete, picture, voice note, unread, read ticks', async ({ browser, server }) => {
  const errors: string[] = [];
  const org: ChatOrg = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP, timezoneId: 'Asia/Makassar' });
  const { owner, member } = org;
  watchErrors(owner.page, errors);
  watchErrors(member.page, errors);
  const budi = owner.page;
  const rina = member.page;

  // The owner opens Obrolan from the navigation and makes a public channel.
  await budi.goto(`/o/${org.orgId}`);
  await budi.getByTestId('nav-chat').click();
  await expect(budi.getByTestId('chat-sidebar')).toBeVisible();
  await createChannel(budi, 'umum');

  // Rina finds it under "browse channels" and joins.
  await rina.goto(org.chatUrl);
  await rina.getByTestId('chat-browse-channels').click();
  await rina.getByTestId('browse-channel-row').filter({ hasText: 'umum' }).getByTestId('browse-channel-join').click();
  await expect(rina.getByTestId('conversation-title')).toHaveText('umum');

  // Typing shows on the other side; the message arrives live.
  await budi.getByTestId('composer-input').pressSequentially('Selamat pagi', { delay: 20 });
  await expect(rina.getByTestId('typing-indicator')).toContainText('Budi Santoso sedang mengetik');
  await budi.getByTestId('composer-input').fill('Selamat pagi **semua**, rapat jam 09.00 ya');
  await budi.getByTestId('composer-input').press('Enter');
  const first = message(rina, 'Selamat pagi');
  await expect(first).toBeVisible();
  await expect(first.locator('strong', { hasText: 'semua' })).toBeVisible();
  await expect(message(budi, 'Selamat pagi')).toHaveAttribute('data-status', 'sent');

  // Rina answers in a thread; Budi sees the reply count.
  await first.hover();
  await first.getByTestId('message-reply-thread').click();
  await expect(rina.getByTestId('thread-pane')).toBeVisible();
  await send(rina, 'Siap, saya hadir', 'thread-composer');
  await expect(rina.getByTestId('thread-replies').getByTestId('message')).toHaveCount(1);
  await expect(message(budi, 'Selamat pagi').getByTestId('thread-link')).toHaveAttribute('data-count', '1');
  await screenshot(rina, 'chat-thread-desktop');

  // A reaction from Budi reaches Rina.
  const mine = message(budi, 'Selamat pagi');
  await mine.hover();
  await mine.getByTestId('message-react').click();
  await budi.locator('[data-testid="emoji-option"][data-emoji="👍"]').first().click();
  await expect(first.getByTestId('reaction')).toHaveAttribute('data-count', '1');

  // ↑ in the empty composer edits the last message; the other side sees "(diedit)".
  await budi.getByTestId('composer-input').click();
  await budi.getByTestId('composer-input').press('ArrowUp');
  await expect(budi.getByTestId('composer-editing')).toBeVisible();
  await budi.getByTestId('composer-input').fill('Selamat pagi **semua**, rapat jam 10.00 ya');
  await budi.getByTestId('composer-input').press('Enter');
  await expect(message(rina, 'jam 10.00').getByTestId('message-edited')).toBeVisible();

  // A message sent and deleted leaves a placeholder for both.
  await send(budi, 'Pesan salah kirim');
  const wrong = message(budi, 'Pesan salah kirim');
  await expect(message(rina, 'Pesan salah kirim')).toBeVisible();
  await wrong.hover();
  await wrong.getByTestId('message-more').click();
  await budi.getByTestId('message-action-delete').click();
  await budi.getByTestId('confirm-ok').click();
  await expect(rina.getByTestId('message-deleted')).toHaveCount(1);
  await expect(budi.getByTestId('message-deleted')).toHaveCount(1);

  // A picture: attached, shrunk in the browser, uploaded, shown as a thumbnail on both sides.
  await budi.getByTestId('composer-file-input').setInputFiles({ name: 'denah.png', mimeType: 'image/png', buffer: await drawPng(budi) });
  await expect(budi.getByTestId('composer-upload')).toHaveAttribute('data-status', 'done');
  await budi.getByTestId('composer-input').fill('Denah ruang rapat');
  await budi.getByTestId('composer-send').click();
  await expect(message(rina, 'Denah ruang rapat').getByTestId('attachment-image')).toBeVisible();
  await message(rina, 'Denah ruang rapat').getByTestId('attachment-image').click();
  await expect(rina.getByTestId('lightbox-image')).toBeVisible();
  await screenshot(rina, 'chat-lightbox-desktop');
  await rina.keyboard.press('Escape');
  await expect(rina.getByTestId('lightbox')).toBeHidden();

  // A voice note from the fake microphone.
  await budi.getByTestId('composer-voice').click();
  await expect(budi.getByTestId('voice-recording')).toBeVisible();
  await expect(budi.getByTestId('voice-duration')).toHaveText(/0:0[2-9]/);
  await budi.getByTestId('voice-stop').click();
  await expect(budi.getByTestId('composer-upload')).toHaveAttribute('data-status', 'done');
  await budi.getByTestId('composer-send').click();
  await expect(rina.getByTestId('attachment-audio')).toHaveCount(1);
  await expect(budi.getByTestId('attachment-audio')).toHaveCount(1);
  await screenshot(budi, 'chat-channel-desktop');

  // A direct message while Rina looks at #umum: her sidebar counts it as unread.
  await budi.getByTestId('chat-new-dm').click();
  await budi.getByTestId('new-dm-picker-search').fill('Rina');
  await budi.getByTestId('new-dm-picker-option').filter({ hasText: 'Rina Wulandari' }).click();
  await budi.getByTestId('new-dm-submit').click();
  await expect(budi.getByTestId('conversation-title')).toContainText('Rina Wulandari');
  await send(budi, 'Rin, tolong cek laporan kemarin');
  const dmRow = row(rina, 'Budi Santoso');
  await expect(dmRow).toHaveAttribute('data-unread', '1');
  // @-autocomplete: the box shows "@Rina Wulandari", the server gets a mention token.
  await budi.getByTestId('composer-input').pressSequentially('Terima kasih @Rin', { delay: 20 });
  await expect(budi.getByTestId('autocomplete-option').first()).toContainText('Rina Wulandari');
  await budi.getByTestId('composer-input').press('Enter');
  await expect(budi.getByTestId('composer-input')).toHaveValue('Terima kasih @Rina Wulandari ');
  await budi.getByTestId('composer-input').press('Enter');
  await expect(dmRow).toHaveAttribute('data-unread', '2');
  await expect(dmRow).toHaveAttribute('data-mentions', '1');
  await expect(dmRow.getByTestId('conversation-unread')).toHaveText('2');
  // The Chat entry in the navigation carries the total.
  await expect(rina.getByTestId('nav-chat-unread')).toHaveText('2');
  // Budi's ticks: sent, not read yet.
  await expect(message(budi, 'tolong cek laporan').getByTestId('message-read-tick')).toHaveAttribute('data-state', 'sent');
  await screenshot(rina, 'chat-unread-desktop');

  // Rina opens the DM (the window has focus) → read; Budi's ticks turn to ✓✓.
  await rina.bringToFront();
  await dmRow.click();
  await expect(message(rina, 'tolong cek laporan')).toBeVisible();
  // Opened at the first unread message, under the "new messages" divider.
  await expect(rina.getByTestId('new-messages-divider')).toBeVisible();
  await expect(message(rina, 'Terima kasih').getByTestId('mention-chip')).toHaveText('@Rina Wulandari');
  await expect(row(rina, 'Budi Santoso')).toHaveAttribute('data-unread', '0');
  await expect(rina.getByTestId('nav-chat-unread')).toHaveCount(0);
  await budi.bringToFront();
  await expect(message(budi, 'tolong cek laporan').getByTestId('message-read-tick')).toHaveAttribute('data-state', 'read');
  await screenshot(budi, 'chat-dm-read-desktop');

  // Presence: Budi is online in Rina's sidebar, and offline once his browser is gone.
  const budiDot = row(rina, 'Budi Santoso').getByTestId('presence-dot');
  await expect(budiDot).toHaveAttribute('data-state', 'online');
  expect(errors, 'uncaught errors in the pages').toEqual([]);
  await owner.context.close();
  await expect(budiDot).toHaveAttribute('data-state', 'offline');
  await member.context.close();
});

test('status, pins, quote, forward, edit history, scheduled messages, quick switcher, channel settings', async ({ browser, server }) => {
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const { owner, member } = org;
  watchErrors(owner.page, errors);
  const budi = owner.page;
  await budi.goto(org.chatUrl);

  // Status: a preset, saved on the account, shown in the sidebar.
  await budi.getByTestId('chat-status-open').click();
  await budi.getByTestId('status-preset-wfh').click();
  await budi.getByTestId('status-expiry').selectOption('today');
  await screenshot(budi, 'chat-status-dialog');
  await budi.getByTestId('status-save').click();
  await expect(budi.getByTestId('my-status-text')).toContainText('WFH');

  await createChannel(budi, 'umum');
  await createChannel(budi, 'rapat-koordinasi');
  await send(budi, 'Agenda: evaluasi layanan _aplikasi_ daerah');
  const agenda = message(budi, 'Agenda: evaluasi').first();
  await expect(agenda).toHaveAttribute('data-status', 'sent');

  // Pin it; the pinned list shows it.
  await agenda.hover();
  await agenda.getByTestId('message-more').click();
  await budi.getByTestId('message-action-pin').click();
  await expect(agenda.getByTestId('message-pinned')).toBeVisible();
  await budi.getByTestId('conversation-pins').click();
  await expect(budi.getByTestId('pin-row')).toHaveCount(1);
  await budi.getByTestId('pins-dialog').getByRole('button', { name: 'Tutup' }).click();

  // Quote-reply.
  await agenda.hover();
  await agenda.getByTestId('message-more').click();
  await budi.getByTestId('message-action-quote').click();
  await expect(budi.getByTestId('composer-quote')).toContainText('Agenda: evaluasi');
  await send(budi, 'Setuju, mulai jam 13.00');
  await expect(message(budi, 'Setuju, mulai').getByTestId('message-quote')).toContainText('Agenda: evaluasi');

  // Edit through the menu, then read the history.
  await agenda.hover();
  await agenda.getByTestId('message-more').click();
  await budi.getByTestId('message-action-edit').click();
  await budi.getByTestId('composer-input').fill('Agenda: evaluasi layanan aplikasi daerah dan SPBE');
  await budi.getByTestId('composer-input').press('Enter');
  await message(budi, 'dan SPBE').getByTestId('message-edited').click();
  await expect(budi.getByTestId('edit-history-entry')).toHaveCount(1);
  await expect(budi.getByTestId('edit-history-entry')).toContainText('Agenda: evaluasi layanan aplikasi daerah');
  await budi.getByTestId('edit-history-dialog').getByRole('button', { name: 'Tutup' }).click();

  // Forward to #umum.
  const edited = message(budi, 'dan SPBE');
  await edited.hover();
  await edited.getByTestId('message-more').click();
  await budi.getByTestId('message-action-forward').click();
  await budi.getByTestId('forward-option').filter({ hasText: 'umum' }).click();
  await budi.getByTestId('forward-comment').fill('Untuk diketahui');
  await budi.getByTestId('forward-submit').click();

  // Ctrl+K: the quick switcher opens #umum, where the forwarded copy is.
  await budi.keyboard.press('Control+k');
  await budi.getByTestId('quick-switcher-input').fill('umu');
  await budi.getByTestId('quick-switcher-input').press('Enter');
  await expect(budi.getByTestId('conversation-title')).toHaveText('umum');
  await expect(message(budi, 'Untuk diketahui').getByTestId('message-forwarded')).toContainText('dan SPBE');

  // Send later: an hour from now; listed, then cancelled.
  await budi.getByTestId('composer-input').fill('Pengingat: kirim laporan mingguan');
  await budi.getByTestId('composer-later').click();
  await budi.getByTestId('send-later-hour').click();
  await expect(budi.getByTestId('toast').first()).toBeVisible();
  await expect(budi.getByTestId('composer-input')).toHaveValue('');
  await budi.getByTestId('chat-scheduled-open').click();
  await expect(budi.getByTestId('scheduled-row')).toHaveCount(1);
  await screenshot(budi, 'chat-scheduled-desktop');
  await budi.getByTestId('scheduled-cancel').click();
  await expect(budi.getByTestId('scheduled-row')).toHaveCount(0);
  await budi.getByTestId('scheduled-dialog').getByRole('button', { name: 'Tutup' }).click();

  // Channel settings: topic, mute, then archive (asks first); the channel becomes read-only.
  await row(budi, 'rapat-koordinasi').click();
  await budi.getByTestId('conversation-settings').click();
  await budi.getByTestId('settings-topic').fill('Rapat koordinasi mingguan bidang TIK');
  await budi.getByTestId('settings-save').click();
  await expect(budi.getByTestId('conversation-topic')).toHaveText('Rapat koordinasi mingguan bidang TIK');
  await budi.getByTestId('settings-mute').check();
  await expect(row(budi, 'rapat-koordinasi')).toHaveClass(/muted-conv/);
  await screenshot(budi, 'chat-settings-desktop');
  await budi.getByTestId('settings-archive').click();
  await budi.getByTestId('confirm-ok').click();
  await expect(budi.getByTestId('conversation-archived')).toBeVisible();
  await budi.getByTestId('conversation-settings-dialog').getByRole('button', { name: 'Tutup' }).click();

  // The member sees Budi's status next to his name; the whole screen speaks English too.
  const rina = member.page;
  await rina.goto(org.chatUrl);
  await rina.getByTestId('chat-browse-channels').click();
  await rina.getByTestId('browse-channel-row').filter({ hasText: 'umum' }).getByTestId('browse-channel-join').click();
  await expect(message(rina, 'Untuk diketahui').getByTestId('status-badge')).toContainText('WFH');
  await rina.getByTestId('lang-toggle-en').click();
  await expect(rina.getByTestId('composer-input')).toHaveAttribute('placeholder', 'Message #umum');
  await screenshot(rina, 'chat-english-desktop');

  expect(errors).toEqual([]);
  await owner.context.close();
  await member.context.close();
});

test('hostile Markdown renders as text (no script, no event handlers, no javascript: links); a failed send retries with its client_key', async ({ browser, server }) => {
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const { owner, member } = org;
  watchErrors(owner.page, errors);
  await owner.page.goto(org.chatUrl);
  await createChannel(owner.page, 'uji-keamanan');
  const hostile = [
    '<script>window.__xss = 1</script>',
    '<img src=x onerror="window.__xss = 2">',
    '[klik saya](javascript:window.__xss=3) dan [data](data:text/html;base64,PHNjcmlwdD4=)',
    '[situs resmi](https://kominfo.go.id) atau https://luwukab.go.id/berita.',
    '**tebal** _miring_ ~coret~ `kode` <@bukan-anggota> @here',
    '```',
    '<svg onload=alert(1)></svg>',
    '```',
    '> kutipan <b onmouseover=alert(1)>x</b>',
  ].join('\n');
  await owner.page.getByTestId('composer-input').fill(hostile);
  await owner.page.getByTestId('composer-input').press('Enter');
  const msg = message(owner.page, 'klik saya');
  await expect(msg).toHaveAttribute('data-status', 'sent');
  const body = msg.getByTestId('message-body');
  await expect(body).toContainText('<script>window.__xss = 1</script>');
  await expect(body).toContainText('<img src=x onerror="window.__xss = 2">');

  const report = await body.evaluate((el) => {
    const all = [...el.querySelectorAll('*')];
    return {
      scripts: el.querySelectorAll('script, iframe, object, embed, svg, img').length,
      handlers: all.flatMap((n) => [...n.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${n.tagName}.${a.name}`)),
      hrefs: all.filter((n) => n.hasAttribute('href')).map((n) => n.getAttribute('href')),
      links: [...el.querySelectorAll('a')].map((a) => ({ rel: a.getAttribute('rel'), target: a.getAttribute('target') })),
      bold: el.querySelectorAll('strong').length,
      code: el.querySelectorAll('pre code').length,
      quote: el.querySelectorAll('blockquote').length,
    };
  });
  expect(report.scripts).toBe(0);
  expect(report.handlers).toEqual([]);
  expect(report.hrefs).toEqual(['https://kominfo.go.id/', 'https://luwukab.go.id/berita']);
  for (const link of report.links) expect(link).toEqual({ rel: 'noopener noreferrer', target: '_blank' });
  expect(report.bold).toBe(1);
  expect(report.code).toBe(1);
  expect(report.quote).toBe(1);
  // A token for someone the server did not list as mentioned stays plain text.
  await expect(body.getByTestId('mention-chip')).toHaveCount(0);
  await expect(body).toContainText('<@bukan-anggota>');
  expect(await owner.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  await screenshot(owner.page, 'chat-markdown-desktop');

  // A send that fails shows "gagal — coba lagi"; retry sends the same client_key once more.
  const keys: string[] = [];
  let failNext = true;
  await owner.page.route('**/chat/conversations/*/messages', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    keys.push(JSON.parse(route.request().postData() ?? '{}').client_key);
    if (failNext) {
      failNext = false;
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  await owner.page.getByTestId('composer-input').fill('Pesan saat sinyal hilang');
  await owner.page.getByTestId('composer-input').press('Enter');
  const failed = message(owner.page, 'sinyal hilang');
  await expect(failed).toHaveAttribute('data-status', 'failed');
  await expect(failed.getByTestId('message-failed')).toContainText('gagal — coba lagi');
  await failed.getByTestId('message-retry').click();
  await expect(message(owner.page, 'sinyal hilang')).toHaveAttribute('data-status', 'sent');
  expect(keys).toHaveLength(2);
  expect(keys[1]).toBe(keys[0]);

  expect(errors).toEqual([]);
  await owner.context.close();
  await member.context.close();
});

test('a phone shows one pane at a time: list → conversation → thread → back', async ({ browser, server }) => {
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: PHONE, timezoneId: 'Asia/Jayapura' });
  const { owner, member } = org;
  watchErrors(member.page, errors);

  // The owner makes a channel with a long-ish history through the API (two and a half pages),
  // and a thread on the last message.
  await owner.page.goto(org.chatUrl);
  await createChannel(owner.page, 'pengumuman');
  const cid = await owner.page.getByTestId('conversation-pane').getAttribute('data-conversation-id');
  for (let i = 1; i <= 120; i++) {
    await postMessage(owner, org.orgId, cid!, `Pengumuman nomor ${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  }

  const phone = member.page;
  await phone.goto(org.chatUrl);
  await expect(phone.getByTestId('chat-sidebar')).toBeVisible();
  await phone.getByTestId('chat-browse-channels').click();
  await phone.getByTestId('browse-channel-row').filter({ hasText: 'pengumuman' }).getByTestId('browse-channel-join').click();
  await expect(phone.getByTestId('conversation-pane')).toBeVisible();
  await expect(phone.getByTestId('chat-sidebar')).toBeHidden();
  await expect(message(phone, 'Pengumuman nomor 120')).toBeVisible();

  // Scrolling up loads older pages and keeps going to the very first message.
  const scroller = phone.locator('.message-list [data-virtuoso-scroller]');
  for (let i = 0; i < 30 && !(await phone.getByTestId('conversation-start').isVisible()); i++) {
    await scroller.evaluate((el) => el.scrollBy(0, -4000));
    await phone.waitForTimeout(150);
  }
  await expect(phone.getByTestId('conversation-start')).toBeVisible();
  await expect(phone.getByTestId('jump-latest')).toBeVisible();
  await phone.getByTestId('jump-latest').click();
  await expect(message(phone, 'Pengumuman nomor 120')).toBeVisible();
  await expect(phone.getByTestId('jump-latest')).toBeHidden();
  await screenshot(phone, 'chat-phone-conversation');

  // Back to the list, then a thread, then back twice.
  await phone.getByTestId('chat-back').click();
  await expect(phone.getByTestId('chat-sidebar')).toBeVisible();
  await expect(phone.getByTestId('conversation-pane')).toBeHidden();
  await screenshot(phone, 'chat-phone-list');
  await row(phone, 'pengumuman').click();
  const last = message(phone, 'Pengumuman nomor 120');
  await last.getByTestId('message-body').click();
  await last.dispatchEvent('touchstart');
  await phone.waitForTimeout(650);
  await last.dispatchEvent('touchend');
  await expect(phone.getByTestId('message-menu')).toBeVisible();
  await screenshot(phone, 'chat-phone-menu');
  await phone.getByTestId('message-action-thread').click();
  await expect(phone.getByTestId('thread-pane')).toBeVisible();
  await expect(phone.getByTestId('conversation-pane')).toBeHidden();
  await send(phone, 'Baik, terima kasih infonya', 'thread-composer');
  await expect(phone.getByTestId('thread-replies').getByTestId('message')).toHaveCount(1);
  await screenshot(phone, 'chat-phone-thread');
  await phone.getByTestId('thread-back').click();
  await expect(phone.getByTestId('conversation-pane')).toBeVisible();
  await expect(phone.getByTestId('thread-pane')).toHaveCount(0);
  await phone.getByTestId('conversation-settings').click();
  await expect(phone.getByTestId('settings-member-row')).toHaveCount(2);
  await screenshot(phone, 'chat-phone-settings');
  await phone.getByTestId('conversation-settings-dialog').getByRole('button', { name: 'Tutup' }).click();
  await phone.getByTestId('chat-back').click();
  await expect(phone.getByTestId('chat-sidebar')).toBeVisible();
  await phone.getByTestId('chat-new-dm').click();
  await expect(phone.getByTestId('new-dm-picker-option')).toHaveCount(1);
  await screenshot(phone, 'chat-phone-new-dm');
  await phone.getByTestId('new-dm-dialog').getByRole('button', { name: 'Tutup' }).click();

  // 130 messages arrive while Rina looks at the list: opening the channel starts at the first
  // unread under the divider (a page around it), scrolling down loads the newer pages.
  for (let i = 121; i <= 250; i++) {
    await postMessage(owner, org.orgId, cid!, `Pengumuman nomor ${i}`, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  }
  await expect(row(phone, 'pengumuman')).toHaveAttribute('data-unread', '130');
  await row(phone, 'pengumuman').click();
  await expect(phone.getByTestId('new-messages-divider')).toBeVisible();
  await expect(message(phone, 'Pengumuman nomor 121')).toBeVisible();
  await screenshot(phone, 'chat-phone-unread');
  for (let i = 0; i < 40 && !(await message(phone, 'Pengumuman nomor 250').isVisible()); i++) {
    await scroller.evaluate((el) => el.scrollBy(0, 4000));
    await phone.waitForTimeout(150);
  }
  await expect(message(phone, 'Pengumuman nomor 250')).toBeVisible();
  await expect(row(phone, 'pengumuman')).toHaveAttribute('data-unread', '0');

  expect(errors).toEqual([]);
  await owner.context.close();
  await member.context.close();
});

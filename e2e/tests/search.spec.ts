// Chat search in real browsers: a member writes "mencari" in a channel, another finds it by
// "pencarian" (the Indonesian stem), sees the word marked, and lands on the message far back in
// the channel's history; filters (in:#channel from:@person) narrow the results; a syntax error
// points at its place in the query; the phone shows search as its own pane.
// Screenshots go to e2e/screenshots/search-*.png (look at them).
import { test, expect, screenshot, DESKTOP, MOBILE } from '../lib/fixtures';
import { chatOrg, postMessage, watchErrors } from '../lib/chat';

const TARGET = 'Kami sedang mencari ruang rapat untuk besok';

test('search finds stemmed Indonesian words, filters, jumps to the message, and shows errors', async ({ browser, server }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const budi = org.owner.page;
  const rina = org.member.page;
  watchErrors(budi, errors);
  watchErrors(rina, errors);

  // A channel both are in, through the API.
  const made = await org.owner.context.request.post(`/api/v1/orgs/${org.orgId}/chat/conversations`, {
    headers: { 'X-CSRF-Token': org.owner.csrf },
    data: { kind: 'public', name: 'umum-kantor', topic: 'Urusan kantor sehari-hari' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const cid: string = (await made.json()).id;
  const joined = await org.member.context.request.post(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/join`, {
    headers: { 'X-CSRF-Token': org.member.csrf },
  });
  expect(joined.status(), await joined.text()).toBe(200);

  // Rina writes in the channel through the UI…
  await rina.goto(`${org.chatUrl}/${cid}`);
  await rina.getByTestId('composer-input').fill(TARGET);
  await rina.getByTestId('composer-input').press('Enter');
  await expect(rina.getByTestId('conversation-pane').getByTestId('message').filter({ hasText: TARGET })).toHaveAttribute('data-status', 'sent');
  // …and the channel moves on: more than a page of newer messages.
  for (let i = 1; i <= 70; i++) {
    await postMessage(org.owner, org.orgId, cid, `Catatan harian nomor ${i}`, `seed-${i}`);
  }

  // Budi searches "pencarian" from the chat's sidebar.
  await budi.goto(org.chatUrl);
  await budi.getByTestId('chat-search-open').click();
  await expect(budi.getByTestId('chat-search-pane')).toBeVisible();
  await expect(budi.getByTestId('chat-search-input')).toBeFocused();
  await budi.getByTestId('chat-search-input').fill('pencarian');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(budi).toHaveURL(/\/chat\?q=pencarian$/);
  const result = budi.getByTestId('chat-search-result');
  await expect(result).toHaveCount(1);
  await expect(result.getByTestId('chat-search-snippet')).toHaveText(TARGET);
  await expect(result.locator('mark')).toHaveText(['mencari']);
  await expect(result.getByTestId('chat-search-result-conversation')).toHaveText('umum-kantor');
  await expect(result).toContainText('Rina Wulandari');
  await screenshot(budi, 'search-results');

  // The result opens the channel at the message, far above the newest page.
  await result.click();
  await expect(budi).toHaveURL(new RegExp(`/chat/${cid}$`));
  const target = budi.getByTestId('conversation-pane').getByTestId('message').filter({ hasText: TARGET });
  await expect(target).toBeInViewport();
  await expect(target).toHaveAttribute('data-flash', 'true');
  await expect(budi.getByTestId('jump-latest')).toBeVisible();
  await screenshot(budi, 'search-jump');

  // Back returns to the results; `/` opens search from anywhere on the chat screen.
  await budi.goBack();
  await expect(budi.getByTestId('chat-search-result')).toHaveCount(1);
  await budi.goto(`${org.chatUrl}/${cid}`);
  await budi.getByTestId('message-list').click();
  await budi.keyboard.press('/');
  await expect(budi.getByTestId('chat-search-input')).toBeFocused();

  // Filters: in:#channel from:@person, typed with the chips' help.
  await budi.getByTestId('chat-search-chip').filter({ hasText: 'in:#' }).click();
  await expect(budi.getByTestId('chat-search-input')).toHaveValue('in:#');
  await budi.getByTestId('chat-search-input').fill('ruang in:#umum-kantor from:@rina');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(result).toHaveCount(1);
  await expect(result.locator('mark')).toHaveText(['ruang']);
  // Budi's own notes are in the channel too, but not from Rina.
  await budi.getByTestId('chat-search-input').fill('catatan from:@rina');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(budi.getByTestId('chat-search-results')).toContainText('Tidak ada pesan yang cocok.');
  await budi.getByTestId('chat-search-input').fill('catatan in:#umum-kantor');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(result).toHaveCount(20);
  await expect(budi.getByTestId('chat-search-more')).toBeVisible();
  await budi.getByTestId('chat-search-more').click();
  await expect(result).toHaveCount(40);
  // A message in the middle of the history opens there too.
  await budi.getByTestId('chat-search-input').fill('"nomor 35"');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(result).toHaveCount(1);
  await result.click();
  await expect(budi.getByTestId('conversation-pane').getByTestId('message').filter({ hasText: 'Catatan harian nomor 35' })).toBeInViewport();
  await budi.goBack();
  await budi.getByTestId('chat-search-input').fill('rapat in:#umum-kantor from:@rina');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(result).toHaveCount(1);
  await screenshot(budi, 'search-filters');

  // A syntax error names its place in the query.
  await budi.getByTestId('chat-search-input').fill('rapat before:2026-02-30');
  await budi.getByTestId('chat-search-input').press('Enter');
  const error = budi.getByTestId('chat-search-error');
  await expect(error).toHaveAttribute('data-code', 'search.bad_date');
  await expect(error).toContainText('Tanggal tidak valid');
  await expect(budi.getByTestId('chat-search-error-position')).toHaveAttribute('data-position', '13');
  await expect(error.locator('mark')).toHaveText('2026-02-30');
  await screenshot(budi, 'search-error');
  // A channel one is not in is not known.
  await budi.getByTestId('chat-search-input').fill('rapat in:#rahasia');
  await budi.getByTestId('chat-search-input').press('Enter');
  await expect(error).toHaveAttribute('data-code', 'search.unknown_channel');

  // On a phone, search is its own pane; a result opens the conversation.
  const phone = await browser.newContext({ baseURL: server.url, viewport: MOBILE, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
  await phone.addCookies(await org.member.context.cookies());
  const small = await phone.newPage();
  watchErrors(small, errors);
  await small.goto(org.chatUrl);
  await small.getByTestId('chat-search-open').click();
  await small.getByTestId('chat-search-input').fill('dicari');
  await small.getByTestId('chat-search-input').press('Enter');
  await expect(small.getByTestId('chat-search-result')).toHaveCount(1);
  await expect(small.getByTestId('chat-sidebar')).toBeHidden();
  await screenshot(small, 'search-phone');
  await small.getByTestId('chat-search-result').click();
  await expect(small.getByTestId('conversation-pane').getByTestId('message').filter({ hasText: TARGET })).toBeInViewport();
  await screenshot(small, 'search-phone-jump');
  await phone.close();

  expect(errors).toEqual([]);
});

// Chat retention and export in a real browser: the owner keeps messages 30 days (and sees what
// that deletes), puts a channel on legal hold, exports the whole organisation and downloads the
// ZIP, which holds conversations.json, the channel's messages and its file.
// Screenshots go to e2e/screenshots/retention-*.png (look at them).
import { readFileSync } from 'node:fs';
import { test, expect, screenshot, DESKTOP } from '../lib/fixtures';
import { chatOrg, postMessage, watchErrors } from '../lib/chat';

test('an admin sets retention, holds a channel, and exports the organisation', async ({ browser, server }) => {
  test.setTimeout(120_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const budi = org.owner.page;
  watchErrors(budi, errors);
  const headers = { 'X-CSRF-Token': org.owner.csrf };
  const api = org.owner.context.request;

  // A channel with a message and a file, through the API.
  const made = await api.post(`/api/v1/orgs/${org.orgId}/chat/conversations`, {
    headers,
    data: { kind: 'private', name: 'perkara-hukum' },
  });
  expect(made.status(), await made.text()).toBe(201);
  const cid: string = (await made.json()).id;
  const uploaded = await api.post(`/api/v1/orgs/${org.orgId}/chat/files?name=laporan.pdf`, {
    headers: { ...headers, 'Content-Type': 'application/pdf' },
    data: Buffer.from('%PDF-1.7 laporan perkara'),
  });
  expect(uploaded.status(), await uploaded.text()).toBe(201);
  const fileId: string = (await uploaded.json()).id;
  const posted = await api.post(`/api/v1/orgs/${org.orgId}/chat/conversations/${cid}/messages`, {
    headers,
    data: { client_key: 'bukti-1', body: 'Berkas bukti terlampir', attachment_ids: [fileId] },
  });
  expect(posted.status(), await posted.text()).toBe(201);
  await postMessage(org.owner, org.orgId, cid, 'Catatan sidang pertama', 'catatan-1');

  // The admin section is in the sidebar.
  await budi.goto(`/o/${org.orgId}`);
  await budi.getByTestId('nav-retention').first().click();
  await expect(budi).toHaveURL(new RegExp(`/o/${org.orgId}/chat-retention$`));
  await expect(budi.getByRole('heading', { name: 'Retensi & ekspor obrolan' })).toBeVisible();
  await expect(budi.getByTestId('retention-forever')).toBeChecked();
  await expect(budi.getByTestId('retention-warning')).toHaveCount(0);

  // 30 days, with the warning of what goes.
  await budi.getByTestId('retention-limited').check();
  await budi.getByTestId('retention-days').fill('30');
  await expect(budi.getByTestId('retention-warning')).toContainText('30 hari');
  await budi.getByTestId('retention-save').click();
  await expect.poll(async () => (await (await api.get(`/api/v1/orgs/${org.orgId}/chat/retention`)).json()).keep_days).toBe(30);

  // A legal hold on the channel.
  const row = budi.getByTestId('hold-row').filter({ hasText: '#perkara-hukum' });
  await row.getByTestId('hold-reason').fill('Perkara 12/2026');
  await row.getByTestId('hold-toggle').check();
  await expect(row.getByTestId('hold-toggle')).toBeChecked();
  await expect(row.getByTestId('hold-reason')).toBeDisabled();
  await screenshot(budi, 'retention-policy-and-hold');

  // Export the whole organisation and download it.
  await budi.getByTestId('export-scope').selectOption('');
  await budi.getByTestId('export-start').click();
  const exportRow = budi.getByTestId('export-row').first();
  await expect(exportRow).toHaveAttribute('data-state', 'done', { timeout: 30_000 });
  await screenshot(budi, 'retention-export-ready');
  const [download] = await Promise.all([budi.waitForEvent('download'), exportRow.getByTestId('export-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^kantor-chat-[0-9a-f]{32}\.zip$/);
  const zip = readFileSync(await download.path());
  expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
  const text = zip.toString('latin1');
  expect(text).toContain('conversations.json');
  expect(text).toContain(`messages/${cid}.json`);
  expect(text).toContain(`files/${fileId}-laporan.pdf`);
  expect(text).toContain('Berkas bukti terlampir');
  expect(text).toContain('%PDF-1.7 laporan perkara');

  // Everything is in the audit log.
  await budi.getByTestId('nav-audit').first().click();
  for (const action of ['chat.retention.update', 'chat.legal_hold.set', 'chat.export.create', 'chat.export.download']) {
    await expect(budi.locator(`[data-testid="audit-row"][data-action="${action}"]`)).toHaveCount(1);
  }
  await screenshot(budi, 'retention-audit');
  expect(errors).toEqual([]);
});

// Meeting attendance (Kehadiran) in real browsers against the real binary: a host and a member
// join a meeting, the member leaves, the host opens Kehadiran from Rapat and sees both with
// their minutes, then downloads the XLSX (read back here) and the CSV with `;`. Screenshots:
// e2e/screenshots/attendance-*.png.
import { test as base, expect } from '@playwright/test';
import { chatOrg, watchErrors } from '../lib/chat';
import { screenshot, DESKTOP, MOBILE } from '../lib/screenshot';
import { startServer, type KantorServer } from '../lib/server';
import { readFirstSheet } from '../lib/xlsx';
import { CHROMIUM_ARGS } from '../playwright.config';

base.use({
  launchOptions: {
    executablePath: process.env.KANTOR_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  },
});

const test = base.extend<{ server: KantorServer }>({
  server: async ({}, use, testInfo) => {
    const server = await startServer({
      env: { KANTOR_MEDIA_PORT: '0', KANTOR_MEDIA_BIND: '127.0.0.1', KANTOR_MEDIA_PUBLIC_IP: '127.0.0.1' },
    });
    try {
      await use(server);
    } finally {
      await server.stop();
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('kantor-output.txt', { body: server.output(), contentType: 'text/plain' });
      }
    }
  },
});

test('attendance export opened and checked', async ({ browser, server }) => {
  test.setTimeout(180_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const host = org.owner.page;
  const member = org.member.page;
  for (const p of [org.owner, org.member]) await p.context.grantPermissions(['camera', 'microphone']);
  watchErrors(host, errors);
  watchErrors(member, errors);

  // Rina gets a unit and an NIP, so the report shows them.
  const unit = await org.owner.context.request.post(`/api/v1/orgs/${org.orgId}/units`, {
    headers: { 'X-CSRF-Token': org.owner.csrf },
    data: { name: 'Bidang Aplikasi Informatika' },
  });
  expect(unit.status(), await unit.text()).toBe(201);
  const placed = await org.owner.context.request.patch(`/api/v1/orgs/${org.orgId}/members/${org.member.userId}`, {
    headers: { 'X-CSRF-Token': org.owner.csrf },
    data: { unit_id: (await unit.json()).id, employee_number: '199003152015032001', position: 'Pranata Komputer' },
  });
  expect(placed.status(), await placed.text()).toBe(200);

  // The host starts a meeting; Rina joins, stays a moment and leaves.
  await host.goto(`/o/${org.orgId}/meet`);
  await host.getByTestId('meet-new-title').fill('Rapat Evaluasi Layanan');
  await host.getByTestId('meet-new-submit').click();
  await host.waitForURL(/\/meet\/\d{10,11}\?pwd=/);
  const url = new URL(host.url());
  await host.getByTestId('prejoin-join').click();
  await expect(host.getByTestId('meet-room')).toBeVisible();
  await member.goto(`${url.pathname}${url.search}`);
  await member.getByTestId('prejoin-join').click();
  await expect(member.getByTestId('meet-room')).toBeVisible();
  await expect(host.getByTestId('alone-card')).toHaveCount(0);
  await member.waitForTimeout(1500);
  await member.getByTestId('ctl-leave').click();
  await expect(member.getByTestId('meet-final')).toBeVisible();
  await expect(host.getByTestId('alone-card')).toBeVisible();

  // The host opens Rapat in a second tab (the meeting keeps running) and then Kehadiran.
  const tab = await org.owner.context.newPage();
  watchErrors(tab, errors);
  await tab.goto(`/o/${org.orgId}/meet`);
  const row = tab.getByTestId('meeting-row').filter({ hasText: 'Rapat Evaluasi Layanan' });
  const meetingId = (await row.getAttribute('data-meeting-id'))!;
  await screenshot(tab, 'attendance-meetings-list');
  await row.getByTestId('meeting-attendance').click();
  await expect(tab.getByTestId('attendance')).toBeVisible();
  const rows = tab.getByTestId('attendance-row');
  await expect(rows).toHaveCount(2);
  const rina = rows.filter({ hasText: 'Rina Wulandari' });
  await expect(rina).toHaveAttribute('data-status', 'hadir');
  await expect(rina).toContainText('199003152015032001');
  await expect(rina).toContainText('Bidang Aplikasi Informatika');
  await expect(rina.getByTestId('attendance-stay')).toHaveCount(1);
  await expect(rina.getByTestId('attendance-minutes')).toContainText('mnt');
  const budi = rows.filter({ hasText: 'Budi Santoso' });
  await expect(budi).toHaveAttribute('data-status', 'hadir');
  await expect(budi.getByTestId('attendance-stay')).toContainText('masih di rapat');
  await expect(tab.getByTestId('attendance-totals')).toContainText('2 hadir');
  await screenshot(tab, 'attendance-host');

  // The XLSX: title, Indonesian headers, both people, minutes as numbers.
  const [xlsxDownload] = await Promise.all([tab.waitForEvent('download'), tab.getByTestId('attendance-export-xlsx').click()]);
  expect(xlsxDownload.suggestedFilename()).toMatch(/^kehadiran-rapat-evaluasi-layanan-\d{4}-\d{2}-\d{2}\.xlsx$/);
  const xlsxPath = await xlsxDownload.path();
  const { readFileSync } = await import('node:fs');
  const sheet = readFirstSheet(readFileSync(xlsxPath!));
  expect(String(sheet[0][0])).toBe('Kehadiran rapat: Rapat Evaluasi Layanan');
  expect(String(sheet[1][0])).toContain('WIB');
  expect(sheet[3].slice(0, 4)).toEqual(['No', 'Nama', 'NIP/NIK', 'Unit kerja']);
  expect(sheet[3][10]).toBe('Total menit');
  const rinaLine = sheet.find((l) => l[1] === 'Rina Wulandari');
  expect(rinaLine, JSON.stringify(sheet)).toBeTruthy();
  expect(rinaLine![2]).toBe('199003152015032001');
  expect(rinaLine![3]).toBe('Bidang Aplikasi Informatika');
  expect(rinaLine![7]).toBe('Hadir');
  expect(typeof rinaLine![10]).toBe('number');
  const budiLine = sheet.find((l) => l[1] === 'Budi Santoso');
  expect(budiLine![5]).toBe('Tuan rumah');
  expect(typeof budiLine![10]).toBe('number');

  // The CSV for Indonesian Excel: a byte-order mark and semicolons.
  const [csvDownload] = await Promise.all([tab.waitForEvent('download'), tab.getByTestId('attendance-export-csv').click()]);
  expect(csvDownload.suggestedFilename()).toMatch(/\.csv$/);
  const csv = readFileSync((await csvDownload.path())!);
  expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const lines = csv.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  expect(lines[0].startsWith('No;Nama;NIP/NIK;Unit kerja;')).toBe(true);
  expect(lines.some((l) => l.includes(';Rina Wulandari;199003152015032001;Bidang Aplikasi Informatika;'))).toBe(true);

  // The exports are in the audit log.
  const audit = await org.owner.context.request.get(`/api/v1/orgs/${org.orgId}/audit`);
  const items: { action: string }[] = (await audit.json()).items;
  expect(items.filter((i) => i.action === 'meeting.attendance.export')).toHaveLength(2);

  // Rina is not the host, HR or a leader: the report is not there for her.
  await member.goto(`/o/${org.orgId}/meet`);
  await expect(member.getByTestId('meeting-attendance')).toHaveCount(0);
  await member.goto(`/o/${org.orgId}/meet/${meetingId}/attendance`);
  await expect(member.getByTestId('attendance-hidden')).toBeVisible();

  // On a phone each person is a card.
  await tab.setViewportSize(MOBILE);
  await expect(rina).toBeVisible();
  await screenshot(tab, 'attendance-phone');
  expect(errors).toEqual([]);
});

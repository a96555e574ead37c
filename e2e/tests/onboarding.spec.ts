// The foundation's story in a real browser: setup → unit tree → import → invite → accept in a
// second browser context → log in → switch language. Screenshots of each screen go to
// e2e/screenshots/ (look at them).
import path from 'node:path';
import { request } from '@playwright/test';
import { test, expect, screenshot, DESKTOP, MOBILE } from '../lib/fixtures';

test('an owner sets up the office and an invited person joins', async ({ page, browser, server }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.setViewportSize(DESKTOP);

  // First-run setup (Bahasa Indonesia by default).
  await page.goto(server.setupUrl);
  await expect(page.getByTestId('setup-form')).toBeVisible();
  await screenshot(page, '01-setup');
  await page.getByTestId('setup-org-name').fill('Dinas Kominfo Kabupaten Luwu');
  await page.getByTestId('setup-name').fill('Budi Santoso');
  await page.getByTestId('setup-email').fill('budi@kominfo.go.id');
  await page.getByTestId('setup-password').fill('rahasia-sekali-123');
  await page.getByTestId('setup-submit').click();
  await expect(page.getByTestId('home')).toBeVisible();
  await expect(page.getByTestId('home-org-name')).toContainText('Dinas Kominfo Kabupaten Luwu');
  await screenshot(page, '02-home');

  // Unit tree: Dinas Kominfo → Bidang TIK.
  await page.getByTestId('nav-units').click();
  await page.getByTestId('unit-add-root').click();
  await page.getByTestId('unit-name-input').fill('Dinas Kominfo');
  await page.getByTestId('unit-save').click();
  const root = page.getByTestId('unit-row').filter({ hasText: 'Dinas Kominfo' });
  await expect(root).toBeVisible();
  await root.getByTestId('unit-add-child').first().click();
  await page.getByTestId('unit-name-input').fill('Bidang Aplikasi');
  await page.getByTestId('unit-save').click();
  await expect(page.getByTestId('unit-row').filter({ hasText: 'Bidang Aplikasi' })).toBeVisible();
  await screenshot(page, '03-units');

  // Import staff: preview shows the bad row, nothing is imported until confirmed.
  await page.getByTestId('nav-import').click();
  await page.getByTestId('import-file').setInputFiles(path.join(__dirname, '..', 'fixtures', 'staff.csv'));
  await page.getByTestId('import-upload').click();
  await expect(page.getByTestId('import-preview')).toBeVisible();
  await expect(page.getByTestId('import-counts')).toHaveAttribute('data-valid', '3');
  await expect(page.getByTestId('import-counts')).toHaveAttribute('data-errors', '1');
  await screenshot(page, '04-import-preview');
  await page.getByTestId('import-skip-invalid').check();
  await page.getByTestId('import-confirm').click();
  await expect(page.getByTestId('import-result-count')).toHaveAttribute('data-count', '3');
  await screenshot(page, '05-import-result');

  // The imported people are listed and searchable.
  await page.getByTestId('nav-members').click();
  await expect(page.getByTestId('member-row')).toHaveCount(4);
  await page.getByTestId('members-search').fill('wenda');
  await expect(page.getByTestId('member-row')).toHaveCount(1);
  await screenshot(page, '06-members');

  // Invite someone by link.
  await page.getByTestId('nav-invites').click();
  await page.getByTestId('invite-email').fill('rina@kominfo.go.id');
  await page.getByTestId('invite-create').click();
  const link = await page.getByTestId('invite-link').inputValue();
  expect(link).toContain('/invite/ki_');
  await screenshot(page, '07-invites');

  // The invited person accepts in a separate browser context, on a phone.
  const phone = await browser.newContext({ viewport: MOBILE, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  const guest = await phone.newPage();
  await guest.goto(link);
  await expect(guest.getByTestId('invite-form')).toBeVisible();
  await guest.getByTestId('invite-accept-name').fill('Rina Wulandari');
  await guest.getByTestId('invite-accept-password').fill('kata-sandi-rina-1');
  await guest.getByTestId('invite-accept-time-zone').selectOption('Asia/Makassar');
  await screenshot(guest, '08-invite-accept-phone');
  await guest.getByTestId('invite-accept-submit').click();
  await expect(guest.getByTestId('home')).toBeVisible();
  await screenshot(guest, '09-home-phone');

  // Log out and back in, then switch to English.
  await guest.getByTestId('user-menu').click();
  await guest.getByTestId('logout').click();
  await expect(guest.getByTestId('login-form')).toBeVisible();
  await guest.getByTestId('login-email').fill('rina@kominfo.go.id');
  await guest.getByTestId('login-password').fill('kata-sandi-rina-1');
  await guest.getByTestId('login-submit').click();
  await expect(guest.getByTestId('home')).toBeVisible();
  const indonesian = await guest.locator('body').innerText();
  await guest.getByTestId('lang-toggle-en').click();
  await expect(guest.getByTestId('lang-toggle-en')).toHaveAttribute('aria-pressed', 'true');
  const english = await guest.locator('body').innerText();
  expect(english).not.toEqual(indonesian);
  await screenshot(guest, '10-home-english-phone');
  await phone.close();

  // The owner sees the new member and the audit trail.
  await page.getByTestId('nav-audit').click();
  await expect(page.locator('[data-testid="audit-row"][data-action="invite.accept"]')).toBeVisible();
  await screenshot(page, '11-audit');

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

test('a wrong password is refused without revealing the account', async ({ page, server }) => {
  // Set up through the API in a separate request context, so this browser has no session.
  const token = new URL(server.setupUrl).searchParams.get('token');
  const api = await request.newContext({ baseURL: server.url });
  const setup = await api.post('/api/v1/setup', {
    data: { token, org_name: 'PT Nusantara', name: 'Dewi', email: 'dewi@nusantara.co.id', password: 'rahasia-sekali-123', time_zone: 'Asia/Jakarta', language: 'id' },
  });
  expect(setup.status()).toBe(200);
  await api.dispose();
  await page.setViewportSize(MOBILE);
  await page.goto(server.url + '/login');
  await expect(page.getByTestId('login-form')).toBeVisible();
  await page.getByTestId('login-email').fill('nobody@example.id');
  await page.getByTestId('login-password').fill('wrong-password');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('login-error')).toHaveAttribute('data-code', 'auth.invalid_credentials');
  await screenshot(page, '12-login-error-phone');
});

test('names with HTML, quotes and emoji are shown as text, never run', async ({ page, server }) => {
  const token = new URL(server.setupUrl).searchParams.get('token');
  const api = await request.newContext({ baseURL: server.url });
  const tricky = `<img src=x onerror="window.__xss=1">Seksi "Khusus" & O'Brien 🎉`;
  const setup = await api.post('/api/v1/setup', {
    data: { token, org_name: `<script>window.__xss=2</script>Dinas`, name: 'Dewi', email: 'dewi@nusantara.co.id', password: 'rahasia-sekali-123', time_zone: 'Asia/Jakarta', language: 'id' },
  });
  expect(setup.status()).toBe(200);
  const me = await setup.json();
  const orgId = me.memberships[0].org.id;
  const unit = await api.post(`/api/v1/orgs/${orgId}/units`, { data: { name: tricky }, headers: { 'x-csrf-token': me.csrf_token } });
  expect(unit.status()).toBe(201);
  await api.dispose();

  await page.goto(server.url + '/login');
  await page.getByTestId('login-email').fill('dewi@nusantara.co.id');
  await page.getByTestId('login-password').fill('rahasia-sekali-123');
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('home')).toBeVisible();
  await page.getByTestId('nav-units').click();
  const row = page.getByTestId('unit-row').filter({ hasText: 'Seksi "Khusus"' });
  await expect(row).toContainText(tricky);
  await expect(page.locator('body')).toContainText('<script>window.__xss=2</script>Dinas');
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  await screenshot(page, '13-escaped-names');
});

test('the sign-in form and the navigation work from the keyboard alone', async ({ page, server }) => {
  const token = new URL(server.setupUrl).searchParams.get('token');
  const api = await request.newContext({ baseURL: server.url });
  const setup = await api.post('/api/v1/setup', {
    data: { token, org_name: 'SMK Negeri 1', name: 'Pak Joko', email: 'joko@smkn1.sch.id', password: 'rahasia-sekali-123', time_zone: 'Asia/Jayapura', language: 'id' },
  });
  expect(setup.status()).toBe(200);
  await api.dispose();

  await page.goto(server.url + '/login');
  await page.getByTestId('login-email').focus();
  await page.keyboard.type('joko@smkn1.sch.id');
  await page.keyboard.press('Tab');
  await expect(page.getByTestId('login-password')).toBeFocused();
  await page.keyboard.type('rahasia-sekali-123');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('home')).toBeVisible();

  // Tab through the shell until the units link has focus, then follow it with Enter.
  const units = page.getByTestId('nav-units');
  let reached = false;
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await units.evaluate((el) => el === document.activeElement);
  }
  expect(reached, 'the units link is reachable with Tab').toBe(true);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('unit-add-root')).toBeVisible();
  await screenshot(page, '14-keyboard-units');
});

import { test, expect, screenshot, DESKTOP, MOBILE } from '../lib/fixtures';

test('setup link opens the setup screen (desktop and phone)', async ({ page, server }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));

  expect(server.setupUrl).toContain('/setup?token=');

  await page.setViewportSize(DESKTOP);
  const response = await page.goto(server.setupUrl);
  expect(response?.status(), 'setup page HTTP status').toBeLessThan(400);
  await page.waitForLoadState('networkidle');
  await expect(page.locator('body')).not.toBeEmpty();
  await screenshot(page, 'setup-desktop');

  await page.setViewportSize(MOBILE);
  await expect(page.getByTestId('setup-form')).toBeVisible();
  await screenshot(page, 'setup-mobile');

  expect(pageErrors, 'uncaught errors in the page').toEqual([]);
});

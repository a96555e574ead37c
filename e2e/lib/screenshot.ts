import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';

/** Where screenshots go (gitignored): e2e/screenshots/ */
export const SCREENSHOT_DIR = path.resolve(__dirname, '..', 'screenshots');

/** Save a full-page screenshot of `page` as e2e/screenshots/NAME.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(`screenshot name must be [A-Za-z0-9._-]+, got ${JSON.stringify(name)}`);
  }
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

export const DESKTOP = { width: 1280, height: 800 } as const;
export const MOBILE = { width: 360, height: 780 } as const;

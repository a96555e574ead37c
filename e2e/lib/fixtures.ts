// `test` with a `server` fixture: a fresh `kantor serve` (own temp data dir) per test.
// Usage: import { test, expect } from '../lib/fixtures';
import { test as base, expect } from '@playwright/test';
import { startServer, type KantorServer } from './server';

export const test = base.extend<{ server: KantorServer }>({
  server: async ({}, use, testInfo) => {
    const server = await startServer();
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

export { expect };
export { startServer, kantorBin, type KantorServer } from './server';
export { screenshot, DESKTOP, MOBILE } from './screenshot';

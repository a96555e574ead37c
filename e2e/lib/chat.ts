// Two signed-in people in one organisation, for the chat tests: the owner (set up through the
// API) and a member who accepted an invite — each in their own browser context, so they chat
// live with each other. Setup goes through the API (`context.request` shares the context's
// cookies), the chat itself through the UI.
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { KantorServer } from './server';

export interface Person {
  context: BrowserContext;
  page: Page;
  userId: string;
  name: string;
  csrf: string;
}

export interface ChatOrg {
  orgId: string;
  owner: Person;
  member: Person;
  chatUrl: string;
}

interface PersonOptions {
  viewport: { width: number; height: number };
  timezoneId?: string;
}

async function newContext(browser: Browser, server: KantorServer, opts: PersonOptions): Promise<BrowserContext> {
  return browser.newContext({
    baseURL: server.url,
    viewport: opts.viewport,
    locale: 'id-ID',
    timezoneId: opts.timezoneId ?? 'Asia/Jakarta',
    permissions: ['microphone'],
  });
}

export async function chatOrg(
  browser: Browser,
  server: KantorServer,
  ownerOpts: PersonOptions,
  memberOpts: PersonOptions,
): Promise<ChatOrg> {
  const ownerCtx = await newContext(browser, server, ownerOpts);
  const setup = await ownerCtx.request.post('/api/v1/setup', {
    data: {
      token: server.setupToken,
      org_name: 'Dinas Kominfo Kabupaten Luwu',
      name: 'Budi Santoso',
      email: 'budi@kominfo.go.id',
      password: 'rahasia-sekali-123',
      time_zone: 'Asia/Jakarta',
      language: 'id',
    },
  });
  expect(setup.status(), await setup.text()).toBe(200);
  const me = await setup.json();
  const orgId: string = me.memberships[0].org.id;
  const invite = await ownerCtx.request.post(`/api/v1/orgs/${orgId}/invites`, {
    headers: { 'X-CSRF-Token': me.csrf_token },
    data: { email: 'rina@kominfo.go.id', role: 'member' },
  });
  expect(invite.status(), await invite.text()).toBe(201);
  const token = new URL((await invite.json()).url).pathname.split('/').pop()!;

  const memberCtx = await newContext(browser, server, memberOpts);
  const accept = await memberCtx.request.post(`/api/v1/invites/${token}/accept`, {
    data: { name: 'Rina Wulandari', password: 'kata-sandi-rina-1', time_zone: memberOpts.timezoneId ?? 'Asia/Jakarta', language: 'id' },
  });
  expect(accept.status(), await accept.text()).toBe(200);
  const rina = await accept.json();

  const chatUrl = `/o/${orgId}/chat`;
  return {
    orgId,
    chatUrl,
    owner: { context: ownerCtx, page: await ownerCtx.newPage(), userId: me.user.id, name: me.user.name, csrf: me.csrf_token },
    member: { context: memberCtx, page: await memberCtx.newPage(), userId: rina.user.id, name: rina.user.name, csrf: rina.csrf_token },
  };
}

/** Collects uncaught page errors, to assert none happened. */
export function watchErrors(page: Page, into: string[]): void {
  page.on('pageerror', (err) => into.push(`${page.url()}: ${String(err)}`));
}

/** Posts a message through the API (for seeding long histories quickly). */
export async function postMessage(person: Person, orgId: string, cid: string, body: string, clientKey: string): Promise<void> {
  const res = await person.context.request.post(`/api/v1/orgs/${orgId}/chat/conversations/${cid}/messages`, {
    headers: { 'X-CSRF-Token': person.csrf },
    data: { client_key: clientKey, body },
  });
  expect(res.status(), await res.text()).toBe(201);
}

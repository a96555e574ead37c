// Meetings (Rapat) in real browsers against the real binary and its SFU: a host, a signed-in
// member and a guest on a phone meet; each decodes the others' video; a screen share arrives at
// full width; the host admits the guest from the waiting room, mutes and asks to unmute; the
// phone switches to data saver (the server forwards the quarter layer); a wrong passcode is
// refused; the host ends the meeting for everyone. Screenshots go to e2e/screenshots/meet-*.png.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { test as base, expect, type Page } from '@playwright/test';
import { chatOrg, watchErrors } from '../lib/chat';
import { screenshot, DESKTOP, MOBILE } from '../lib/screenshot';
import { startServer, type KantorServer } from '../lib/server';
import { CHROMIUM_ARGS } from '../playwright.config';

// Fake camera, microphone and screen without prompts.
base.use({
  launchOptions: {
    executablePath: process.env.KANTOR_CHROMIUM ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  },
});

// Media on a free UDP port on loopback, so parallel servers never collide.
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

interface Inbound {
  peer: string | null;
  source: string | null;
  framesDecoded: number;
  frameWidth: number;
  frameHeight: number;
}

/** The video this page receives, per remote track (from getStats on the subscribe connection). */
async function inboundVideo(page: Page): Promise<Inbound[]> {
  return page.evaluate(async () => {
    const hook = (window as unknown as { __kantorMeet?: { subPc: RTCPeerConnection | null; tracks: Record<string, { peer: string; source: string }> } }).__kantorMeet;
    const pc = hook?.subPc;
    if (!pc) return [];
    const midOfTrack = new Map<string, string>();
    for (const tx of pc.getTransceivers()) if (tx.mid) midOfTrack.set(tx.receiver.track.id, tx.mid);
    const stats = await pc.getStats();
    const out: Inbound[] = [];
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      const mid = (s.mid as string | undefined) ?? midOfTrack.get(s.trackIdentifier as string);
      const info = mid ? hook!.tracks[mid] : undefined;
      out.push({
        peer: info?.peer ?? null,
        source: info?.source ?? null,
        framesDecoded: (s.framesDecoded as number) ?? 0,
        frameWidth: (s.frameWidth as number) ?? 0,
        frameHeight: (s.frameHeight as number) ?? 0,
      });
    });
    return out;
  });
}

function frames(list: Inbound[], peer: string, source: string): Inbound | undefined {
  return list.filter((x) => x.peer === peer && x.source === source).sort((a, b) => b.framesDecoded - a.framesDecoded)[0];
}

/** `page` decodes `source` video from each of `peers`, and keeps decoding. */
async function expectVideoFrom(page: Page, peers: string[], source = 'cam') {
  await expect
    .poll(async () => {
      const v = await inboundVideo(page);
      return peers.map((p) => frames(v, p, source)?.framesDecoded ?? 0).every((n) => n > 0);
    }, { timeout: 45_000, message: `video (${source}) from ${peers.join(', ')}` })
    .toBe(true);
  const before = await inboundVideo(page);
  await expect
    .poll(async () => {
      const after = await inboundVideo(page);
      return peers.every((p) => (frames(after, p, source)?.framesDecoded ?? 0) > (frames(before, p, source)?.framesDecoded ?? 0));
    }, { timeout: 30_000, message: `frames (${source}) from ${peers.join(', ')} keep rising` })
    .toBe(true);
}

/** Every <video> on the page shows a frame (for screenshots: a video that just mounted is black). */
async function videosPainted(page: Page) {
  await expect
    .poll(() => page.evaluate(() => [...document.querySelectorAll('video')].every((v) => v.readyState >= 2 && v.videoWidth > 0)), {
      timeout: 30_000,
      message: 'videos show a frame',
    })
    .toBe(true);
}

/**
 * Starts timing join → first frame on `page` (on its pre-join screen): from the click on the join
 * button (its event time) to the first remote video frame decoded (inbound-rtp framesDecoded > 0
 * on the subscribe connection, polled in the page every 20 ms). Read it with firstFrameMs.
 */
async function timeJoinToFirstFrame(page: Page) {
  await expect(page.getByTestId('prejoin-join')).toBeEnabled();
  await page.evaluate(() => {
    const w = window as unknown as { __joinClickAt?: number; __firstFrameAt?: number; __kantorMeet?: { subPc: RTCPeerConnection | null } };
    delete w.__joinClickAt;
    delete w.__firstFrameAt;
    const button = document.querySelector('[data-testid="prejoin-join"]')!;
    button.addEventListener(
      'click',
      (e) => {
        w.__joinClickAt = e.timeStamp;
        let busy = false;
        const timer = setInterval(async () => {
          const pc = w.__kantorMeet?.subPc;
          if (!pc || busy) return;
          busy = true;
          try {
            const stats = await pc.getStats();
            let decoded = false;
            stats.forEach((s: Record<string, unknown>) => {
              if (s.type === 'inbound-rtp' && s.kind === 'video' && ((s.framesDecoded as number) ?? 0) > 0) decoded = true;
            });
            if (decoded && w.__firstFrameAt === undefined) {
              w.__firstFrameAt = performance.now();
              clearInterval(timer);
            }
          } catch {
            // connection replaced; keep polling
          } finally {
            busy = false;
          }
        }, 20);
        setTimeout(() => clearInterval(timer), 120_000);
      },
      { capture: true, once: true },
    );
  });
}

/** Milliseconds from the join click to the first remote frame decoded (see timeJoinToFirstFrame). */
async function firstFrameMs(page: Page): Promise<number> {
  const read = () =>
    page.evaluate(() => {
      const w = window as unknown as { __joinClickAt?: number; __firstFrameAt?: number };
      return w.__joinClickAt !== undefined && w.__firstFrameAt !== undefined ? w.__firstFrameAt - w.__joinClickAt : null;
    });
  await expect.poll(read, { timeout: 60_000, message: 'first remote frame after joining' }).not.toBeNull();
  return Math.round((await read())!);
}

async function myId(page: Page): Promise<string> {
  const id = await page.locator('[data-testid="tile"][data-me="true"]').first().getAttribute('data-peer-id');
  expect(id).toBeTruthy();
  return id!;
}

function tileOf(page: Page, id: string) {
  return page.locator(`[data-testid="tile"][data-peer-id="${id}"]`).first();
}

async function openMore(page: Page) {
  await page.getByTestId('ctl-more').click();
  await expect(page.getByTestId('more-menu')).toBeVisible();
}

test('host, member and a guest on a phone meet: video, screen share, waiting room, host controls, data saver', async ({ browser, server }) => {
  test.setTimeout(300_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const host = org.owner.page;
  const member = org.member.page;
  for (const p of [org.owner, org.member]) await p.context.grantPermissions(['camera', 'microphone']);
  watchErrors(host, errors);
  watchErrors(member, errors);

  // The host starts an instant meeting from Rapat.
  await host.goto(`/o/${org.orgId}`);
  await host.getByTestId('nav-meet').click();
  await expect(host.getByTestId('meetings')).toBeVisible();
  await host.getByTestId('meet-join-number').pressSequentially('81234567890');
  await expect(host.getByTestId('meet-join-number')).toHaveValue('812 3456 7890');
  await host.getByTestId('meet-join-number').fill('');
  await host.getByTestId('meet-new-title').fill('Rapat koordinasi mingguan');
  await screenshot(host, 'meet-home');
  await host.getByTestId('meet-new-submit').click();
  await host.waitForURL(/\/meet\/\d{10,11}\?pwd=/);
  const url = new URL(host.url());
  const number = url.pathname.split('/').pop()!;
  const pwd = url.searchParams.get('pwd')!;
  expect(pwd).toMatch(/^[A-Za-z0-9]{4,10}$/);

  // Pre-join: camera preview, devices, level meter.
  await expect(host.getByTestId('prejoin')).toBeVisible();
  await expect(host.getByTestId('prejoin-video')).toBeVisible();
  await expect(host.getByTestId('prejoin-as')).toContainText('Budi Santoso');
  await host.waitForTimeout(500);
  await screenshot(host, 'meet-prejoin');
  await host.getByTestId('prejoin-join').click();
  await expect(host.getByTestId('meet-room')).toBeVisible();
  const hostId = await myId(host);
  await expect(host.getByTestId('alone-card')).toBeVisible();
  await screenshot(host, 'meet-alone');

  // The member opens the link and is in at once (members skip the waiting room). How long from
  // "Gabung" to the host's first video frame is printed as a figure (not asserted).
  await member.goto(`/meet/${number}?pwd=${pwd}`);
  await timeJoinToFirstFrame(member);
  await member.getByTestId('prejoin-join').click();
  await expect(member.getByTestId('meet-room')).toBeVisible();
  const memberId = await myId(member);
  await expect(host.getByTestId('alone-card')).toHaveCount(0);
  console.log(`MEET_JOIN_FIRST_FRAME_MS=${await firstFrameMs(member)}`);

  // A guest on a phone: a wrong passcode is refused, the right one lands in the waiting room.
  const guestCtx = await browser.newContext({ baseURL: server.url, viewport: MOBILE, isMobile: true, hasTouch: true, locale: 'id-ID', timezoneId: 'Asia/Makassar' });
  await guestCtx.grantPermissions(['camera', 'microphone']);
  const guest = await guestCtx.newPage();
  watchErrors(guest, errors);
  await guest.goto(`/meet/${number}?pwd=salah99`);
  await guest.getByTestId('prejoin-name').fill('Tamu Dinas PU');
  await guest.getByTestId('prejoin-join').click();
  await expect(guest.getByTestId('prejoin-error')).toHaveAttribute('data-code', 'meeting.passcode_invalid');
  await screenshot(guest, 'meet-phone-wrong-passcode');
  await guest.goto(`/meet/${number}?pwd=${pwd}`);
  await guest.getByTestId('prejoin-name').fill('Tamu Dinas PU');
  await guest.getByTestId('prejoin-join').click();
  await expect(guest.getByTestId('waiting-room')).toBeVisible();
  await screenshot(guest, 'meet-phone-waiting-room');

  // The host sees who waits and admits them.
  await expect(host.getByTestId('waiting-pill')).toBeVisible();
  await host.getByTestId('waiting-pill').click();
  const waitingRow = host.getByTestId('waiting-row').filter({ hasText: 'Tamu Dinas PU' });
  await expect(waitingRow).toBeVisible();
  await screenshot(host, 'meet-host-waiting');
  await waitingRow.getByTestId('waiting-admit').click();
  await expect(guest.getByTestId('meet-room')).toBeVisible();
  const guestId = await myId(guest);
  await expect(host.getByTestId('participant-row')).toHaveCount(3);

  // Everyone decodes the other two cameras.
  await expectVideoFrom(host, [memberId, guestId]);
  await expectVideoFrom(member, [hostId, guestId]);
  await expectVideoFrom(guest, [hostId, memberId]);

  // Host controls: mute the member; the others see the mute icon on the member's tile.
  const memberRow = host.locator(`[data-testid="participant-row"][data-peer-id="${memberId}"]`);
  await memberRow.getByTestId('participant-menu').click();
  await expect(host.getByTestId('pm-menu')).toBeVisible();
  await videosPainted(host);
  await screenshot(host, 'meet-host-controls');
  await host.getByTestId('pm-mute').click();
  await expect(member.getByTestId('toast').filter({ hasText: 'membisukan' })).toBeVisible();
  await expect(member.getByTestId('ctl-mic')).toHaveAttribute('aria-pressed', 'true');
  await expect(tileOf(host, memberId).getByTestId('tile-muted')).toBeVisible();
  await expect(tileOf(guest, memberId).getByTestId('tile-muted')).toBeVisible();

  // Asking to unmute shows a prompt and never unmutes by itself.
  await memberRow.getByTestId('participant-menu').click();
  await host.getByTestId('pm-ask-unmute').click();
  await expect(member.getByTestId('ask-unmute-dialog')).toBeVisible();
  await member.getByTestId('ask-unmute-no').click();
  await expect(member.getByTestId('ctl-mic')).toHaveAttribute('aria-pressed', 'true');
  await host.getByTestId('panel-close').click();

  // Chat and a reaction.
  await member.getByTestId('ctl-chat').click();
  await member.getByTestId('meet-chat-input').fill('Selamat pagi, semuanya');
  await member.getByTestId('meet-chat-input').press('Enter');
  await expect(host.getByTestId('ctl-chat-badge')).toHaveText('1');
  await member.getByTestId('panel-close').click();
  await host.getByTestId('ctl-chat').click();
  await expect(host.getByTestId('meet-chat-message').filter({ hasText: 'Selamat pagi, semuanya' })).toBeVisible();
  await host.getByTestId('meet-chat-input').fill('Pagi! Kita mulai 5 menit lagi.');
  await host.getByTestId('meet-chat-send').click();
  await expect(member.getByTestId('ctl-chat-badge')).toHaveText('1');
  await screenshot(host, 'meet-chat');
  // Members' lines are messages of the meeting's chat in Obrolan (opened in a new tab, so the
  // meeting goes on); the guest sees them in the room.
  const chatHref = await host.getByTestId('meet-chat-open').getAttribute('href');
  expect(chatHref).toMatch(new RegExp(`^/o/${org.orgId}/chat/[0-9a-f-]{36}$`));
  const chatTab = await org.owner.context.newPage();
  await chatTab.goto(chatHref!);
  await expect(chatTab.getByTestId('chat-meetings-section').getByTestId('conversation-row')).toContainText('Rapat koordinasi mingguan');
  await expect(chatTab.getByTestId('message-body').filter({ hasText: 'Selamat pagi, semuanya' })).toBeVisible();
  await expect(chatTab.getByTestId('message-body').filter({ hasText: 'Kita mulai 5 menit lagi' })).toBeVisible();
  await screenshot(chatTab, 'meet-chat-in-obrolan');
  await chatTab.close();
  await host.getByTestId('panel-close').click();
  await guest.getByTestId('ctl-chat').click();
  await expect(guest.getByTestId('meet-chat-message').filter({ hasText: 'Selamat pagi, semuanya' })).toBeVisible();
  await expect(guest.getByTestId('meet-chat-open')).toHaveCount(0);
  await guest.getByTestId('panel-close').click();

  // The guest raises a hand from the phone's "more" sheet.
  await openMore(guest);
  await guest.getByTestId('more-hand').click();
  await expect(tileOf(host, guestId).getByTestId('tile-hand')).toBeVisible();
  await member.getByTestId('ctl-react').click();
  await member.getByTestId('reaction-option').filter({ hasText: '👏' }).click();
  await expect(host.getByTestId('reaction-float').filter({ hasText: '👏' })).toBeVisible();
  await videosPainted(host);
  await screenshot(host, 'meet-gallery');

  // Speaker view.
  await openMore(host);
  await host.getByTestId('view-speaker').click();
  await expect(host.getByTestId('layout-speaker')).toBeVisible();
  await host.waitForTimeout(800);
  await videosPainted(host);
  await screenshot(host, 'meet-speaker');

  // The member shares a screen; the host gets it at full width (no simulcast for screens).
  await member.getByTestId('ctl-share').click();
  await expect(member.getByTestId('sharing-banner')).toBeVisible();
  await expect(host.getByTestId('layout-share')).toBeVisible();
  await expect
    .poll(async () => frames(await inboundVideo(host), memberId, 'screen')?.frameWidth ?? 0, { timeout: 45_000, message: 'screen share width' })
    .toBeGreaterThanOrEqual(1280);
  await expectVideoFrom(host, [memberId], 'screen');
  await videosPainted(host);
  await screenshot(host, 'meet-screen-share');
  await expect(guest.getByTestId('layout-share')).toBeVisible();
  await expectVideoFrom(guest, [memberId], 'screen');
  await videosPainted(guest);
  await screenshot(guest, 'meet-phone-screen-share');
  await member.getByTestId('stop-share').click();
  await expect(host.getByTestId('layout-share')).toHaveCount(0);

  // The phone switches to data saver: only the quarter layer arrives.
  await openMore(guest);
  await guest.getByTestId('mode-data-saver').click();
  await expect(guest.getByTestId('mode-data-saver')).toHaveAttribute('aria-checked', 'true');
  await screenshot(guest, 'meet-phone-more');
  await guest.keyboard.press('Escape');
  await expect
    .poll(async () => {
      const f = frames(await inboundVideo(guest), hostId, 'cam');
      return f && f.frameWidth > 0 ? f.frameWidth : 9999;
    }, { timeout: 45_000, message: 'data saver: quarter layer' })
    .toBeLessThanOrEqual(320);
  await expectVideoFrom(guest, [hostId, memberId]);
  await videosPainted(guest);
  await screenshot(guest, 'meet-phone');

  // The host ends the meeting for everyone.
  await host.getByTestId('ctl-leave').click();
  await host.getByTestId('end-for-all').click();
  await host.getByTestId('confirm-ok').click();
  await expect(member.getByTestId('meet-ended')).toBeVisible();
  await expect(guest.getByTestId('meet-ended')).toBeVisible();
  await screenshot(guest, 'meet-phone-ended');

  expect(errors).toEqual([]);
  await guestCtx.close();
});

test('host controls: spotlight, rename, stop video, co-host, lock, reconnect after a drop, remove; leaving', async ({ browser, server }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
  const host = org.owner.page;
  const member = org.member.page;
  for (const p of [org.owner, org.member]) await p.context.grantPermissions(['camera', 'microphone']);
  watchErrors(host, errors);
  watchErrors(member, errors);

  // A meeting with a chosen passcode; joining by typing the ID.
  await host.goto(`/o/${org.orgId}/meet`);
  await host.getByTestId('meet-new-passcode').fill('ab12');
  await host.getByTestId('meet-new-submit').click();
  await host.waitForURL(/\/meet\/\d+\?pwd=ab12$/);
  const number = new URL(host.url()).pathname.split('/').pop()!;
  await host.getByTestId('prejoin-join').click();
  await expect(host.getByTestId('meet-room')).toBeVisible();
  const hostId = await myId(host);

  await member.goto(`/o/${org.orgId}/meet`);
  await expect(member.getByTestId('meeting-row').filter({ hasText: number.slice(0, 3) })).toHaveCount(0); // not in it yet
  await member.getByTestId('meet-join-number').pressSequentially(number);
  await member.getByTestId('meet-join-passcode').fill('ab12');
  await member.getByTestId('meet-join-submit').click();
  await expect(member.getByTestId('prejoin')).toBeVisible();
  await member.getByTestId('prejoin-join').click();
  await expect(member.getByTestId('meet-room')).toBeVisible();
  const memberId = await myId(member);
  await expectVideoFrom(host, [memberId]);

  // The info popover shows the ID, passcode and link.
  await host.getByTestId('meet-info').click();
  await expect(host.getByTestId('meet-info-passcode')).toHaveText('ab12');
  await expect(host.getByTestId('meet-info-link')).toContainText(`/meet/${number}?pwd=ab12`);
  await screenshot(host, 'meet-info');
  await host.keyboard.press('Escape');

  // Switching devices in the room swaps the sending track (replaceTrack) without a new offer.
  await host.getByTestId('mic-devices').click();
  await expect(host.getByTestId('mic-device-menu')).toBeVisible();
  await screenshot(host, 'meet-devices');
  await host.getByTestId('mic-device-menu').getByTestId('device-option').last().click();
  await host.getByTestId('cam-devices').click();
  await host.getByTestId('cam-device-menu').getByTestId('device-option').first().click();
  await expect(host.getByTestId('ctl-mic')).not.toHaveAttribute('aria-pressed', 'true');
  await expectVideoFrom(member, [hostId]);

  const menu = async (testId: string) => {
    await tileOf(host, memberId).hover();
    await tileOf(host, memberId).getByTestId('tile-menu').click();
    await host.getByTestId(testId).click();
  };

  // Spotlight: everyone sees the member big.
  await menu('pm-spotlight');
  await expect(member.getByTestId('layout-spotlight')).toBeVisible();
  await expect(host.getByTestId('layout-spotlight')).toBeVisible();
  await expect(host.getByTestId('speaker-main').getByTestId('tile')).toHaveAttribute('data-peer-id', memberId);
  await screenshot(host, 'meet-spotlight');
  await menu('pm-unspotlight');
  await expect(host.getByTestId('layout-gallery')).toBeVisible();

  // Rename and stop video.
  await menu('pm-rename');
  await host.getByTestId('rename-input').fill('Rina (Notulis)');
  await host.getByTestId('rename-save').click();
  await expect(tileOf(host, memberId).getByTestId('tile-name')).toHaveText('Rina (Notulis)');
  await expect(tileOf(member, memberId).getByTestId('tile-name')).toContainText('Rina (Notulis)');
  await menu('pm-stop-video');
  await expect(member.getByTestId('toast').filter({ hasText: 'video' })).toBeVisible();
  await expect(member.getByTestId('ctl-cam')).toHaveAttribute('aria-pressed', 'true');
  await expect(tileOf(host, memberId)).toHaveAttribute('data-cam', 'off');

  // Co-host: the member gets the host tools.
  await menu('pm-make-cohost');
  await member.getByTestId('ctl-people').click();
  await expect(member.getByTestId('mute-all')).toBeVisible();
  await member.getByTestId('panel-close').click();

  // Lock: a newcomer is refused.
  await host.getByTestId('ctl-people').click();
  await host.getByTestId('lock-meeting').click();
  await expect(host.getByTestId('meet-locked')).toBeVisible();
  await expect(member.getByTestId('meet-locked')).toBeVisible();
  const late = await browser.newContext({ baseURL: server.url, viewport: MOBILE, locale: 'id-ID' });
  const latePage = await late.newPage();
  await latePage.goto(`/meet/${number}?pwd=ab12`);
  await latePage.getByTestId('prejoin-name').fill('Terlambat');
  await latePage.getByTestId('prejoin-join').click();
  await expect(latePage.getByTestId('prejoin-error')).toHaveAttribute('data-code', 'meeting.locked');
  await late.close();
  await host.getByTestId('lock-meeting').click();
  await expect(host.getByTestId('meet-locked')).toHaveCount(0);

  // A guest (in English) waits and is denied.
  const stranger = await browser.newContext({ baseURL: server.url, viewport: MOBILE, isMobile: true, hasTouch: true, locale: 'en-GB' });
  await stranger.grantPermissions(['camera', 'microphone']);
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(`/meet/${number}?pwd=ab12`);
  await strangerPage.getByTestId('lang-toggle-en').click();
  await strangerPage.getByTestId('prejoin-name').fill('Unknown Visitor');
  await expect(strangerPage.getByTestId('prejoin-join')).toHaveText('Join');
  await screenshot(strangerPage, 'meet-phone-prejoin-en');
  await strangerPage.getByTestId('prejoin-join').click();
  await expect(strangerPage.getByTestId('waiting-room')).toBeVisible();
  await host.getByTestId('waiting-row').filter({ hasText: 'Unknown Visitor' }).getByTestId('waiting-deny').click();
  await expect(strangerPage.getByTestId('meet-denied')).toBeVisible();
  await screenshot(strangerPage, 'meet-phone-denied-en');
  await stranger.close();
  await host.getByTestId('panel-close').click();

  // Audio only: no video shown or received.
  await openMore(member);
  await member.getByTestId('mode-audio-only').click();
  await member.keyboard.press('Escape');
  await expect(member.getByTestId('audio-only-banner')).toBeVisible();
  await expect(member.getByTestId('mode-pill')).toBeVisible();
  await expect(member.locator('[data-testid="tile"] video')).toHaveCount(0);
  await screenshot(member, 'meet-audio-only');
  await openMore(member);
  await member.getByTestId('mode-audio-only').click();
  await member.keyboard.press('Escape');
  await expect(member.getByTestId('audio-only-banner')).toHaveCount(0);

  // The member's socket drops: the room reconnects (hello again, fresh connections) and video flows again.
  await member.evaluate(() => (window as unknown as { __kantorMeet: { dropSocket(): void } }).__kantorMeet.dropSocket());
  await expect(member.getByTestId('meet-reconnecting')).toBeVisible();
  await expect(member.getByTestId('meet-room')).toHaveAttribute('data-phase', 'live', { timeout: 30_000 });
  await expectVideoFrom(member, [hostId]);

  // Remove (with confirmation): the member sees why and cannot come back.
  await menu('pm-remove');
  await expect(host.getByTestId('confirm-dialog')).toBeVisible();
  await host.getByTestId('confirm-ok').click();
  await expect(member.getByTestId('meet-removed')).toBeVisible();
  await screenshot(member, 'meet-removed');
  await member.goto(`/meet/${number}?pwd=ab12`);
  await member.getByTestId('prejoin-join').click();
  await expect(member.getByTestId('prejoin-error')).toHaveAttribute('data-code', 'meeting.removed');

  // The host leaves without ending; the meeting stays live in their list.
  await host.getByTestId('ctl-leave').click();
  await host.getByTestId('leave-only').click();
  await expect(host.getByTestId('meet-left')).toBeVisible();
  await screenshot(host, 'meet-left');
  // Rejoining from the closing screen goes through the pre-join again (a fresh camera).
  await host.getByTestId('meet-rejoin').click();
  await expect(host.getByTestId('prejoin-video')).toBeVisible();
  await host.getByTestId('prejoin-join').click();
  await expect(host.getByTestId('meet-room')).toHaveAttribute('data-phase', 'live');
  await host.getByTestId('ctl-leave').click();
  await host.getByTestId('leave-only').click();
  await expect(host.getByTestId('meet-left')).toBeVisible();
  await host.getByTestId('meet-back').click();
  await host.goto(`/o/${org.orgId}/meet`);
  await expect(host.locator('[data-testid="meeting-row"][data-status="live"]')).toHaveCount(1);
  await screenshot(host, 'meet-list');
  await host.setViewportSize(MOBILE);
  await expect(host.getByTestId('bottom-nav-meet')).toBeVisible();
  await screenshot(host, 'meet-list-phone');

  expect(errors).toEqual([]);
});

/** A free UDP port on loopback (bound once, then released). */
async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  const port = sock.address().port;
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/** The local candidate type of the subscribe connection's selected pair (`relay` over TURN). */
async function selectedCandidateType(page: Page): Promise<string | null> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { __kantorMeet?: { subPc: RTCPeerConnection | null } }).__kantorMeet?.subPc;
    if (!pc) return null;
    const stats = await pc.getStats();
    let pairLocal: string | null = null;
    stats.forEach((s: Record<string, unknown>) => {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') {
        const pair = stats.get(s.selectedCandidatePairId) as Record<string, unknown> | undefined;
        if (pair) pairLocal = pair.localCandidateId as string;
      }
    });
    if (!pairLocal) return null;
    return ((stats.get(pairLocal) as Record<string, unknown> | undefined)?.candidateType as string) ?? null;
  });
}

const TURN = '/usr/bin/turnserver';

test('with ?relay=1 media goes through TURN (coturn with the server\'s short-lived credentials)', async ({ browser }) => {
  // make test installs coturn (scripts/setup.sh): missing, this test must fail, not skip.
  expect(existsSync(TURN), `${TURN} is missing: run scripts/setup.sh`).toBe(true);
  test.setTimeout(180_000);
  const turnPort = await freeUdpPort();
  const secret = 'e2e-turn-secret';
  const relayBase = 40000 + Math.floor(Math.random() * 20000);
  const turn: ChildProcess = spawn(
    TURN,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${turnPort}`,
      `--min-port=${relayBase}`,
      `--max-port=${relayBase + 200}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=kantor.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers',
      '--fingerprint',
      '--log-file=stdout',
      '--simple-log',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let turnLog = '';
  turn.stdout!.on('data', (c) => (turnLog += String(c)));
  turn.stderr!.on('data', (c) => (turnLog += String(c)));
  const server = await startServer({
    env: {
      KANTOR_MEDIA_PORT: '0',
      KANTOR_MEDIA_BIND: '127.0.0.1',
      KANTOR_MEDIA_PUBLIC_IP: '127.0.0.1',
      KANTOR_TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=udp`,
      KANTOR_TURN_SECRET: secret,
    },
  });
  try {
    const org = await chatOrg(browser, server, { viewport: DESKTOP }, { viewport: DESKTOP });
    for (const p of [org.owner, org.member]) await p.context.grantPermissions(['camera', 'microphone']);
    const host = org.owner.page;
    const member = org.member.page;
    await host.goto(`/o/${org.orgId}/meet`);
    await host.getByTestId('meet-new-submit').click();
    await host.waitForURL(/\/meet\/\d+\?pwd=/);
    const link = new URL(host.url());
    const path = `${link.pathname}${link.search}&relay=1`;
    await host.goto(path);
    await host.getByTestId('prejoin-join').click();
    await expect(host.getByTestId('meet-room')).toBeVisible();
    await member.goto(path);
    await member.getByTestId('prejoin-join').click();
    await expect(member.getByTestId('meet-room')).toBeVisible();
    const hostId = await myId(host);
    const memberId = await myId(member);
    await expectVideoFrom(host, [memberId]);
    await expectVideoFrom(member, [hostId]);
    expect(await selectedCandidateType(host)).toBe('relay');
    expect(await selectedCandidateType(member)).toBe('relay');
  } catch (e) {
    console.log(`--- turnserver ---\n${turnLog.slice(-4000)}`);
    throw e;
  } finally {
    await server.stop();
    turn.kill('SIGTERM');
  }
});

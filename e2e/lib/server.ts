// Starts the real `kantor` binary for an end-to-end test.
//
// Contract with the binary (`kantor serve`): on stdout it prints
//   Kantor is ready at http://HOST:PORT
//   Setup link: http://HOST:PORT/setup?token=TOKEN      (only while setup is still needed)
// We start it with a fresh data dir (SQLite, in-process bus) on 127.0.0.1:0 and parse those lines.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface KantorServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  /** One-time setup link printed by the binary ('' when setup was not needed). */
  setupUrl: string;
  /** The token part of setupUrl ('' when setup was not needed). */
  setupToken: string;
  dataDir: string;
  pid: number;
  /** Everything the process wrote so far (stdout and stderr interleaved, capped). */
  output(): string;
  /** Kill the process (SIGTERM, then SIGKILL after 10 s), wait for it, remove the temp data dir. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Reuse this data dir (it is then not removed on stop). Default: a fresh mkdtemp dir. */
  dataDir?: string;
  /** Extra arguments after `serve --data-dir DIR --listen 127.0.0.1:0`. */
  args?: string[];
  /** Extra environment for the process. */
  env?: Record<string, string>;
  /** Wait for the setup link too. Default: true for a fresh data dir, false when dataDir is given. */
  expectSetupLink?: boolean;
  /** How long to wait for the ready line(s). Default 60 s. */
  timeoutMs?: number;
}

/** Path of the binary under test: $KANTOR_BIN, else $CARGO_TARGET_DIR/debug/kantor, else target/debug/kantor. */
export function kantorBin(): string {
  if (process.env.KANTOR_BIN) return path.resolve(REPO_ROOT, process.env.KANTOR_BIN);
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, 'target');
  return path.join(target, 'debug', 'kantor');
}

const READY_RE = /Kantor is ready at (https?:\/\/\S+)/;
const SETUP_RE = /Setup link: (https?:\/\/\S+\/setup\?token=(\S+))/;
const OUTPUT_CAP = 256 * 1024;
const VERBOSE = !!process.env.KANTOR_E2E_VERBOSE;

const live = new Set<ChildProcess>();
process.on('exit', () => {
  // Last resort if a test runner dies without running teardown: never leave servers behind.
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** Environment for the child: inherit, but drop server configuration so it runs embedded. */
function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    const serverConfig =
      k.startsWith('KANTOR_') &&
      k !== 'KANTOR_BIN' &&
      !k.startsWith('KANTOR_TEST_') &&
      !k.startsWith('KANTOR_E2E_') &&
      !k.startsWith('KANTOR_LOG');
    if (!serverConfig) env[k] = v;
  }
  // Every test server takes a free media port on loopback, so servers run side by side.
  const media = { KANTOR_MEDIA_PORT: '0', KANTOR_MEDIA_BIND: '127.0.0.1' };
  return { ...env, ...media, ...(extra ?? {}) };
}

export async function startServer(opts: StartOptions = {}): Promise<KantorServer> {
  const bin = kantorBin();
  if (!existsSync(bin)) {
    throw new Error(`kantor binary not found at ${bin} (build it with \`cargo build -p kantor\` or set KANTOR_BIN)`);
  }
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'kantor-e2e-'));
  const expectSetupLink = opts.expectSetupLink ?? ownDir;
  const timeoutMs = opts.timeoutMs ?? 60_000;

  const args = ['serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...(opts.args ?? [])];
  const child = spawn(bin, args, {
    cwd: dataDir,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);

  let out = '';
  const append = (chunk: string) => {
    out += chunk;
    if (out.length > OUTPUT_CAP) out = out.slice(out.length - OUTPUT_CAP);
    if (VERBOSE) process.stderr.write(chunk);
  };

  let exited = false;
  let exitInfo = '';
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      live.delete(child);
      resolve();
    });
  });

  const cleanupDir = () => {
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
  };

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 10_000);
        await exitPromise;
        clearTimeout(timer);
      }
      cleanupDir();
    })();
    return stopping;
  };

  // Parse stdout line by line; keep draining both pipes for the whole life of the process so the
  // server never blocks on a full pipe.
  let url = '';
  let setupUrl = '';
  let setupToken = '';
  let lineBuf = '';
  let onProgress: () => void = () => {};
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    append(chunk);
    lineBuf += chunk;
    let nl: number;
    while ((nl = lineBuf.indexOf('\n')) >= 0) {
      // Strip ANSI colour codes in case the binary colours its banner.
      const line = lineBuf.slice(0, nl).replace(/\x1b\[[0-9;]*m/g, '').trim();
      lineBuf = lineBuf.slice(nl + 1);
      const ready = READY_RE.exec(line);
      if (ready && !url) url = ready[1].replace(/\/+$/, '');
      const setup = SETUP_RE.exec(line);
      if (setup && !setupUrl) {
        setupUrl = setup[1];
        setupToken = decodeURIComponent(setup[2]);
      }
      onProgress();
    }
  });
  child.stderr!.on('data', append);

  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));

  try {
    await Promise.race([
      spawnError,
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`kantor did not become ready within ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          if (url && (!expectSetupLink || setupUrl)) {
            clearTimeout(timer);
            resolve();
          }
        };
        onProgress = check;
        void exitPromise.then(() => {
          clearTimeout(timer);
          reject(new Error(`kantor exited (${exitInfo}) before it was ready`));
        });
        check();
      }),
    ]);
  } catch (err) {
    await stop();
    const msg = err instanceof Error ? err.message : String(err);
    throw new Error(`${msg}\ncommand: ${bin} ${args.join(' ')}\n--- output ---\n${out}`);
  } finally {
    onProgress = () => {};
  }

  return {
    url,
    setupUrl,
    setupToken,
    dataDir,
    pid: child.pid!,
    output: () => out,
    stop,
  };
}

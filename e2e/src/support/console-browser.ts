import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { answersOk, ApiClient, freePort, startServiceProcess, type ServiceProcess } from '@modelyard/testing';
import { REPO_ROOT } from './system.js';

/** Debian's Chromium, never a downloaded browser (deploy/local and scripts/test.sh install it). */
export const CHROMIUM = '/usr/bin/chromium';
export const CONSOLE_ARTIFACTS = join(REPO_ROOT, 'test-artifacts/console');

/** The built-in admin's password in console tests (MODELYARD_ADMIN_PASSWORD). */
export const CONSOLE_ADMIN_PASSWORD = 'console admin passphrase';

/**
 * `npm start` as a user runs it: the built standalone process, serving the built console, with its
 * one-time token, and the built-in admin's password set from the environment.
 */
export interface ConsoleSystem {
  url: string;
  token: string;
  api: ApiClient;
  process: ServiceProcess;
  stop(): Promise<void>;
}

export async function startConsoleSystem(): Promise<ConsoleSystem> {
  for (const built of ['services/standalone/dist/main.js', 'web/dist/index.html']) {
    if (!existsSync(join(REPO_ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` (npm test does) before the console tests`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-console-'));
  const port = await freePort();
  const modelyard = await startServiceProcess({
    name: 'standalone',
    entry: join(REPO_ROOT, 'services/standalone/dist/main.js'),
    env: {
      PORT: String(port),
      MODELYARD_HOST: '127.0.0.1',
      MODELYARD_DATA_DIR: dataDir,
      MODELYARD_LOG_LEVEL: 'warn',
      MODELYARD_OUTBOX_POLL_MS: '200',
      MODELYARD_ADMIN_PASSWORD: CONSOLE_ADMIN_PASSWORD,
      // The same password hash at a lower cost: quicker sign-ins in tests.
      MODELYARD_PASSWORD_SCRYPT_LOG_N: '14',
    },
    ready: () => answersOk(`http://127.0.0.1:${port}/readyz`),
    timeoutMs: 30_000,
  });
  const token = /Bearer (my_[A-Za-z0-9_-]+)/.exec(modelyard.output())?.[1];
  if (!token) {
    await modelyard.kill();
    throw new Error(`no admin token in the start-up output:\n${modelyard.output()}`);
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    token,
    api: new ApiClient(url, token),
    process: modelyard,
    async stop() {
      await modelyard.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (scripts/test.sh does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/**
 * Numbered screenshots, one per step, kept as test artifacts (gitignored); a suite of its own keeps
 * them in a `folder` of its own, so that two suites' numbers do not collide. A step seen in another
 * page (a second user's browser) passes that page, and keeps the one numbering.
 */
export function screenshots(page: Page, folder = ''): (step: string, of?: Page) => Promise<void> {
  let n = 0;
  return async (step, of = page) => {
    const dir = join(CONSOLE_ARTIFACTS, folder);
    await mkdir(dir, { recursive: true });
    n++;
    await of.screenshot({ path: join(dir, `${String(n).padStart(2, '0')}-${step}.png`), fullPage: true });
  };
}

/** How many pixels of a canvas something was drawn on (alpha > 0). */
export async function drawnPixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).evaluate((canvas) => {
    // The DOM's canvas, typed by hand: the e2e project compiles without the DOM library.
    const c = canvas as unknown as {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
    };
    const context = c.getContext('2d');
    if (!context || c.width === 0 || c.height === 0) return 0;
    const { data } = context.getImageData(0, 0, c.width, c.height);
    let drawn = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) drawn++;
    return drawn;
  });
}

/** Removes an earlier run's screenshots: the main suite's (the files at the top), or those in `folder`. */
export async function cleanArtifacts(folder?: string): Promise<void> {
  if (folder) {
    await rm(join(CONSOLE_ARTIFACTS, folder), { recursive: true, force: true });
    return;
  }
  // The main suite's numbered files only: another suite's folder is its own to clean.
  const entries = await readdir(CONSOLE_ARTIFACTS, { withFileTypes: true }).catch(() => []);
  await Promise.all(entries.filter((e) => e.isFile()).map((e) => rm(join(CONSOLE_ARTIFACTS, e.name), { force: true })));
}

/** Signs in on the console's sign-in page with a username and password, and waits for the signed-in page. */
export async function signInWithPassword(page: Page, url: string, username: string, password: string): Promise<void> {
  if (!page.url().includes('/sign-in')) await page.goto(`${url}/sign-in`);
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').waitFor();
}

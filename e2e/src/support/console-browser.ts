import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { answersOk, ApiClient, freePort, startServiceProcess, type ServiceProcess } from '@modelyard/testing';
import { REPO_ROOT } from './system.js';

/** Debian's Chromium, never a downloaded browser (deploy/local and scripts/test.sh install it). */
export const CHROMIUM = '/usr/bin/chromium';
export const CONSOLE_ARTIFACTS = join(REPO_ROOT, 'test-artifacts/console');

/** `npm start` as a user runs it: the built standalone process, serving the built console, with its one-time token. */
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
    env: { PORT: String(port), MODELYARD_HOST: '127.0.0.1', MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'warn', MODELYARD_OUTBOX_POLL_MS: '200' },
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

/** Numbered screenshots, one per step, kept as test artifacts (gitignored). */
export function screenshots(page: Page): (step: string) => Promise<void> {
  let n = 0;
  return async (step) => {
    await mkdir(CONSOLE_ARTIFACTS, { recursive: true });
    n++;
    await page.screenshot({ path: join(CONSOLE_ARTIFACTS, `${String(n).padStart(2, '0')}-${step}.png`), fullPage: true });
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

export async function cleanArtifacts(): Promise<void> {
  await rm(CONSOLE_ARTIFACTS, { recursive: true, force: true });
}

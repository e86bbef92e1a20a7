import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ModelDto, ModelListDto } from '@modelyard/contracts';
import { linearOnnxModel, newModelBody, waitFor } from '@modelyard/testing';
import { cleanArtifacts, drawnPixels, launchChromium, screenshots, startConsoleSystem, type ConsoleSystem } from './support/console-browser.js';

/*
 * The web console in a real browser (Debian's Chromium through playwright-core) against Modelyard
 * started as `npm start` starts it. One process and one browser page for the whole file: the steps
 * follow a user through the guide, each building on the one before, with a screenshot per step.
 */

// y = x·W + b with x = [[1, 2, 3]] (the console's generated example for x: [batch, 3]) gives [[22.5, 29]].
const WEIGHTS = [
  [1, 2],
  [3, 4],
  [5, 6],
];
const BIAS = [0.5, 1];

/** What these tests touch of the page's window (the e2e project compiles without the DOM library). */
interface BrowserWindow {
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

describe('web console (browser)', () => {
  let system: ConsoleSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shot: (step: string) => Promise<void>;
  let fileDir: string;

  const openSelect = async (label: string, option: string) => {
    await page.getByLabel(label, { exact: true }).click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: option }).first().click();
  };
  const row = (name: string) => page.locator('tr.ant-table-row').filter({ has: page.getByRole('link', { name, exact: true }) });
  const listed = async () => (await system.api.get<ModelListDto>('/api/v1/ai-models?page_size=100')).body.items;
  const modelNamed = async (name: string) => (await listed()).find((m) => m.name === name)!;

  beforeAll(async () => {
    await cleanArtifacts();
    fileDir = await mkdtemp(join(tmpdir(), 'modelyard-console-files-'));
    [system, browser] = await Promise.all([startConsoleSystem(), launchChromium()]);
    context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    shot = screenshots(page);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await rm(fileDir, { recursive: true, force: true });
  });

  it('is served at /, client routes reload, and unknown API paths stay problem+json 404s', async () => {
    const index = await fetch(`${system.url}/models/any-client-route?type=llm`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(await index.text()).toContain('<div id="root">');
    const api404 = await fetch(`${system.url}/api/v1/no-such-route`);
    expect(api404.status).toBe(404);
    expect(api404.headers.get('content-type')).toContain('application/problem+json');
    expect(await api404.json()).toMatchObject({ status: 404, code: 'not_found' });
    expect((await fetch(`${system.url}/assets/no-such-file.js`)).status).toBe(404);
  });

  it('sends a visitor to sign-in, refuses a wrong token and signs in with the printed one', async () => {
    await page.goto(`${system.url}/models?type=vision`);
    await page.waitForURL(/\/sign-in\?next=/);
    // Username and password come first; the printed token is on the Token tab.
    await page.getByRole('tab', { name: 'Token' }).click();
    await page.getByLabel('API token').fill('my_not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This token was not accepted.').waitFor();
    await shot('sign-in-refused');
    await page.getByLabel('API token').fill(system.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Back where the visitor was going, filters included.
    await page.waitForURL(/\/models\?type=vision$/);
    await page.getByText('No model matches these filters.').waitFor();
    await page.goto(`${system.url}/models`);
    await page.getByText('No models yet.', { exact: false }).waitFor();
    await shot('signed-in-empty-list');
  });

  it('adds a manual model with the form and shows it in the list', async () => {
    await page.getByRole('button', { name: 'Add model' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Model name', { exact: true }).fill('console-vision');
    await dialog.getByLabel('Version', { exact: true }).fill('2.1');
    await openSelect('Model type', 'Vision');
    await openSelect('Framework', 'PyTorch');
    await dialog.getByLabel('API endpoint').fill('https://models.example.com/vision');
    await dialog.getByLabel('Model description').fill('Finds cats');
    await dialog.getByLabel('Tags').fill('demo');
    await dialog.getByLabel('Tags').press('Enter');
    await shot('add-manual-form');
    await dialog.getByRole('button', { name: 'Add model' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row('console-vision').waitFor();
    await expect(row('console-vision').innerText()).resolves.toMatch(/2\.1[\s\S]*Vision[\s\S]*PyTorch[\s\S]*Manual entry[\s\S]*Active/);
    const stored = await modelNamed('console-vision');
    expect(stored).toMatchObject({ version: '2.1', type: 'vision', framework: 'pytorch', endpoint: 'https://models.example.com/vision', tags: ['demo'] });
    await shot('manual-model-listed');
  });

  it('filters and searches, keeping the filters in the URL across a reload', async () => {
    await system.api.post('/api/v1/ai-models', newModelBody({ name: 'console-chat', type: 'llm', framework: 'custom', tags: ['chat'] }));
    await page.getByRole('button', { name: 'Refresh' }).click();
    await row('console-chat').waitFor();

    await page.getByTestId('filter-type').click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: 'Vision' }).click();
    await page.waitForURL(/type=vision/);
    await row('console-vision').waitFor();
    await row('console-chat').waitFor({ state: 'detached' });
    await page.reload();
    await row('console-vision').waitFor();
    expect(await row('console-chat').count()).toBe(0);
    await shot('filtered-by-type');

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByLabel('Search name or description').fill('chat');
    await page.getByLabel('Search name or description').press('Enter');
    await page.waitForURL(/q=chat/);
    await row('console-chat').waitFor();
    await row('console-vision').waitFor({ state: 'detached' });
    await shot('searched');
    await page.goto(`${system.url}/models?tag=demo&source=custom`);
    await row('console-vision').waitFor();
    expect(await row('console-chat').count()).toBe(0);
    await page.goto(`${system.url}/models`);
  });

  it('edits the model: fields and its configuration', async () => {
    await row('console-vision').getByRole('button', { name: 'Edit console-vision' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Model description').fill('Finds cats and dogs');
    await dialog.getByLabel('Accuracy').fill('0.93');
    await dialog.getByLabel('Input format').fill('image/png');
    await dialog.getByLabel('Parameters (JSON)').fill('{"threshold": 0.5}');
    await dialog.getByRole('button', { name: 'Add variable' }).click();
    await dialog.getByLabel('Name', { exact: true }).fill('OMP_NUM_THREADS');
    await dialog.getByLabel('Value', { exact: true }).fill('4');
    await shot('edit-form');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await row('console-vision').getByText('93.0%').waitFor();
    const stored = await modelNamed('console-vision');
    expect(stored).toMatchObject({
      description: 'Finds cats and dogs',
      accuracy: 0.93,
      config: { input_format: 'image/png', parameters: { threshold: 0.5 }, env: { OMP_NUM_THREADS: '4' } },
    });
    await shot('edited');
  });

  it('switches its status off and on from the row', async () => {
    await row('console-vision').getByRole('switch').click();
    await row('console-vision').getByText('Inactive').waitFor();
    expect((await modelNamed('console-vision')).status).toBe('inactive');
    await shot('status-inactive');
    await row('console-vision').getByRole('switch').click();
    await row('console-vision').getByText('Active', { exact: true }).waitFor();
    expect((await modelNamed('console-vision')).status).toBe('active');
  });

  it('uploads a real ONNX model through the add form, tests it with the generated example and shows the output', async () => {
    const file = join(fileDir, 'linear.onnx');
    await writeFile(file, linearOnnxModel({ weights: WEIGHTS, bias: BIAS }));
    await page.getByRole('button', { name: 'Add model' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Model name', { exact: true }).fill('console-onnx');
    await openSelect('Model type', 'Custom');
    await openSelect('Framework', 'ONNX');
    await openSelect('Model source', 'File upload');
    await dialog.locator('input[type=file]').setInputFiles(file);
    await dialog.getByText('linear.onnx').waitFor();
    await shot('add-onnx-form');
    await dialog.getByRole('button', { name: 'Add model' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const id = (await modelNamed('console-onnx')).id;
    await waitFor(async () => (await system.api.get<ModelDto>(`/api/v1/ai-models/${id}`)).body.status === 'active', { timeoutMs: 15_000, intervalMs: 200, description: 'the uploaded model to become active' });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await row('console-onnx').getByText('Active', { exact: true }).waitFor();

    await row('console-onnx').getByRole('button', { name: 'Test console-onnx' }).click();
    const test = page.getByRole('dialog');
    const editor = test.getByLabel('Input tensors (JSON)');
    expect(JSON.parse(await editor.inputValue())).toEqual({ inputs: { x: [[1, 2, 3]] } });
    await test.getByRole('button', { name: 'Run' }).click();
    const output = test.getByTestId('test-output');
    await output.waitFor();
    await expect(output.innerText()).resolves.toMatch(/\[22\.5, 29\]/);
    await expect(output.innerText()).resolves.toMatch(/Latency[\s\S]*ms/);
    await shot('onnx-test-output');

    // A bad input comes back as the API's problem detail.
    await editor.fill('{"inputs": {"x": [[1, 2]]}}');
    await test.getByRole('button', { name: 'Run' }).click();
    await test.getByText('The test failed').waitFor();
    await shot('onnx-test-problem');
    await page.keyboard.press('Escape');
    await test.waitFor({ state: 'hidden' });
  });

  it('opens the model page: details, files with checksums, and charts drawn from the stats', async () => {
    const model = await modelNamed('console-onnx');
    await page.getByRole('link', { name: 'console-onnx', exact: true }).click();
    await page.waitForURL(`${system.url}/models/${model.id}`);
    await page.getByTestId('model-details').waitFor();
    const artifact = model.artifacts[0]!;
    await page.getByTestId('artifacts').getByText(artifact.sha256).waitFor();
    // The usage event of the test call reaches the metrics service within seconds; the page polls.
    await page.getByTestId('model-stats').waitFor();
    await waitFor(async () => (await page.getByTestId('stat-calls').innerText()).match(/\b[1-9]\d*\b/) !== null, { timeoutMs: 20_000, intervalMs: 250, description: 'the test call to reach the stats' });
    for (const chart of ['chart-calls', 'chart-success', 'chart-latency']) {
      expect(await drawnPixels(page, `canvas[data-testid=${chart}]`)).toBeGreaterThan(500);
    }
    await shot('model-page-charts');
    await page.getByText('Last 24 hours').click();
    await page.waitForURL(/range=24h/);
    await page.getByTestId('model-stats').waitFor();
    await shot('model-page-24h');
  });

  it('switches the language: navigation, buttons and Ant Design texts in zh-TW and English', async () => {
    await page.goto(`${system.url}/models`);
    const nav = page.getByTestId('side-nav');
    await nav.getByText('AI Applications').waitFor();
    await nav.getByText('AI Model Management').waitFor();
    await page.getByTestId('language-switch').getByText('繁體中文').click();
    await nav.getByText('AI 應用').waitFor();
    await nav.getByText('AI Model 管理').waitFor();
    await page.getByRole('button', { name: '新增模型' }).waitFor();
    await page.getByRole('columnheader', { name: '模型名稱' }).waitFor();
    // Ant Design's own pagination text follows (its zh_TW locale).
    await page.getByText('共 4 個模型').or(page.getByText(/共 \d+ 個模型/)).first().waitFor();
    await shot('language-zh-TW');
    await page.reload();
    await nav.getByText('AI 應用').waitFor();
    await page.getByTestId('language-switch').getByText('English').click();
    await nav.getByText('AI Applications').waitFor();
    await shot('language-en');
  });

  it('goes back to sign-in when the token stops being accepted, and signs out', async () => {
    await page.evaluate(() => (globalThis as unknown as BrowserWindow).sessionStorage.setItem('modelyard.token', 'my_revoked'));
    await page.reload();
    await page.waitForURL(/\/sign-in/);
    await page.getByText('Your session has ended. Sign in again.').waitFor();
    await shot('session-expired');
    await page.getByRole('tab', { name: 'Token' }).click();
    await page.getByLabel('API token').fill(system.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    expect(await page.evaluate(() => (globalThis as unknown as BrowserWindow).sessionStorage.getItem('modelyard.token'))).toBeNull();
  });
});

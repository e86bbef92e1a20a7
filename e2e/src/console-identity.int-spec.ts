import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ModelDto, ModelListDto, ModelPermissionsDto, TokenListDto, UserDto } from '@modelyard/contracts';
import { newModelBody, waitFor } from '@modelyard/testing';
import {
  cleanArtifacts,
  CONSOLE_ADMIN_PASSWORD,
  launchChromium,
  screenshots,
  signInWithPassword,
  startConsoleSystem,
  type ConsoleSystem,
} from './support/console-browser.js';

/*
 * Identity and access in the console, in a real browser against the built standalone process: sign-in
 * with a password, the Users page, a user of a lower role, the Access tab of a model, and an API token
 * made, copied once, used and revoked. The admin and the new user each have a browser context of
 * their own, side by side; screenshots go to test-artifacts/console/identity/.
 */

const MEI_PASSWORD = 'mei has a long passphrase';
const VIC_PASSWORD = 'vic has a long passphrase';

/** What these tests read of the page's window (the e2e project compiles without the DOM library). */
interface BrowserWindow {
  navigator: { clipboard: { readText(): Promise<string> } };
}

describe('web console: identity and access (browser)', () => {
  let system: ConsoleSystem;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;
  let shot: (step: string, of?: Page) => Promise<void>;
  let model: ModelDto;
  const others: BrowserContext[] = [];

  /** A page of its own (cookies and sessionStorage apart), signed in as `username`. */
  const signedInPage = async (username: string, password: string): Promise<Page> => {
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    others.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInWithPassword(page, system.url, username, password);
    return page;
  };
  const modelRow = (page: Page, name: string) => page.locator('tr.ant-table-row').filter({ has: page.getByRole('link', { name, exact: true }) });
  const openSelect = async (page: Page, label: string, option: string) => {
    await page.getByLabel(label, { exact: true }).click();
    await page.locator('.ant-select-dropdown:not(.ant-select-dropdown-hidden) .ant-select-item-option').filter({ hasText: option }).first().click();
  };

  beforeAll(async () => {
    await cleanArtifacts('identity');
    [system, browser] = await Promise.all([startConsoleSystem(), launchChromium()]);
    adminContext = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    // The copy button writes the token to the clipboard; the test reads it back.
    await adminContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: system.url });
    admin = await adminContext.newPage();
    admin.setDefaultTimeout(15_000);
    shot = screenshots(admin, 'identity');
    const created = await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ name: 'console-shared', type: 'llm', framework: 'custom' }));
    expect(created.status).toBe(201);
    model = created.body;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('signs in with a username and password, after refusing a wrong password', async () => {
    await admin.goto(`${system.url}/models`);
    await admin.waitForURL(/\/sign-in/);
    await admin.getByLabel('Username', { exact: true }).fill('admin');
    await admin.getByLabel('Password', { exact: true }).fill('not the admin password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByText('Wrong username or password.').waitFor();
    await shot('wrong-password');
    await signInWithPassword(admin, system.url, 'admin', CONSOLE_ADMIN_PASSWORD);
    await admin.waitForURL(/\/models$/);
    const header = admin.getByTestId('current-user');
    await expect(header.innerText()).resolves.toMatch(/admin[\s\S]*Administrator/);
    const nav = admin.getByTestId('side-nav');
    for (const entry of ['Users', 'Teams', 'My tokens', 'Audit log']) await nav.getByText(entry, { exact: true }).waitFor();
    await modelRow(admin, 'console-shared').waitFor();
    await shot('signed-in-as-admin');
  });

  it('creates a user on the Users page (a taken name shown on its field), who signs in with a lower role and sees no admin menus', async () => {
    await admin.getByTestId('side-nav').getByText('Users', { exact: true }).click();
    await admin.waitForURL(/\/users$/);
    await admin.getByRole('button', { name: 'Add user' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Username', { exact: true }).fill('ADMIN');
    await dialog.getByLabel('Display name').fill('Mei Chen');
    await dialog.getByLabel('Password', { exact: true }).fill(MEI_PASSWORD);
    await openSelect(admin, 'Role', 'User');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    // The API's 409 names the field: shown under it, the dialog stays open.
    await dialog.getByText('is taken', { exact: true }).waitFor();
    await shot('user-name-taken');
    await dialog.getByLabel('Username', { exact: true }).fill('mei');
    await dialog.getByRole('button', { name: 'Add user' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const row = admin.getByTestId('users-table').locator('tr.ant-table-row').filter({ hasText: 'mei' });
    await expect(row.innerText()).resolves.toMatch(/mei[\s\S]*Mei Chen[\s\S]*User/);
    const users = (await system.api.get<{ items: UserDto[] }>('/api/v1/users')).body.items;
    expect(users.find((u) => u.username === 'mei')).toMatchObject({ role: 'user', display_name: 'Mei Chen', has_password: true, disabled: false });
    await shot('user-created');

    const mei = await signedInPage('mei', MEI_PASSWORD);
    await expect(mei.getByTestId('current-user').innerText()).resolves.toMatch(/Mei Chen \(mei\)[\s\S]*User/);
    const nav = mei.getByTestId('side-nav');
    await nav.getByText('My tokens', { exact: true }).waitFor();
    for (const entry of ['Users', 'Teams', 'Audit log']) expect(await nav.getByText(entry, { exact: true }).count()).toBe(0);
    // A private model of the admin's does not exist for her yet; and a user adds no models.
    await mei.getByText('No models yet.', { exact: false }).waitFor();
    expect(await mei.getByRole('button', { name: 'Add model' }).count()).toBe(0);
    await shot('user-signed-in', mei);
    // Typed by hand, an admin page says it is not for her role.
    await mei.goto(`${system.url}/users`);
    await mei.getByText('Not available to your role').waitFor();
  });

  it('grants the user a model on its Access tab, who then sees it; making it internal shows it to everyone', async () => {
    await system.api.post('/api/v1/users', { username: 'vic', password: VIC_PASSWORD, role: 'viewer' });
    await admin.goto(`${system.url}/models/${model.id}`);
    await admin.getByRole('tab', { name: 'Access' }).click();
    await admin.waitForURL(/tab=access/);
    const panel = admin.getByTestId('access-panel');
    await panel.getByText('No grants', { exact: false }).waitFor();
    await panel.getByLabel('Name of the user or team').fill('mei');
    await panel.getByRole('button', { name: 'Add grant' }).click();
    await panel.getByTestId('grants-table').getByText('mei', { exact: true }).waitFor();
    await shot('access-grant-added');
    await panel.getByRole('button', { name: 'Save access' }).click();
    await admin.getByText('Access saved').waitFor();
    const stored = await system.api.get<ModelPermissionsDto>(`/api/v1/ai-models/${model.id}/permissions`);
    expect(stored.body).toMatchObject({ visibility: 'private', grants: [{ user: 'mei', level: 'use' }] });

    const mei = await signedInPage('mei', MEI_PASSWORD);
    await modelRow(mei, 'console-shared').waitFor();
    // She may test it (use), not change it.
    expect(await modelRow(mei, 'console-shared').getByRole('button', { name: 'Edit console-shared' }).count()).toBe(0);
    await modelRow(mei, 'console-shared').getByRole('button', { name: 'Test console-shared' }).waitFor();
    const vic = await signedInPage('vic', VIC_PASSWORD);
    await vic.getByText('No models yet.', { exact: false }).waitFor();

    await panel.getByText('Internal', { exact: true }).click();
    await panel.getByText('Every signed-in user may see and use this model', { exact: false }).waitFor();
    await panel.getByRole('button', { name: 'Save access' }).click();
    await admin.getByText('Access saved').last().waitFor();
    await waitFor(async () => (await system.api.get<ModelPermissionsDto>(`/api/v1/ai-models/${model.id}/permissions`)).body.visibility === 'internal', {
      description: 'the model to be internal',
    });
    await shot('access-internal');
    await vic.reload();
    await modelRow(vic, 'console-shared').waitFor();
    await shot('viewer-sees-internal-model', vic);
    // A viewer cannot manage the model: the page offers no Access tab.
    await modelRow(vic, 'console-shared').getByRole('link', { name: 'console-shared', exact: true }).click();
    await vic.getByTestId('model-details').waitFor();
    expect(await vic.getByRole('tab', { name: 'Access' }).count()).toBe(0);
  });

  it('creates an API token with the copy-once dialog; the token works against the API, and once revoked it is refused', async () => {
    await admin.goto(`${system.url}/tokens`);
    await admin.getByRole('button', { name: 'Create token' }).click();
    const dialog = admin.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('console-ci');
    for (const scope of ['Write', 'Administer']) await dialog.getByLabel(scope, { exact: true }).uncheck();
    await openSelect(admin, 'Models', 'console-shared');
    await dialog.getByLabel('Requests per minute').fill('120');
    await shot('token-form');
    await dialog.getByRole('button', { name: 'Create', exact: true }).click();

    const once = admin.getByRole('dialog').filter({ hasText: 'it will not be shown again' });
    await once.waitFor();
    const token = await once.getByTestId('created-token').inputValue();
    expect(token).toMatch(/^myt_[A-Za-z0-9_-]{40,}$/);
    await once.getByRole('button', { name: 'Copy' }).click();
    await once.getByText('Copied', { exact: true }).waitFor();
    expect(await admin.evaluate(() => (globalThis as unknown as BrowserWindow).navigator.clipboard.readText())).toBe(token);
    await shot('token-copy-once');
    await once.getByRole('button', { name: 'I have copied it' }).click();
    await once.waitFor({ state: 'hidden' });

    const listed = (await system.api.get<TokenListDto>('/api/v1/tokens')).body.items.find((k) => k.name === 'console-ci')!;
    expect(listed).toMatchObject({ scopes: ['read', 'invoke'], model_ids: [model.id], rpm_limit: 120, revoked_at: null });
    const row = admin.getByTestId('tokens-table').locator('tr.ant-table-row').filter({ hasText: 'console-ci' });
    await expect(row.innerText()).resolves.toContain(`${listed.prefix}…${listed.last4}`);
    expect(await admin.getByText(token).count()).toBe(0);
    await shot('token-listed');

    // The token sees the one model it is limited to, and carries no admin scope.
    const withToken = system.api.withToken(token);
    const models = await withToken.get<ModelListDto>('/api/v1/ai-models');
    expect(models.status).toBe(200);
    expect(models.body.items.map((m) => m.id)).toEqual([model.id]);
    expect((await withToken.get('/api/v1/users')).status).toBe(403);

    await row.getByRole('button', { name: 'Revoke console-ci' }).click();
    await admin.locator('.ant-popconfirm').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('Revoked').waitFor();
    await shot('token-revoked');
    // Refused on every gateway within 1.5 s (the auth cache's bound).
    await waitFor(async () => (await withToken.get('/api/v1/ai-models')).status === 401, { timeoutMs: 5_000, intervalMs: 100, description: 'the revoked token to be refused' });
  });

  it('shows the audit log with its filters in the URL and each event\'s details', async () => {
    await admin.goto(`${system.url}/audit?action=permission.change`);
    const table = admin.getByTestId('audit-table');
    const rows = table.locator('tr.ant-table-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    await expect(rows.first().innerText()).resolves.toMatch(/admin[\s\S]*Access changed[\s\S]*console-shared[\s\S]*Success[\s\S]*127\.0\.0\.1/);
    await rows.first().getByRole('button', { name: 'Expand row' }).click();
    const details = table.locator('.ant-table-expanded-row');
    await expect(details.innerText()).resolves.toContain('"visibility"');
    await shot('audit-permission-changes');
    await admin.getByRole('button', { name: 'Verify the chain' }).click();
    await admin.getByTestId('audit-verification').getByText('Intact', { exact: false }).waitFor();
    await admin.getByTestId('language-switch').getByText('繁體中文').click();
    await admin.getByText('稽核紀錄').first().waitFor();
    await shot('audit-zh-TW');
    await admin.getByTestId('language-switch').getByText('English').click();
  });

  it('signs out: the session is ended on the server, not only forgotten', async () => {
    const session = await admin.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('modelyard.token'));
    expect(session).toMatch(/^mys_/);
    expect((await system.api.withToken(session!).get('/api/v1/auth/me')).status).toBe(200);
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.waitForURL(/\/sign-in/);
    await waitFor(async () => (await system.api.withToken(session!).get('/api/v1/auth/me')).status === 401, { timeoutMs: 5_000, intervalMs: 100, description: 'the ended session to be refused' });
    for (const context of others) await context.close();
  });
});

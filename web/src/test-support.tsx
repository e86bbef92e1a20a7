import { jest } from '@jest/globals';
import { ConfigProvider } from 'antd';
import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import type { ModelyardApi } from './api/client';
import type { User, WhoAmI } from './api/identity-types';
import type { Model } from './api/types';
import { ConsoleProviders } from './app';
import { CurrentUserProvider } from './auth/current-user';

/* Test helpers of the component tests (not a spec): a fake API, a model record, rendering inside the console's providers. */

type Mocked<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<(...args: A) => R> : T[K] };

/** Every API method as a mock that fails unless a test says what it answers. */
export function fakeApi(): Mocked<ModelyardApi> {
  const unexpected = (name: string) => jest.fn(() => Promise.reject(new Error(`unexpected call: ${name}`)));
  return {
    listModels: unexpected('listModels'),
    getModel: unexpected('getModel'),
    createModel: unexpected('createModel'),
    updateModel: unexpected('updateModel'),
    deleteModel: unexpected('deleteModel'),
    toggleStatus: unexpected('toggleStatus'),
    uploadFile: unexpected('uploadFile'),
    testModel: unexpected('testModel'),
    getStats: unexpected('getStats'),
    previewHubModel: unexpected('previewHubModel'),
    login: unexpected('login'),
    logout: unexpected('logout'),
    whoAmI: unexpected('whoAmI'),
    listUsers: unexpected('listUsers'),
    createUser: unexpected('createUser'),
    updateUser: unexpected('updateUser'),
    deleteUser: unexpected('deleteUser'),
    listTeams: unexpected('listTeams'),
    createTeam: unexpected('createTeam'),
    updateTeam: unexpected('updateTeam'),
    deleteTeam: unexpected('deleteTeam'),
    listTokens: unexpected('listTokens'),
    createToken: unexpected('createToken'),
    revokeToken: unexpected('revokeToken'),
    getPermissions: unexpected('getPermissions'),
    updatePermissions: unexpected('updatePermissions'),
    listAuditEvents: unexpected('listAuditEvents'),
    verifyAuditLog: unexpected('verifyAuditLog'),
  } as unknown as Mocked<ModelyardApi>;
}

export function aUser(overrides: Partial<User> = {}): User {
  return {
    id: '7a1c0000-0000-4000-8000-000000000001',
    username: 'admin',
    display_name: 'Administrator',
    role: 'admin',
    disabled: false,
    builtin: true,
    has_password: true,
    teams: [],
    rpm_limit: null,
    tpm_limit: null,
    daily_call_limit: null,
    created_at: '2026-01-15T10:00:00.000Z',
    updated_at: '2026-01-15T10:00:00.000Z',
    ...overrides,
  };
}

/** Who the console is signed in as: a password session of `user` (the built-in admin unless told). */
export function aMe(user: Partial<User> = {}, overrides: Partial<WhoAmI> = {}): WhoAmI {
  return { user: aUser(user), via: 'session', token_id: null, scopes: null, model_ids: null, expires_at: '2026-01-15T22:00:00.000Z', ...overrides };
}

export function aModel(overrides: Partial<Model> = {}): Model {
  return {
    id: '4f0c8a52-0000-4000-8000-000000000001',
    name: 'GPT-4',
    version: '4.0',
    type: 'llm',
    framework: 'openai',
    source: 'openai',
    status: 'active',
    status_message: null,
    description: 'OpenAI model',
    endpoint: 'https://api.openai.com/v1/chat/completions',
    tags: ['chat'],
    config: { input_format: null, output_format: null, parameters: {}, env: {}, signature: null },
    accuracy: null,
    latency_ms: null,
    usage: { calls: 0, success_rate: null, latency_p50_ms: null },
    license: null,
    artifacts: [],
    progress: null,
    import: null,
    owner: 'admin',
    created_at: '2026-01-15T10:00:00.000Z',
    updated_at: '2026-01-15T10:00:00.000Z',
    ...overrides,
  };
}

function LocationProbe() {
  const location = useLocation();
  return <output data-testid="location">{`${location.pathname}${location.search}`}</output>;
}

/** Renders `ui` signed in (a token in sessionStorage; `me`, the built-in admin unless told), in English unless told, at `route`. */
export function renderConsole(ui: ReactElement, options: { api: ModelyardApi; route?: string; path?: string; language?: 'en' | 'zh-TW'; me?: WhoAmI }) {
  window.sessionStorage.setItem('modelyard.token', 'my_test');
  const user = userEvent.setup({ delay: null });
  const result = render(
    <ConsoleProviders api={options.api} language={options.language ?? 'en'}>
      {/* No animations: nothing to wait for between a click and what it shows. */}
      <ConfigProvider theme={{ token: { motion: false } }}>
      <CurrentUserProvider me={options.me ?? aMe()}>
      <MemoryRouter initialEntries={[options.route ?? '/']}>
        <Routes>
          <Route path={options.path ?? '*'} element={ui} />
        </Routes>
        <LocationProbe />
      </MemoryRouter>
      </CurrentUserProvider>
      </ConfigProvider>
    </ConsoleProviders>,
  );
  return { ...result, user, location: () => screen.getByTestId('location').textContent };
}

/** A button by its text (getByRole computes the whole accessibility tree: slow with Ant Design's DOM). */
export function button(name: string): HTMLButtonElement {
  const matches = screen.getAllByText(name, { selector: 'button, button *' }).map((e) => e.closest('button')!);
  return matches[matches.length - 1]!;
}

/** The alert shown (role="alert"). */
export function alertShown(): HTMLElement {
  const alert = document.querySelector<HTMLElement>('[role=alert]');
  if (!alert) throw new Error('no alert shown');
  return alert;
}

/** Types a whole value at once (one input event): per-key typing re-renders an Ant Design form per character. */
export async function fill(user: ReturnType<typeof userEvent.setup>, label: string, text: string) {
  const input = screen.getByLabelText(label, { selector: 'input, textarea' });
  await user.clear(input);
  await user.click(input);
  await user.paste(text);
}

/** Opens an Ant Design select by its label and picks the option shown as `option`. */
export async function pick(user: ReturnType<typeof userEvent.setup>, label: string, option: string) {
  await user.click(screen.getByLabelText(label, { selector: 'input' }));
  const listbox = document.querySelectorAll<HTMLElement>('.ant-select-dropdown:not(.ant-select-dropdown-hidden)');
  const dropdown = listbox[listbox.length - 1]!;
  await user.click(within(dropdown).getByTitle(option));
}

/** The help text (validation or server error) shown under the form field labelled `label`. */
export function fieldError(label: string): string {
  const input = screen.getByLabelText(label, { selector: 'input, textarea' });
  const item = input.closest('.ant-form-item')!;
  return Array.from(item.querySelectorAll('.ant-form-item-explain-error')).map((e) => e.textContent).join(' | ');
}

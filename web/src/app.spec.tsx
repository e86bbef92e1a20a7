import { describe, expect, it } from '@jest/globals';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { ConsoleProviders, ConsoleRoutes } from './app';
import { detectLanguage } from './i18n/i18n';
import { en, zhTW } from './i18n/messages';
import { aMe, button, fakeApi } from './test-support';

describe('console shell', () => {
  it('takes the language from the browser: any Chinese gets zh-TW, everything else English', () => {
    expect(detectLanguage(['zh-TW'])).toBe('zh-TW');
    expect(detectLanguage(['zh-CN', 'en'])).toBe('zh-TW');
    expect(detectLanguage(['fr-FR', 'en-GB'])).toBe('en');
    expect(detectLanguage(['de'])).toBe('en');
  });

  it('translates every string (no English left in the zh-TW dictionary but names)', () => {
    const untranslated = Object.keys(en).filter((k) => zhTW[k as keyof typeof en] === en[k as keyof typeof en] && /[a-z]{4,} [a-z]{3,}/.test(en[k as keyof typeof en]));
    expect(untranslated).toEqual([]);
  });

  it('sends a visitor without a token to sign-in, and signs in with a token the API accepts', async () => {
    window.sessionStorage.clear();
    const api = fakeApi();
    api.whoAmI.mockResolvedValue(aMe({}, { via: 'token', scopes: ['read'] }));
    api.listModels.mockResolvedValue({ items: [], total: 0, page: 1, page_size: 20 });
    const user = userEvent.setup({ delay: null });
    render(
      <ConsoleProviders api={api} language="en">
        <MemoryRouter initialEntries={['/models?type=llm']}>
          <ConsoleRoutes />
        </MemoryRouter>
      </ConsoleProviders>,
    );
    await user.click(await screen.findByRole('tab', { name: 'Token' }));
    await user.click(await screen.findByLabelText('API token'));
    await user.paste('my_token');
    await user.click(button('Sign in'));
    await waitFor(() => expect(api.listModels).toHaveBeenCalled());
    // Checked before it is kept, then asked again for who it stands for.
    expect(api.whoAmI.mock.calls[0]![0]).toBe('my_token');
    expect(api.whoAmI).toHaveBeenCalledTimes(2);
    expect(api.listModels.mock.calls[0]![0]).toMatchObject({ type: 'llm' });
    expect(window.sessionStorage.getItem('modelyard.token')).toBe('my_token');
  });

  it('shows the navigation group and switches every string, Ant Design included, between English and zh-TW', async () => {
    window.sessionStorage.setItem('modelyard.token', 'my_token');
    const api = fakeApi();
    api.whoAmI.mockResolvedValue(aMe());
    api.listModels.mockResolvedValue({ items: [], total: 0, page: 1, page_size: 20 });
    const user = userEvent.setup({ delay: null });
    render(
      <ConsoleProviders api={api} language="en">
        <MemoryRouter initialEntries={['/models']}>
          <ConsoleRoutes />
        </MemoryRouter>
      </ConsoleProviders>,
    );
    const nav = await screen.findByTestId('side-nav');
    expect(nav).toHaveTextContent('AI Applications');
    expect(nav).toHaveTextContent('AI Model Management');
    await user.click(screen.getByText('繁體中文'));
    await waitFor(() => expect(nav).toHaveTextContent('AI 應用'));
    expect(nav).toHaveTextContent('AI Model 管理');
    expect(nav).toHaveTextContent('稽核紀錄');
    expect(screen.getByTestId('current-user')).toHaveTextContent('管理員');
    expect(screen.getByText('新增模型')).toBeInTheDocument();
    expect(screen.getByText('登出')).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('zh-TW');
  });
});

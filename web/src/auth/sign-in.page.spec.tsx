import { describe, expect, it } from '@jest/globals';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { ApiError } from '../api/client';
import { ConsoleProviders, ConsoleRoutes } from '../app';
import { aMe, aUser, button, fakeApi, fieldError, fill } from '../test-support';

const emptyList = { items: [], total: 0, page: 1, page_size: 20 };

function renderSignIn(api: ReturnType<typeof fakeApi>, route = '/sign-in') {
  window.sessionStorage.clear();
  const user = userEvent.setup({ delay: null });
  render(
    <ConsoleProviders api={api} language="en">
      <MemoryRouter initialEntries={[route]}>
        <ConsoleRoutes />
      </MemoryRouter>
    </ConsoleProviders>,
  );
  return user;
}

describe('sign-in', () => {
  it('signs in with a username and password, keeps the session token, and shows who is signed in with the role', async () => {
    const api = fakeApi();
    const mei = aUser({ id: 'u-mei', username: 'mei', display_name: null, role: 'maintainer', builtin: false });
    api.login.mockResolvedValue({ token: 'mys_session', expires_at: '2026-01-15T22:00:00.000Z', user: mei });
    api.whoAmI.mockResolvedValue(aMe({ ...mei }));
    api.listModels.mockResolvedValue(emptyList);
    const user = renderSignIn(api, '/sign-in?next=%2Fmodels%3Ftype%3Dllm');
    await fill(user, 'Username', '  mei ');
    await fill(user, 'Password', 'correct horse battery');
    await user.click(button('Sign in'));
    const header = await screen.findByTestId('current-user');
    expect(header).toHaveTextContent('mei');
    expect(header).toHaveTextContent('Maintainer');
    expect(api.login).toHaveBeenCalledWith('mei', 'correct horse battery');
    expect(window.sessionStorage.getItem('modelyard.token')).toBe('mys_session');
    // The page the visitor was going to, filters included.
    await waitFor(() => expect(api.listModels).toHaveBeenCalledWith(expect.objectContaining({ type: 'llm' }), expect.anything()));
  });

  it('says a wrong username or password on the password field, clears it, and keeps nothing', async () => {
    const api = fakeApi();
    api.login.mockRejectedValue(new ApiError({ status: 401, title: 'Unauthorized', detail: 'Wrong username or password.', code: 'invalid_credentials' }));
    const user = renderSignIn(api);
    await fill(user, 'Username', 'mei');
    await fill(user, 'Password', 'not-the-password');
    await user.click(button('Sign in'));
    await waitFor(() => expect(fieldError('Password')).toBe('Wrong username or password.'));
    expect(screen.getByLabelText('Password')).toHaveValue('');
    expect(window.sessionStorage.getItem('modelyard.token')).toBeNull();
    expect(api.whoAmI).not.toHaveBeenCalled();
  });

  it('says how long to wait when sign-ins are throttled', async () => {
    const api = fakeApi();
    api.login.mockRejectedValue(new ApiError({ status: 429, title: 'Too Many Requests', detail: 'Too many failed sign-ins.', code: 'rate_limited', retryAfter: 900 }));
    const user = renderSignIn(api);
    await fill(user, 'Username', 'mei');
    await fill(user, 'Password', 'guess-number-six');
    await user.click(button('Sign in'));
    expect(await screen.findByText('Too many failed sign-ins. Try again in 15 min.')).toBeInTheDocument();
  });

  it('refuses a token the API does not accept, on the token tab', async () => {
    const api = fakeApi();
    api.whoAmI.mockRejectedValue(new ApiError({ status: 401, title: 'Unauthorized', detail: 'The token is not valid.', code: 'unauthorized' }));
    const user = renderSignIn(api);
    await user.click(screen.getByText('Token', { selector: '[role=tab], [role=tab] *' }));
    await fill(user, 'API token', 'my_wrong');
    await user.click(button('Sign in'));
    await waitFor(() => expect(fieldError('API token')).toBe('This token was not accepted.'));
    expect(window.sessionStorage.getItem('modelyard.token')).toBeNull();
  });
});

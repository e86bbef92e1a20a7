import { describe, expect, it } from '@jest/globals';
import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { ApiError } from '../api/client';
import type { WhoAmI } from '../api/identity-types';
import { ConsoleProviders, ConsoleRoutes } from '../app';
import { aMe, aModel, button, fakeApi } from '../test-support';

/** The whole console, signed in as `me`, at `route`. */
function renderAs(me: WhoAmI, route = '/models') {
  window.sessionStorage.setItem('modelyard.token', 'mys_test');
  const api = fakeApi();
  api.whoAmI.mockResolvedValue(me);
  api.listModels.mockResolvedValue({ items: [aModel()], total: 1, page: 1, page_size: 20 });
  const user = userEvent.setup({ delay: null });
  render(
    <ConsoleProviders api={api} language="en">
      <MemoryRouter initialEntries={[route]}>
        <ConsoleRoutes />
      </MemoryRouter>
    </ConsoleProviders>,
  );
  return { api, user };
}

const as = (role: WhoAmI['user']['role'], overrides: Partial<WhoAmI> = {}) =>
  aMe({ id: `u-${role}`, username: `${role}-1`, display_name: null, role, builtin: false }, overrides);

describe('menus and actions by role', () => {
  it('offers an administrator every menu and action', async () => {
    renderAs(aMe());
    const nav = await screen.findByTestId('side-nav');
    for (const entry of ['AI Model Management', 'Users', 'Teams', 'My tokens', 'Audit log']) expect(nav).toHaveTextContent(entry);
    expect(screen.getByTestId('current-user')).toHaveTextContent('Administrator');
    const row = (await screen.findByText('GPT-4')).closest('tr')!;
    expect(within(row).getByLabelText('Edit GPT-4')).toBeInTheDocument();
    expect(within(row).getByLabelText('Delete GPT-4')).toBeInTheDocument();
    expect(button('Add model')).toBeInTheDocument();
  });

  it('shows a maintainer the audit log but not users and teams', async () => {
    renderAs(as('maintainer'));
    const nav = await screen.findByTestId('side-nav');
    expect(nav).toHaveTextContent('Audit log');
    expect(nav).toHaveTextContent('My tokens');
    expect(nav).not.toHaveTextContent('Users');
    expect(nav).not.toHaveTextContent('Teams');
    expect(await screen.findByText('GPT-4')).toBeInTheDocument();
    expect(button('Add model')).toBeInTheDocument();
  });

  it('shows a viewer only the models (read-only) and its tokens', async () => {
    renderAs(as('viewer'));
    const nav = await screen.findByTestId('side-nav');
    expect(nav).toHaveTextContent('My tokens');
    for (const entry of ['Users', 'Teams', 'Audit log']) expect(nav).not.toHaveTextContent(entry);
    expect(screen.getByTestId('current-user')).toHaveTextContent('viewer-1');
    expect(screen.getByTestId('current-user')).toHaveTextContent('Viewer');
    const row = (await screen.findByText('GPT-4')).closest('tr')!;
    expect(within(row).queryByLabelText('Edit GPT-4')).toBeNull();
    expect(within(row).queryByLabelText('Delete GPT-4')).toBeNull();
    expect(within(row).queryByLabelText('Test GPT-4')).toBeNull();
    expect(within(row).getByRole('switch')).toBeDisabled();
    expect(screen.queryByText('Add model', { selector: 'button *' })).toBeNull();
  });

  it('lets a user test models but not change them', async () => {
    renderAs(as('user'));
    const row = (await screen.findByText('GPT-4')).closest('tr')!;
    expect(within(row).getByLabelText('Test GPT-4')).toBeInTheDocument();
    expect(within(row).queryByLabelText('Edit GPT-4')).toBeNull();
    expect(screen.queryByText('Add model', { selector: 'button *' })).toBeNull();
  });

  it('hides the tokens page from a token whose scopes do not allow it, and follows its scopes for actions', async () => {
    renderAs(aMe({}, { via: 'token', scopes: ['read'] }));
    const nav = await screen.findByTestId('side-nav');
    expect(nav).not.toHaveTextContent('My tokens');
    expect(nav).not.toHaveTextContent('Users');
    expect(nav).toHaveTextContent('Audit log');
    expect(await screen.findByText('GPT-4')).toBeInTheDocument();
    expect(screen.queryByText('Add model', { selector: 'button *' })).toBeNull();
  });

  it('tells a user who opens an admin page by its URL that it is not for their role', async () => {
    const { api } = renderAs(as('user'), '/users');
    expect(await screen.findByText('Not available to your role')).toBeInTheDocument();
    expect(api.listUsers).not.toHaveBeenCalled();
  });
});

describe('signing out', () => {
  it('ends a password session on the server too, then forgets the token', async () => {
    const { api, user } = renderAs(aMe());
    api.logout.mockResolvedValue(undefined);
    await user.click(await screen.findByText('Sign out', { selector: 'button *' }));
    await waitFor(() => expect(window.sessionStorage.getItem('modelyard.token')).toBeNull());
    expect(api.logout).toHaveBeenCalledTimes(1);
    expect(await screen.findByText('Sign in to Modelyard')).toBeInTheDocument();
  });

  it('forgets an API token without revoking it', async () => {
    const { api, user } = renderAs(aMe({}, { via: 'token', scopes: ['read', 'invoke', 'write', 'admin'] }));
    await user.click(await screen.findByText('Sign out', { selector: 'button *' }));
    await waitFor(() => expect(window.sessionStorage.getItem('modelyard.token')).toBeNull());
    expect(api.logout).not.toHaveBeenCalled();
  });

  it('signs out even when the server cannot be reached', async () => {
    const { api, user } = renderAs(aMe());
    api.logout.mockRejectedValue(new ApiError({ status: 0, title: 'Network error', detail: 'Network Error' }));
    await user.click(await screen.findByText('Sign out', { selector: 'button *' }));
    expect(await screen.findByText('Sign in to Modelyard')).toBeInTheDocument();
    expect(window.sessionStorage.getItem('modelyard.token')).toBeNull();
  });
});

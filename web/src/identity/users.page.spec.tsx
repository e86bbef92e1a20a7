import { describe, expect, it } from '@jest/globals';
import { screen, waitFor, within } from '@testing-library/react';
import { ApiError } from '../api/client';
import { aUser, button, fakeApi, fieldError, fill, pick, renderConsole } from '../test-support';
import { userBodyOf, userValuesOf } from './user-form-modal';
import { UsersPage } from './users.page';

const mei = aUser({
  id: 'u-mei',
  username: 'mei',
  display_name: 'Mei Chen',
  role: 'user',
  builtin: false,
  teams: [{ id: 't-nlp', name: 'nlp' }],
  rpm_limit: 60,
});
const teams = { items: [{ id: 't-nlp', name: 'nlp', description: null, members: [], created_at: '', updated_at: '' }], total: 1 };

describe('users page', () => {
  it('lists users with role, teams, state and limits; the built-in admin cannot be deleted', async () => {
    const api = fakeApi();
    api.listUsers.mockResolvedValue({ items: [aUser(), mei], total: 2 });
    renderConsole(<UsersPage />, { api, route: '/users' });
    const row = (await screen.findByText('mei')).closest('tr')!;
    expect(row).toHaveTextContent('Mei Chen');
    expect(row).toHaveTextContent('User');
    expect(row).toHaveTextContent('nlp');
    expect(row).toHaveTextContent('Enabled');
    expect(row).toHaveTextContent('60 req/min');
    expect(within(row).getByLabelText('Delete mei')).toBeInTheDocument();
    const admin = screen.getByText('admin', { selector: 'strong' }).closest('tr')!;
    expect(admin).toHaveTextContent('Built-in');
    expect(within(admin).queryByLabelText('Delete admin')).toBeNull();
  });

  it('creates a user with a password, role, display name and limits', async () => {
    const api = fakeApi();
    api.listUsers.mockResolvedValue({ items: [aUser()], total: 1 });
    api.listTeams.mockResolvedValue(teams);
    api.createUser.mockResolvedValue(mei);
    const { user } = renderConsole(<UsersPage />, { api, route: '/users' });
    await user.click(await screen.findByText('Add user', { selector: 'button *' }));
    const dialog = await screen.findByRole('dialog');
    await fill(user, 'Username', 'mei');
    await fill(user, 'Display name', 'Mei Chen');
    await fill(user, 'Password', 'a long passphrase');
    await pick(user, 'Role', 'Maintainer');
    await fill(user, 'Requests per minute', '60');
    await user.click(within(dialog).getByText('Add user', { selector: 'button *' }));
    await waitFor(() =>
      expect(api.createUser).toHaveBeenCalledWith({
        username: 'mei',
        password: 'a long passphrase',
        role: 'maintainer',
        display_name: 'Mei Chen',
        disabled: false,
        teams: [],
        rpm_limit: 60,
        tpm_limit: null,
        daily_call_limit: null,
      }),
    );
    expect(await screen.findByText('User mei added')).toBeInTheDocument();
  });

  it("shows the API's field error on its field, and keeps the dialog open", async () => {
    const api = fakeApi();
    api.listUsers.mockResolvedValue({ items: [aUser()], total: 1 });
    api.listTeams.mockResolvedValue(teams);
    api.createUser.mockRejectedValue(
      new ApiError({ status: 409, title: 'Conflict', detail: 'The username "ADMIN" is taken.', code: 'username_taken', errors: [{ field: 'username', detail: 'is taken' }] }),
    );
    const { user } = renderConsole(<UsersPage />, { api, route: '/users' });
    await user.click(await screen.findByText('Add user', { selector: 'button *' }));
    const dialog = await screen.findByRole('dialog');
    await fill(user, 'Username', 'ADMIN');
    await fill(user, 'Password', 'a long passphrase');
    await user.click(within(dialog).getByText('Add user', { selector: 'button *' }));
    await waitFor(() => expect(fieldError('Username')).toBe('is taken'));
    expect(within(dialog).getByRole('alert')).toHaveTextContent('The username "ADMIN" is taken.');
  });

  it('checks a password is long enough before asking the API', async () => {
    const api = fakeApi();
    api.listUsers.mockResolvedValue({ items: [], total: 0 });
    api.listTeams.mockResolvedValue(teams);
    const { user } = renderConsole(<UsersPage />, { api, route: '/users' });
    await user.click(await screen.findByText('Add user', { selector: 'button *' }));
    const dialog = await screen.findByRole('dialog');
    await fill(user, 'Username', 'mei');
    await fill(user, 'Password', 'short');
    await user.click(within(dialog).getByText('Add user', { selector: 'button *' }));
    await waitFor(() => expect(fieldError('Password')).toBe('From 10 to 256 characters'));
    expect(api.createUser).not.toHaveBeenCalled();
  });

  it('edits a user: sends only what changed, and a new password only when one is typed', async () => {
    const api = fakeApi();
    api.listUsers.mockResolvedValue({ items: [mei], total: 1 });
    api.listTeams.mockResolvedValue(teams);
    api.updateUser.mockResolvedValue({ ...mei, role: 'viewer' });
    const { user } = renderConsole(<UsersPage />, { api, route: '/users' });
    await user.click(await screen.findByLabelText('Edit mei'));
    const dialog = await screen.findByRole('dialog');
    expect(screen.getByLabelText('Username')).toBeDisabled();
    await pick(user, 'Role', 'Viewer');
    await fill(user, 'New password', 'another long passphrase');
    await user.click(within(dialog).getByText('Save', { selector: 'button *' }));
    await waitFor(() => expect(api.updateUser).toHaveBeenCalledWith('u-mei', { role: 'viewer', password: 'another long passphrase' }));
  });

  it('deletes a user only after confirmation', async () => {
    const api = fakeApi();
    api.listUsers.mockResolvedValue({ items: [mei], total: 1 });
    api.deleteUser.mockResolvedValue(undefined);
    const { user } = renderConsole(<UsersPage />, { api, route: '/users' });
    await user.click(await screen.findByLabelText('Delete mei'));
    expect(await screen.findByText('Delete user mei? Their sessions and tokens stop working.')).toBeInTheDocument();
    expect(api.deleteUser).not.toHaveBeenCalled();
    await user.click(button('Delete'));
    await waitFor(() => expect(api.deleteUser).toHaveBeenCalledWith('u-mei'));
  });
});

describe('user form values', () => {
  it('leaves out what did not change, turns an empty display name into null and empty limits into no limit', () => {
    const values = { ...userValuesOf(mei), display_name: '  ', rpm_limit: null };
    expect(userBodyOf(mei, values)).toEqual({ display_name: null, rpm_limit: null });
    expect(userBodyOf(mei, userValuesOf(mei))).toEqual({});
    expect(userBodyOf(mei, { ...userValuesOf(mei), teams: [] })).toEqual({ teams: [] });
  });
});

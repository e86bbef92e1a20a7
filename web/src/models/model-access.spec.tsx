import { describe, expect, it } from '@jest/globals';
import { screen, waitFor, within } from '@testing-library/react';
import { ApiError } from '../api/client';
import type { ModelPermissions } from '../api/identity-types';
import { aMe, aModel, aUser, button, fakeApi, fill, pick, renderConsole } from '../test-support';
import { withGrant } from './model-access';
import { ModelDetailPage } from './model-detail.page';

const stored: ModelPermissions = {
  visibility: 'private',
  owner: { id: 'u-admin', username: 'admin' },
  grants: [
    { team: 'nlp', level: 'read' },
    { user: 'bob', level: 'use' },
  ],
};
const stats = {
  model_id: aModel().id,
  from: '',
  to: '',
  calls: 0,
  success_rate: null,
  latency_ms: null,
  throughput_rps: 0,
  errors: [],
  step_seconds: 60,
  series: [],
  tokens: { input: 0, output: 0 },
  by_user: [],
  by_token: [],
};

function renderModelPage(me = aMe()) {
  const api = fakeApi();
  api.getModel.mockResolvedValue(aModel());
  api.getStats.mockResolvedValue(stats);
  const rendered = renderConsole(<ModelDetailPage />, { api, route: `/models/${aModel().id}?tab=access`, path: '/models/:id', me });
  return { api, ...rendered };
}

describe('model access tab', () => {
  it('grants a user, changes a level, removes a grant and makes the model internal, saved with one PUT', async () => {
    const { api, user } = renderModelPage();
    api.getPermissions.mockResolvedValue(stored);
    api.listUsers.mockResolvedValue({ items: [aUser(), aUser({ id: 'u-mei', username: 'mei', builtin: false })], total: 2 });
    api.updatePermissions.mockImplementation(async (_id, body) => ({ owner: stored.owner, ...body }));
    const panel = await screen.findByTestId('access-panel');
    expect(panel).toHaveTextContent('admin');
    expect(within(screen.getByTestId('grants-table')).getByText('nlp')).toBeInTheDocument();
    expect(button('Save access')).toBeDisabled();

    await fill(user, 'Name of the user or team', 'mei');
    await user.click(button('Add grant'));
    await pick(user, 'Level for nlp', 'Edit');
    await user.click(screen.getByLabelText('Remove bob'));
    await user.click(within(panel).getByText('Internal'));
    await user.click(button('Save access'));
    await waitFor(() =>
      expect(api.updatePermissions).toHaveBeenCalledWith(aModel().id, {
        visibility: 'internal',
        grants: [
          { team: 'nlp', level: 'edit' },
          { user: 'mei', level: 'use' },
        ],
      }),
    );
    expect(await screen.findByText('Access saved')).toBeInTheDocument();
    await waitFor(() => expect(button('Save access')).toBeDisabled());
  });

  it("shows the API's refusal of a grant with the problem, and keeps the changes", async () => {
    const { api, user } = renderModelPage(aMe({ role: 'maintainer', builtin: false }));
    api.getPermissions.mockResolvedValue(stored);
    api.updatePermissions.mockRejectedValue(
      new ApiError({ status: 422, title: 'Unprocessable Content', detail: 'No user is named "nobody".', code: 'unknown_grantee', errors: [{ field: 'grants', detail: 'unknown user: nobody' }] }),
    );
    await screen.findByTestId('access-panel');
    // A maintainer cannot list users: the name is typed, and the API checks it.
    expect(api.listUsers).not.toHaveBeenCalled();
    await fill(user, 'Name of the user or team', 'nobody');
    await user.click(button('Add grant'));
    await user.click(button('Save access'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No user is named "nobody".');
    expect(alert).toHaveTextContent('unknown user: nobody');
    expect(within(screen.getByTestId('grants-table')).getByText('nobody')).toBeInTheDocument();
  });

  it('shows a read-only note when the API says the caller may not manage the model', async () => {
    const { api } = renderModelPage(aMe({ role: 'maintainer', builtin: false }));
    api.getPermissions.mockRejectedValue(
      new ApiError({ status: 403, title: 'Forbidden', detail: 'This needs the "manage" level on the model.', code: 'forbidden' }),
    );
    const note = await screen.findByTestId('access-read-only');
    expect(note).toHaveTextContent('You cannot change who may use this model');
    expect(note).toHaveTextContent('This needs the "manage" level on the model.');
    expect(screen.queryByText('Save access', { selector: 'button *' })).toBeNull();
  });

  it('offers no Access tab, edit or delete to a role that cannot manage models', async () => {
    const { api } = renderModelPage(aMe({ role: 'user', builtin: false }));
    expect(await screen.findByTestId('model-details')).toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'Access' })).toBeNull();
    expect(screen.queryByText('Edit', { selector: 'button *' })).toBeNull();
    expect(api.getPermissions).not.toHaveBeenCalled();
  });
});

describe('grants', () => {
  it('adds a grantee once: a second grant (names compared regardless of case) changes its level', () => {
    const one = withGrant([], 'user', 'mei', 'use');
    expect(one).toEqual([{ user: 'mei', level: 'use' }]);
    expect(withGrant(one, 'user', 'Mei', 'edit')).toEqual([{ user: 'Mei', level: 'edit' }]);
    expect(withGrant(one, 'team', 'mei', 'read')).toEqual([{ user: 'mei', level: 'use' }, { team: 'mei', level: 'read' }]);
  });
});

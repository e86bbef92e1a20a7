import { describe, expect, it } from '@jest/globals';
import { screen, waitFor, within } from '@testing-library/react';
import type { Team } from '../api/identity-types';
import { aUser, button, fakeApi, fill, pick, renderConsole } from '../test-support';
import { teamBodyOf, teamValuesOf } from './team-form-modal';
import { TeamsPage } from './teams.page';

const nlp: Team = {
  id: 't-nlp',
  name: 'nlp',
  description: 'Language models',
  members: [{ id: 'u-mei', username: 'mei' }],
  created_at: '2026-01-15T10:00:00.000Z',
  updated_at: '2026-01-15T10:00:00.000Z',
};
const users = { items: [aUser(), aUser({ id: 'u-mei', username: 'mei', display_name: null, builtin: false })], total: 2 };

describe('teams page', () => {
  it('creates a team with its members', async () => {
    const api = fakeApi();
    api.listTeams.mockResolvedValue({ items: [], total: 0 });
    api.listUsers.mockResolvedValue(users);
    api.createTeam.mockResolvedValue(nlp);
    const { user } = renderConsole(<TeamsPage />, { api, route: '/teams' });
    expect(await screen.findByText('No teams yet. Teams let you grant a model to several people at once.')).toBeInTheDocument();
    await user.click(button('Add team'));
    const dialog = await screen.findByRole('dialog');
    await fill(user, 'Team name', 'nlp');
    await fill(user, 'Description', 'Language models');
    await pick(user, 'Members', 'mei');
    await user.click(within(dialog).getByText('Add team', { selector: 'button *' }));
    await waitFor(() => expect(api.createTeam).toHaveBeenCalledWith({ name: 'nlp', description: 'Language models', members: ['mei'] }));
    expect(await screen.findByText('Team nlp added')).toBeInTheDocument();
  });

  it('renames a team (only the name is sent) and deletes one after confirmation', async () => {
    const api = fakeApi();
    api.listTeams.mockResolvedValue({ items: [nlp], total: 1 });
    api.listUsers.mockResolvedValue(users);
    api.updateTeam.mockResolvedValue({ ...nlp, name: 'language' });
    api.deleteTeam.mockResolvedValue(undefined);
    const { user } = renderConsole(<TeamsPage />, { api, route: '/teams' });
    const row = (await screen.findByText('nlp', { selector: 'strong' })).closest('tr')!;
    expect(row).toHaveTextContent('Language models');
    expect(row).toHaveTextContent('mei');
    await user.click(within(row).getByLabelText('Edit nlp'));
    const dialog = await screen.findByRole('dialog');
    await fill(user, 'Team name', 'language');
    await user.click(within(dialog).getByText('Save', { selector: 'button *' }));
    await waitFor(() => expect(api.updateTeam).toHaveBeenCalledWith('t-nlp', { name: 'language' }));

    await user.click(within(row).getByLabelText('Delete nlp'));
    expect(await screen.findByText('Delete team nlp? Grants given to the team end with it.')).toBeInTheDocument();
    await user.click(button('Delete'));
    await waitFor(() => expect(api.deleteTeam).toHaveBeenCalledWith('t-nlp'));
  });
});

describe('team form values', () => {
  it('sends members only when the set changed, and an emptied description as null', () => {
    expect(teamBodyOf(nlp, teamValuesOf(nlp))).toEqual({});
    expect(teamBodyOf(nlp, { ...teamValuesOf(nlp), description: ' ' })).toEqual({ description: null });
    expect(teamBodyOf(nlp, { ...teamValuesOf(nlp), members: ['mei', 'admin'] })).toEqual({ members: ['mei', 'admin'] });
  });
});

import { describe, expect, it } from '@jest/globals';
import { screen, waitFor, within } from '@testing-library/react';
import dayjs from 'dayjs';
import type { ApiToken } from '../api/identity-types';
import { aMe, aModel, button, fakeApi, fill, renderConsole } from '../test-support';
import { allowedScopes, tokenBodyOf } from './create-token-modal';
import { tokenState, TokensPage } from './tokens.page';

const ciToken: ApiToken = {
  id: 'k-ci',
  name: 'ci-pipeline',
  prefix: 'myt_3fQ9',
  last4: 'x7Qa',
  user: { id: 'u-mei', username: 'mei' },
  scopes: ['read', 'invoke'],
  model_ids: [aModel().id],
  rpm_limit: 60,
  tpm_limit: null,
  daily_call_limit: null,
  created_at: '2026-01-15T10:00:00.000Z',
  last_used_at: null,
  expires_at: null,
  revoked_at: null,
};
const meiMe = aMe({ id: 'u-mei', username: 'mei', display_name: null, role: 'user', builtin: false });
const models = { items: [aModel()], total: 1, page: 1, page_size: 200 };

describe('my tokens page', () => {
  it('lists my tokens: prefix…last4, scopes, models by name, limits, use, expiry and state', async () => {
    const api = fakeApi();
    api.listTokens.mockResolvedValue({ items: [ciToken, { ...ciToken, id: 'k-old', name: 'old', model_ids: null, revoked_at: '2026-01-16T10:00:00.000Z' }], total: 2 });
    api.listModels.mockResolvedValue(models);
    renderConsole(<TokensPage />, { api, route: '/tokens', me: meiMe });
    const row = (await screen.findByText('ci-pipeline')).closest('tr')!;
    expect(row).toHaveTextContent('myt_3fQ9…x7Qa');
    expect(row).toHaveTextContent('Read');
    expect(row).toHaveTextContent('Invoke');
    await waitFor(() => expect(row).toHaveTextContent('GPT-4 4.0'));
    expect(row).toHaveTextContent('60 req/min');
    expect(row).toHaveTextContent('Never used');
    expect(row).toHaveTextContent('Active');
    const old = screen.getByText('old').closest('tr')!;
    expect(old).toHaveTextContent('All my models');
    expect(old).toHaveTextContent('Revoked');
    expect(within(old).queryByLabelText('Revoke old')).toBeNull();
    // A user asks for its own tokens; there is no one else's to show.
    expect(api.listTokens).toHaveBeenCalledWith({ mine: true }, expect.anything());
    expect(screen.queryByText('Only mine')).toBeNull();
  });

  it('creates a token and shows it once, with a copy button and a warning, then never again', async () => {
    const api = fakeApi();
    api.listTokens.mockResolvedValue({ items: [], total: 0 });
    api.listModels.mockResolvedValue(models);
    api.createToken.mockResolvedValue({ ...ciToken, token: 'myt_3fQ9SECRETSECRETSECRETx7Qa' });
    const { user } = renderConsole(<TokensPage />, { api, route: '/tokens', me: meiMe });
    await user.click(await screen.findByText('Create token', { selector: 'button *' }));
    const dialog = await screen.findByRole('dialog');
    // A user's token may read and invoke; more is not offered.
    expect(within(dialog).getByLabelText('Write')).toBeDisabled();
    expect(within(dialog).getByLabelText('Read')).toBeChecked();
    await fill(user, 'Name', 'ci-pipeline');
    await user.click(within(dialog).getByLabelText('Invoke'));
    await fill(user, 'Requests per minute', '60');
    await user.click(within(dialog).getByText('Create', { selector: 'button *' }));
    await waitFor(() => expect(api.createToken).toHaveBeenCalledWith({ name: 'ci-pipeline', scopes: ['read'], rpm_limit: 60 }));

    const shown = await screen.findByLabelText('The new token');
    expect(shown).toHaveValue('myt_3fQ9SECRETSECRETSECRETx7Qa');
    expect(screen.getByText('Copy this token now: it will not be shown again.')).toBeInTheDocument();
    await user.click(button('Copy'));
    // user-event stands in for the browser's clipboard.
    expect(await navigator.clipboard.readText()).toBe('myt_3fQ9SECRETSECRETSECRETx7Qa');
    expect(await screen.findByText('Copied', { selector: 'button *' })).toBeInTheDocument();
    await user.click(button('I have copied it'));
    await waitFor(() => expect(screen.queryByDisplayValue('myt_3fQ9SECRETSECRETSECRETx7Qa')).toBeNull());
    expect(document.body).not.toHaveTextContent('SECRETSECRET');
  });

  it('revokes a token only after confirmation', async () => {
    const api = fakeApi();
    api.listTokens.mockResolvedValue({ items: [ciToken], total: 1 });
    api.listModels.mockResolvedValue(models);
    api.revokeToken.mockResolvedValue(undefined);
    const { user } = renderConsole(<TokensPage />, { api, route: '/tokens', me: meiMe });
    await user.click(await screen.findByLabelText('Revoke ci-pipeline'));
    expect(await screen.findByText('Revoke ci-pipeline?')).toBeInTheDocument();
    expect(api.revokeToken).not.toHaveBeenCalled();
    await user.click(button('Revoke'));
    await waitFor(() => expect(api.revokeToken).toHaveBeenCalledWith('k-ci'));
    expect(await screen.findByText('ci-pipeline revoked')).toBeInTheDocument();
  });

  it("shows an administrator everyone's tokens, or only its own", async () => {
    const api = fakeApi();
    api.listTokens.mockResolvedValue({ items: [ciToken], total: 1 });
    api.listModels.mockResolvedValue(models);
    const { user, location } = renderConsole(<TokensPage />, { api, route: '/tokens' });
    const row = (await screen.findByText('ci-pipeline')).closest('tr')!;
    expect(row).toHaveTextContent('mei');
    expect(api.listTokens).toHaveBeenCalledWith({ mine: false }, expect.anything());
    await user.click(screen.getByLabelText('Only mine'));
    await waitFor(() => expect(location()).toBe('/tokens?mine=true'));
    await waitFor(() => expect(api.listTokens).toHaveBeenLastCalledWith({ mine: true }, expect.anything()));
  });
});

describe('token values', () => {
  it('leaves out no expiry, no models and empty limits; sends an expiry as an ISO instant', () => {
    const base = { name: ' ci ', expires_at: null, scopes: ['read' as const], model_ids: [], rpm_limit: null, tpm_limit: null, daily_call_limit: null };
    expect(tokenBodyOf(base)).toEqual({ name: 'ci', scopes: ['read'] });
    const at = dayjs('2027-01-01T00:00:00.000Z');
    expect(tokenBodyOf({ ...base, expires_at: at, model_ids: ['m1'], daily_call_limit: 100 })).toEqual({
      name: 'ci',
      scopes: ['read'],
      expires_at: '2027-01-01T00:00:00.000Z',
      model_ids: ['m1'],
      daily_call_limit: 100,
    });
  });

  it('offers no more scopes than the role, nor than the token signed in with', () => {
    expect(allowedScopes(aMe({ role: 'maintainer' }))).toEqual(['read', 'invoke', 'write']);
    expect(allowedScopes(aMe({ role: 'admin' }, { via: 'token', scopes: ['read', 'admin'] }))).toEqual(['read', 'admin']);
  });

  it('tells revoked and expired tokens from active ones', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(tokenState({ revoked_at: null, expires_at: null }, now)).toBe('active');
    expect(tokenState({ revoked_at: null, expires_at: '2026-05-31T23:59:59Z' }, now)).toBe('expired');
    expect(tokenState({ revoked_at: '2026-01-01T00:00:00Z', expires_at: '2026-05-31T23:59:59Z' }, now)).toBe('revoked');
  });
});

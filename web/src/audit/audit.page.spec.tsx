import { describe, expect, it } from '@jest/globals';
import { screen, waitFor, within } from '@testing-library/react';
import type { AuditEvent } from '../api/identity-types';
import { aMe, button, fakeApi, fill, renderConsole } from '../test-support';
import { AuditPage } from './audit.page';

const event: AuditEvent = {
  id: 'e1',
  seq: 7,
  occurred_at: '2026-01-15T10:00:00.000Z',
  action: 'permission.change',
  result: 'success',
  actor: { user_id: 'u-admin', username: 'admin', token_id: null },
  target_type: 'model',
  target_id: '4f0c8a52-0000-4000-8000-000000000001',
  client_ip: '10.0.0.7',
  request_id: 'c0ffee00-1111-4222-8333-444455556666',
  details: { name: 'GPT-4', visibility: { from: 'private', to: 'internal' } },
  hash: 'ab'.repeat(32),
};
const page = (items: AuditEvent[], total = items.length) => ({ items, total, page: 1, page_size: 50 });

describe('audit page', () => {
  it('asks the API with the filters of the URL, shows each event and its details, and keeps a filter change in the URL', async () => {
    const api = fakeApi();
    api.listAuditEvents.mockResolvedValue(page([event], 120));
    const { user, location } = renderConsole(<AuditPage />, { api, route: '/audit?actor=admin&action=permission.change&page=2' });
    const row = (await screen.findByText('Access changed')).closest('tr')!;
    expect(api.listAuditEvents.mock.calls[0]![0]).toEqual({
      actor: 'admin',
      action: ['permission.change'],
      target_id: undefined,
      from: undefined,
      to: undefined,
      page: 2,
      page_size: 50,
    });
    expect(row).toHaveTextContent('admin');
    expect(within(row).getByText('Model')).toBeInTheDocument();
    expect(within(row).getByText('GPT-4')).toHaveAttribute('href', '/models/4f0c8a52-0000-4000-8000-000000000001');
    expect(row).toHaveTextContent('Success');
    expect(row).toHaveTextContent('10.0.0.7');
    expect(row).toHaveTextContent('c0ffee00');
    expect(screen.getByText('120 event(s)')).toBeInTheDocument();

    await user.click(within(row).getByLabelText('Expand row'));
    const details = await screen.findByTestId('audit-details-7');
    expect(details).toHaveTextContent('"to": "internal"');
    expect(details).toHaveTextContent('ab'.repeat(32));

    await fill(user, 'Filter by target id', '4f0c8a52');
    await user.keyboard('{Enter}');
    await waitFor(() => expect(location()).toBe('/audit?actor=admin&action=permission.change&target_id=4f0c8a52'));
    await waitFor(() => expect(api.listAuditEvents).toHaveBeenLastCalledWith(expect.objectContaining({ target_id: '4f0c8a52', page: 1 }), expect.anything()));
    await user.click(button('Clear filters'));
    await waitFor(() => expect(location()).toBe('/audit'));
  });

  it('lets an administrator verify the hash chain, and says where it broke', async () => {
    const api = fakeApi();
    api.listAuditEvents.mockResolvedValue(page([event]));
    api.verifyAuditLog.mockResolvedValue({ ok: false, checked: 9, first_bad_seq: 4, problem: 'hash mismatch' });
    const { user } = renderConsole(<AuditPage />, { api, route: '/audit' });
    await user.click(await screen.findByText('Verify the chain', { selector: 'button *' }));
    expect(await screen.findByText('Broken at record #4: hash mismatch')).toBeInTheDocument();
  });

  it('shows a maintainer what the API lets it see, without the verify button', async () => {
    const api = fakeApi();
    api.listAuditEvents.mockResolvedValue(page([]));
    renderConsole(<AuditPage />, { api, route: '/audit', me: aMe({ role: 'maintainer', builtin: false }) });
    expect(await screen.findByText('No audit events you may see yet.')).toBeInTheDocument();
    expect(screen.queryByText('Verify the chain', { selector: 'button *' })).toBeNull();
  });
});

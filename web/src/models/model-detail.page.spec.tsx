import { describe, expect, it } from '@jest/globals';
import { screen, within } from '@testing-library/react';
import type { ModelStats } from '../api/types';
import { aMe, aModel, fakeApi, renderConsole } from '../test-support';
import { ModelDetailPage } from './model-detail.page';

const usage = { calls: 0, failures: 0, success_rate: 1, input_tokens: 0, output_tokens: 0 };

const stats: ModelStats = {
  model_id: aModel().id,
  from: '',
  to: '',
  calls: 7,
  success_rate: 6 / 7,
  latency_ms: null,
  throughput_rps: 0,
  errors: [],
  step_seconds: 60,
  series: [],
  tokens: { input: 40, output: 12 },
  by_user: [
    { ...usage, user_id: 'u-alice', username: 'alice', calls: 5, failures: 1, success_rate: 0.8, input_tokens: 30, output_tokens: 9 },
    { ...usage, user_id: 'u-bob', username: 'bob', calls: 2, input_tokens: 10, output_tokens: 3 },
  ],
  by_token: [
    { ...usage, token_id: 't-ci', name: 'ci pipeline', prefix: 'myt_3fQ9', user: { id: 'u-alice', username: 'alice' }, calls: 4, failures: 1, success_rate: 0.75 },
    { ...usage, token_id: 't-gone', name: null, prefix: null, user: null, calls: 1 },
  ],
};

describe('model page statistics', () => {
  it('shows calls by user and by API token, with the token\'s name, prefix and user', async () => {
    const api = fakeApi();
    api.getModel.mockResolvedValue(aModel());
    api.getStats.mockResolvedValue(stats);
    renderConsole(<ModelDetailPage />, { api, route: `/models/${aModel().id}`, path: '/models/:id', me: aMe() });

    // The model, then its statistics: Ant Design in jsdom takes seconds to get there.
    const users = within((await screen.findByText('User behaviour', undefined, { timeout: 20_000 })).closest('.ant-col') as HTMLElement);
    expect(users.getByText('alice').closest('tr')).toHaveTextContent(/alice\s*5\s*30\s*9\s*80/);
    expect(users.getByText('bob').closest('tr')).toHaveTextContent(/bob\s*2/);

    const tokens = within(screen.getByText('Calls by API token').closest('.ant-col') as HTMLElement);
    const ci = tokens.getByText('ci pipeline').closest('tr')!;
    expect(ci).toHaveTextContent('myt_3fQ9');
    expect(ci).toHaveTextContent(/alice\s*4/);
    // A token that no longer exists is still counted, shown by its id.
    expect(tokens.getByText('t-gone…')).toBeInTheDocument();
  });
});

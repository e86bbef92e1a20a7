import { describe, expect, it } from '@jest/globals';
import { screen, waitFor, within } from '@testing-library/react';
import { ApiError } from '../api/client';
import { aModel, button, fakeApi, fill, renderConsole } from '../test-support';
import { ModelListPage } from './model-list.page';

const page = (items = [aModel()], total = items.length) => ({ items, total, page: 1, page_size: 20 });

describe('model list', () => {
  it('asks the API with the filters of the URL, and keeps a filter change in the URL', async () => {
    const api = fakeApi();
    api.listModels.mockResolvedValue(page());
    const { user, location } = renderConsole(<ModelListPage />, { api, route: '/models?type=llm&tag=chat&tag=prod&q=gpt&sort=-accuracy&page=2' });
    await screen.findByText('GPT-4');
    expect(api.listModels.mock.calls[0]![0]).toEqual({
      type: 'llm',
      status: undefined,
      source: undefined,
      framework: undefined,
      tag: ['chat', 'prod'],
      q: 'gpt',
      sort: '-accuracy',
      page: 2,
      page_size: 20,
    });
    expect(screen.getByLabelText('Search name or description')).toHaveValue('gpt');

    await fill(user, 'Search name or description', 'claude');
    await user.keyboard('{Enter}');
    // A new search starts again at page 1; the other filters stay.
    await waitFor(() => expect(location()).toBe('/models?type=llm&tag=chat&tag=prod&q=claude&sort=-accuracy'));
    await waitFor(() => expect(api.listModels).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'claude', page: 1, type: 'llm' }), expect.anything()));

    await user.click(button('Clear filters'));
    await waitFor(() => expect(location()).toBe('/models'));
  });

  it('shows each row: status, accuracy, latency, calls and success rate, and a disabled switch with the reason for a model in error', async () => {
    const api = fakeApi();
    api.listModels.mockResolvedValue(
      page([
        aModel({ id: 'a', name: 'ok-model', accuracy: 0.925, latency_ms: 120, usage: { calls: 42, success_rate: 0.976, latency_p50_ms: 120 } }),
        aModel({ id: 'b', name: 'broken-model', status: 'error', status_message: 'onnxruntime could not load model.onnx' }),
      ]),
    );
    renderConsole(<ModelListPage />, { api, route: '/models' });
    const ok = (await screen.findByText('ok-model')).closest('tr')!;
    expect(ok).toHaveTextContent('92.5%');
    expect(ok).toHaveTextContent('120 ms');
    expect(ok).toHaveTextContent('42');
    expect(ok).toHaveTextContent('97.6%');
    expect(within(ok).getByRole('switch')).toBeChecked();
    const broken = screen.getByText('broken-model').closest('tr')!;
    expect(broken).toHaveTextContent('Error');
    expect(within(broken).getByRole('switch')).toBeDisabled();
  });

  it("toggles a row through the API and shows the status of the toggle's answer, without asking for the list again", async () => {
    const api = fakeApi();
    // Any list query answers the OLD status: the row can only show Inactive from the toggle's answer.
    api.listModels.mockResolvedValue(page([aModel({ status: 'active' })]));
    api.toggleStatus.mockResolvedValue(aModel({ status: 'inactive', updated_at: '2026-11-27T10:00:00.000Z' }));
    const { user } = renderConsole(<ModelListPage />, { api, route: '/models' });
    const row = (await screen.findByText('GPT-4')).closest('tr')!;
    expect(row).toHaveTextContent('Active');
    await user.click(within(row).getByRole('switch'));
    await waitFor(() => expect(api.toggleStatus).toHaveBeenCalledWith(aModel().id));
    await waitFor(() => expect(screen.getByText('GPT-4').closest('tr')).toHaveTextContent('Inactive'));
    expect(within(screen.getByText('GPT-4').closest('tr')!).getByRole('switch')).not.toBeChecked();
    expect(api.listModels).toHaveBeenCalledTimes(1);
  });

  it('says when there is nothing, and when nothing matches', async () => {
    const api = fakeApi();
    api.listModels.mockResolvedValue(page([]));
    renderConsole(<ModelListPage />, { api, route: '/models' });
    expect(await screen.findByText('No models yet. Add one with "Add model".')).toBeInTheDocument();
  });

  it('shows a network failure with a retry that asks again', async () => {
    const api = fakeApi();
    api.listModels
      .mockRejectedValueOnce(new ApiError({ status: 0, title: 'Network error', detail: 'Network Error' }))
      .mockResolvedValue(page([], 0));
    const { user } = renderConsole(<ModelListPage />, { api, route: '/models?status=error' });
    expect(await screen.findByText('The server could not be reached. Check the connection, then retry.')).toBeInTheDocument();
    await user.click(button('Retry'));
    expect(await screen.findByText('No model matches these filters.')).toBeInTheDocument();
    expect(api.listModels).toHaveBeenCalledTimes(2);
  });
});

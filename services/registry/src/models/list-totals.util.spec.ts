import { describe, expect, it } from '@jest/globals';
import type { AccessScope, ListModelsQueryDto } from '@modelyard/contracts';
import { ListTotals, listTotalKey } from './list-totals.util.js';

const query = (extra: Partial<ListModelsQueryDto> = {}): ListModelsQueryDto => ({ sort: '-created_at', page: 1, page_size: 20, ...extra }) as ListModelsQueryDto;
const user = (extra: Partial<Extract<AccessScope, { all: false }>> = {}): AccessScope => ({
  all: false,
  user_id: 'u1',
  role: 'maintainer',
  team_ids: ['t1', 't2'],
  model_ids: null,
  ...extra,
});

describe('listTotalKey', () => {
  it('is the same for every page, page size and sort of one list', () => {
    const key = listTotalKey(query(), user());
    expect(listTotalKey(query({ page: 7, page_size: 50, sort: 'name' }), user())).toBe(key);
  });

  it('does not depend on the order teams, tags or token models are given in', () => {
    expect(listTotalKey(query({ tag: ['a', 'b'] }), user({ team_ids: ['t2', 't1'], model_ids: ['m2', 'm1'] }))).toBe(
      listTotalKey(query({ tag: ['b', 'a'] }), user({ team_ids: ['t1', 't2'], model_ids: ['m1', 'm2'] })),
    );
  });

  it('differs for another caller, other teams, a token limited to some models, or any filter', () => {
    const key = listTotalKey(query(), user());
    const others = [
      listTotalKey(query(), user({ user_id: 'u2' })),
      listTotalKey(query(), user({ team_ids: ['t1'] })),
      listTotalKey(query(), user({ model_ids: [] })),
      listTotalKey(query(), { all: true, model_ids: null }),
      ...(['type', 'status', 'source', 'framework', 'q'] as const).map((field) => listTotalKey(query({ [field]: 'llm' }), user())),
      listTotalKey(query({ tag: ['chat'] }), user()),
    ];
    expect(new Set([key, ...others]).size).toBe(others.length + 1);
  });
});

describe('ListTotals', () => {
  it('answers a total only at the version it was counted at', () => {
    const totals = new ListTotals();
    totals.set('k', '7', 42);
    expect(totals.get('k', '7')).toBe(42);
    expect(totals.get('k', '8')).toBeUndefined();
    expect(totals.get('other', '7')).toBeUndefined();
  });

  it('keeps the latest count of a list', () => {
    const totals = new ListTotals();
    totals.set('k', '7', 42);
    totals.set('k', '8', 43);
    expect(totals.get('k', '7')).toBeUndefined();
    expect(totals.get('k', '8')).toBe(43);
  });
});

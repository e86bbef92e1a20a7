import { describe, expect, it } from '@jest/globals';
import { parseListQuery, sortOrderOf, toSearchParams, withChange } from './list-query';

describe('list query in the URL', () => {
  it('reads every filter, the search, the sort and the page', () => {
    const query = parseListQuery(new URLSearchParams('type=llm&status=active&source=openai&framework=onnx&tag=a&tag=b&q=gpt&sort=-updated_at&page=3&page_size=50'));
    expect(query).toEqual({
      type: 'llm',
      status: 'active',
      source: 'openai',
      framework: 'onnx',
      tag: ['a', 'b'],
      q: 'gpt',
      sort: '-updated_at',
      page: 3,
      page_size: 50,
    });
  });

  it('drops values the API would refuse instead of sending them', () => {
    const query = parseListQuery(new URLSearchParams('type=robot&status=&sort=price&page=0&page_size=500&tag=&q=%20%20'));
    expect(query).toEqual({
      type: undefined,
      status: undefined,
      source: undefined,
      framework: undefined,
      tag: undefined,
      q: undefined,
      sort: '-created_at',
      page: 1,
      page_size: 20,
    });
  });

  it('writes defaults out of the URL and survives a round trip', () => {
    expect(toSearchParams(parseListQuery(new URLSearchParams(''))).toString()).toBe('');
    const shared = 'type=vision&tag=x&tag=y&q=cat&sort=name&page=2';
    expect(toSearchParams(parseListQuery(new URLSearchParams(shared))).toString()).toBe(shared);
  });

  it('goes back to page 1 when a filter changes, not when the page does', () => {
    const query = parseListQuery(new URLSearchParams('type=llm&page=4'));
    expect(withChange(query, { status: 'error' }).page).toBe(1);
    expect(withChange(query, { page: 5 }).page).toBe(5);
  });

  it('maps the API sort onto the table column order', () => {
    expect(sortOrderOf('-accuracy', 'accuracy')).toBe('descend');
    expect(sortOrderOf('accuracy', 'accuracy')).toBe('ascend');
    expect(sortOrderOf('-accuracy', 'name')).toBeNull();
  });
});

import { redactSecret } from './redact.util.js';

describe('redactSecret', () => {
  const key = 'sk-live-abc123';

  it('replaces the key and Bearer + key everywhere', () => {
    const text = `Invalid header "Bearer ${key}"; key ${key} again; x-api-key=${key}`;
    expect(redactSecret(text, key)).toBe('Invalid header "[redacted]"; key [redacted] again; x-api-key=[redacted]');
  });

  it('replaces JSON-escaped and URL-encoded spellings', () => {
    const odd = 'k"ey/with+sp ce';
    expect(redactSecret(`json ${JSON.stringify(odd)} url ${encodeURIComponent(odd)}`, odd)).toBe('json "[redacted]" url [redacted]');
  });

  it('leaves text alone without a secret', () => {
    expect(redactSecret('nothing to hide', null)).toBe('nothing to hide');
    expect(redactSecret('nothing to hide', '')).toBe('nothing to hide');
    expect(redactSecret('other text', key)).toBe('other text');
  });
});

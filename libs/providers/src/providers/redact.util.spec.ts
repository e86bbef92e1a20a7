import { REDACTED, redactSecret, redactSecretDeep } from './redact.util.js';

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

  it('replaces upper- and lower-cased spellings', () => {
    const mixed = 'sk-Proj-AbCdEf0123456789';
    expect(redactSecret(`you sent ${mixed.toUpperCase()} (normalised: ${mixed.toLowerCase()})`, mixed)).toBe(
      `you sent ${REDACTED} (normalised: ${REDACTED})`,
    );
  });

  it('replaces the key in hex and in base64 at every alignment, standard and URL-safe', () => {
    const secret = 'sk-ant-api03-QWERTY_uiop+asdf/ghjk';
    for (const prefix of ['', 'u', 'us', 'user:']) {
      const blob = Buffer.from(`${prefix}${secret}!`, 'utf8');
      for (const encoded of [blob.toString('base64'), blob.toString('base64url')]) {
        const redacted = redactSecret(`Authorization: Basic ${encoded}`, secret);
        expect(redacted).toContain(REDACTED);
        // What is left of the blob cannot be decoded back into a recognisable part of the key.
        const rest = redacted.replace('Authorization: Basic ', '').split(REDACTED).join('');
        expect(rest.length).toBeLessThanOrEqual(12);
      }
    }
    expect(redactSecret(`hex ${Buffer.from(secret).toString('hex')}`, secret)).toBe(`hex ${REDACTED}`);
  });

  it('leaves text alone without a secret', () => {
    expect(redactSecret('nothing to hide', null)).toBe('nothing to hide');
    expect(redactSecret('nothing to hide', '')).toBe('nothing to hide');
    expect(redactSecret('other text', key)).toBe('other text');
  });

  it('treats the key as text, not as a pattern', () => {
    expect(redactSecret('a.b*c and aXbbbc', 'a.b*c')).toBe(`${REDACTED} and aXbbbc`);
  });
});

describe('redactSecretDeep', () => {
  const key = 'sk-echo-0123456789abcdef';

  it('redacts strings and keys at any depth, leaving other values and the input as they were', () => {
    const answer = { echo: { headers: { authorization: `Bearer ${key}` }, list: [key, 1, null, true, { [key]: 'x' }] }, n: 3 };
    const before = JSON.stringify(answer);
    const redacted = redactSecretDeep(answer, key);
    expect(redacted).toEqual({ echo: { headers: { authorization: REDACTED }, list: [REDACTED, 1, null, true, { [REDACTED]: 'x' }] }, n: 3 });
    expect(JSON.stringify(answer)).toBe(before);
  });

  it('handles a plain string, and answers nested deeper than the stack allows', () => {
    expect(redactSecretDeep(`said ${key}`, key)).toBe(`said ${REDACTED}`);
    let deep: unknown = key;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let inner = redactSecretDeep(deep, key);
    for (let i = 0; i < 100_000; i++) inner = (inner as unknown[])[0];
    expect(inner).toBe(REDACTED);
  });

  it('returns the value itself without a secret', () => {
    const value = { a: 1 };
    expect(redactSecretDeep(value, null)).toBe(value);
  });
});

import { ProviderError } from './provider.exception.js';
import { parseProviderUrl, providerBaseUrl } from './provider-url.util.js';

const defaults = { openaiBaseUrl: 'https://api.openai.com/v1', anthropicBaseUrl: 'https://api.anthropic.com' };

describe('providerBaseUrl', () => {
  it.each([
    [null, 'https://api.openai.com/v1'],
    ['  ', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/chat/completions', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/embeddings', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/completions', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/responses', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/models', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1', 'https://api.openai.com/v1'],
    ['https://api.openai.com/v1/', 'https://api.openai.com/v1'],
    ['https://gw.example.com/openai/v1/chat/completions', 'https://gw.example.com/openai/v1'],
    ['https://gw.example.com/openai/v1/chat/completions/', 'https://gw.example.com/openai/v1'],
    ['http://10.0.0.5:8000/v1/chat/completions?api-version=1#x', 'http://10.0.0.5:8000/v1'],
    ['https://llm.internal', 'https://llm.internal'],
  ])('openai %s → %s', (endpoint, expected) => {
    expect(providerBaseUrl('openai', endpoint, defaults)).toBe(expected);
  });

  it.each([
    [null, 'https://api.anthropic.com'],
    ['https://api.anthropic.com/v1/messages', 'https://api.anthropic.com'],
    ['https://api.anthropic.com/v1', 'https://api.anthropic.com'],
    ['https://api.anthropic.com/v1/', 'https://api.anthropic.com'],
    ['https://api.anthropic.com', 'https://api.anthropic.com'],
    ['https://api.anthropic.com/', 'https://api.anthropic.com'],
    ['https://api.anthropic.com/v1/models', 'https://api.anthropic.com'],
    ['https://gw.example.com/anthropic/v1/messages', 'https://gw.example.com/anthropic'],
  ])('anthropic %s → %s', (endpoint, expected) => {
    expect(providerBaseUrl('anthropic', endpoint, defaults)).toBe(expected);
  });

  it.each([
    ['not a url', 'not a valid absolute URL'],
    ['ftp://api.openai.com/v1', 'http: or https:'],
    ['https://user:sk-secret@api.openai.com/v1', 'user name or password'],
  ])('refuses %s as 422 invalid_endpoint on field endpoint', (endpoint, words) => {
    let caught: unknown;
    try {
      providerBaseUrl('openai', endpoint, defaults);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect(caught).toMatchObject({ status: 422, code: 'invalid_endpoint', field: 'endpoint' });
    expect((caught as Error).message).toContain(words);
    expect((caught as Error).message).not.toContain('sk-secret');
  });

  it('parses a valid URL as it is', () => {
    expect(parseProviderUrl('https://x.example/a?b=1').href).toBe('https://x.example/a?b=1');
  });
});

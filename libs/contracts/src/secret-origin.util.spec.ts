import { secretOriginOf } from './secret-origin.util.js';

describe('secretOriginOf', () => {
  it('is the endpoint origin, however the URL is spelled', () => {
    expect(secretOriginOf('openai', 'https://API.example.com:443/v1/chat/completions')).toBe('https://api.example.com');
    expect(secretOriginOf('endpoint', 'http://models.internal:8000/predict?x=1')).toBe('http://models.internal:8000');
    expect(secretOriginOf('anthropic', 'https://user:pw@api.example.com/v1')).toBe('https://api.example.com');
  });

  it('tells scheme, host and port apart', () => {
    const origins = ['https://a.example', 'http://a.example', 'https://a.example:8443', 'https://b.example'].map((url) => secretOriginOf('endpoint', url));
    expect(new Set(origins).size).toBe(4);
  });

  it('names the configured provider defaults and the Hub', () => {
    expect(secretOriginOf('openai', null)).toBe('openai:default');
    expect(secretOriginOf('anthropic', '  ')).toBe('anthropic:default');
    expect(secretOriginOf('huggingface', 'https://anything.example')).toBe('huggingface:hub');
  });

  it('has no origin for sources that hold no secret, or an endpoint model without an endpoint', () => {
    expect(secretOriginOf('upload', 'https://x.example')).toBeNull();
    expect(secretOriginOf('custom', null)).toBeNull();
    expect(secretOriginOf('endpoint', null)).toBeNull();
  });
});

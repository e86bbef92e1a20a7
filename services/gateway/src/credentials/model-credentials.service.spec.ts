import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CreateModelDto, ModelDto } from '@modelyard/contracts';
import { DomainException, generateSecretKey, loadConfig, parseSecretKey, SecretCipher, type RegistryClient } from '@modelyard/platform';
import { startOpenAiStandIn, type OpenAiStandIn } from '@modelyard/testing';
import { ModelCredentialsService } from './model-credentials.service.js';

const KEY = 'sk-proj-credentials-spec-0123456789';

describe('ModelCredentialsService', () => {
  let openai: OpenAiStandIn;
  let cipher: SecretCipher;
  let service: ModelCredentialsService;
  const send = jest.fn<(pattern: string, request: unknown) => Promise<unknown>>();

  beforeAll(async () => {
    openai = await startOpenAiStandIn({ keys: [KEY] });
    const config = loadConfig({
      MODELYARD_DATA_DIR: await mkdtemp(join(tmpdir(), 'modelyard-credentials-')),
      MODELYARD_OPENAI_BASE_URL: openai.baseUrl,
      MODELYARD_ALLOWED_ENDPOINT_HOSTS: '127.0.0.1',
    });
    cipher = new SecretCipher(parseSecretKey(generateSecretKey()));
    service = new ModelCredentialsService(config, cipher, { send } as unknown as RegistryClient);
  });
  afterAll(() => openai.close());

  const body = (extra: Partial<CreateModelDto>): CreateModelDto => ({ name: 'chat', type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', ...extra }) as CreateModelDto;
  const failure = async (work: Promise<unknown>) => {
    const error = await work.then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DomainException);
    return error as DomainException;
  };

  it('checks the key with the provider, then passes on only the sealed form and the last four characters', async () => {
    openai.requests.length = 0;
    const { stored, secret } = await service.prepareCreate(body({ api_key: KEY, validate: true }));
    expect(openai.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models/gpt-4o-mini']);
    expect(stored).not.toHaveProperty('api_key');
    expect(stored).not.toHaveProperty('validate');
    expect(JSON.stringify(stored)).not.toContain(KEY);
    expect(secret!.sealed).not.toContain(KEY);
    expect(cipher.open(secret!.sealed)).toBe(KEY);
    expect(secret!.last4).toBe(KEY.slice(-4));
  });

  it('refuses a key the provider rejects with 422 on api_key, without quoting it', async () => {
    const error = await failure(service.prepareCreate(body({ api_key: 'sk-proj-not-the-right-key-999' })));
    expect(error).toMatchObject({ status: 422, code: 'provider_key_rejected', errors: [{ field: 'api_key' }] });
    expect(JSON.stringify(error.toProblem())).not.toContain('sk-proj-not-the-right-key-999');
  });

  it('skips the provider when asked, and when there is no key', async () => {
    openai.requests.length = 0;
    // Unchecked, yet still sealed and passed on: skipping the check must not drop the key.
    const unchecked = await service.prepareCreate(body({ api_key: 'sk-anything-at-all-000', validate: false }));
    expect(unchecked.stored).not.toHaveProperty('api_key');
    expect(unchecked.stored).not.toHaveProperty('validate');
    expect(cipher.open(unchecked.secret!.sealed)).toBe('sk-anything-at-all-000');
    expect(unchecked.secret!.last4).toBe('-000');
    const { secret } = await service.prepareCreate(body({}));
    expect(secret).toBeUndefined();
    expect(openai.requests).toHaveLength(0);
  });

  it('refuses endpoints on refused addresses, but stores a name it cannot resolve now (the call checks again)', async () => {
    const error = await failure(service.prepareCreate(body({ endpoint: 'http://169.254.169.254/v1' })));
    expect(error).toMatchObject({ status: 422, code: 'endpoint_refused', errors: [{ field: 'endpoint' }] });
    await expect(service.prepareCreate(body({ endpoint: 'https://models.example.invalid/v1' }))).resolves.toBeDefined();
  });

  it('accepts only Hugging Face tokens as the key of a Hugging Face model', async () => {
    const error = await failure(service.prepareCreate({ name: 'org/repo', source: 'huggingface', api_key: 'sk-not-a-hub-token-000' } as CreateModelDto));
    expect(error).toMatchObject({ status: 422, errors: [{ field: 'api_key' }] });
    await expect(service.prepareCreate({ name: 'org/repo', source: 'huggingface', api_key: 'hf_abcdefghijklmnop' } as CreateModelDto)).resolves.toBeDefined();
  });

  describe('edits', () => {
    const stored: Partial<ModelDto> = { id: 'm', name: 'chat', source: 'openai', type: 'llm', endpoint: null, provider_model: 'gpt-4o-mini', config: { input_format: null, output_format: null, parameters: {}, env: {}, signature: null } };

    it('does not ask the registry when neither key, endpoint nor provider model changes', async () => {
      send.mockClear();
      expect(await service.prepareUpdate('m', { description: 'x' })).toEqual({ stored: { description: 'x' } });
      expect(await service.prepareUpdate('m', { api_key: null })).toEqual({ stored: {}, secret: null });
      expect(send).not.toHaveBeenCalled();
    });

    it('checks a new provider model with the stored key, opened for the check only', async () => {
      send.mockResolvedValue({ model: stored, sealed_secret: cipher.seal(KEY), secret_origin: 'openai:default' });
      openai.requests.length = 0;
      const error = await failure(service.prepareUpdate('m', { provider_model: 'gpt-nonexistent' }));
      expect(error).toMatchObject({ status: 422, code: 'provider_model_not_found' });
      expect(openai.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
      await expect(service.prepareUpdate('m', { provider_model: 'text-embedding-3-small' })).resolves.toEqual({ stored: { provider_model: 'text-embedding-3-small' } });
    });

    describe('a stored key goes only to the origin it was stored for', () => {
      let elsewhere: OpenAiStandIn;
      beforeAll(async () => {
        // Another port of the same host: another origin, which accepts any key and records it.
        elsewhere = await startOpenAiStandIn({ keys: [KEY] });
      });
      afterAll(() => elsewhere.close());
      const keyed = () => ({ model: { ...stored, endpoint: openai.baseUrl }, sealed_secret: cipher.seal(KEY), secret_origin: new URL(openai.baseUrl).origin });

      it('does not check (or send) the stored key when the endpoint moves to another origin', async () => {
        send.mockResolvedValue(keyed());
        elsewhere.requests.length = 0;
        openai.requests.length = 0;
        // Passed on unchecked: the registry refuses it (422 on api_key) since no key came with it.
        expect(await service.prepareUpdate('m', { endpoint: `${elsewhere.baseUrl}` })).toEqual({ stored: { endpoint: elsewhere.baseUrl } });
        expect(await service.prepareUpdate('m', { endpoint: null })).toEqual({ stored: { endpoint: null } });
        expect(elsewhere.requests).toHaveLength(0);
        expect(openai.requests).toHaveLength(0);
      });

      it('checks a new key sent with the move at the new origin', async () => {
        send.mockResolvedValue(keyed());
        elsewhere.requests.length = 0;
        const { stored: edit, secret } = await service.prepareUpdate('m', { endpoint: elsewhere.baseUrl, api_key: KEY });
        expect(edit).toEqual({ endpoint: elsewhere.baseUrl });
        expect(cipher.open(secret!.sealed)).toBe(KEY);
        expect(elsewhere.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`]);
      });

      it('checks the stored key when the endpoint changes within its origin', async () => {
        send.mockResolvedValue(keyed());
        openai.requests.length = 0;
        const sameOrigin = `${openai.baseUrl}/chat/completions`;
        expect(await service.prepareUpdate('m', { endpoint: sameOrigin })).toEqual({ stored: { endpoint: sameOrigin } });
        expect(openai.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`]);
      });
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CreatedTokenDto, ModelDto, ModelListDto, ModelStatsDto, TestResultDto, WhoAmIDto } from '@modelyard/contracts';
import {
  freePort,
  startAnthropicStandIn,
  startHttpEndpointStandIn,
  startOpenAiStandIn,
  waitFor,
  type AnthropicStandIn,
  type ApiClient,
  type HttpEndpointStandIn,
  type OpenAiStandIn,
} from '@modelyard/testing';
import { TEST_SCRYPT_ENV, tokenClient, userClient } from './support/identity.js';
import type { SystemUnderTest } from './support/system.js';

/** Keys a reader would recognise anywhere they leaked. */
export const OPENAI_KEY = 'sk-proj-MODELYARD-openai-4f1d2c9ab7e3';
export const ANTHROPIC_KEY = 'sk-ant-api03-MODELYARD-anthropic-88c1e2';
export const ENDPOINT_SECRET = 'endpoint-secret-MODELYARD-7d0a93be';
/** The call timeout the systems under test get, and a delay beyond it. */
export const PROVIDER_TIMEOUT_MS = 2_000;

export interface ProviderStandIns {
  openai: OpenAiStandIn;
  anthropic: AnthropicStandIn;
  endpoint: HttpEndpointStandIn;
  close(): Promise<void>;
}

export async function startProviderStandIns(): Promise<ProviderStandIns> {
  const openai = await startOpenAiStandIn({ keys: [OPENAI_KEY] });
  const anthropic = await startAnthropicStandIn({ keys: [ANTHROPIC_KEY] });
  const endpoint = await startHttpEndpointStandIn({ secretHeader: 'x-api-key', secretValue: ENDPOINT_SECRET });
  return { openai, anthropic, endpoint, close: async () => void (await Promise.all([openai.close(), anthropic.close(), endpoint.close()])) };
}

/** What a system needs to reach the stand-ins: their base URLs, and 127.0.0.1 allowed past the SSRF guard. */
export const providerEnv = (standIns: ProviderStandIns): Record<string, string> => ({
  MODELYARD_OPENAI_BASE_URL: standIns.openai.baseUrl,
  MODELYARD_ANTHROPIC_BASE_URL: standIns.anthropic.baseUrl,
  MODELYARD_ALLOWED_ENDPOINT_HOSTS: '127.0.0.1',
  MODELYARD_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
});

let names = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${++names}`;

/**
 * External providers through the whole system: register (key validated with the provider through
 * the real SDKs), test through the inference queue, see the calls, tokens and errors in the stats;
 * the SSRF guard on registration and on redirects. Run against each way of starting Modelyard.
 */
export function describeProviders(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`external providers (${label})`, () => {
    let system: SystemUnderTest;
    let standIns: ProviderStandIns;

    beforeAll(async () => {
      standIns = await startProviderStandIns();
      // Quicker password hashes (the same algorithm): the per-user usage test signs users in.
      system = await start({ ...providerEnv(standIns), ...TEST_SCRYPT_ENV });
    }, 120_000);
    afterAll(async () => {
      await system?.stop();
      await standIns?.close();
    });

    /** Models whose calls the stats test checks: id → the tokens its one successful call counted. */
    const counted = new Map<string, { input: number; output: number }>();
    const create = (body: Record<string, unknown>) => system.api.post<ModelDto>('/api/v1/ai-models', body);
    const test = (id: string, inputData: Record<string, unknown>) => system.api.post<TestResultDto>(`/api/v1/ai-models/${id}/test`, { input_data: inputData });
    const countNamed = async (name: string) => (await system.api.get<ModelListDto>(`/api/v1/ai-models?q=${encodeURIComponent(name)}`)).body.total;

    it("accepts the guide's GPT-4 example without a key, stored inactive and saying a key is needed", async () => {
      const name = uniqueName('GPT-4');
      const created = await create({
        name,
        version: '4.0',
        type: 'llm',
        framework: 'openai',
        source: 'openai',
        description: 'OpenAI GPT-4 model',
        endpoint: 'https://api.openai.com/v1/chat/completions',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'inactive', has_api_key: false, api_key_last4: null });
      expect(created.body.status_message).toMatch(/API key is needed/);
      const toggled = await system.api.post(`/api/v1/ai-models/${created.body.id}/toggle-status`);
      expect(toggled.status).toBe(409);
      expect(toggled.text).toMatch(/needs an API key/);
    });

    it('registers an OpenAI model after the provider accepted the key, tests it, and counts tokens', async () => {
      const name = uniqueName('chat');
      const created = await create({
        name,
        type: 'llm',
        source: 'openai',
        provider_model: 'gpt-4o-mini',
        // The guide writes the full URL of the call; the SDK's base URL is derived from it.
        endpoint: `${standIns.openai.baseUrl}/chat/completions`,
        api_key: OPENAI_KEY,
        config: { parameters: { temperature: 0.2, max_tokens: 50 } },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'active', framework: 'openai', has_api_key: true, api_key_last4: OPENAI_KEY.slice(-4), provider_model: 'gpt-4o-mini' });
      expect(created.text).not.toContain(OPENAI_KEY);
      expect(standIns.openai.requests.some((r) => r.method === 'GET' && r.path === '/v1/models/gpt-4o-mini')).toBe(true);

      standIns.openai.requests.length = 0;
      const answer = await test(created.body.id, { prompt: 'Hello, how are you?', max_tokens: 3 });
      expect(answer.status).toBe(200);
      expect(answer.body.output).toBe('Echo: Hello, how');
      expect(answer.body.finish_reason).toBe('length');
      expect(answer.body.usage).toEqual({ input_tokens: 4, output_tokens: 3 });
      expect(answer.body.latency_ms).toBeGreaterThan(0);
      // The request's max_tokens wins over the model's; its other parameters are merged in.
      const sent = standIns.openai.requests.find((r) => r.path === '/v1/chat/completions')!;
      expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
      expect(sent.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 3, temperature: 0.2, messages: [{ role: 'user', content: 'Hello, how are you?' }] });

      let stats: ModelStatsDto | undefined;
      await waitFor(async () => (stats = (await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${created.body.id}/stats`)).body).calls >= 1, {
        timeoutMs: 30_000,
        intervalMs: 200,
        description: 'the call in the stats',
      });
      expect(stats).toMatchObject({ calls: 1, success_rate: 1 });
      expect(stats!.tokens).toEqual({ input: 4, output: 3 });
    });

    it('refuses a key the provider rejects (422 on api_key), an unknown model (422) and an unreachable provider (424), storing nothing', async () => {
      const name = uniqueName('refused');
      const rejected = await create({ name, type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: 'sk-wrong-key-000000000000' });
      expect(rejected.status).toBe(422);
      expect(rejected.body).toMatchObject({ code: 'provider_key_rejected', errors: [{ field: 'api_key' }] });
      expect(rejected.text).toMatch(/rejected the API key/);
      expect(rejected.text).not.toContain('sk-wrong-key-000000000000');

      const unknown = await create({ name, type: 'llm', source: 'anthropic', provider_model: 'claude-none', api_key: ANTHROPIC_KEY });
      expect(unknown.status).toBe(422);
      expect(unknown.body).toMatchObject({ code: 'provider_model_not_found', errors: [{ field: 'provider_model' }] });

      const closedPort = await freePort();
      const unreachable = await create({ name, type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: OPENAI_KEY, endpoint: `http://127.0.0.1:${closedPort}/v1` });
      expect(unreachable.status).toBe(424);
      expect(unreachable.body).toMatchObject({ code: 'provider_unreachable' });
      expect(unreachable.text).not.toContain(OPENAI_KEY);
      expect(await countNamed(name)).toBe(0);
    });

    it('stores without asking when validate is false; the call then fails with the provider refusing the key (424)', async () => {
      const created = await create({ name: uniqueName('unchecked'), type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: 'sk-unchecked-key-11112222', validate: false });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ status: 'active', has_api_key: true, api_key_last4: '2222' });
      const answer = await test(created.body.id, { prompt: 'hi' });
      expect(answer.status).toBe(424);
      expect(answer.body).toMatchObject({ code: 'provider_auth_failed' });
      expect(answer.text).not.toContain('sk-unchecked-key-11112222');

      // A new key is validated like at registration, then replaces the old one.
      const fixed = await system.api.patch<ModelDto>(`/api/v1/ai-models/${created.body.id}`, { api_key: OPENAI_KEY });
      expect(fixed.status).toBe(200);
      expect(fixed.body.api_key_last4).toBe(OPENAI_KEY.slice(-4));
      expect((await test(created.body.id, { prompt: 'hi' })).status).toBe(200);
      const removed = await system.api.patch<ModelDto>(`/api/v1/ai-models/${created.body.id}`, { api_key: null });
      expect(removed.body).toMatchObject({ has_api_key: false, status: 'inactive' });
    });

    it('maps provider failures: rate limit → 429 with Retry-After, slow → 504, bad input → 422, and counts them by class', async () => {
      const created = await create({ name: uniqueName('faults'), type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: OPENAI_KEY });
      const id = created.body.id;
      const limited = await test(id, { prompt: 'busy [[status:429]]' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
      expect(limited.body).toMatchObject({ code: 'provider_rate_limited' });
      const slow = await test(id, { prompt: `wait [[slow:${PROVIDER_TIMEOUT_MS + 1500}]]` });
      expect(slow.status).toBe(504);
      expect(slow.body).toMatchObject({ code: 'provider_timeout' });
      const broken = await test(id, { prompt: 'boom [[status:500]]' });
      expect(broken.status).toBe(502);
      const noPrompt = await test(id, { text: 'no prompt here' });
      expect(noPrompt.status).toBe(422);
      expect(noPrompt.body).toMatchObject({ errors: [{ field: 'input_data.prompt' }] });

      let stats: ModelStatsDto | undefined;
      await waitFor(async () => (stats = (await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${id}/stats`)).body).calls >= 4, {
        timeoutMs: 30_000,
        intervalMs: 200,
        description: 'four failed calls in the stats',
      });
      expect(stats!.success_rate).toBe(0);
      const byClass = Object.fromEntries(stats!.errors.map((e) => [e.class, e.count]));
      expect(byClass).toEqual({ provider_error: 2, timeout: 1, invalid_input: 1 });
    });

    it('calls Anthropic with the messages API', async () => {
      const created = await create({
        name: uniqueName('claude'),
        type: 'llm',
        source: 'anthropic',
        provider_model: 'claude-haiku-4-5',
        endpoint: `${standIns.anthropic.baseUrl}/v1/messages`,
        api_key: ANTHROPIC_KEY,
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ framework: 'anthropic', status: 'active' });
      const answer = await test(created.body.id, { prompt: 'Hello there', system: 'Be brief.', max_tokens: 10 });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ output: 'Echo: Hello there', finish_reason: 'end_turn', usage: { input_tokens: expect.any(Number), output_tokens: 3 } });
      const sent = standIns.anthropic.requests.filter((r) => r.path === '/v1/messages').at(-1)!;
      expect(sent.body).toMatchObject({ model: 'claude-haiku-4-5', max_tokens: 10, system: 'Be brief.' });
      counted.set(created.body.id, { input: answer.body.usage!.input_tokens!, output: 3 });
    });

    it('returns vectors for an OpenAI embedding model', async () => {
      const created = await create({ name: uniqueName('embed'), type: 'embedding', source: 'openai', provider_model: 'text-embedding-3-small', api_key: OPENAI_KEY });
      expect(created.status).toBe(201);
      const answer = await test(created.body.id, { input: ['first text', 'second text'] });
      expect(answer.status).toBe(200);
      const vectors = answer.body.output as number[][];
      expect(vectors).toHaveLength(2);
      expect(vectors[0]).toHaveLength(8);
      expect(vectors[0]).not.toEqual(vectors[1]);
    });

    it('calls a custom HTTP endpoint with its template, secret header and response path', async () => {
      const created = await create({
        name: uniqueName('endpoint'),
        type: 'custom',
        source: 'endpoint',
        endpoint: `${standIns.endpoint.url}/predict`,
        api_key: ENDPOINT_SECRET,
        config: { http: { secret_header: 'X-Api-Key', secret_prefix: '', request_template: { text: '{{input.prompt}}', mode: 'fast' }, response_path: 'data.output' } },
      });
      expect(created.status).toBe(201);
      expect(created.body.config.http).toMatchObject({ method: 'POST', secret_header: 'X-Api-Key', response_path: 'data.output' });
      const answer = await test(created.body.id, { prompt: 'shout this' });
      expect(answer.status).toBe(200);
      expect(answer.body.output).toBe('SHOUT THIS');
      const sent = standIns.endpoint.requests.filter((r) => r.path === '/predict').at(-1)!;
      expect(sent.body).toEqual({ text: 'shout this', mode: 'fast' });
      expect(sent.headers['x-api-key']).toBe(ENDPOINT_SECRET);
      counted.set(created.body.id, { input: answer.body.usage?.input_tokens ?? 0, output: answer.body.usage?.output_tokens ?? 0 });

      const credentialHeader = await create({ name: uniqueName('endpoint'), type: 'custom', source: 'endpoint', endpoint: `${standIns.endpoint.url}/p`, config: { http: { headers: { Authorization: 'Bearer x' } } } });
      expect(credentialHeader.status).toBe(422);
      expect(credentialHeader.text).toMatch(/api_key/);
    });

    it('counts the Anthropic and endpoint calls, with their tokens, per model and per user', async () => {
      expect(counted.size).toBe(2);
      const admin = (await system.api.get<WhoAmIDto>('/api/v1/auth/me')).body.user;
      for (const [id, tokens] of counted) {
        let stats: ModelStatsDto | undefined;
        await waitFor(async () => (stats = (await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${id}/stats`)).body).calls >= 1, {
          timeoutMs: 30_000,
          intervalMs: 200,
          description: 'the call in the stats',
        });
        expect(stats).toMatchObject({ calls: 1, success_rate: 1, tokens });
        expect(stats!.by_user).toEqual([
          { user_id: admin.id, username: 'admin', actor: 'admin', calls: 1, failures: 0, success_rate: 1, input_tokens: tokens.input, output_tokens: tokens.output },
        ]);
        // The bootstrap admin token is no API token.
        expect(stats!.by_token).toEqual([]);
      }
      const list = await system.api.get<ModelListDto>(`/api/v1/ai-models?source=anthropic&page_size=200`);
      const listed = list.body.items.find((item) => counted.has(item.id))!;
      expect(listed.usage).toMatchObject({ calls: 1, input_tokens: counted.get(listed.id)!.input });
    });

    it('counts calls per user and per API token: two users, each calling with tokens of their own, one also signed in', async () => {
      const created = await create({ name: uniqueName('shared'), type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: OPENAI_KEY });
      expect(created.status).toBe(201);
      const model = created.body;
      const [alice, bob] = [await userClient(system.api, 'user'), await userClient(system.api, 'user')];
      const grants = [alice, bob].map(({ user }) => ({ user: user.username, level: 'use' }));
      expect((await system.api.request('PUT', `/api/v1/ai-models/${model.id}/permissions`, { grants })).status).toBe(200);
      const [aliceCi, bobCi, bobLaptop] = [await tokenClient(alice.api, { name: 'ci' }), await tokenClient(bob.api, { name: 'ci' }), await tokenClient(bob.api, { name: 'laptop' })];

      const call = async (api: ApiClient, prompt: string, status: number) => {
        const answer = await api.post<TestResultDto>(`/api/v1/ai-models/${model.id}/test`, { input_data: { prompt, max_tokens: 3 } });
        expect({ prompt, status: answer.status, ...(answer.status !== status && { problem: answer.text }) }).toEqual({ prompt, status });
        return { input: answer.body.usage?.input_tokens ?? 0, output: answer.body.usage?.output_tokens ?? 0 };
      };
      // Alice: two calls with her token, one refused by the provider (502). Bob: one with each of
      // his two tokens, and one signed in (a session, as the console calls): his, but no token's.
      const byAliceCi = [await call(aliceCi.api, 'Hello there, model', 200), await call(aliceCi.api, 'boom [[status:500]]', 502)];
      const byBobCi = [await call(bobCi.api, 'Hello, how are you?', 200)];
      const byBobLaptop = [await call(bobLaptop.api, 'One more from the laptop', 200)];
      const byBobSession = [await call(bob.api, 'And one from the console', 200)];
      const usage = (calls: number, failures: number, counts: Array<{ input: number; output: number }>) => ({
        calls,
        failures,
        success_rate: (calls - failures) / calls,
        input_tokens: counts.reduce((sum, c) => sum + c.input, 0),
        output_tokens: counts.reduce((sum, c) => sum + c.output, 0),
      });

      let stats: ModelStatsDto | undefined;
      await waitFor(async () => (stats = (await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${model.id}/stats`)).body).calls >= 5, {
        timeoutMs: 30_000,
        intervalMs: 200,
        description: 'the five calls in the stats',
      });
      expect(stats).toMatchObject({ calls: 5, success_rate: 0.8, errors: [{ class: 'provider_error', count: 1 }] });
      // Most calls first.
      expect(stats!.by_user).toEqual([
        { user_id: bob.user.id, username: bob.user.username, actor: bob.user.username, ...usage(3, 0, [...byBobCi, ...byBobLaptop, ...byBobSession]) },
        { user_id: alice.user.id, username: alice.user.username, actor: alice.user.username, ...usage(2, 1, byAliceCi) },
      ]);
      const named = ({ token }: { token: CreatedTokenDto }) => ({ token_id: token.id, name: token.name, prefix: token.prefix, user: token.user });
      // Bob's tokens tie at one call each: by id.
      const bobs = [
        { ...named(bobCi), ...usage(1, 0, byBobCi) },
        { ...named(bobLaptop), ...usage(1, 0, byBobLaptop) },
      ].sort((a, b) => (a.token_id < b.token_id ? -1 : 1));
      expect(stats!.by_token).toEqual([{ ...named(aliceCi), ...usage(2, 1, byAliceCi) }, ...bobs]);
      expect(bobs.map((token) => token.user)).toEqual([bob.user, bob.user].map(({ id, username }) => ({ id, username })));
      // A user who may use the model sees the same, names included.
      expect((await bobCi.api.get<ModelStatsDto>(`/api/v1/ai-models/${model.id}/stats`)).body.by_token).toEqual(stats!.by_token);
    });

    describe('SSRF guard', () => {
      it.each([
        ['loopback by name (localhost resolves to 127.0.0.1 / ::1)', 'http://localhost:9/v1', /loopback/],
        ['cloud metadata', 'http://169.254.169.254/latest/meta-data', /metadata/],
        ['private', 'http://10.1.2.3/v1', /private/],
        ['link-local IPv6', 'http://[fe80::1]/v1', /link-local/],
        ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.2]/v1', /loopback/],
      ])('refuses an endpoint on a %s address with 422, storing nothing', async (_what, endpoint, reason) => {
        const name = uniqueName('ssrf');
        const refused = await create({ name, type: 'llm', source: 'openai', api_key: OPENAI_KEY, endpoint });
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({ code: 'endpoint_refused', errors: [{ field: 'endpoint' }] });
        expect(refused.text).toMatch(reason);
        expect(refused.text).toMatch(/MODELYARD_ALLOWED_ENDPOINT_HOSTS/);
        expect(await countNamed(name)).toBe(0);
      });

      it('does not follow a redirect to a refused address', async () => {
        const target = await freePort();
        const created = await create({
          name: uniqueName('redirect'),
          type: 'custom',
          source: 'endpoint',
          endpoint: `${standIns.endpoint.url}/redirect?to=${encodeURIComponent(`http://localhost:${target}/steal`)}`,
        });
        expect(created.status).toBe(201);
        const answer = await test(created.body.id, { prompt: 'x' });
        expect(answer.status).toBe(422);
        expect(answer.body).toMatchObject({ code: 'endpoint_refused' });
        expect(answer.text).toMatch(/localhost/);
      });
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ModelDto, TestResultDto } from '@modelyard/contracts';
import { startHttpEndpointStandIn, startOpenAiStandIn, waitFor, type HttpEndpointStandIn, type OpenAiStandIn } from '@modelyard/testing';
import { ENDPOINT_SECRET, OPENAI_KEY, providerEnv, startProviderStandIns, type ProviderStandIns } from './providers.suite.js';
import type { SystemUnderTest } from './support/system.js';

/** A second key, accepted only by the stand-ins at the other origin. */
const OTHER_KEY = 'sk-proj-MODELYARD-elsewhere-93c7d1e5f0a2';

/**
 * Every run of 8 characters of a secret: none may be left anywhere a reader could see it. Runs of
 * lower-case letters and hyphens only ("endpoint") are ordinary words, found in any answer.
 */
const fragmentsOf = (secret: string): string[] =>
  Array.from({ length: secret.length - 7 }, (_, i) => secret.slice(i, i + 8)).filter((fragment) => !/^[a-z-]+$/.test(fragment));

function expectNoPartOf(secret: string, text: string, where: string): void {
  const found = fragmentsOf(secret).find((fragment) => text.includes(fragment));
  if (found !== undefined) throw new Error(`"${found}", part of a secret, appears in ${where}: ${text.slice(0, 2_000)}`);
}

let names = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${++names}`;

/**
 * The regressions of issue 12's key leaks, through the whole system: a stored key is only ever sent
 * to the origin it was stored for (an edit that moves it needs the key again), and no part of a key
 * reaches an answer or a stored byte, wherever in a provider's message it stands and however it is
 * spelled.
 */
export function describeSecretSafety(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`secret safety (${label})`, () => {
    let system: SystemUnderTest;
    let standIns: ProviderStandIns;
    /** Another origin (another port of the same host), recording whatever reaches it. */
    let elsewhere: { openai: OpenAiStandIn; endpoint: HttpEndpointStandIn };

    beforeAll(async () => {
      standIns = await startProviderStandIns();
      elsewhere = {
        openai: await startOpenAiStandIn({ keys: [OPENAI_KEY, OTHER_KEY] }),
        endpoint: await startHttpEndpointStandIn({ secretHeader: 'x-api-key', secretValue: ENDPOINT_SECRET }),
      };
      system = await start(providerEnv(standIns));
    }, 120_000);
    afterAll(async () => {
      await system?.stop();
      await standIns?.close();
      await Promise.all([elsewhere?.openai.close(), elsewhere?.endpoint.close()]);
    });

    const create = async (body: Record<string, unknown>): Promise<ModelDto> => {
      const created = await system.api.post<ModelDto>('/api/v1/ai-models', body);
      expect(created.status).toBe(201);
      return created.body;
    };
    const openAiModel = () =>
      create({ name: uniqueName('bound'), type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', endpoint: standIns.openai.baseUrl, api_key: OPENAI_KEY });
    const endpointModel = (path = '/predict') =>
      create({
        name: uniqueName('bound-endpoint'),
        type: 'custom',
        source: 'endpoint',
        endpoint: `${standIns.endpoint.url}${path}`,
        api_key: ENDPOINT_SECRET,
        config: { http: { secret_header: 'X-Api-Key', secret_prefix: '' } },
      });
    const test = (id: string, inputData: Record<string, unknown>) => system.api.post<TestResultDto>(`/api/v1/ai-models/${id}/test`, { input_data: inputData });
    const clearRecords = () => {
      for (const server of [standIns.openai, standIns.endpoint, elsewhere.openai, elsewhere.endpoint]) server.requests.length = 0;
    };

    it('refuses to move a keyed model to another origin without the key, sending the stored key nowhere and changing nothing', async () => {
      const openai = await openAiModel();
      const endpoint = await endpointModel();
      clearRecords();
      for (const [model, to] of [
        [openai, elsewhere.openai.baseUrl],
        [openai, `${elsewhere.openai.baseUrl}/chat/completions`],
        [openai, null],
        [endpoint, `${elsewhere.endpoint.url}/predict`],
        [endpoint, `${standIns.endpoint.url.replace('http:', 'https:')}/predict`],
      ] as const) {
        const refused = await system.api.patch(`/api/v1/ai-models/${model.id}`, { endpoint: to, description: 'moved' });
        expect(refused.status).toBe(422);
        expect(refused.body).toMatchObject({ code: 'model_secret_origin_change', errors: [{ field: 'api_key' }] });
        const after = (await system.api.get<ModelDto>(`/api/v1/ai-models/${model.id}`)).body;
        expect(after).toMatchObject({ endpoint: model.endpoint, description: model.description, has_api_key: true });
      }
      expect(elsewhere.openai.requests).toHaveLength(0);
      expect(elsewhere.endpoint.requests).toHaveLength(0);

      // Calls still go where the key was given, and only there.
      expect((await test(endpoint.id, { text: 'still here' })).status).toBe(200);
      expect(standIns.endpoint.requests.at(-1)!.headers['x-api-key']).toBe(ENDPOINT_SECRET);
      expect(elsewhere.endpoint.requests).toHaveLength(0);
    });

    it('moves within the origin with the stored key, and to another origin with a key sent along', async () => {
      const openai = await openAiModel();
      clearRecords();
      const samePlace = await system.api.patch<ModelDto>(`/api/v1/ai-models/${openai.id}`, { endpoint: `${standIns.openai.baseUrl}/chat/completions` });
      expect(samePlace.status).toBe(200);
      // The stored key was checked where it was given.
      expect(standIns.openai.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${OPENAI_KEY}`]);

      const moved = await system.api.patch<ModelDto>(`/api/v1/ai-models/${openai.id}`, { endpoint: elsewhere.openai.baseUrl, api_key: OTHER_KEY });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ endpoint: elsewhere.openai.baseUrl, api_key_last4: OTHER_KEY.slice(-4) });
      const answer = await test(openai.id, { prompt: 'hello there' });
      expect(answer.status).toBe(200);
      const seenElsewhere = elsewhere.openai.requests.map((r) => r.headers.authorization);
      expect(seenElsewhere.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seenElsewhere)).toEqual(new Set([`Bearer ${OTHER_KEY}`]));
      expect(standIns.openai.requests.every((r) => r.headers.authorization === `Bearer ${OPENAI_KEY}`)).toBe(true);
    });

    it('never sends a stored key to an origin its record was altered to (the worker checks too)', async () => {
      const endpoint = await endpointModel();
      expect((await test(endpoint.id, { text: 'warm' })).status).toBe(200);
      // What no API allows: the stored endpoint changed behind the registry's back.
      await system.sql(`UPDATE models SET endpoint = $2 WHERE id = $1`, [endpoint.id, `${elsewhere.endpoint.url}/predict`]);
      clearRecords();
      // The gateway keeps active records for a second: wait until the call sees the altered one.
      let answer = await test(endpoint.id, { text: 'steal' });
      await waitFor(
        async () => {
          answer = await test(endpoint.id, { text: 'steal' });
          return answer.status === 409;
        },
        { timeoutMs: 10_000, intervalMs: 300, description: 'the altered record to reach the call' },
      );
      expect(answer.body).toMatchObject({ code: 'secret_origin_mismatch' });
      expect(elsewhere.endpoint.requests).toHaveLength(0);
    });

    it.each([
      ['the key check (401)', 'validate'],
      ['a call the provider refuses (400)', 'invoke'],
      ['an endpoint that refuses the call (400)', 'endpoint'],
    ] as const)('leaves no part of a key in the answer to %s, wherever the provider quotes it', async (_what, where) => {
      const openai = where === 'invoke' ? await openAiModel() : null;
      const endpoint = where === 'endpoint' ? await endpointModel() : null;
      const secret = where === 'endpoint' ? ENDPOINT_SECRET : OPENAI_KEY;
      // The credential header as sent: the endpoint's has no prefix, OpenAI's is a bearer token.
      const credential = where === 'endpoint' ? secret : `Bearer ${secret}`;
      // The quote starts on each side of where long messages are cut, and in each spelling.
      const faults = [...[470, 481, 492, 497, 503, 514, 525].map((pad) => `pad=${pad}`), 'base64', 'upper', 'pad=499,base64'];
      for (const fault of faults) {
        const marker = `[[echo-key:${fault}]]`;
        const answer =
          where === 'validate'
            ? await system.api.post('/api/v1/ai-models', { name: uniqueName('echo'), type: 'llm', source: 'openai', provider_model: `gpt-x${marker}[[status:401]]`, api_key: OPENAI_KEY })
            : where === 'invoke'
              ? await test(openai!.id, { prompt: marker })
              : await test(endpoint!.id, { text: marker });
        expect(answer.status).toBe(422);
        expect((answer.body as { code: string }).code).toBe(where === 'validate' ? 'provider_key_rejected' : 'provider_rejected_request');
        expectNoPartOf(secret, answer.text, `the answer to ${marker}`);
        expectNoPartOf(secret.toUpperCase(), answer.text, `the answer to ${marker}`);
        expectNoPartOf(Buffer.from(credential).toString('base64').slice(4, -4), answer.text, `the answer to ${marker}`);
        expect(answer.text).toContain('[redacted]');
      }
    });

    it('redacts a key that an endpoint echoes in a successful answer', async () => {
      const endpoint = await endpointModel('/echo-headers');
      const answer = await test(endpoint.id, { text: 'show me your headers' });
      expect(answer.status).toBe(200);
      expect(answer.body.output).toMatchObject({ data: { output: { headers: { 'x-api-key': '[redacted]' } } } });
      expectNoPartOf(ENDPOINT_SECRET, answer.text, 'a successful answer');
    });

    it('stores no part of any key in clear', async () => {
      const rows = await system.sql('SELECT * FROM models');
      const stored = JSON.stringify(rows);
      expect(stored).toContain('"secret_origin"');
      for (const secret of [OPENAI_KEY, ENDPOINT_SECRET, OTHER_KEY]) expectNoPartOf(secret, stored, 'the models table');
    });
  });
}

import { describe, expect, it } from '@jest/globals';
import type { ModelDto, SecretRotationDto } from '@modelyard/contracts';
import { freePort, requireTestDatabaseUrl, waitFor, type ApiResponse } from '@modelyard/testing';
import {
  ANTHROPIC_KEY,
  describeProviders,
  ENDPOINT_SECRET,
  OPENAI_KEY,
  PROVIDER_TIMEOUT_MS,
  providerEnv,
  startProviderStandIns,
} from './providers.suite.js';
import { describeSecretSafety } from './secret-safety.suite.js';
import { databaseDump, kafkaMessagesSince, redisValues, secretRuns } from './support/leak-search.js';
import { infrastructureEnv, startDistributedSystem } from './support/system.js';

const serverUrl = requireTestDatabaseUrl();

// Gateway (validation, sealing) → registry (stored sealed) → BullMQ (sealed in the job) → inference
// worker (opened for the call) → provider stand-in; usage events on Kafka → metrics.
describeProviders('distributed: five processes on PostgreSQL, Kafka, Redis, S3', (env) => startDistributedSystem(serverUrl, { infrastructure: true, env }));
describeSecretSafety('distributed', (env) => startDistributedSystem(serverUrl, { infrastructure: true, env }));

describe('secret hygiene', () => {
  it('never shows a key in clear: not in API answers, logs, Kafka messages, queued jobs or a database dump, error paths included', async () => {
    const startedAt = Date.now() - 1_000;
    const standIns = await startProviderStandIns();
    const hubToken = 'hf_MODELYARDhygieneToken0123456789';
    const wrongKey = 'sk-proj-MODELYARD-wrong-5e6f7a8b9c0d';
    const uncheckedKey = 'sk-proj-MODELYARD-unchecked-1a2b3c4d';
    const secrets = [OPENAI_KEY, ANTHROPIC_KEY, ENDPOINT_SECRET, hubToken, wrongKey, uncheckedKey];
    const system = await startDistributedSystem(serverUrl, {
      infrastructure: true,
      // Debug logs: the most a service ever writes. The Hub is unreachable, so the import fails and retries.
      env: { ...providerEnv(standIns), MODELYARD_LOG_LEVEL: 'debug', MODELYARD_HF_ENDPOINT: `http://127.0.0.1:${await freePort()}` },
    });
    const answers: string[] = [];
    const call = async <T,>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
      const response = await system.api.request<T>(method, path, body);
      answers.push(`${response.status} ${JSON.stringify([...response.headers])} ${response.text}`);
      return response;
    };
    try {
      const create = (body: Record<string, unknown>) => call<ModelDto>('POST', '/api/v1/ai-models', body);
      const test = (id: string, prompt: string) => call('POST', `/api/v1/ai-models/${id}/test`, { input_data: { prompt } });

      const openai = (await create({ name: 'hygiene-openai', type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: OPENAI_KEY })).body;
      const anthropic = (await create({ name: 'hygiene-claude', type: 'llm', source: 'anthropic', provider_model: 'claude-haiku-4-5', api_key: ANTHROPIC_KEY })).body;
      const endpoint = (
        await create({
          name: 'hygiene-endpoint',
          type: 'custom',
          source: 'endpoint',
          endpoint: `${standIns.endpoint.url}/predict`,
          api_key: ENDPOINT_SECRET,
          config: { http: { secret_header: 'X-Api-Key', secret_prefix: '' } },
        })
      ).body;
      const unchecked = (await create({ name: 'hygiene-unchecked', type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: uncheckedKey, validate: false })).body;
      const hub = (await create({ name: 'org/hygiene', source: 'huggingface', api_key: hubToken })).body;
      for (const model of [openai, anthropic, endpoint, unchecked, hub]) expect(model.has_api_key).toBe(true);

      // Every error path: refused keys, unreachable providers, providers that quote the key back,
      // auth failures at call time, rate limits, server errors, timeouts, dropped connections.
      expect((await create({ name: 'hygiene-wrong', type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: wrongKey })).status).toBe(422);
      expect((await create({ name: 'hygiene-far', type: 'llm', source: 'anthropic', api_key: ANTHROPIC_KEY, endpoint: `http://127.0.0.1:${await freePort()}` })).status).toBe(424);
      expect((await create({ name: 'hygiene-ssrf', type: 'llm', source: 'openai', api_key: OPENAI_KEY, endpoint: 'http://169.254.169.254/v1' })).status).toBe(422);
      // What each provider failure must become at the API, the same for all three kinds of provider:
      // a status ≥ 400 alone would let a 500 (an unmapped failure) through.
      const outcomes: Array<[string, number, string | null]> = [
        ['[[echo-key]]', 422, 'provider_rejected_request'], // the provider's 400, quoting the key
        ['[[echo-key:pad=495]]', 422, 'provider_rejected_request'], // the key where long messages are cut
        ['[[echo-key:base64]]', 422, 'provider_rejected_request'], // the credential header base64-encoded
        ['[[echo-key:upper]]', 422, 'provider_rejected_request'], // the key upper-cased
        ['[[status:401]]', 424, 'provider_auth_failed'],
        ['[[status:429]]', 429, 'provider_rate_limited'],
        ['[[status:500]]', 502, 'provider_error'],
        ['[[drop]]', 502, 'provider_error'],
        [`[[slow:${PROVIDER_TIMEOUT_MS + 1000}]]`, 504, 'provider_timeout'],
        ['fine', 200, null],
      ];
      for (const model of [openai, anthropic, endpoint]) {
        for (const [prompt, status, code] of outcomes) {
          const answer = await test(model.id, prompt);
          expect({ model: model.name, prompt, status: answer.status }).toEqual({ model: model.name, prompt, status });
          if (code) expect(answer.body).toMatchObject({ status, code });
        }
      }
      expect((await test(unchecked.id, 'hello')).status).toBe(424);
      expect((await call('PATCH', `/api/v1/ai-models/${openai.id}`, { api_key: wrongKey })).status).toBe(422);
      expect((await call('PATCH', `/api/v1/ai-models/${openai.id}`, { api_key: OPENAI_KEY, description: 'rotated' })).status).toBe(200);
      expect((await call<SecretRotationDto>('POST', '/api/v1/admin/secrets/rotate')).body).toMatchObject({ rotated: 0, failed: [] });
      await call('GET', `/api/v1/ai-models/${openai.id}`);
      await call('GET', '/api/v1/ai-models?page_size=100');
      await waitFor(async () => (await call<ModelDto>('GET', `/api/v1/ai-models/${hub.id}`)).body.status === 'error', {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: 'the import with the unreachable Hub to fail',
      });
      await waitFor(async () => (await call<{ calls: number }>('GET', `/api/v1/ai-models/${openai.id}/stats`)).body.calls >= 7, {
        timeoutMs: 30_000,
        intervalMs: 300,
        description: 'the calls to reach the metrics service',
      });

      const infra = infrastructureEnv();
      const corpora: Record<string, string[]> = {
        'API answers': answers,
        'service logs': Object.values(system.processes).map((process) => process!.output()),
        'Kafka messages': await kafkaMessagesSince(infra.MODELYARD_KAFKA_BROKERS!.split(','), startedAt),
        'queued jobs (Redis)': await redisValues(infra.MODELYARD_REDIS_URL!),
        'database dump': [await databaseDump(system.databaseUrl)],
      };
      // The search can find things: what may be shown is there, so what must not be would be too.
      expect(answers.join('\n')).toContain(OPENAI_KEY.slice(-4));
      expect(corpora['database dump']!.join('')).toMatch(/v1\.[0-9a-f]{12}\.[\w-]+\.[\w-]+\.[\w-]+/);
      expect(corpora['Kafka messages']!.join('\n')).toContain(openai.id);
      expect(corpora['service logs']!.join('\n')).toContain('"level":20');
      // The keys the providers quoted, as they quoted them: upper-cased, and the credential header as
      // sent (OpenAI's with "Bearer ") base64-encoded, its ends left out (they depend on what precedes).
      const echoed = [
        ...[OPENAI_KEY, ANTHROPIC_KEY, ENDPOINT_SECRET].map((key) => key.toUpperCase()),
        ...[`Bearer ${OPENAI_KEY}`, ANTHROPIC_KEY, ENDPOINT_SECRET].map((credential) => Buffer.from(credential).toString('base64').slice(4, -4)),
      ];
      for (const [where, texts] of Object.entries(corpora)) {
        const text = texts.join('\n');
        for (const secret of [...secrets, ...echoed]) {
          if (text.includes(secret)) throw new Error(`a secret ending in …${secret.slice(-4)} appears in the ${where}`);
          // Not only whole: any 12 characters of it give too much away.
          const run = secretRuns(secret).find((part) => text.includes(part));
          if (run !== undefined) throw new Error(`12 characters ("${run.slice(0, 3)}…") of a secret ending in …${secret.slice(-4)} appear in the ${where}`);
        }
      }
      // The adversarial provider did quote the key to us: it was redacted, not lost.
      expect(answers.join('\n')).toContain('[redacted]');
    } finally {
      await system.stop();
      await standIns.close();
    }
  }, 300_000);
});

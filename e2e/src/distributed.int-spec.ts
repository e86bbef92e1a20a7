import { describe, expect, it } from '@jest/globals';
import type { ModelDto } from '@modelyard/contracts';
import { linearOnnxModel, newModelBody, requireTestDatabaseUrl } from '@modelyard/testing';
import { describeModelsApi } from './models-api.suite.js';
import { startDistributedSystem } from './support/system.js';

const serverUrl = requireTestDatabaseUrl();

// Gateway and registry as two processes on a real PostgreSQL, talking over TCP.
describeModelsApi('distributed: gateway + registry processes, PostgreSQL', () => startDistributedSystem(serverUrl));

describe('distributed failure handling', () => {
  it('answers 503 (and readyz 503) while the registry process is down', async () => {
    const system = await startDistributedSystem(serverUrl);
    try {
      const model = (await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody())).body;
      await system.processes.registry!.stop();
      const down = await system.api.get(`/api/v1/ai-models/${model.id}`);
      expect(down.status).toBe(503);
      expect((down.body as { detail: string }).detail).toMatch(/registry/i);
      expect((await system.api.get('/readyz')).status).toBe(503);
    } finally {
      await system.stop();
    }
  }, 90_000);

  // Gateway and registry only: test calls are queued in the gateway and no inference worker takes
  // them, so every one waits its whole time. ONNX runs wait MODELYARD_INFERENCE_TIMEOUT_MS;
  // provider calls the provider timeout plus the gateway's 2 s margin.
  it('answers 504 when no inference worker finishes a test call in time, and changes nothing stored', async () => {
    const system = await startDistributedSystem(serverUrl, { env: { MODELYARD_INFERENCE_TIMEOUT_MS: '800', MODELYARD_PROVIDER_TIMEOUT_MS: '300' } });
    try {
      const onnx = (await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ type: 'embedding' }))).body;
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(linearOnnxModel({ weights: [[1], [2]], bias: [0] }))]), 'linear.onnx');
      expect((await system.api.request('POST', `/api/v1/ai-models/${onnx.id}/files`, undefined, { body: form })).status).toBe(201);
      const provider = await system.api.post<ModelDto>('/api/v1/ai-models', {
        name: 'never-answered',
        type: 'llm',
        source: 'openai',
        provider_model: 'gpt-4o-mini',
        api_key: 'sk-proj-no-worker-will-send-this-0000',
        validate: false,
      });
      expect(provider.status).toBe(201);

      const cases = [
        { model: onnx, input: { inputs: { x: [[1, 1]] } }, waitedMs: 800 },
        { model: provider.body, input: { prompt: 'hello' }, waitedMs: 300 + 2_000 },
      ];
      for (const { model, input, waitedMs } of cases) {
        const record = async () => ({
          api: (await system.api.get<ModelDto>(`/api/v1/ai-models/${model.id}`)).body,
          row: await system.sql('SELECT * FROM models WHERE id = $1', [model.id]),
          events: await system.sql('SELECT count(*)::int AS n FROM outbox_events'),
        });
        const before = await record();
        expect(before.api.status).toBe('active');

        const answer = await system.api.post<{ status: number; code: string; detail: string }>(`/api/v1/ai-models/${model.id}/test`, { input_data: input });

        expect(answer.status).toBe(504);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ status: 504, code: 'upstream_timeout' });
        expect(answer.body.detail).toBe(`No inference worker finished the call within ${waitedMs} ms; the call may still complete and be counted.`);
        expect(await record()).toEqual(before);
      }
    } finally {
      await system.stop();
    }
  }, 90_000);
});

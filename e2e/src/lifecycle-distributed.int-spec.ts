import { describe, expect, it } from '@jest/globals';
import type { ModelDto, ModelStatsDto, OnnxTestResultDto } from '@modelyard/contracts';
import { LARGE_ONNX_MODEL_OFFSET, largeOnnxModel, newModelBody, requireTestDatabaseUrl, sleep, waitFor } from '@modelyard/testing';
import { describeModelLifecycle } from './model-lifecycle.suite.js';
import { startDistributedSystem } from './support/system.js';

const serverUrl = requireTestDatabaseUrl();

// All five services as processes on PostgreSQL, Kafka, Redis/BullMQ and S3: gateway → registry →
// ingest → S3 → inference via BullMQ → usage events on Kafka → metrics.
describeModelLifecycle('distributed: five processes on PostgreSQL, Kafka, Redis, S3', (env) =>
  startDistributedSystem(serverUrl, { infrastructure: true, env }),
);

describe('an inference worker killed during a test call', () => {
  it('hands the call to another worker, which answers it, and the usage is counted once', async () => {
    const system = await startDistributedSystem(serverUrl, {
      infrastructure: true,
      // A dead worker's job is taken over within seconds instead of the default half minute. Not
      // shorter: loading the model blocks the new worker's event loop (its lock renewals) for a
      // while, and a second missed lock would fail the job as stalled twice.
      env: { MODELYARD_JOB_STALL_TIMEOUT_MS: '5000', MODELYARD_INFERENCE_TIMEOUT_MS: '60000' },
    });
    try {
      // Big enough that fetching and loading it keeps the first worker busy while it is killed.
      const model = (await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ type: 'custom' }))).body;
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(largeOnnxModel(256 * 1024 * 1024))]), 'large.onnx');
      const uploaded = await system.api.request<ModelDto>('POST', `/api/v1/ai-models/${model.id}/files`, undefined, { body: form });
      expect(uploaded.status).toBe(201);

      const firstWorker = system.processes.inference!;
      const call = system.api.post<OnnxTestResultDto>(`/api/v1/ai-models/${model.id}/test`, { input_data: { inputs: { x: [2] } } });
      // The worker has taken the job once it starts fetching the model file.
      await waitFor(async () => /modelyard_model_cache_lookups_total\{[^}]*outcome="miss"[^}]*\} [1-9]/.test(await system.scrape('inference')), {
        timeoutMs: 30_000,
        intervalMs: 20,
        description: 'the first worker to start the call',
      });
      await firstWorker.kill();
      const secondWorker = await system.start('inference');

      const answer = await call;
      expect(answer.status).toBe(200);
      expect((answer.body.output['y']!.data as number[])[0]).toBeCloseTo(2 + LARGE_ONNX_MODEL_OFFSET, 5);
      expect(answer.body.worker).toMatch(new RegExp(`-${secondWorker.child.pid}$`));
      expect(answer.body.worker).not.toMatch(new RegExp(`-${firstWorker.child.pid}$`));

      let stats: ModelStatsDto | undefined;
      await waitFor(async () => (stats = (await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${model.id}/stats`)).body).calls >= 1, {
        timeoutMs: 30_000,
        intervalMs: 200,
        description: 'the call in the stats',
      });
      // Give a duplicate event every chance to arrive before checking it was not counted.
      await sleep(2_000);
      stats = (await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${model.id}/stats`)).body;
      expect(stats).toMatchObject({ calls: 1, success_rate: 1, errors: [] });
    } finally {
      await system.stop();
    }
  }, 180_000);
});

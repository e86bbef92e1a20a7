import { describe, expect, it } from '@jest/globals';
import type { ModelDto } from '@modelyard/contracts';
import { newModelBody, requireTestDatabaseUrl } from '@modelyard/testing';
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
});

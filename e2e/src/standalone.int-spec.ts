import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDto } from '@modelyard/contracts';
import { startStandalone } from '@modelyard/standalone';
import { ApiClient, newModelBody } from '@modelyard/testing';
import { describeModelLifecycle } from './model-lifecycle.suite.js';
import { describeModelsApi } from './models-api.suite.js';
import { describeProviders } from './providers.suite.js';
import { describeSecretSafety } from './secret-safety.suite.js';
import { describeIdentity } from './identity.suite.js';
import { describeAccessMatrix } from './access-matrix.suite.js';
import { describeModelVisibility } from './model-visibility.suite.js';
import { describeAuditCompleteness } from './audit-completeness.suite.js';
import { describeAuditTampering } from './audit-tampering.suite.js';
import { startStandaloneSystem } from './support/system.js';

describeModelsApi('standalone', () => startStandaloneSystem());
describeModelLifecycle('standalone', (env) => startStandaloneSystem({ env }));
describeProviders('standalone', (env) => startStandaloneSystem({ env }));
describeSecretSafety('standalone', (env) => startStandaloneSystem({ env }));
describeIdentity('standalone', (env) => startStandaloneSystem({ env }));
describeAccessMatrix('standalone', (env) => startStandaloneSystem({ env }));
describeModelVisibility('standalone', (env) => startStandaloneSystem({ env }));
describeAuditCompleteness('standalone', (env) => startStandaloneSystem({ env }));
describeAuditTampering('standalone', (env) => startStandaloneSystem({ env }));

describe('standalone persistence', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-persist-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps models, edits and outbox state across a restart', async () => {
    const first = await startStandaloneSystem({ dataDir });
    const created = (await first.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ tags: ['kept'] }))).body;
    const edited = (await first.api.patch<ModelDto>(`/api/v1/ai-models/${created.id}`, { description: 'survives' })).body;
    await first.stop();

    const second = await startStandaloneSystem({ dataDir });
    try {
      expect((await second.api.get(`/api/v1/ai-models/${created.id}`)).body).toEqual(edited);
      const events = await second.sql<{ type: string }>(`SELECT type FROM outbox_events WHERE key = $1 AND topic = 'modelyard.model-events.v1' ORDER BY seq`, [created.id]);
      expect(events.map((e) => e.type)).toEqual(['model.created', 'model.updated']);
      // The migration ran once; the second start found the schema up to date.
      const migrations = await second.sql<{ name: string }>('SELECT name FROM registry_migrations');
      expect(migrations.map((m) => m.name)).toEqual(['CreateModelRegistry1764230400000', 'AddModelArtifacts1764316800000', 'AddModelSecrets1764403200000', 'AddSecretOrigin1765000000000', 'AddIdentityAccessAudit1765100000000', 'AddModelListVersion1765200000000']);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('standalone admin token', () => {
  it('generates a token on first start, stores only its hash (0600), and accepts it after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-token-'));
    const env = { PORT: '0', MODELYARD_HOST: '127.0.0.1', MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'warn' };
    try {
      const first = await startStandalone({ env });
      const token = first.generatedAdminToken!;
      expect(token).toMatch(/^my_[A-Za-z0-9_-]{43}$/);
      const hashFile = join(dataDir, 'admin-token.sha256');
      const stored = await readFile(hashFile, 'utf8');
      expect(stored).not.toContain(token);
      expect(stored.trim()).toMatch(/^[0-9a-f]{64}$/);
      expect((await stat(hashFile)).mode & 0o777).toBe(0o600);
      expect((await new ApiClient(first.url, token).get('/api/v1/ai-models')).status).toBe(200);
      await first.close();

      const second = await startStandalone({ env });
      try {
        expect(second.generatedAdminToken).toBeUndefined();
        const api = new ApiClient(`http://127.0.0.1:${second.port}`, token);
        expect((await api.get('/api/v1/ai-models')).status).toBe(200);
        expect((await api.withToken(`${token}x`).get('/api/v1/ai-models')).status).toBe(401);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

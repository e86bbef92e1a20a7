import { describe, expect, it } from '@jest/globals';
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { UPLOAD_LEASE, type ModelDto } from '@modelyard/contracts';
import { multipartFileBody, newModelBody, openRawHttpRequest, requireTestDatabaseUrl, waitFor } from '@modelyard/testing';
import { describeUploadFailures, safetensorsFile } from './upload-failures.suite.js';
import { startDistributedSystem, TEST_ADMIN_TOKEN, type DistributedSystem } from './support/system.js';

const serverUrl = requireTestDatabaseUrl();

// Gateway and registry as two processes on a real PostgreSQL, files on the gateway's local disk.
describeUploadFailures('distributed: gateway + registry processes, PostgreSQL', (env) => startDistributedSystem(serverUrl, { env }));

const BOUNDARY = 'modelyard-upload-across-deaths';

/** Starts an upload of a 32 KiB safetensors file, sends its first 4 KiB, and waits until the model is `uploading`. */
async function startUpload(system: DistributedSystem, id: string) {
  const body = multipartFileBody({ boundary: BOUNDARY, filename: 'w.safetensors', content: safetensorsFile(32 * 1024) });
  const request = await openRawHttpRequest(system.api.baseUrl, {
    method: 'POST',
    path: `/api/v1/ai-models/${id}/files`,
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.whole.length) },
    body: Buffer.concat([body.head, body.content.subarray(0, 4096)]),
  });
  await waitFor(async () => (await statusOf(system, id)) === 'uploading', { timeoutMs: 10_000, description: 'the upload to begin' });
  return { request, rest: Buffer.concat([body.content.subarray(4096), body.tail]) };
}

/** Read from the database: the gateway may be down. */
const statusOf = async (system: DistributedSystem, id: string) => (await system.sql<{ status: string }>('SELECT status FROM models WHERE id = $1', [id]))[0]?.status;

describe('distributed uploads across process deaths', () => {
  it('a gateway killed mid-upload: the registry restores the model once the lease lapsed, and removes the partial file', async () => {
    const system = await startDistributedSystem(serverUrl, { env: { MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: '600000' } });
    try {
      const model = (await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ status: 'inactive' }))).body;
      await startUpload(system, model.id);
      const tmp = join(system.dataDir, 'blobs', '.tmp');
      const partial = async () => (await readdir(tmp).catch(() => [])).filter((name) => !name.startsWith('ping-'));
      await waitFor(async () => (await partial()).length === 1, { description: 'the put to write its temporary file' });

      await system.processes.gateway!.kill();

      // Nothing renews the lease any more. Time passing is simulated: the lease and the partial
      // file are backdated past the stale threshold, instead of the test waiting that long.
      expect(await statusOf(system, model.id)).toBe('uploading');
      const past = new Date(Date.now() - UPLOAD_LEASE.staleMs - 60_000);
      await system.sql(`UPDATE models SET progress = jsonb_set(progress, '{updated_at}', to_jsonb($2::text)) WHERE id = $1`, [model.id, past.toISOString()]);
      for (const name of await partial()) await utimes(join(tmp, name), past, past);
      // The registry restarts (its start-up sweep; a running one would sweep within half the lease).
      await system.processes.registry!.stop();
      await system.start('registry');

      expect(await statusOf(system, model.id)).toBe('inactive');
      expect(await partial()).toEqual([]);
      const [change] = await system.sql<{ envelope: { payload: { actor: string; from: string; to: string } } }>(
        `SELECT envelope FROM outbox_events WHERE key = $1 AND type = 'model.status_changed' ORDER BY seq DESC LIMIT 1`,
        [model.id],
      );
      expect(change!.envelope.payload).toMatchObject({ actor: 'system', from: 'uploading', to: 'inactive' });
      await system.start('gateway');
      expect((await system.api.post<ModelDto>(`/api/v1/ai-models/${model.id}/toggle-status`)).body.status).toBe('active');
    } finally {
      await system.stop();
    }
  }, 120_000);

  it('a registry restarted while a gateway uploads: the live upload keeps its lease and completes', async () => {
    const system = await startDistributedSystem(serverUrl, { env: { MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: '600000' } });
    try {
      const model = (await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ status: 'inactive' }))).body;
      const { request, rest } = await startUpload(system, model.id);

      await system.processes.registry!.stop();
      await system.start('registry');

      expect(await statusOf(system, model.id)).toBe('uploading');
      await request.write(rest);
      const response = await request.response;
      expect(response.status).toBe(201);
      expect(JSON.parse(response.body)).toMatchObject({ status: 'inactive', progress: null, artifacts: [{ path: 'w.safetensors' }] });
    } finally {
      await system.stop();
    }
  }, 120_000);
});

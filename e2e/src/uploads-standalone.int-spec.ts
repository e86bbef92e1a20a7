import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDto } from '@modelyard/contracts';
import { answersOk, ApiClient, freePort, multipartFileBody, newModelBody, openRawHttpRequest, startServiceProcess, waitFor } from '@modelyard/testing';
import { describeUploadFailures, safetensorsFile } from './upload-failures.suite.js';
import { REPO_ROOT, startStandaloneSystem, TEST_ADMIN_TOKEN } from './support/system.js';

describeUploadFailures('standalone', (env) => startStandaloneSystem({ env }));

describe('standalone restarted after a kill -9 mid-upload', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-killed-upload-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('returns the model to its status before the upload and removes the partial file', async () => {
    const first = await startStandaloneSystem({ dataDir });
    const model = (await first.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ status: 'inactive' }))).body;
    // What a kill -9 during an upload leaves: the model `uploading` with a lease renewed a moment
    // before the kill (the upload began from `inactive`), and the put's half-written temporary file.
    await first.sql(
      `UPDATE models SET status = 'uploading', progress = $2::jsonb WHERE id = $1`,
      [
        model.id,
        JSON.stringify({ bytes_done: 4096, bytes_total: null, files_done: 0, files_total: 1, current_file: 'w.onnx', updated_at: new Date().toISOString(), previous_status: 'inactive' }),
      ],
    );
    const tmp = join(dataDir, 'blobs', '.tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'a-killed-put'), Buffer.alloc(4096));
    expect((await first.api.post(`/api/v1/ai-models/${model.id}/toggle-status`)).status).toBe(409);
    await first.stop();

    const second = await startStandaloneSystem({ dataDir });
    try {
      expect((await second.api.get<ModelDto>(`/api/v1/ai-models/${model.id}`)).body).toMatchObject({ status: 'inactive', progress: null });
      await expect(readdir(tmp)).resolves.toEqual([]);
      const [change] = await second.sql<{ envelope: { payload: { actor: string; from: string; to: string } } }>(
        `SELECT envelope FROM outbox_events WHERE key = $1 AND type = 'model.status_changed' ORDER BY seq DESC LIMIT 1`,
        [model.id],
      );
      expect(change!.envelope.payload).toMatchObject({ actor: 'system', from: 'uploading', to: 'inactive' });
      // Usable again: toggled, and uploaded to.
      expect((await second.api.post<ModelDto>(`/api/v1/ai-models/${model.id}/toggle-status`)).body.status).toBe('active');
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('`npm start` killed with SIGKILL during an upload', () => {
  it('comes back with the model at its status before and no partial file', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-sigkill-'));
    const port = await freePort();
    // The built standalone process, as `npm start` runs it; the idle timeout is long, so only the kill ends the upload.
    const start = () =>
      startServiceProcess({
        name: 'standalone',
        entry: join(REPO_ROOT, 'services/standalone/dist/main.js'),
        env: { PORT: String(port), MODELYARD_HOST: '127.0.0.1', MODELYARD_DATA_DIR: dataDir, MODELYARD_ADMIN_TOKEN: TEST_ADMIN_TOKEN, MODELYARD_LOG_LEVEL: 'warn', MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: '600000' },
        ready: () => answersOk(`http://127.0.0.1:${port}/readyz`),
        timeoutMs: 30_000,
      });
    const api = new ApiClient(`http://127.0.0.1:${port}`, TEST_ADMIN_TOKEN);
    const tmp = join(dataDir, 'blobs', '.tmp');
    const partial = async () => (await readdir(tmp).catch(() => [] as string[])).filter((name) => !name.startsWith('ping-'));
    try {
      const first = await start();
      const model = (await api.post<ModelDto>('/api/v1/ai-models', newModelBody({ status: 'inactive' }))).body;
      const body = multipartFileBody({ boundary: 'sigkill', filename: 'w.safetensors', content: safetensorsFile(32 * 1024) });
      const upload = await openRawHttpRequest(api.baseUrl, {
        method: 'POST',
        path: `/api/v1/ai-models/${model.id}/files`,
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'multipart/form-data; boundary=sigkill', 'content-length': String(body.whole.length) },
        body: Buffer.concat([body.head, body.content.subarray(0, 4096)]),
      });
      await waitFor(async () => (await api.get<ModelDto>(`/api/v1/ai-models/${model.id}`)).body.status === 'uploading', { timeoutMs: 10_000, description: 'the upload to begin' });
      await waitFor(async () => (await partial()).length === 1, { description: 'the put to write its temporary file' });

      await first.kill();
      upload.destroy();

      const second = await start();
      try {
        expect((await api.get<ModelDto>(`/api/v1/ai-models/${model.id}`)).body).toMatchObject({ status: 'inactive', progress: null, artifacts: [] });
        expect(await partial()).toEqual([]);
        expect((await api.post<ModelDto>(`/api/v1/ai-models/${model.id}/toggle-status`)).body.status).toBe('active');
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});

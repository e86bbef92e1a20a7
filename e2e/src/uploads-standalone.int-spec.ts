import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelDto } from '@modelyard/contracts';
import { newModelBody } from '@modelyard/testing';
import { describeUploadFailures } from './upload-failures.suite.js';
import { startStandaloneSystem } from './support/system.js';

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

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { SYSTEM_SCOPE, UPLOAD_LEASE, type AnyEventEnvelope, type Caller, type ModelDto } from '@modelyard/contracts';
import { createLogger, createPlatform, generateSecretKey, InProcessRpcServer, loadConfig, type Platform, type RunMode } from '@modelyard/platform';
import { builtinAdminCaller, newModelBody } from '@modelyard/testing';
import { runRegistryMigrations, startRegistry, type RegistryApp } from '../src/index.js';
import { ModelQueriesService } from '../src/models/model-queries.service.js';
import { ModelTransfersService } from '../src/models/model-transfers.service.js';
import { ModelsService } from '../src/models/models.service.js';
import { UploadSweepService } from '../src/models/upload-sweep.service.js';

let actor: Caller;

/** A registry on an in-memory database that outlives it, so a test can restart the registry alone. */
async function startPlatform(mode: RunMode) {
  const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-sweep-'));
  const config = loadConfig({
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_LOG_LEVEL: 'silent',
    MODELYARD_OUTBOX_POLL_MS: '50',
    ...(mode === 'distributed' && { MODELYARD_SECRET_KEY: generateSecretKey() }),
  });
  const platform = await createPlatform(config, createLogger(config), { mode, withDatabase: true, inMemoryDatabase: true });
  await runRegistryMigrations(platform.database!);
  return { platform, dataDir };
}

describe('upload sweep', () => {
  let platform: Platform | undefined;
  let dataDir: string | undefined;
  let registry: RegistryApp | undefined;

  afterEach(async () => {
    await registry?.close();
    await platform?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    registry = platform = dataDir = undefined;
  });

  async function start(mode: RunMode) {
    ({ platform, dataDir } = await startPlatform(mode));
    registry = await startRegistry(platform, { strategy: new InProcessRpcServer() });
    actor = await builtinAdminCaller(registry.app.get(DataSource));
  }
  async function restart() {
    await registry!.close();
    registry = await startRegistry(platform!, { strategy: new InProcessRpcServer() });
  }
  const sql = <T,>(text: string, params: unknown[] = []) => registry!.app.get(DataSource).query<T[]>(text, params);
  /** Model changes, transfers and reads, as the registry's services offer them. */
  const models = () => {
    const changes = registry!.app.get(ModelsService);
    const transfers = registry!.app.get(ModelTransfersService);
    const queries = registry!.app.get(ModelQueriesService);
    return {
      create: changes.create.bind(changes),
      beginUpload: transfers.beginUpload.bind(transfers),
      reportProgress: transfers.reportProgress.bind(transfers),
      get: (id: string) => queries.get(id, SYSTEM_SCOPE),
    };
  };
  /** Backdates an upload's lease, as if its gateway had stopped renewing it `ageMs` ago. */
  const ageLease = (id: string, ageMs: number) =>
    sql(`UPDATE models SET progress = jsonb_set(progress, '{updated_at}', to_jsonb($2::text)) WHERE id = $1`, [id, new Date(Date.now() - ageMs).toISOString()]);
  const statusChanges = async (id: string) =>
    (await sql<{ envelope: AnyEventEnvelope }>(`SELECT envelope FROM outbox_events WHERE key = $1 AND type = 'model.status_changed' ORDER BY seq`, [id])).map(
      ({ envelope }) => envelope.payload as { actor: string; from: string; to: string },
    );

  /** A model that was `status` when an upload of `file` began. */
  async function uploading(status: 'active' | 'inactive', file = 'model.onnx'): Promise<ModelDto> {
    const model = await models().create(actor, newModelBody({ status }));
    return models().beginUpload(actor, model.id, file);
  }

  it('returns an upload whose lease lapsed to the status before it, announced by the system, and leaves live uploads and imports alone', async () => {
    await start('distributed');
    const abandoned = await uploading('inactive');
    const live = await uploading('active');
    const neverReported = await uploading('active');
    const hubImport = await models().create(actor, { name: 'org/tiny', source: 'huggingface' } as Parameters<ModelsService['create']>[1]);
    await ageLease(abandoned.id, 10 * 60_000);
    await ageLease(hubImport.id, 10 * 60_000);
    await sql(`UPDATE models SET progress = NULL WHERE id = $1`, [neverReported.id]);

    const result = await registry!.app.get(UploadSweepService).sweep(new Date(Date.now() - UPLOAD_LEASE.staleMs), false);

    expect(result.restored.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      [
        { id: abandoned.id, to: 'inactive', stale_ms: expect.any(Number) },
        { id: neverReported.id, to: 'active', stale_ms: null },
      ].sort((a, b) => a.id.localeCompare(b.id)),
    );
    expect(result.restored.find((r) => r.id === abandoned.id)!.stale_ms).toBeGreaterThanOrEqual(10 * 60_000);
    await expect(models().get(abandoned.id)).resolves.toMatchObject({ status: 'inactive', progress: null, status_message: null });
    await expect(models().get(live.id)).resolves.toMatchObject({ status: 'uploading' });
    // Hugging Face imports are the ingest worker's, whatever their progress says.
    await expect(models().get(hubImport.id)).resolves.toMatchObject({ status: 'uploading' });
    expect(await statusChanges(abandoned.id)).toEqual([
      { actor: 'admin', from: 'inactive', to: 'uploading', model: expect.anything() },
      { actor: 'system', from: 'uploading', to: 'inactive', model: expect.objectContaining({ status: 'inactive' }) },
    ]);
    // The model takes a new upload again.
    await expect(models().beginUpload(actor, abandoned.id, 'again.onnx')).resolves.toMatchObject({ status: 'uploading' });
  });

  it('leaves an upload whose lease was renewed since the candidates were read (checked again under the lock)', async () => {
    await start('distributed');
    const model = await uploading('active');
    await ageLease(model.id, 10 * 60_000);
    const sweep = registry!.app.get(UploadSweepService);
    // The gateway renews the lease between the sweep's read of the candidates and its change.
    const candidates = sweep as unknown as { uploadsInProgress(): Promise<unknown[]> };
    const read = candidates.uploadsInProgress.bind(sweep);
    jest.spyOn(candidates, 'uploadsInProgress').mockImplementationOnce(async () => {
      const rows = await read();
      await models().reportProgress(model.id, { bytes_done: 1, bytes_total: null, files_done: 0, files_total: 1, current_file: 'model.onnx' });
      return rows;
    });

    await expect(sweep.sweep(new Date(Date.now() - UPLOAD_LEASE.staleMs), false)).resolves.toMatchObject({ restored: [] });

    await expect(models().get(model.id)).resolves.toMatchObject({ status: 'uploading' });
  });

  it('standalone: at start-up every upload from before is dead, however fresh its lease, and partial data from before goes too', async () => {
    await start('standalone');
    const model = await uploading('inactive');
    // What a put killed mid-way left in the local blob store, written just before the restart.
    const tmp = join(dataDir!, 'blobs', '.tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'killed-put'), 'partial bytes');
    const justBefore = new Date(Date.now() - 1_000);
    await utimes(join(tmp, 'killed-put'), justBefore, justBefore);

    await restart();

    await expect(models().get(model.id)).resolves.toMatchObject({ status: 'inactive', progress: null });
    expect((await statusChanges(model.id)).at(-1)).toMatchObject({ actor: 'system', from: 'uploading', to: 'inactive' });
    await expect(readdir(tmp)).resolves.toEqual([]);
  });

  it('distributed: a restart keeps uploads other gateways are still renewing, and restores the lapsed ones', async () => {
    await start('distributed');
    const live = await uploading('active');
    const dead = await uploading('inactive');
    await ageLease(dead.id, UPLOAD_LEASE.staleMs + 60_000);

    await restart();

    await expect(models().get(live.id)).resolves.toMatchObject({ status: 'uploading' });
    await expect(models().get(dead.id)).resolves.toMatchObject({ status: 'inactive' });
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ModelDto, SecretRotationDto } from '@modelyard/contracts';
import { OPENAI_KEY, providerEnv, startProviderStandIns, type ProviderStandIns } from './providers.suite.js';
import { REPO_ROOT, startStandaloneSystem } from './support/system.js';

const run = promisify(execFile);
const newKey = () => randomBytes(32).toString('base64');

describe('master key rotation (standalone)', () => {
  let standIns: ProviderStandIns;
  let dataDir: string;
  beforeAll(async () => {
    standIns = await startProviderStandIns();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-rotation-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await standIns.close();
  });

  const register = async (system: Awaited<ReturnType<typeof startStandaloneSystem>>) =>
    (await system.api.post<ModelDto>('/api/v1/ai-models', { name: 'rotated', type: 'llm', source: 'openai', provider_model: 'gpt-4o-mini', api_key: OPENAI_KEY })).body;
  const call = (system: Awaited<ReturnType<typeof startStandaloneSystem>>, id: string) =>
    system.api.post<{ output: string; detail?: string }>(`/api/v1/ai-models/${id}/test`, { input_data: { prompt: 'still there?' } });
  const sealedKeyIds = async (system: Awaited<ReturnType<typeof startStandaloneSystem>>) =>
    (await system.sql<{ secret: string }>(`SELECT secret FROM models WHERE secret IS NOT NULL`)).map((row) => row.secret.split('.')[1]);

  it('re-seals with the new key through the admin endpoint; without the old key the call says the key cannot be opened', async () => {
    const [oldKey, key] = [newKey(), newKey()];
    let system = await startStandaloneSystem({ dataDir, env: { ...providerEnv(standIns), MODELYARD_SECRET_KEY: oldKey } });
    const model = await register(system);
    const [oldId] = await sealedKeyIds(system);
    await system.stop();

    // The new key alone cannot open what the old one sealed: a clear 500, nothing leaked, nothing lost.
    system = await startStandaloneSystem({ dataDir, env: { ...providerEnv(standIns), MODELYARD_SECRET_KEY: key } });
    const refused = await call(system, model.id);
    expect(refused.status).toBe(500);
    expect(refused.body.detail).toMatch(/cannot be opened.*MODELYARD_SECRET_KEYS_PREVIOUS/);
    expect((await system.api.post<SecretRotationDto>('/api/v1/admin/secrets/rotate')).body).toMatchObject({ rotated: 0, failed: [{ model_id: model.id }] });
    await system.stop();

    system = await startStandaloneSystem({ dataDir, env: { ...providerEnv(standIns), MODELYARD_SECRET_KEY: key, MODELYARD_SECRET_KEYS_PREVIOUS: oldKey } });
    expect((await call(system, model.id)).status).toBe(200);
    const rotation = await system.api.post<SecretRotationDto>('/api/v1/admin/secrets/rotate');
    expect(rotation.body).toMatchObject({ rotated: 1, already_current: 0, failed: [] });
    const [newId] = await sealedKeyIds(system);
    expect(newId).toBe(rotation.body.key_id);
    expect(newId).not.toBe(oldId);
    expect((await system.api.post<SecretRotationDto>('/api/v1/admin/secrets/rotate')).body).toMatchObject({ rotated: 0, already_current: 1 });
    await system.stop();

    // The old key is no longer needed.
    system = await startStandaloneSystem({ dataDir, env: { ...providerEnv(standIns), MODELYARD_SECRET_KEY: key } });
    const answer = await call(system, model.id);
    expect(answer.status).toBe(200);
    expect(answer.body.output).toBe('Echo: still there?');
    await system.stop();
  }, 120_000);

  it('npm run rotate-secrets -- --new-key replaces the standalone key file and re-seals everything', async () => {
    let system = await startStandaloneSystem({ dataDir, env: providerEnv(standIns) });
    const model = await register(system);
    await system.stop();
    const before = await readFile(join(dataDir, 'secret.key'), 'utf8');

    const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'services/registry/dist/rotate-secrets.js'), '--new-key'], {
      env: { ...process.env, MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'warn', MODELYARD_DATABASE_URL: '' },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ rotated: 1, failed: [] });
    const after = await readFile(join(dataDir, 'secret.key'), 'utf8');
    expect(after.trim().split('\n')).toHaveLength(1);
    expect(after).not.toBe(before);
    expect(stdout).not.toContain(OPENAI_KEY);

    system = await startStandaloneSystem({ dataDir, env: providerEnv(standIns) });
    expect((await call(system, model.id)).status).toBe(200);
    await system.stop();
  }, 120_000);
});

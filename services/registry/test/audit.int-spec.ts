import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Caller } from '@modelyard/contracts';
import { createLogger, createPlatform, InProcessRpcServer, loadConfig, type Platform } from '@modelyard/platform';
import { builtinAdminCaller, newModelBody } from '@modelyard/testing';
import { AuditService } from '../src/audit/audit.service.js';
import { runRegistryMigrations, startRegistry, type RegistryApp } from '../src/index.js';
import { ModelsService } from '../src/models/models.service.js';

describe('audit log', () => {
  let dataDir: string;
  let platform: Platform;
  let registry: RegistryApp;
  let admin: Caller;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-audit-'));
    const config = loadConfig({ MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent' });
    platform = await createPlatform(config, createLogger(config), { mode: 'standalone', withDatabase: true, inMemoryDatabase: true });
    await runRegistryMigrations(platform.database!);
    registry = await startRegistry(platform, { strategy: new InProcessRpcServer() });
    admin = await builtinAdminCaller(registry.app.get(DataSource));
  });
  afterEach(async () => {
    await registry.close();
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const sql = <T,>(text: string, params: unknown[] = []) => registry.app.get(DataSource).query<T[]>(text, params);
  const audit = () => registry.app.get(AuditService);

  it('numbers the records of concurrent changes 1, 2, 3… without a gap, each following the one before', async () => {
    const models = registry.app.get(ModelsService);
    await Promise.all(Array.from({ length: 12 }, () => models.create(admin, newModelBody())));
    const rows = await sql<{ seq: string; prev_hash: string; hash: string; actor_username: string; request_id: string }>(
      `SELECT seq, prev_hash, hash, actor_username, request_id FROM audit_events ORDER BY seq`,
    );
    expect(rows.map((row) => Number(row.seq))).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    rows.slice(1).forEach((row, i) => expect(row.prev_hash).toBe(rows[i]!.hash));
    expect(rows[0]!).toMatchObject({ prev_hash: '0'.repeat(64), actor_username: 'admin', request_id: 'test-request' });
    await expect(audit().verify()).resolves.toEqual({ ok: true, checked: 12, first_bad_seq: null, problem: null });
  });

  it('refuses to change or remove a record (append-only), and the chain finds one changed or removed behind the trigger\'s back', async () => {
    const models = registry.app.get(ModelsService);
    for (let i = 0; i < 4; i++) await models.create(admin, newModelBody());
    await expect(sql(`UPDATE audit_events SET action = 'model.delete' WHERE seq = 2`)).rejects.toThrow(/append-only/);
    await expect(sql(`DELETE FROM audit_events WHERE seq = 2`)).rejects.toThrow(/append-only/);

    await sql(`ALTER TABLE audit_events DISABLE TRIGGER tr_audit_events_append_only`);
    await sql(`UPDATE audit_events SET details = details || '{"name": "forged"}'::jsonb WHERE seq = 2`);
    expect(await audit().verify()).toMatchObject({ ok: false, checked: 1, first_bad_seq: 2, problem: expect.stringMatching(/record 2 was altered/) });

    await sql(`DELETE FROM audit_events WHERE seq = 2`);
    expect(await audit().verify()).toMatchObject({ ok: false, first_bad_seq: 2, problem: expect.stringMatching(/record 2 is missing/) });
  });

  it('finds records cut from the end of the log', async () => {
    const models = registry.app.get(ModelsService);
    for (let i = 0; i < 3; i++) await models.create(admin, newModelBody());
    await sql(`ALTER TABLE audit_events DISABLE TRIGGER tr_audit_events_append_only`);
    await sql(`DELETE FROM audit_events WHERE seq = 3`);
    expect(await audit().verify()).toMatchObject({ ok: false, checked: 2, problem: expect.stringMatching(/removed/) });
  });

  it('keeps no secret-named value in a record, wherever it was put', async () => {
    const [event] = await audit().appendAlone(admin.actor, [
      { action: 'user.update', result: 'success', target_type: 'user', target_id: 'u', details: { password: 'hunter2hunter2', nested: [{ api_key: 'sk-live-123' }], changed: { password: { changed: true }, token: { changed: true, value: 'tok-secret' } } } },
    ]);
    expect(JSON.stringify(event)).not.toMatch(/hunter2|sk-live|tok-secret/);
    // What a diff says of a secret — that it changed — is kept; any value is not.
    expect(event!.details).toEqual({ password: '[redacted]', nested: [{ api_key: '[redacted]' }], changed: { password: { changed: true }, token: '[redacted]' } });
  });
});

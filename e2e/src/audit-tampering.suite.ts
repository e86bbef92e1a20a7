import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { AuditVerificationDto } from '@modelyard/contracts';
import { ACCESS_ENV, createModel } from './support/access.js';
import { REPO_ROOT, type DistributedSystem, type SystemUnderTest } from './support/system.js';

const TRIGGER = 'tr_audit_events_append_only';

/** `npm run audit-verify` against a distributed system's database: its exit code and the result it printed. */
function auditVerifyCli(databaseUrl: string): Promise<{ code: number | null; result: unknown }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'services/registry/dist/verify-audit.js')], {
      env: { PATH: process.env.PATH ?? '', MODELYARD_DATABASE_URL: databaseUrl, MODELYARD_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Its result is the one line that is not a log line.
    child.on('exit', (code) => resolve({ code, result: JSON.parse(output.split('\n').find((line) => line.includes('"first_bad_seq"')) ?? 'null') }));
  });
}

/**
 * Someone with the database's keys edits or removes audit records behind the application's back:
 * the verification finds the first broken record. In a system of its own, since it breaks the chain.
 */
export function describeAuditTampering(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`audit tampering (${label})`, () => {
    let system: SystemUnderTest;

    beforeAll(async () => {
      system = await start(ACCESS_ENV);
      for (let i = 0; i < 4; i++) await createModel(system.api);
    }, 120_000);
    afterAll(() => system?.stop());

    const verify = async () => (await system.api.get<AuditVerificationDto>('/api/v1/audit-events/verify')).body;
    /** SQL run with the append-only trigger off, as an intruder who owns the table would. */
    const behindItsBack = async (statement: string, params: unknown[] = []) => {
      await system.sql(`ALTER TABLE audit_events DISABLE TRIGGER ${TRIGGER}`);
      try {
        await system.sql(statement, params);
      } finally {
        await system.sql(`ALTER TABLE audit_events ENABLE TRIGGER ${TRIGGER}`);
      }
    };
    const cli = async () => {
      const distributed = system as Partial<DistributedSystem>;
      return distributed.databaseUrl ? auditVerifyCli(distributed.databaseUrl) : null;
    };

    it('refuses edits while the trigger is on, and reports the seq of a record edited, then of one removed from the end', async () => {
      const intact = await verify();
      expect(intact).toMatchObject({ ok: true, first_bad_seq: null });
      const last = intact.checked;
      expect(last).toBeGreaterThanOrEqual(4);
      await expect(system.sql(`UPDATE audit_events SET details = '{}'::jsonb WHERE seq = 2`)).rejects.toThrow(/append-only/);
      await expect(system.sql(`DELETE FROM audit_events WHERE seq = $1`, [last])).rejects.toThrow(/append-only/);
      expect(await verify()).toMatchObject({ ok: true, checked: last });

      // One field of one record's details changed.
      const [original] = await system.sql<{ details: Record<string, unknown> }>('SELECT details FROM audit_events WHERE seq = 2');
      await behindItsBack(`UPDATE audit_events SET details = jsonb_set(details, '{name}', '"forged"') WHERE seq = 2`);
      const edited = await verify();
      expect(edited).toMatchObject({ ok: false, first_bad_seq: 2 });
      expect(edited.problem).toMatch(/altered/);
      const editedCli = await cli();
      if (editedCli) {
        expect(editedCli.code).toBe(1);
        expect(editedCli.result).toMatchObject({ ok: false, first_bad_seq: 2 });
      }

      // Put back as it was, the chain holds again; then the newest record disappears.
      await behindItsBack('UPDATE audit_events SET details = $1::jsonb WHERE seq = 2', [JSON.stringify(original!.details)]);
      expect(await verify()).toMatchObject({ ok: true, checked: last });
      await behindItsBack('DELETE FROM audit_events WHERE seq = $1', [last]);
      const cut = await verify();
      expect(cut).toMatchObject({ ok: false, first_bad_seq: last });
      expect(cut.problem).toMatch(/removed/);
      const cutCli = await cli();
      if (cutCli) {
        expect(cutCli.code).toBe(1);
        expect(cutCli.result).toMatchObject({ ok: false, first_bad_seq: last });
      }
    });
  });
}

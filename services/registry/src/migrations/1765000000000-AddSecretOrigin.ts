import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Binds each stored secret to the origin it may be sent to (see secretOriginOf in contracts). Rows
 * stored before this migration are bound to the endpoint they hold now: the best knowledge there is.
 * The rule is written out here rather than imported, so this migration keeps doing what it did.
 */
export class AddSecretOrigin1765000000000 implements MigrationInterface {
  name = 'AddSecretOrigin1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ADD "secret_origin" text`);
    const rows: Array<{ id: string; source: string; endpoint: string | null }> = await q.query(
      `SELECT "id", "source", "endpoint" FROM "models" WHERE "secret" IS NOT NULL`,
    );
    for (const row of rows) {
      await q.query(`UPDATE "models" SET "secret_origin" = $2 WHERE "id" = $1`, [row.id, originOf(row.source, row.endpoint)]);
    }
    await q.query(`ALTER TABLE "models" ADD CONSTRAINT "ck_models_secret_origin" CHECK (("secret" IS NULL) = ("secret_origin" IS NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" DROP CONSTRAINT "ck_models_secret_origin"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "secret_origin"`);
  }
}

function originOf(source: string, endpoint: string | null): string {
  if (source === 'huggingface') return 'huggingface:hub';
  const trimmed = endpoint?.trim() ?? '';
  if (trimmed === '') return `${source}:default`;
  try {
    return new URL(trimmed).origin;
  } catch {
    return trimmed;
  }
}

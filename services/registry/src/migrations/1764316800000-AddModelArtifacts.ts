import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Model files and transfers: stored artifacts, import/upload progress, what a Hugging Face import
 * asked for, the licence, and the ONNX signature inside `config`.
 */
export class AddModelArtifacts1764316800000 implements MigrationInterface {
  name = 'AddModelArtifacts1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ADD "license" varchar(200)`);
    await q.query(`ALTER TABLE "models" ADD "artifacts" jsonb NOT NULL DEFAULT '[]'`);
    await q.query(`ALTER TABLE "models" ADD "progress" jsonb`);
    await q.query(`ALTER TABLE "models" ADD "import_spec" jsonb`);
    // The stored config has every member (readers never meet a missing one): add the new one.
    await q.query(`UPDATE "models" SET "config" = "config" || '{"signature": null}'::jsonb WHERE NOT ("config" ? 'signature')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE "models" SET "config" = "config" - 'signature'`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "import_spec"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "progress"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "artifacts"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "license"`);
  }
}

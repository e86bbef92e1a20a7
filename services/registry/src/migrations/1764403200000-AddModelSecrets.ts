import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Provider models: the provider's model id, and the model's secret (API key, endpoint header value
 * or Hugging Face token) sealed with AES-256-GCM, with what a record may show of it. The stored
 * config gains the `http` member (custom endpoint calls).
 */
export class AddModelSecrets1764403200000 implements MigrationInterface {
  name = 'AddModelSecrets1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "models" ADD "provider_model" varchar(200)`);
    await q.query(`ALTER TABLE "models" ADD "secret" text`);
    await q.query(`ALTER TABLE "models" ADD "has_secret" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "models" ADD "secret_last4" varchar(4)`);
    await q.query(`ALTER TABLE "models" ADD CONSTRAINT "ck_models_secret" CHECK ("has_secret" = ("secret" IS NOT NULL))`);
    await q.query(`UPDATE "models" SET "config" = "config" || '{"http": null}'::jsonb WHERE NOT ("config" ? 'http')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE "models" SET "config" = "config" - 'http'`);
    await q.query(`ALTER TABLE "models" DROP CONSTRAINT "ck_models_secret"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "secret_last4"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "has_secret"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "secret"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "provider_model"`);
  }
}

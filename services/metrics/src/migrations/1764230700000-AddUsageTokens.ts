import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tokens counted by external providers, per model and minute, and usage per model, actor and
 * minute. Rows written before this count 0 tokens; there is no per-actor history before it.
 */
export class AddUsageTokens1764230700000 implements MigrationInterface {
  name = 'AddUsageTokens1764230700000';

  async up(q: QueryRunner): Promise<void> {
    // The defaults stay: an instance still running the previous release (during a rolling update)
    // writes minutes without these columns.
    await q.query(`
      ALTER TABLE "metrics_usage_minutes"
        ADD COLUMN "input_tokens" bigint NOT NULL DEFAULT 0,
        ADD COLUMN "output_tokens" bigint NOT NULL DEFAULT 0`);
    await q.query(`
      CREATE TABLE "metrics_usage_actor_minutes" (
        "model_id" uuid NOT NULL,
        "minute" timestamptz NOT NULL,
        "actor" text NOT NULL,
        "calls" bigint NOT NULL,
        "failures" bigint NOT NULL,
        "input_tokens" bigint NOT NULL,
        "output_tokens" bigint NOT NULL,
        CONSTRAINT "PK_metrics_usage_actor_minutes" PRIMARY KEY ("model_id", "minute", "actor")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "metrics_usage_actor_minutes"`);
    await q.query(`ALTER TABLE "metrics_usage_minutes" DROP COLUMN "output_tokens", DROP COLUMN "input_tokens"`);
  }
}

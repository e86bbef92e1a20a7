import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Usage statistics: per-model per-minute aggregates, and the claims that keep them exact. */
export class CreateUsageAggregates1764230600000 implements MigrationInterface {
  name = 'CreateUsageAggregates1764230600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "metrics_usage_minutes" (
        "model_id" uuid NOT NULL,
        "minute" timestamptz NOT NULL,
        "calls" bigint NOT NULL,
        "successes" bigint NOT NULL,
        "failures" bigint NOT NULL,
        "latency" jsonb NOT NULL,
        "errors" jsonb NOT NULL,
        CONSTRAINT "PK_metrics_usage_minutes" PRIMARY KEY ("model_id", "minute")
      )`);
    await q.query(`
      CREATE TABLE "metrics_usage_claims" (
        "event_id" uuid NOT NULL,
        "occurred_at" timestamptz NOT NULL,
        CONSTRAINT "PK_metrics_usage_claims" PRIMARY KEY ("event_id")
      )`);
    await q.query(`CREATE INDEX "IDX_metrics_usage_claims_occurred_at" ON "metrics_usage_claims" USING brin ("occurred_at")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "metrics_usage_claims"`);
    await q.query(`DROP TABLE "metrics_usage_minutes"`);
  }
}

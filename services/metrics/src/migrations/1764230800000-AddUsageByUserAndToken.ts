import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usage per model, minute and user (by user id) and per model, minute and API token. Events from
 * before users existed, and any without a user id, stay in metrics_usage_actor_minutes by name;
 * nothing is copied, so there is no per-user-id or per-token history before this.
 */
export class AddUsageByUserAndToken1764230800000 implements MigrationInterface {
  name = 'AddUsageByUserAndToken1764230800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "metrics_usage_user_minutes" (
        "model_id" uuid NOT NULL,
        "minute" timestamptz NOT NULL,
        "user_id" uuid NOT NULL,
        "username" text NOT NULL,
        "calls" bigint NOT NULL,
        "failures" bigint NOT NULL,
        "input_tokens" bigint NOT NULL,
        "output_tokens" bigint NOT NULL,
        CONSTRAINT "PK_metrics_usage_user_minutes" PRIMARY KEY ("model_id", "minute", "user_id")
      )`);
    await q.query(`
      CREATE TABLE "metrics_usage_token_minutes" (
        "model_id" uuid NOT NULL,
        "minute" timestamptz NOT NULL,
        "token_id" uuid NOT NULL,
        "calls" bigint NOT NULL,
        "failures" bigint NOT NULL,
        "input_tokens" bigint NOT NULL,
        "output_tokens" bigint NOT NULL,
        CONSTRAINT "PK_metrics_usage_token_minutes" PRIMARY KEY ("model_id", "minute", "token_id")
      )`);
    // Usage across all models reads a range of minutes of every model: the primary keys, led by
    // the model, do not serve it. Rows arrive roughly in time order, so a BRIN index does, at next
    // to no cost per write.
    for (const table of ['metrics_usage_user_minutes', 'metrics_usage_token_minutes', 'metrics_usage_actor_minutes']) {
      await q.query(`CREATE INDEX "IDX_${table}_minute" ON "${table}" USING brin ("minute")`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "IDX_metrics_usage_actor_minutes_minute"`);
    await q.query(`DROP TABLE "metrics_usage_token_minutes"`);
    await q.query(`DROP TABLE "metrics_usage_user_minutes"`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The metrics service's tables: its model catalog and its record of applied events. */
export class CreateMetricsCatalog1764230500000 implements MigrationInterface {
  name = 'CreateMetricsCatalog1764230500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "metrics_processed_events" (
        "consumer_group" varchar(200) NOT NULL,
        "event_id" uuid NOT NULL,
        "processed_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_metrics_processed_events" PRIMARY KEY ("consumer_group", "event_id")
      )`);
    await q.query(`
      CREATE TABLE "metrics_models" (
        "model_id" uuid NOT NULL,
        "name" varchar(200) NOT NULL,
        "version" varchar(64) NOT NULL,
        "status" varchar(32) NOT NULL,
        "deleted_at" timestamptz,
        "last_event_at" timestamptz NOT NULL,
        CONSTRAINT "PK_metrics_models" PRIMARY KEY ("model_id")
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "metrics_models"`);
    await q.query(`DROP TABLE "metrics_processed_events"`);
  }
}

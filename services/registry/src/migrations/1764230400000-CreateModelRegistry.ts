import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The model registry and its transactional outbox. Written by hand from the entities and checked
 * by the "migrations match the entities" test; PGlite and PostgreSQL 15+ both run it.
 */
export class CreateModelRegistry1764230400000 implements MigrationInterface {
  name = 'CreateModelRegistry1764230400000';

  async up(q: QueryRunner): Promise<void> {
    // Trigram indexes make `ILIKE '%text%'` searches use an index instead of a full scan.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE "models" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" varchar(200) NOT NULL,
        "version" varchar(64) NOT NULL,
        "type" varchar(32) NOT NULL,
        "framework" varchar(32) NOT NULL,
        "source" varchar(32) NOT NULL,
        "status" varchar(32) NOT NULL,
        "status_message" text,
        "description" text,
        "endpoint" varchar(2048),
        "tags" text array NOT NULL DEFAULT '{}',
        "config" jsonb NOT NULL,
        "accuracy" double precision,
        "latency_ms" double precision,
        "owner" varchar(200) NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_models" PRIMARY KEY ("id"),
        CONSTRAINT "uq_models_name_version" UNIQUE ("name", "version"),
        CONSTRAINT "ck_models_type" CHECK ("type" IN ('llm','vision','audio','multimodal','embedding','custom')),
        CONSTRAINT "ck_models_framework" CHECK ("framework" IN ('pytorch','tensorflow','onnx','tensorrt','openvino','openai','anthropic','custom')),
        CONSTRAINT "ck_models_source" CHECK ("source" IN ('huggingface','openai','anthropic','upload','endpoint','custom')),
        CONSTRAINT "ck_models_status" CHECK ("status" IN ('active','inactive','uploading','error')),
        CONSTRAINT "ck_models_accuracy" CHECK ("accuracy" IS NULL OR ("accuracy" >= 0 AND "accuracy" <= 1))
      )`);
    await q.query(`CREATE INDEX "ix_models_type_status_created" ON "models" ("type", "status", "created_at", "id")`);
    await q.query(`CREATE INDEX "ix_models_status_created" ON "models" ("status", "created_at", "id")`);
    await q.query(`CREATE INDEX "ix_models_created" ON "models" ("created_at", "id")`);
    await q.query(`CREATE INDEX "ix_models_updated" ON "models" ("updated_at", "id")`);
    await q.query(`CREATE INDEX "ix_models_name" ON "models" ("name", "id")`);
    await q.query(`CREATE INDEX "ix_models_latency" ON "models" ("latency_ms", "id")`);
    await q.query(`CREATE INDEX "ix_models_accuracy" ON "models" ("accuracy", "id")`);
    // Descending sorts keep unknown values last, an order no backward scan of the above gives.
    await q.query(`CREATE INDEX "ix_models_latency_desc" ON "models" ("latency_ms" DESC NULLS LAST, "id" DESC)`);
    await q.query(`CREATE INDEX "ix_models_accuracy_desc" ON "models" ("accuracy" DESC NULLS LAST, "id" DESC)`);
    await q.query(`CREATE INDEX "ix_models_source" ON "models" ("source")`);
    await q.query(`CREATE INDEX "ix_models_framework" ON "models" ("framework")`);
    await q.query(`CREATE INDEX "ix_models_tags" ON "models" USING gin ("tags")`);
    await q.query(`CREATE INDEX "ix_models_name_trgm" ON "models" USING gin ("name" gin_trgm_ops)`);
    await q.query(`CREATE INDEX "ix_models_description_trgm" ON "models" USING gin ("description" gin_trgm_ops)`);

    await q.query(`
      CREATE TABLE "outbox_events" (
        "seq" bigserial NOT NULL,
        "event_id" uuid NOT NULL,
        "topic" varchar(200) NOT NULL,
        "type" varchar(100) NOT NULL,
        "key" varchar(200) NOT NULL,
        "envelope" jsonb NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "published_at" timestamptz,
        "attempts" integer NOT NULL DEFAULT 0,
        "last_error" text,
        CONSTRAINT "PK_outbox_events" PRIMARY KEY ("seq"),
        CONSTRAINT "uq_outbox_event_id" UNIQUE ("event_id")
      )`);
    // The relay reads only unpublished rows: a partial index keeps that cheap however long the table grows.
    await q.query(`CREATE INDEX "ix_outbox_unpublished" ON "outbox_events" ("seq") WHERE "published_at" IS NULL`);
    await q.query(`CREATE INDEX "ix_outbox_published_at" ON "outbox_events" ("published_at") WHERE "published_at" IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "outbox_events"`);
    await q.query(`DROP TABLE "models"`);
    // pg_trgm stays: other schemas on the same database may use it.
  }
}

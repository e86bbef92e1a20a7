import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Users, teams and API tokens; per-model owners, visibility and grants; the hash-chained audit log.
 * Existing models are owned by the built-in admin (the bootstrap token's user) and stay private.
 */
export class AddIdentityAccessAudit1765100000000 implements MigrationInterface {
  name = 'AddIdentityAccessAudit1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" varchar(64) NOT NULL,
        "display_name" varchar(200),
        "role" varchar(16) NOT NULL,
        "password_hash" text,
        "disabled" boolean NOT NULL DEFAULT false,
        "builtin" boolean NOT NULL DEFAULT false,
        "rpm_limit" integer,
        "tpm_limit" integer,
        "daily_call_limit" integer,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_users" PRIMARY KEY ("id"),
        CONSTRAINT "ck_users_role" CHECK ("role" IN ('admin','maintainer','user','viewer'))
      )`);
    // Usernames are unique whatever their case: "Mei" and "mei" are one person.
    await q.query(`CREATE UNIQUE INDEX "uq_users_username" ON "users" (lower("username"))`);
    await q.query(`INSERT INTO "users" ("username", "display_name", "role", "builtin") VALUES ('admin', 'Administrator', 'admin', true)`);

    await q.query(`
      CREATE TABLE "teams" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "name" varchar(64) NOT NULL,
        "description" varchar(500),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "PK_teams" PRIMARY KEY ("id")
      )`);
    await q.query(`CREATE UNIQUE INDEX "uq_teams_name" ON "teams" (lower("name"))`);
    await q.query(`
      CREATE TABLE "team_members" (
        "team_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        CONSTRAINT "PK_team_members" PRIMARY KEY ("team_id", "user_id"),
        CONSTRAINT "fk_team_members_team" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT "fk_team_members_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await q.query(`CREATE INDEX "ix_team_members_user" ON "team_members" ("user_id")`);

    await q.query(`
      CREATE TABLE "api_tokens" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "name" varchar(100) NOT NULL,
        "token_hash" varchar(64) NOT NULL,
        "prefix" varchar(16) NOT NULL,
        "last4" varchar(4) NOT NULL,
        "scopes" text array NOT NULL,
        "model_ids" uuid array,
        "rpm_limit" integer,
        "tpm_limit" integer,
        "daily_call_limit" integer,
        "expires_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "last_used_at" timestamptz,
        "revoked_at" timestamptz,
        CONSTRAINT "PK_api_tokens" PRIMARY KEY ("id"),
        CONSTRAINT "uq_api_tokens_hash" UNIQUE ("token_hash"),
        CONSTRAINT "fk_api_tokens_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    await q.query(`CREATE INDEX "ix_api_tokens_user" ON "api_tokens" ("user_id", "created_at")`);

    await q.query(`ALTER TABLE "models" ADD "owner_id" uuid`);
    await q.query(`ALTER TABLE "models" ADD "visibility" varchar(16) NOT NULL DEFAULT 'private'`);
    await q.query(`ALTER TABLE "models" ADD CONSTRAINT "ck_models_visibility" CHECK ("visibility" IN ('private','internal'))`);
    await q.query(
      `ALTER TABLE "models" ADD CONSTRAINT "fk_models_owner" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE NO ACTION`,
    );
    await q.query(`CREATE INDEX "ix_models_owner" ON "models" ("owner_id")`);
    await q.query(`CREATE INDEX "ix_models_visibility" ON "models" ("visibility")`);
    // Models registered with the bootstrap token were the admin's: they stay its.
    await q.query(`UPDATE "models" SET "owner_id" = (SELECT "id" FROM "users" WHERE "builtin") `);

    await q.query(`
      CREATE TABLE "model_grants" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "model_id" uuid NOT NULL,
        "user_id" uuid,
        "team_id" uuid,
        "level" varchar(8) NOT NULL,
        CONSTRAINT "PK_model_grants" PRIMARY KEY ("id"),
        CONSTRAINT "uq_model_grants_user" UNIQUE ("model_id", "user_id"),
        CONSTRAINT "uq_model_grants_team" UNIQUE ("model_id", "team_id"),
        CONSTRAINT "ck_model_grants_level" CHECK ("level" IN ('read','use','edit','manage')),
        CONSTRAINT "ck_model_grants_grantee" CHECK (("user_id" IS NULL) <> ("team_id" IS NULL)),
        CONSTRAINT "fk_model_grants_model" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT "fk_model_grants_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION,
        CONSTRAINT "fk_model_grants_team" FOREIGN KEY ("team_id") REFERENCES "teams"("id") ON DELETE CASCADE ON UPDATE NO ACTION
      )`);
    // The list query asks "which models is this user or one of its teams granted": by grantee.
    await q.query(`CREATE INDEX "ix_model_grants_user" ON "model_grants" ("user_id", "model_id")`);
    await q.query(`CREATE INDEX "ix_model_grants_team" ON "model_grants" ("team_id", "model_id")`);

    await q.query(`
      CREATE TABLE "audit_events" (
        "seq" bigint NOT NULL,
        "id" uuid NOT NULL,
        "occurred_at" timestamptz NOT NULL,
        "action" varchar(64) NOT NULL,
        "result" varchar(16) NOT NULL,
        "actor_user_id" uuid,
        "actor_username" varchar(200) NOT NULL,
        "actor_token_id" uuid,
        "target_type" varchar(32),
        "target_id" varchar(200),
        "client_ip" varchar(64),
        "request_id" varchar(128),
        "details" jsonb NOT NULL,
        "prev_hash" varchar(64) NOT NULL,
        "hash" varchar(64) NOT NULL,
        CONSTRAINT "PK_audit_events" PRIMARY KEY ("seq"),
        CONSTRAINT "uq_audit_events_id" UNIQUE ("id")
      )`);
    await q.query(`CREATE INDEX "ix_audit_events_occurred" ON "audit_events" ("occurred_at", "seq")`);
    await q.query(`CREATE INDEX "ix_audit_events_action" ON "audit_events" ("action", "occurred_at")`);
    await q.query(`CREATE INDEX "ix_audit_events_target" ON "audit_events" ("target_id", "occurred_at")`);
    await q.query(`CREATE INDEX "ix_audit_events_actor" ON "audit_events" ("actor_username", "occurred_at")`);
    // The chain's head: one row, locked by every append so records get consecutive numbers in commit order.
    await q.query(`
      CREATE TABLE "audit_chain_head" (
        "id" smallint NOT NULL,
        "seq" bigint NOT NULL,
        "hash" varchar(64) NOT NULL,
        CONSTRAINT "PK_audit_chain_head" PRIMARY KEY ("id"),
        CONSTRAINT "ck_audit_chain_head_single" CHECK ("id" = 1)
      )`);
    await q.query(`INSERT INTO "audit_chain_head" ("id", "seq", "hash") VALUES (1, 0, repeat('0', 64))`);
    // Append-only: the database itself refuses to change or remove a record. (Whoever can drop the
    // trigger can also edit a row; the hash chain makes that visible to `npm run audit-verify`.)
    await q.query(`
      CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
      END $$`);
    await q.query(`
      CREATE TRIGGER "tr_audit_events_append_only" BEFORE UPDATE OR DELETE ON "audit_events"
      FOR EACH ROW EXECUTE FUNCTION "audit_events_append_only"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "tr_audit_events_append_only" ON "audit_events"`);
    await q.query(`DROP FUNCTION "audit_events_append_only"()`);
    await q.query(`DROP TABLE "audit_chain_head"`);
    await q.query(`DROP TABLE "audit_events"`);
    await q.query(`DROP TABLE "model_grants"`);
    await q.query(`ALTER TABLE "models" DROP CONSTRAINT "fk_models_owner"`);
    await q.query(`ALTER TABLE "models" DROP CONSTRAINT "ck_models_visibility"`);
    await q.query(`DROP INDEX "ix_models_visibility"`);
    await q.query(`DROP INDEX "ix_models_owner"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "visibility"`);
    await q.query(`ALTER TABLE "models" DROP COLUMN "owner_id"`);
    await q.query(`DROP TABLE "api_tokens"`);
    await q.query(`DROP TABLE "team_members"`);
    await q.query(`DROP TABLE "teams"`);
    await q.query(`DROP TABLE "users"`);
  }
}

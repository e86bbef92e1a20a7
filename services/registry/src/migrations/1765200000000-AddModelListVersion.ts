import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A version number of what model lists can count: bumped once by every committed transaction that
 * adds, removes or re-files a model (a column a list filters or searches on, its visibility or
 * owner) or changes a grant. The registry keeps the exact `total` of a list it has counted with the
 * version it was counted at, and reuses it only while the version read together with the page is
 * still that one: counting a permission-filtered list visits every readable row (10–60 ms at 100k
 * models), the page itself a few.
 *
 * Why a deferred constraint trigger: it runs at commit, after everything else the transaction
 * locks, so taking the version row's lock last can never deadlock with the audit chain's head or a
 * model's row; and a bulk change bumps once (the first row sets a transaction-local flag).
 */
export class AddModelListVersion1765200000000 implements MigrationInterface {
  name = 'AddModelListVersion1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "model_list_version" (
        "id" smallint NOT NULL,
        "version" bigint NOT NULL,
        CONSTRAINT "PK_model_list_version" PRIMARY KEY ("id"),
        CONSTRAINT "ck_model_list_version_single" CHECK ("id" = 1)
      )`);
    await q.query(`INSERT INTO "model_list_version" ("id", "version") VALUES (1, 0)`);
    await q.query(`
      CREATE FUNCTION "model_list_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('modelyard.model_list_changed', true) IS DISTINCT FROM 'yes' THEN
          PERFORM set_config('modelyard.model_list_changed', 'yes', true);
          UPDATE "model_list_version" SET "version" = "version" + 1 WHERE "id" = 1;
        END IF;
        RETURN NULL;
      END $$`);
    // Columns a list filters, searches or checks access on; progress, artifacts, secrets and the
    // like change often (transfers) and never change a count.
    await q.query(`
      CREATE CONSTRAINT TRIGGER "tr_models_list_version"
      AFTER INSERT OR DELETE OR UPDATE OF "name", "description", "type", "status", "source", "framework", "tags", "visibility", "owner_id" ON "models"
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "model_list_changed"()`);
    await q.query(`
      CREATE CONSTRAINT TRIGGER "tr_model_grants_list_version"
      AFTER INSERT OR DELETE OR UPDATE ON "model_grants"
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "model_list_changed"()`);
    // TRUNCATE has no row to defer on: it bumps at once (nothing else truncates these tables).
    await q.query(`
      CREATE FUNCTION "model_list_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE "model_list_version" SET "version" = "version" + 1 WHERE "id" = 1;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER "tr_models_list_truncate" AFTER TRUNCATE ON "models" FOR EACH STATEMENT EXECUTE FUNCTION "model_list_truncated"()`);
    await q.query(`CREATE TRIGGER "tr_model_grants_list_truncate" AFTER TRUNCATE ON "model_grants" FOR EACH STATEMENT EXECUTE FUNCTION "model_list_truncated"()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER "tr_model_grants_list_truncate" ON "model_grants"`);
    await q.query(`DROP TRIGGER "tr_models_list_truncate" ON "models"`);
    await q.query(`DROP FUNCTION "model_list_truncated"()`);
    await q.query(`DROP TRIGGER "tr_model_grants_list_version" ON "model_grants"`);
    await q.query(`DROP TRIGGER "tr_models_list_version" ON "models"`);
    await q.query(`DROP FUNCTION "model_list_changed"()`);
    await q.query(`DROP TABLE "model_list_version"`);
  }
}

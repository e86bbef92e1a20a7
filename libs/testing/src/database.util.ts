import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The URL of a real PostgreSQL for tests, from `deploy/local/infra.sh env` (set by scripts/test.sh). */
export function testDatabaseUrl(): string | undefined {
  return process.env.MODELYARD_DATABASE_URL;
}

/** The test server's URL, or a clear failure: integration tests never skip silently. */
export function requireTestDatabaseUrl(): string {
  const url = testDatabaseUrl();
  if (!url) throw new Error('MODELYARD_DATABASE_URL is not set: run the tests through `npm test`, which starts PostgreSQL');
  return url;
}

/** Creates a throwaway database on the test server; returns its URL and a function that drops it. */
export async function createScratchDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `modelyard_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}


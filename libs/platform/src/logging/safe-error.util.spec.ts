import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { EmbeddedDatabase } from '../database/embedded-database.adapter.js';
import { typeormOptions } from '../database/typeorm.util.js';
import { DomainException } from '../errors/problem.js';
import { createLogger } from './logger.js';
import { serializeError, statementOf } from './safe-error.util.js';

const SEALED = 'v1.0123456789ab.bm9uY2U.Y2lwaGVydGV4dA.dGFn';
const ENV_VALUE = 'db-password-from-config-env-42';

describe('serializeError on real database errors', () => {
  let database: EmbeddedDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await EmbeddedDatabase.open(undefined);
    dataSource = new DataSource(typeormOptions(database, { entities: [], migrations: [], migrationsTableName: 'spec_migrations' }));
    await dataSource.initialize();
    await dataSource.query(`CREATE TABLE secrets_spec (id int PRIMARY KEY, secret text NOT NULL, config jsonb, CHECK (length(secret) < 10))`);
  }, 60_000);
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.close();
  });

  /** What a logger writes for the error, as one line of text. */
  const logged = (error: unknown): string => {
    const lines: string[] = [];
    const logger = pino({ serializers: { err: serializeError } }, { write: (line: string) => void lines.push(line) });
    logger.error({ err: error }, 'unhandled error');
    return lines.join('');
  };
  const failing = (sql: string, parameters: unknown[]) => dataSource.query(sql, parameters).then(() => undefined, (error: unknown) => error);

  it('never writes the parameters or the failing row of a failed INSERT, but says what failed', async () => {
    const error = await failing(`INSERT INTO secrets_spec (id, secret, config) VALUES ($1, $2, $3)`, [1, SEALED, JSON.stringify({ env: { DB: ENV_VALUE } })]);
    // The unfiltered error does carry them: this is what the serializer must remove.
    expect(JSON.stringify(pino.stdSerializers.err(error as Error))).toContain(SEALED);
    const line = logged(error);
    expect(line).not.toContain(SEALED);
    expect(line).not.toContain(ENV_VALUE);
    expect(JSON.parse(line).err).toMatchObject({ code: '23514', statement: 'INSERT INTO secrets_spec', table: 'secrets_spec' });
  });

  it('never writes a value PostgreSQL quotes in its message', async () => {
    const error = await failing(`SELECT * FROM secrets_spec WHERE id = $1::int`, [`${SEALED}`]);
    const line = logged(error);
    expect(line).not.toContain(SEALED);
    expect(JSON.parse(line).err).toMatchObject({ code: '22P02', statement: 'SELECT' });
  });

  it('never writes a unique violation\'s key values', async () => {
    await dataSource.query(`INSERT INTO secrets_spec (id, secret) VALUES (2, 'short')`);
    const error = await failing(`INSERT INTO secrets_spec (id, secret) VALUES ($1, $2)`, [2, 'tiny']);
    const line = logged(error);
    expect(line).not.toMatch(/Key \(id\)=\(2\)/);
    expect(JSON.parse(line).err).toMatchObject({ code: '23505', constraint: 'secrets_spec_pkey' });
  });

  it('is the err serializer of every Modelyard logger', async () => {
    const error = await failing(`INSERT INTO secrets_spec (id, secret) VALUES ($1, $2)`, [3, SEALED]);
    const lines: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    // createLogger writes to stdout (pino's default destination, synchronous in tests).
    process.stdout.write = ((chunk: string | Uint8Array) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      createLogger({ log: { level: 'info', format: 'json' } }).error({ err: error }, 'unhandled error');
    } finally {
      process.stdout.write = original;
    }
    expect(lines.join('')).toContain('23514');
    expect(lines.join('')).not.toContain(SEALED);
  });
});

describe('serializeError on other errors', () => {
  it('keeps a domain exception whole (its detail is what the client was told)', () => {
    const serialized = serializeError(new DomainException(404, 'model_not_found', 'No model has the id "x".')) as Record<string, unknown>;
    expect(serialized).toMatchObject({ type: 'DomainException', message: 'No model has the id "x".', detail: 'No model has the id "x".', code: 'model_not_found' });
  });

  it('scrubs a database error found as the cause of another, or as a plain member', () => {
    const cause = Object.assign(new Error(`invalid input syntax for type uuid: "${SEALED}"`), { query: 'UPDATE "models" SET "secret" = $1', parameters: [SEALED], code: '22P02', severity: 'ERROR' });
    const wrapped = serializeError(new Error('could not save', { cause })) as Record<string, unknown>;
    expect(JSON.stringify(wrapped)).not.toContain(SEALED);
    expect(wrapped.message).toBe('could not save: invalid input syntax for type uuid: [value not logged]');
    const member = serializeError(Object.assign(new Error('save failed'), { driverError: { code: '23514', severity: 'ERROR', detail: `Failing row contains (${SEALED})` } }));
    expect(JSON.stringify(member)).not.toContain(SEALED);
    expect(member).toMatchObject({ driverError: { code: '23514' } });
  });

  it('passes non-objects through', () => {
    expect(serializeError('text')).toBe('text');
    expect(serializeError(null)).toBeNull();
  });
});

describe('statementOf', () => {
  it('names the statement and, for writes, the table', () => {
    expect(statementOf('INSERT INTO "models"("id", "secret") VALUES ($1, $2)')).toBe('INSERT INTO "models"');
    expect(statementOf('  update models set a = 1')).toBe('UPDATE models');
    expect(statementOf('SELECT secret FROM models WHERE x = \'literal\'')).toBe('SELECT');
    expect(statementOf(42)).toBeUndefined();
  });
});

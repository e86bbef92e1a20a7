import { pino } from 'pino';

type Serialized = Record<string, unknown>;

/**
 * Members of a database error that may hold stored values: the query's parameters (a sealed secret,
 * config.env values, a password hash), PostgreSQL's `detail` ("Failing row contains (…every
 * column…)", "Key (name)=(…) already exists"), `where` and `internalQuery` (SQL with literals) and
 * `hint`. Never logged.
 */
const DATABASE_VALUE_MEMBERS = ['parameters', 'detail', 'where', 'internalQuery', 'hint'];

/** A PostgreSQL error code: five characters of digits and capitals (SQLSTATE). */
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** What a statement does, without its text: `INSERT INTO "models"`, `SELECT`. Values never reach this. */
export function statementOf(query: unknown): string | undefined {
  if (typeof query !== 'string') return undefined;
  const match = /^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT|WITH|ALTER\s+TABLE|CREATE\s+\w+|DROP\s+\w+|START\s+TRANSACTION|COMMIT|ROLLBACK|\w+)\s*("?[\w.]+"?)?/i.exec(query);
  if (!match) return undefined;
  const verb = match[1]!.toUpperCase().replace(/\s+/g, ' ');
  const table = /^(INSERT INTO|UPDATE|DELETE FROM|ALTER TABLE)$/.test(verb) ? match[2] : undefined;
  return table ? `${verb} ${table}` : verb;
}

/**
 * PostgreSQL quotes the offending value at the end of some messages (`invalid input syntax for type
 * uuid: "…"`); pino joins a cause's message and stack onto its wrapper's, line by line.
 */
const withoutQuotedValues = (text: string): string => text.replace(/:\s*".*"\s*$/gm, ': [value not logged]');

/** Duck-typed: errors thrown in another realm (native bindings, a test VM) are not this realm's Error. */
const isErrorLike = (value: object): boolean => typeof (value as { message?: unknown }).message === 'string';

function isDatabaseError(error: Serialized): boolean {
  return 'query' in error || 'parameters' in error || (typeof error.code === 'string' && SQLSTATE.test(error.code) && 'severity' in error);
}

/** Whether the error or anything in its cause chain is a database error. */
function involvesDatabase(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (isDatabaseError(current as Serialized)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function scrub(error: Serialized, depth: number): Serialized {
  const out: Serialized = { ...error };
  if (isDatabaseError(out)) {
    for (const member of DATABASE_VALUE_MEMBERS) delete out[member];
    if ('query' in out) {
      out.statement = statementOf(out.query);
      delete out.query;
    }
    for (const member of ['message', 'stack']) {
      if (typeof out[member] === 'string') out[member] = withoutQuotedValues(out[member]);
    }
  }
  for (const nested of ['driverError', 'cause']) {
    const value = out[nested];
    if (typeof value === 'object' && value !== null && depth < 5) {
      const serialized = isErrorLike(value) ? (pino.stdSerializers.err(value as Error) as unknown as Serialized) : (value as Serialized);
      out[nested] = scrub(serialized, depth + 1);
    }
  }
  return out;
}

/**
 * The `err` serializer of every logger: pino's standard one, minus whatever of a database error
 * could carry stored values. Logged instead: the statement's kind and table, the SQLSTATE code,
 * the constraint, table and column names.
 */
export function serializeError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const serialized = isErrorLike(error) ? (pino.stdSerializers.err(error as Error) as unknown as Serialized) : { ...(error as Serialized) };
  const scrubbed = scrub(serialized, 0);
  if (involvesDatabase(error)) {
    for (const member of ['message', 'stack']) {
      if (typeof scrubbed[member] === 'string') scrubbed[member] = withoutQuotedValues(scrubbed[member]);
    }
  }
  return scrubbed;
}

import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { CallCounts, UsageFold } from './usage-fold.util.js';

/** One user's sums over a range; `userId` null for calls recorded by name only (before users existed). */
export interface UserTotals extends CallCounts {
  userId: string | null;
  username: string;
}

/** One API token's sums over a range. */
export interface TokenTotals extends CallCounts {
  tokenId: string;
}

/** Which rows a breakdown sums: a range of minutes, of one model or all, of some users (tokens) or all. */
export interface BreakdownFilter {
  from: Date;
  to: Date;
  /** One model; absent: every model. */
  modelId?: string;
  /** Only these users (or tokens); absent: all of them. */
  ids?: readonly string[];
}

// The batch's rows of each breakdown in one upsert per table: plain sums, so no locked read is
// needed. Inserted in key order, like the minutes, so that overlapping batches lock rows in one order.
const COUNT_COLUMNS = 'calls bigint, failures bigint, input_tokens bigint, output_tokens bigint';
const ADD_COUNTS = (alias: string) => `
    calls = ${alias}.calls + EXCLUDED.calls,
    failures = ${alias}.failures + EXCLUDED.failures,
    input_tokens = ${alias}.input_tokens + EXCLUDED.input_tokens,
    output_tokens = ${alias}.output_tokens + EXCLUDED.output_tokens`;

const WRITE_ACTOR_MINUTES_SQL = `
  INSERT INTO metrics_usage_actor_minutes AS a (model_id, minute, actor, calls, failures, input_tokens, output_tokens)
  SELECT model_id, minute, actor, calls, failures, input_tokens, output_tokens
  FROM jsonb_to_recordset($1::jsonb) AS r(model_id uuid, minute timestamptz, actor text, ${COUNT_COLUMNS})
  ORDER BY model_id, minute, actor
  ON CONFLICT (model_id, minute, actor) DO UPDATE SET ${ADD_COUNTS('a')}`;

// The username shown is the one of the batch written last: batches come roughly in time order,
// and usernames never change (only a deleted user's name can come back, under another id).
const WRITE_USER_MINUTES_SQL = `
  INSERT INTO metrics_usage_user_minutes AS u (model_id, minute, user_id, username, calls, failures, input_tokens, output_tokens)
  SELECT model_id, minute, user_id, username, calls, failures, input_tokens, output_tokens
  FROM jsonb_to_recordset($1::jsonb) AS r(model_id uuid, minute timestamptz, user_id uuid, username text, ${COUNT_COLUMNS})
  ORDER BY model_id, minute, user_id
  ON CONFLICT (model_id, minute, user_id) DO UPDATE SET username = EXCLUDED.username, ${ADD_COUNTS('u')}`;

const WRITE_TOKEN_MINUTES_SQL = `
  INSERT INTO metrics_usage_token_minutes AS t (model_id, minute, token_id, calls, failures, input_tokens, output_tokens)
  SELECT model_id, minute, token_id, calls, failures, input_tokens, output_tokens
  FROM jsonb_to_recordset($1::jsonb) AS r(model_id uuid, minute timestamptz, token_id uuid, ${COUNT_COLUMNS})
  ORDER BY model_id, minute, token_id
  ON CONFLICT (model_id, minute, token_id) DO UPDATE SET ${ADD_COUNTS('t')}`;

/** Sums of breakdown rows `m`, as float8: exact up to 2^53, and read by the driver as numbers, not strings. */
const SUM_COUNTS = `sum(m.calls)::float8 AS calls, sum(m.failures)::float8 AS failures,
  sum(m.input_tokens)::float8 AS input_tokens, sum(m.output_tokens)::float8 AS output_tokens`;

interface CountsRow {
  calls: number;
  failures: number;
  input_tokens: number;
  output_tokens: number;
}

const countsOf = (row: CountsRow): CallCounts => ({ calls: row.calls, failures: row.failures, inputTokens: row.input_tokens, outputTokens: row.output_tokens });

/**
 * The usage breakdowns: per (model, minute, user), per (model, minute, actor name) for calls
 * without a user id, and per (model, minute, API token). Written inside the transaction that folds
 * a batch into the minutes; read as sums over ranges, for one model or across all of them.
 */
@Injectable()
export class UsageBreakdownRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Adds a folded batch's breakdown rows, in the caller's transaction (`manager`). */
  async write(manager: EntityManager, fold: Pick<UsageFold, 'actors' | 'users' | 'tokens'>): Promise<void> {
    const at = (minute: number) => new Date(minute).toISOString();
    const counts = (delta: CallCounts) => ({
      calls: delta.calls,
      failures: delta.failures,
      input_tokens: delta.inputTokens,
      output_tokens: delta.outputTokens,
    });
    const writes: Array<[string, object[]]> = [
      [WRITE_ACTOR_MINUTES_SQL, [...fold.actors.values()].map((d) => ({ model_id: d.modelId, minute: at(d.minute), actor: d.actor, ...counts(d) }))],
      [
        WRITE_USER_MINUTES_SQL,
        [...fold.users.values()].map((d) => ({ model_id: d.modelId, minute: at(d.minute), user_id: d.userId, username: d.username, ...counts(d) })),
      ],
      [WRITE_TOKEN_MINUTES_SQL, [...fold.tokens.values()].map((d) => ({ model_id: d.modelId, minute: at(d.minute), token_id: d.tokenId, ...counts(d) }))],
    ];
    // One after the other: statements of one transaction share its connection.
    for (const [sql, rows] of writes) {
      if (rows.length > 0) await manager.query(sql, [JSON.stringify(rows)]);
    }
  }

  /**
   * The `limit` users with the most calls over a range. Calls recorded without a user id count
   * under their name, with a null id, unless users are picked by id. Ties go by name in byte order,
   * then id, so the cut at `limit` is the same every time and in PGlite and PostgreSQL, whatever
   * collation either database was created with.
   */
  async topUsers(filter: BreakdownFilter, limit: number): Promise<UserTotals[]> {
    const params: unknown[] = [filter.from, filter.to, limit];
    const byId = whereOf(filter, 'user_id', params);
    // By id, the users picked; without, every user id and (apart) every name recorded without one.
    const byName = filter.ids
      ? ''
      : `UNION ALL
         SELECT NULL::uuid, m.actor, ${SUM_COUNTS}
         FROM metrics_usage_actor_minutes m WHERE ${whereOf({ ...filter, ids: undefined }, 'actor', params)} GROUP BY m.actor`;
    const rows = await this.dataSource.query<Array<{ user_id: string | null; username: string } & CountsRow>>(
      `SELECT * FROM (
         SELECT m.user_id, (array_agg(m.username ORDER BY m.minute DESC))[1] AS username, ${SUM_COUNTS}
         FROM metrics_usage_user_minutes m WHERE ${byId} GROUP BY m.user_id
         ${byName}
       ) AS t(user_id, username, calls, failures, input_tokens, output_tokens)
       ORDER BY calls DESC, username COLLATE "C", user_id NULLS FIRST LIMIT $3`,
      params,
    );
    return rows.map((row) => ({ userId: row.user_id, username: row.username, ...countsOf(row) }));
  }

  /** The `limit` API tokens with the most calls over a range, ties by id. */
  async topTokens(filter: BreakdownFilter, limit: number): Promise<TokenTotals[]> {
    const params: unknown[] = [filter.from, filter.to, limit];
    const rows = await this.dataSource.query<Array<{ token_id: string } & CountsRow>>(
      `SELECT m.token_id, ${SUM_COUNTS}
       FROM metrics_usage_token_minutes m WHERE ${whereOf(filter, 'token_id', params)}
       GROUP BY m.token_id ORDER BY calls DESC, m.token_id LIMIT $3`,
      params,
    );
    return rows.map((row) => ({ tokenId: row.token_id, ...countsOf(row) }));
  }
}

/**
 * The condition on breakdown rows `m` that `filter` asks for, adding its parameters to `params`
 * ($1 and $2 are the range). Only what is asked for is in the text: a condition such as
 * `($3 IS NULL OR m.model_id = $3)` could keep a prepared plan off the primary key.
 */
function whereOf(filter: BreakdownFilter, idColumn: 'user_id' | 'token_id' | 'actor', params: unknown[]): string {
  const conditions = ['m.minute >= $1', 'm.minute < $2'];
  if (filter.modelId !== undefined) conditions.push(`m.model_id = $${params.push(filter.modelId)}`);
  if (filter.ids !== undefined) conditions.push(`m.${idColumn} = ANY($${params.push(filter.ids)}::uuid[])`);
  return conditions.join(' AND ');
}

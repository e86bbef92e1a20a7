import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LatencyHistogram, type SparseHistogram } from './latency-histogram.util.js';
import { UsageBreakdownRepository } from './usage-breakdown.repository.js';
import { foldUsage, type TimedUsageEvent, type UsageEvent } from './usage-fold.util.js';

export type { UsageEvent } from './usage-fold.util.js';

/**
 * How long a claim is kept. An event is refused once it is older than this: its claim may have
 * been pruned, and counting it could count it twice. Kafka keeps the usage topic for 7 days by
 * default, so a replay from the earliest offset stays within it.
 */
export const CLAIM_RETENTION_MS = 7 * 86_400_000;

export interface ApplyOutcome {
  /** Claimed now and folded into the minutes. */
  applied: number;
  /** Claimed before (a redelivery), or twice in the batch. */
  duplicates: number;
  /** Older than the claim retention: not counted. */
  expired: number;
}

/** Sums per step (or per model) of a range. */
export interface UsageTotals {
  calls: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
}

// The claim of a whole batch in one statement: two array parameters whatever its size, where one
// parameter per value would meet PostgreSQL's 65,535 bind-parameter limit at ~32,000 events.
// Sorted, so that two transactions claiming overlapping ids (a partition handed over mid-batch)
// lock them in the same order and cannot deadlock. Times travel as epoch milliseconds: parsing
// thousands of timestamptz texts costs the database more than the float8s do.
const CLAIM_SQL = `
  INSERT INTO metrics_usage_claims (event_id, occurred_at)
  SELECT id, to_timestamp(at / 1000.0) FROM unnest($1::uuid[], $2::float8[]) AS c(id, at) ORDER BY id
  ON CONFLICT (event_id) DO NOTHING
  RETURNING event_id`;

// The batch's minutes that exist already, locked (in key order, against deadlocks) until the
// transaction ends, so their histograms can be merged here and written back whole.
const LOCK_MINUTES_SQL = `
  SELECT m.model_id, m.minute, m.latency, m.errors
  FROM metrics_usage_minutes m
  JOIN unnest($1::uuid[], $2::timestamptz[]) AS k(model_id, minute) ON m.model_id = k.model_id AND m.minute = k.minute
  ORDER BY m.model_id, m.minute
  FOR UPDATE OF m`;

/** Adds two sparse count maps (histograms or error classes) key by key. */
const mergeCounts = (a: string, b: string) => `(
  SELECT jsonb_object_agg(k, n) FROM (
    SELECT k, sum(v::bigint) AS n
    FROM (SELECT key, value FROM jsonb_each_text(${a}) UNION ALL SELECT key, value FROM jsonb_each_text(${b})) AS both_sides(k, v)
    GROUP BY k
  ) AS merged)`;

// All the batch's minutes in one statement. Locked minutes (`merged`) get the histograms merged
// above, new ones are inserted. The merge is done here rather than in SQL because PostgreSQL's
// jsonb merge (jsonb_each + GROUP BY + jsonb_object_agg) measured ~150 µs per row against
// ~20 µs for writing a merged value: 7 times the cost of the write itself. SQL merges only when
// another transaction inserted a "new" minute first (the ON CONFLICT branch), which is rare.
const WRITE_MINUTES_SQL = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(
      model_id uuid, minute timestamptz, calls bigint, successes bigint, failures bigint,
      input_tokens bigint, output_tokens bigint, latency jsonb, errors jsonb, merged boolean)
  ), updated AS (
    UPDATE metrics_usage_minutes m
    SET calls = m.calls + r.calls, successes = m.successes + r.successes, failures = m.failures + r.failures,
        input_tokens = m.input_tokens + r.input_tokens, output_tokens = m.output_tokens + r.output_tokens,
        latency = r.latency, errors = r.errors
    FROM input r
    WHERE r.merged AND m.model_id = r.model_id AND m.minute = r.minute
  )
  INSERT INTO metrics_usage_minutes AS m (model_id, minute, calls, successes, failures, input_tokens, output_tokens, latency, errors)
  SELECT model_id, minute, calls, successes, failures, input_tokens, output_tokens, latency, errors FROM input WHERE NOT merged
  ORDER BY model_id, minute
  ON CONFLICT (model_id, minute) DO UPDATE SET
    calls = m.calls + EXCLUDED.calls,
    successes = m.successes + EXCLUDED.successes,
    failures = m.failures + EXCLUDED.failures,
    input_tokens = m.input_tokens + EXCLUDED.input_tokens,
    output_tokens = m.output_tokens + EXCLUDED.output_tokens,
    latency = COALESCE(${mergeCounts('m.latency', 'EXCLUDED.latency')}, '{}'::jsonb),
    errors = COALESCE(${mergeCounts('m.errors', 'EXCLUDED.errors')}, '{}'::jsonb)`;

/** Step of a minute within a range starting at $2, steps of $4 seconds. */
const STEP_OF_MINUTE = `floor(extract(epoch FROM (m.minute - $2::timestamptz)) / $4)::int`;
const IN_RANGE = `m.model_id = $1 AND m.minute >= $2 AND m.minute < $3`;
/** Sums of minute rows `m`, as float8: exact up to 2^53, and read by the driver as numbers, not strings. */
const SUM_TOTALS = `sum(m.calls)::float8 AS calls, sum(m.successes)::float8 AS successes,
  sum(m.input_tokens)::float8 AS input_tokens, sum(m.output_tokens)::float8 AS output_tokens`;

interface TotalsRow {
  calls: number;
  successes: number;
  input_tokens: number;
  output_tokens: number;
}

const totalsOf = (row: TotalsRow): UsageTotals => ({
  calls: row.calls,
  successes: row.successes,
  inputTokens: row.input_tokens,
  outputTokens: row.output_tokens,
});

/** The metrics service's usage tables: folding event batches in, and reading ranges out. */
@Injectable()
export class UsageRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly breakdowns: UsageBreakdownRepository,
  ) {}

  /**
   * Counts a batch of usage events exactly once: in one transaction, claims the event ids not
   * claimed before, then adds only the claimed events to their (model, minute) rows and to the
   * per-user, per-actor and per-token breakdowns. A batch delivered again finds every claim taken
   * and changes nothing.
   */
  async apply(events: readonly UsageEvent[], now = Date.now()): Promise<ApplyOutcome> {
    const oldest = now - CLAIM_RETENTION_MS;
    const fresh = new Map<string, TimedUsageEvent>();
    let expired = 0;
    for (const event of events) {
      const at = Date.parse(event.occurred_at);
      if (at < oldest) expired += 1;
      // PostgreSQL answers uuids in lower case.
      else fresh.set(event.id.toLowerCase(), { event, at });
    }
    if (fresh.size === 0) return { applied: 0, duplicates: events.length - expired, expired };

    const ids = [...fresh.keys()];
    const occurredAt = ids.map((id) => fresh.get(id)!.at);
    return this.dataSource.transaction(async (manager) => {
      const claimed: Array<{ event_id: string }> = await manager.query(CLAIM_SQL, [ids, occurredAt]);
      const fold = foldUsage(claimed.map(({ event_id }) => fresh.get(event_id)!));
      const deltas = fold.minutes;
      if (deltas.size > 0) {
        const keys = [...deltas.values()];
        const locked: Array<{ model_id: string; minute: Date; latency: SparseHistogram; errors: Record<string, number> }> =
          await manager.query(LOCK_MINUTES_SQL, [keys.map((d) => d.modelId), keys.map((d) => new Date(d.minute).toISOString())]);
        const stored = new Map(locked.map((row) => [`${row.model_id}|${row.minute.getTime()}`, row]));
        const rows = keys.map((delta) => {
          const before = stored.get(`${delta.modelId}|${delta.minute}`);
          return {
            model_id: delta.modelId,
            minute: new Date(delta.minute).toISOString(),
            calls: delta.calls,
            successes: delta.successes,
            failures: delta.failures,
            input_tokens: delta.inputTokens,
            output_tokens: delta.outputTokens,
            latency: (before ? LatencyHistogram.fromSparse(before.latency).merge(delta.latency) : delta.latency).toSparse(),
            errors: before ? addCounts(before.errors, delta.errors) : delta.errors,
            merged: before !== undefined,
          };
        });
        await manager.query(WRITE_MINUTES_SQL, [JSON.stringify(rows)]);
        await this.breakdowns.write(manager, fold);
      }
      return { applied: claimed.length, duplicates: events.length - expired - claimed.length, expired };
    });
  }

  /**
   * Deletes claims of events older than `before`, `chunk` rows per statement so that no statement
   * holds many locks or a long transaction; returns how many went. Rows another pruner is
   * deleting are skipped, not waited for.
   */
  async pruneClaims(before: Date, chunk = 10_000): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ deleted }] = await this.dataSource.query<Array<{ deleted: number }>>(
        `WITH gone AS (
           DELETE FROM metrics_usage_claims WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM metrics_usage_claims WHERE occurred_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))
           RETURNING 1)
         SELECT count(*)::int AS deleted FROM gone`,
        [before, chunk],
      );
      total += deleted;
      if (deleted < chunk) return total;
    }
  }

  /** Calls, successes and tokens of a model per step of a range; steps without calls are absent. */
  async totalsByStep(modelId: string, from: Date, to: Date, stepSeconds: number): Promise<Map<number, UsageTotals>> {
    const rows = await this.dataSource.query<Array<{ step: number } & TotalsRow>>(
      `SELECT ${STEP_OF_MINUTE} AS step, ${SUM_TOTALS}
       FROM metrics_usage_minutes m WHERE ${IN_RANGE} GROUP BY 1`,
      [modelId, from, to, stepSeconds],
    );
    return new Map(rows.map((row) => [row.step, totalsOf(row)]));
  }

  /** The latency histogram of a model per step of a range, merged in the database. */
  async histogramsByStep(modelId: string, from: Date, to: Date, stepSeconds: number): Promise<Map<number, LatencyHistogram>> {
    const rows = await this.dataSource.query<Array<{ step: number; bucket: number; count: number }>>(
      `SELECT ${STEP_OF_MINUTE} AS step, b.key::int AS bucket, sum(b.value::bigint)::float8 AS count
       FROM metrics_usage_minutes m CROSS JOIN LATERAL jsonb_each_text(m.latency) AS b
       WHERE ${IN_RANGE} GROUP BY 1, 2`,
      [modelId, from, to, stepSeconds],
    );
    return groupHistograms(rows.map(({ step, bucket, count }) => [step, bucket, count]));
  }

  /** Failures of a model over a range by error class, most frequent first. */
  async errorsByClass(modelId: string, from: Date, to: Date): Promise<Array<{ class: string; count: number }>> {
    return this.dataSource.query(
      `SELECT e.key AS class, sum(e.value::bigint)::float8 AS count
       FROM metrics_usage_minutes m CROSS JOIN LATERAL jsonb_each_text(m.errors) AS e
       WHERE ${IN_RANGE} GROUP BY 1 ORDER BY 2 DESC, 1`,
      [modelId, from, to],
    );
  }

  /** Calls, successes, tokens and the latency histogram of each model with calls in [from, to). */
  async summaries(modelIds: readonly string[], from: Date, to: Date): Promise<Map<string, UsageTotals & { latency: LatencyHistogram }>> {
    const params = [modelIds, from, to];
    const range = `m.model_id = ANY($1::uuid[]) AND m.minute >= $2 AND m.minute < $3`;
    const [totals, buckets] = await Promise.all([
      this.dataSource.query<Array<{ model_id: string } & TotalsRow>>(
        `SELECT m.model_id, ${SUM_TOTALS}
         FROM metrics_usage_minutes m WHERE ${range} GROUP BY 1`,
        params,
      ),
      this.dataSource.query<Array<{ model_id: string; bucket: number; count: number }>>(
        `SELECT m.model_id, b.key::int AS bucket, sum(b.value::bigint)::float8 AS count
         FROM metrics_usage_minutes m CROSS JOIN LATERAL jsonb_each_text(m.latency) AS b
         WHERE ${range} GROUP BY 1, 2`,
        params,
      ),
    ]);
    const histograms = groupHistograms(buckets.map(({ model_id, bucket, count }) => [model_id, bucket, count]));
    return new Map(
      totals.map((row) => [row.model_id, { ...totalsOf(row), latency: histograms.get(row.model_id) ?? new LatencyHistogram() }]),
    );
  }
}

function addCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const sum = { ...a };
  for (const [key, count] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + count;
  return sum;
}

function groupHistograms<K>(rows: ReadonlyArray<[K, number, number]>): Map<K, LatencyHistogram> {
  const histograms = new Map<K, LatencyHistogram>();
  for (const [key, bucket, count] of rows) {
    let histogram = histograms.get(key);
    if (!histogram) histograms.set(key, (histogram = new LatencyHistogram()));
    histogram.addToBucket(bucket, count);
  }
  return histograms;
}

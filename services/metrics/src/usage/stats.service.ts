import { Injectable } from '@nestjs/common';
import type { ModelStatsDto, ModelUsageSummary, MetricsMessages, METRICS_PATTERNS } from '@modelyard/contracts';
import { DomainException, type FieldError } from '@modelyard/platform';
import { LatencyHistogram } from './latency-histogram.util.js';
import { MAX_RANGE_MS, chooseStepSeconds, stepCount, successRate } from './stats-range.util.js';
import { UsageRepository, type UsageTotals } from './usage.repository.js';

type StatsRequest = MetricsMessages[typeof METRICS_PATTERNS.modelStats]['request'];
type SummariesRequest = MetricsMessages[typeof METRICS_PATTERNS.modelSummaries]['request'];

const NO_CALLS: UsageTotals = { calls: 0, successes: 0, inputTokens: 0, outputTokens: 0 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOUR_MS = 3_600_000;
/** Most models one summaries request may name: a few pages of the model list. */
export const MAX_SUMMARY_MODELS = 1_000;
/** Most users `by_user` lists: enough for a table, bounded whatever the number of tokens. */
export const MAX_STATS_USERS = 50;

/**
 * Usage statistics of models, from the per-minute aggregates. A minute belongs to a range when it
 * starts within [from, to): the current, unfinished minute counts, and a range is as exact as
 * whole minutes allow.
 */
@Injectable()
export class StatsService {
  constructor(private readonly usage: UsageRepository) {}

  /**
   * Totals, tokens, latency percentiles, errors by class, the busiest users and a series of at most
   * 120 steps over [from, to).
   */
  async modelStats(request: StatsRequest, now = new Date()): Promise<ModelStatsDto> {
    const { modelId, from, to } = checkStatsRequest(request, now);
    const rangeMs = to.getTime() - from.getTime();
    const stepSeconds = chooseStepSeconds(rangeMs);
    const [totals, histograms, errors, actors] = await Promise.all([
      this.usage.totalsByStep(modelId, from, to, stepSeconds),
      this.usage.histogramsByStep(modelId, from, to, stepSeconds),
      this.usage.errorsByClass(modelId, from, to),
      this.usage.topActors(modelId, from, to, MAX_STATS_USERS),
    ]);

    const overall = new LatencyHistogram();
    let calls = 0;
    let successes = 0;
    const tokens = { input: 0, output: 0 };
    const series: ModelStatsDto['series'] = [];
    for (let step = 0; step < stepCount(rangeMs, stepSeconds); step += 1) {
      const stepTotals = totals.get(step) ?? NO_CALLS;
      const histogram = histograms.get(step);
      if (histogram) overall.merge(histogram);
      calls += stepTotals.calls;
      successes += stepTotals.successes;
      tokens.input += stepTotals.inputTokens;
      tokens.output += stepTotals.outputTokens;
      series.push({
        start: new Date(from.getTime() + step * stepSeconds * 1_000).toISOString(),
        calls: stepTotals.calls,
        success_rate: successRate(stepTotals.successes, stepTotals.calls),
        latency_ms: histogram?.percentiles() ?? null,
        input_tokens: stepTotals.inputTokens,
        output_tokens: stepTotals.outputTokens,
      });
    }
    return {
      model_id: modelId,
      from: from.toISOString(),
      to: to.toISOString(),
      calls,
      success_rate: successRate(successes, calls),
      latency_ms: overall.percentiles(),
      throughput_rps: calls / (rangeMs / 1_000),
      errors,
      step_seconds: stepSeconds,
      series,
      tokens,
      by_user: actors.map((actor) => ({
        actor: actor.actor,
        calls: actor.calls,
        success_rate: (actor.calls - actor.failures) / actor.calls,
        input_tokens: actor.inputTokens,
        output_tokens: actor.outputTokens,
      })),
    };
  }

  /** The last hour of each named model that had calls in it, in the order named. */
  async modelSummaries(request: SummariesRequest, now = new Date()): Promise<ModelUsageSummary[]> {
    const ids = checkModelIds(request?.model_ids);
    if (ids.length === 0) return [];
    const found = await this.usage.summaries(ids, new Date(now.getTime() - HOUR_MS), now);
    return ids.flatMap((id) => {
      const summary = found.get(id);
      if (!summary || summary.calls === 0) return [];
      return [
        {
          model_id: id,
          calls: summary.calls,
          success_rate: successRate(summary.successes, summary.calls),
          latency_p50_ms: summary.latency.quantile(0.5),
          input_tokens: summary.inputTokens,
          output_tokens: summary.outputTokens,
        },
      ];
    });
  }
}

/** The range asked for, or a 422 naming every bad field. `from` defaults to an hour before `to`, `to` to now. */
function checkStatsRequest(request: StatsRequest, now: Date): { modelId: string; from: Date; to: Date } {
  const errors: FieldError[] = [];
  const modelId = request?.model_id;
  if (typeof modelId !== 'string' || !UUID.test(modelId)) errors.push({ field: 'model_id', detail: 'must be a UUID' });
  const to = request?.to === undefined ? now : parseInstant(request.to, 'to', errors);
  const from = request?.from === undefined ? (to && new Date(to.getTime() - HOUR_MS)) : parseInstant(request.from, 'from', errors);
  if (from && to) {
    if (from >= to) errors.push({ field: 'from', detail: 'must be before to' });
    else if (to.getTime() - from.getTime() > MAX_RANGE_MS) errors.push({ field: 'to', detail: 'must be at most 90 days after from' });
  }
  if (errors.length > 0) throw DomainException.validation(errors);
  return { modelId: modelId.toLowerCase(), from: from!, to: to! };
}

function parseInstant(value: unknown, field: string, errors: FieldError[]): Date | undefined {
  const parsed = typeof value === 'string' ? new Date(value) : undefined;
  if (parsed && !Number.isNaN(parsed.getTime())) return parsed;
  errors.push({ field, detail: 'must be an ISO 8601 date-time' });
  return undefined;
}

function checkModelIds(ids: unknown): string[] {
  if (!Array.isArray(ids)) throw DomainException.validation([{ field: 'model_ids', detail: 'must be an array of UUIDs' }]);
  if (ids.length > MAX_SUMMARY_MODELS) {
    throw DomainException.validation([{ field: 'model_ids', detail: `must name at most ${MAX_SUMMARY_MODELS} models` }]);
  }
  const bad = ids.flatMap((id, index) => (typeof id === 'string' && UUID.test(id) ? [] : [{ field: `model_ids.${index}`, detail: 'must be a UUID' }]));
  if (bad.length > 0) throw DomainException.validation(bad);
  return [...new Set((ids as string[]).map((id) => id.toLowerCase()))];
}

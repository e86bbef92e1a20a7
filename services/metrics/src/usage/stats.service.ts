import { Injectable } from '@nestjs/common';
import type {
  METRICS_PATTERNS,
  MetricsMessages,
  ModelStatsDto,
  ModelUsageSummary,
  ApiTokenUsageDto,
  UsageByApiTokenDto,
  UsageByUserDto,
  UserUsageDto,
} from '@modelyard/contracts';
import { DomainException, type FieldError } from '@modelyard/platform';
import { LatencyHistogram } from './latency-histogram.util.js';
import { MAX_RANGE_MS, chooseStepSeconds, stepCount, successRate } from './stats-range.util.js';
import { UsageBreakdownRepository, type TokenTotals, type UserTotals } from './usage-breakdown.repository.js';
import { UsageRepository, type UsageTotals } from './usage.repository.js';

type StatsRequest = MetricsMessages[typeof METRICS_PATTERNS.modelStats]['request'];
type SummariesRequest = MetricsMessages[typeof METRICS_PATTERNS.modelSummaries]['request'];
type ByUserRequest = MetricsMessages[typeof METRICS_PATTERNS.usageByUser]['request'];
type ByTokenRequest = MetricsMessages[typeof METRICS_PATTERNS.usageByToken]['request'];

const NO_CALLS: UsageTotals = { calls: 0, successes: 0, inputTokens: 0, outputTokens: 0 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOUR_MS = 3_600_000;
/** Most models one summaries request may name: a few pages of the model list. */
export const MAX_SUMMARY_MODELS = 1_000;
/** Most users `by_user` lists: enough for a table, bounded whatever the number of users. */
export const MAX_STATS_USERS = 50;
/** Most API tokens `by_token` lists. */
export const MAX_STATS_TOKENS = 50;
/** Most users (tokens) a usage-by-user (by-token) request may pick by id. */
export const MAX_PICKED_IDS = 1_000;

/**
 * Usage statistics of models, from the per-minute aggregates. A minute belongs to a range when it
 * starts within [from, to): the current, unfinished minute counts, and a range is as exact as
 * whole minutes allow.
 */
@Injectable()
export class StatsService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly breakdowns: UsageBreakdownRepository,
  ) {}

  /**
   * Totals, tokens, latency percentiles, errors by class, the busiest users and API tokens, and a
   * series of at most 120 steps over [from, to).
   */
  async modelStats(request: StatsRequest, now = new Date()): Promise<ModelStatsDto> {
    const { modelId, from, to } = checkStatsRequest(request, now);
    const rangeMs = to.getTime() - from.getTime();
    const stepSeconds = chooseStepSeconds(rangeMs);
    const [totals, histograms, errors, users, tokens] = await Promise.all([
      this.usage.totalsByStep(modelId, from, to, stepSeconds),
      this.usage.histogramsByStep(modelId, from, to, stepSeconds),
      this.usage.errorsByClass(modelId, from, to),
      this.breakdowns.topUsers({ modelId, from, to }, MAX_STATS_USERS),
      this.breakdowns.topTokens({ modelId, from, to }, MAX_STATS_TOKENS),
    ]);

    const overall = new LatencyHistogram();
    let calls = 0;
    let successes = 0;
    const tokenCounts = { input: 0, output: 0 };
    const series: ModelStatsDto['series'] = [];
    for (let step = 0; step < stepCount(rangeMs, stepSeconds); step += 1) {
      const stepTotals = totals.get(step) ?? NO_CALLS;
      const histogram = histograms.get(step);
      if (histogram) overall.merge(histogram);
      calls += stepTotals.calls;
      successes += stepTotals.successes;
      tokenCounts.input += stepTotals.inputTokens;
      tokenCounts.output += stepTotals.outputTokens;
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
      tokens: tokenCounts,
      by_user: users.map(toUserUsage),
      by_token: tokens.map(toTokenUsage),
    };
  }

  /** Usage per user across all models: the busiest users, or those picked by id that made calls. */
  async usageByUser(request: ByUserRequest, now = new Date()): Promise<UsageByUserDto> {
    const { from, to, ids } = checkBreakdownRequest(request, 'user_ids', now);
    const users = ids?.length === 0 ? [] : await this.breakdowns.topUsers({ from, to, ids }, ids?.length ?? MAX_STATS_USERS);
    return { from: from.toISOString(), to: to.toISOString(), items: users.map(toUserUsage) };
  }

  /** Usage per API token across all models: the busiest tokens, or those picked by id that made calls. */
  async usageByToken(request: ByTokenRequest, now = new Date()): Promise<UsageByApiTokenDto> {
    const { from, to, ids } = checkBreakdownRequest(request, 'token_ids', now);
    const tokens = ids?.length === 0 ? [] : await this.breakdowns.topTokens({ from, to, ids }, ids?.length ?? MAX_STATS_TOKENS);
    return { from: from.toISOString(), to: to.toISOString(), items: tokens.map(toTokenUsage) };
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

const toUserUsage = (user: UserTotals): UserUsageDto => ({
  user_id: user.userId,
  username: user.username,
  actor: user.username,
  calls: user.calls,
  failures: user.failures,
  success_rate: (user.calls - user.failures) / user.calls,
  input_tokens: user.inputTokens,
  output_tokens: user.outputTokens,
});

/** Name, prefix and user are the registry's: the gateway fills them in. */
const toTokenUsage = (token: TokenTotals): ApiTokenUsageDto => ({
  token_id: token.tokenId,
  name: null,
  prefix: null,
  user: null,
  calls: token.calls,
  failures: token.failures,
  success_rate: (token.calls - token.failures) / token.calls,
  input_tokens: token.inputTokens,
  output_tokens: token.outputTokens,
});

/** A model's range, or a 422 naming every bad field. */
function checkStatsRequest(request: StatsRequest, now: Date): { modelId: string; from: Date; to: Date } {
  const errors: FieldError[] = [];
  const modelId = request?.model_id;
  if (typeof modelId !== 'string' || !UUID.test(modelId)) errors.push({ field: 'model_id', detail: 'must be a UUID' });
  const range = checkRange(request, now, errors);
  if (errors.length > 0) throw DomainException.validation(errors);
  return { modelId: (modelId as string).toLowerCase(), ...range! };
}

/** A range across all models and the ids picked (absent or null: none picked), or a 422 naming every bad field. */
function checkBreakdownRequest(
  request: { from?: string; to?: string; user_ids?: string[]; token_ids?: string[] },
  field: 'user_ids' | 'token_ids',
  now: Date,
): { from: Date; to: Date; ids: string[] | undefined } {
  const errors: FieldError[] = [];
  const range = checkRange(request, now, errors);
  const picked: unknown = request?.[field];
  const ids = picked === undefined || picked === null ? undefined : checkIds(picked, field, MAX_PICKED_IDS, errors);
  if (errors.length > 0) throw DomainException.validation(errors);
  return { ...range!, ids };
}

/** `from` defaults to an hour before `to`, `to` to now; adds what is wrong to `errors`. */
function checkRange(request: { from?: unknown; to?: unknown } | undefined, now: Date, errors: FieldError[]): { from: Date; to: Date } | undefined {
  const to = request?.to === undefined ? now : parseInstant(request.to, 'to', errors);
  const from = request?.from === undefined ? (to && new Date(to.getTime() - HOUR_MS)) : parseInstant(request.from, 'from', errors);
  if (!from || !to) return undefined;
  if (from >= to) errors.push({ field: 'from', detail: 'must be before to' });
  else if (to.getTime() - from.getTime() > MAX_RANGE_MS) errors.push({ field: 'to', detail: 'must be at most 90 days after from' });
  return { from, to };
}

function parseInstant(value: unknown, field: string, errors: FieldError[]): Date | undefined {
  const parsed = typeof value === 'string' ? new Date(value) : undefined;
  if (parsed && !Number.isNaN(parsed.getTime())) return parsed;
  errors.push({ field, detail: 'must be an ISO 8601 date-time' });
  return undefined;
}

function checkModelIds(ids: unknown): string[] {
  const errors: FieldError[] = [];
  const checked = checkIds(ids, 'model_ids', MAX_SUMMARY_MODELS, errors);
  if (errors.length > 0) throw DomainException.validation(errors);
  return checked;
}

/** Distinct UUIDs in lower case, at most `max`; adds what is wrong to `errors`. */
function checkIds(ids: unknown, field: string, max: number, errors: FieldError[]): string[] {
  if (!Array.isArray(ids)) {
    errors.push({ field, detail: 'must be an array of UUIDs' });
    return [];
  }
  if (ids.length > max) {
    errors.push({ field, detail: `must name at most ${max} ids` });
    return [];
  }
  const before = errors.length;
  ids.forEach((id, index) => {
    if (typeof id !== 'string' || !UUID.test(id)) errors.push({ field: `${field}.${index}`, detail: 'must be a UUID' });
  });
  return errors.length > before ? [] : [...new Set((ids as string[]).map((id) => id.toLowerCase()))];
}

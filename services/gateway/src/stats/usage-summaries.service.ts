import { Inject, Injectable } from '@nestjs/common';
import { METRICS_PATTERNS, type ModelDto } from '@modelyard/contracts';
import { LOGGER, MetricsClient, type Logger } from '@modelyard/platform';

/** A list must not wait long for figures it can show without. */
const SUMMARY_TIMEOUT_MS = 500;

/**
 * Adds the last hour's usage to models on their way out: `latency_ms` becomes the measured p50
 * where there were calls, and `usage` holds calls and success rate. When the metrics service is
 * slow or down the models go out as stored, with `usage` null.
 */
@Injectable()
export class UsageSummariesService {
  constructor(
    private readonly metrics: MetricsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async enrichOne(model: ModelDto): Promise<ModelDto> {
    return (await this.enrich([model]))[0]!;
  }

  async enrich(models: ModelDto[]): Promise<ModelDto[]> {
    if (models.length === 0) return models;
    let summaries;
    try {
      summaries = await this.metrics.send(METRICS_PATTERNS.modelSummaries, { model_ids: models.map((m) => m.id) }, SUMMARY_TIMEOUT_MS);
    } catch (error) {
      this.logger.warn({ err: error }, 'usage summaries unavailable; models listed without them');
      return models.map((model) => ({ ...model, usage: null }));
    }
    const byId = new Map(summaries.map((summary) => [summary.model_id, summary]));
    return models.map((model) => {
      const summary = byId.get(model.id);
      if (!summary) return { ...model, usage: { calls: 0, success_rate: null, latency_p50_ms: null, input_tokens: 0, output_tokens: 0 } };
      return {
        ...model,
        latency_ms: summary.latency_p50_ms ?? model.latency_ms,
        usage: {
          calls: summary.calls,
          success_rate: summary.success_rate,
          latency_p50_ms: summary.latency_p50_ms,
          input_tokens: summary.input_tokens,
          output_tokens: summary.output_tokens,
        },
      };
    });
  }
}

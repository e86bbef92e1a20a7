import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { METRICS_PATTERNS, ModelStatsDto, ModelStatsQueryDto, REGISTRY_PATTERNS, type ApiTokenUsageDto, type Caller } from '@modelyard/contracts';
import { DomainException, CommonErrorCode, MetricsClient, RegistryClient } from '@modelyard/platform';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

const HOUR_MS = 3_600_000;

@ApiTags('AI models')
@ApiBearerAuth()
@ApiProblems(401, 503, 504)
@Controller('api/v1/ai-models')
export class ModelStatsController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly metrics: MetricsClient,
  ) {}

  @Get(':id/stats')
  @RequirePermission('models.read')
  @ApiOperation({
    summary: 'Usage statistics of a model',
    description:
      'Calls, success rate, latency percentiles (from histograms merged over the range, not averages), throughput and failures by class, ' +
      'over [from, to) — by default the last hour — with a time series for charts, and calls per user and per API token (with its name, prefix and user).',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: ModelStatsDto })
  @ApiProblems(404, 422)
  async stats(@CurrentCaller() caller: Caller, @Param('id') id: string, @Query() query: ModelStatsQueryDto): Promise<ModelStatsDto> {
    const model = await this.registry.send(REGISTRY_PATTERNS.getModel, { id, scope: caller.scope });
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - HOUR_MS);
    if (from >= to) {
      throw new DomainException(422, CommonErrorCode.ValidationFailed, '`from` must be before `to`.', [{ field: 'from', detail: 'must be before to' }]);
    }
    const stats = await this.metrics.send(METRICS_PATTERNS.modelStats, { model_id: model.id, from: from.toISOString(), to: to.toISOString() });
    // A metrics service of the release before by_token (during a rolling update) answers without it.
    return { ...stats, by_token: await this.named(stats.by_token ?? []) };
  }

  /**
   * The metrics service knows tokens by id only: their names, prefixes and users are the
   * registry's. Shown to whoever may read the model's statistics; tokens that no longer exist keep nulls.
   */
  private async named(usage: ApiTokenUsageDto[]): Promise<ApiTokenUsageDto[]> {
    if (usage.length === 0) return usage;
    const refs = await this.registry.send(REGISTRY_PATTERNS.tokenRefs, { ids: usage.map((token) => token.token_id) });
    const byId = new Map(refs.map((ref) => [ref.id, ref]));
    return usage.map((token) => {
      const ref = byId.get(token.token_id);
      return ref ? { ...token, name: ref.name, prefix: ref.prefix, user: ref.user } : token;
    });
  }
}

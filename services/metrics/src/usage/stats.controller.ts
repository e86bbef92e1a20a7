import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { METRICS_PATTERNS, type MetricsMessages, type ModelStatsDto, type ModelUsageSummary, type UsageByApiTokenDto, type UsageByUserDto } from '@modelyard/contracts';
import { StatsService } from './stats.service.js';

/** The gateway's questions about usage, over the metrics service's RPC transport. */
@Controller()
export class StatsController {
  constructor(private readonly stats: StatsService) {}

  @MessagePattern(METRICS_PATTERNS.modelStats)
  modelStats(@Payload() request: MetricsMessages[typeof METRICS_PATTERNS.modelStats]['request']): Promise<ModelStatsDto> {
    return this.stats.modelStats(request);
  }

  @MessagePattern(METRICS_PATTERNS.modelSummaries)
  modelSummaries(@Payload() request: MetricsMessages[typeof METRICS_PATTERNS.modelSummaries]['request']): Promise<ModelUsageSummary[]> {
    return this.stats.modelSummaries(request);
  }

  @MessagePattern(METRICS_PATTERNS.usageByUser)
  usageByUser(@Payload() request: MetricsMessages[typeof METRICS_PATTERNS.usageByUser]['request']): Promise<UsageByUserDto> {
    return this.stats.usageByUser(request);
  }

  @MessagePattern(METRICS_PATTERNS.usageByToken)
  usageByToken(@Payload() request: MetricsMessages[typeof METRICS_PATTERNS.usageByToken]['request']): Promise<UsageByApiTokenDto> {
    return this.stats.usageByToken(request);
  }
}

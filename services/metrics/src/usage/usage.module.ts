import { Module } from '@nestjs/common';
import { StatsController } from './stats.controller.js';
import { StatsService } from './stats.service.js';
import { UsageBreakdownRepository } from './usage-breakdown.repository.js';
import { UsageConsumer } from './usage.consumer.js';
import { UsageRepository } from './usage.repository.js';

/** Usage statistics: the consumer that aggregates usage events, and the stats the gateway asks for. */
@Module({
  controllers: [StatsController],
  providers: [UsageRepository, UsageBreakdownRepository, StatsService, UsageConsumer],
  exports: [StatsService],
})
export class UsageModule {}

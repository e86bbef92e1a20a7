import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule, type Platform } from '@modelyard/platform';
import { ModelCatalogConsumer } from './catalog/model-catalog.consumer.js';
import { metricsDataSourceOptions } from './data-source.js';
import { MetricsHealthController } from './health/metrics-health.controller.js';
import { UsageModule } from './usage/usage.module.js';

/**
 * The metrics service: consumes events into its own tables (a catalog of models, per-minute usage
 * aggregates) and answers the gateway's usage questions over RPC.
 */
@Module({})
export class MetricsModule {
  static forRoot(platform: Platform): DynamicModule {
    const database = platform.database;
    if (!database) throw new Error('the metrics service owns its tables and needs a database');
    return {
      module: MetricsModule,
      imports: [PlatformModule.forRoot(platform, 'metrics'), TypeOrmModule.forRoot(metricsDataSourceOptions(database)), UsageModule],
      controllers: [MetricsHealthController],
      providers: [ModelCatalogConsumer],
    };
  }
}

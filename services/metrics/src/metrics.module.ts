import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule, type Platform } from '@modelyard/platform';
import { ModelCatalogConsumer } from './catalog/model-catalog.consumer.js';
import { metricsDataSourceOptions } from './data-source.js';

/**
 * The metrics service: consumes events into its own tables. It keeps a catalog of models now;
 * usage aggregation and the stats API arrive with the model lifecycle issue.
 */
@Module({})
export class MetricsModule {
  static forRoot(platform: Platform): DynamicModule {
    const database = platform.database;
    if (!database) throw new Error('the metrics service owns its tables and needs a database');
    return {
      module: MetricsModule,
      imports: [PlatformModule.forRoot(platform, 'metrics'), TypeOrmModule.forRoot(metricsDataSourceOptions(database))],
      providers: [ModelCatalogConsumer],
    };
  }
}

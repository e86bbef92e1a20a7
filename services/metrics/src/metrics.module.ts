import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, type Platform } from '@modelyard/platform';

/** The metrics worker: aggregates usage events into statistics (arrives with the lifecycle issue). */
@Module({})
export class MetricsModule {
  static forRoot(platform: Platform): DynamicModule {
    return { module: MetricsModule, imports: [PlatformModule.forRoot(platform, 'metrics')] };
  }
}

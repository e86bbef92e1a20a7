import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, type Platform } from '@modelyard/platform';

/** The ingest worker: pulls models from Hugging Face into object storage (arrives with the lifecycle issue). */
@Module({})
export class IngestModule {
  static forRoot(platform: Platform): DynamicModule {
    return { module: IngestModule, imports: [PlatformModule.forRoot(platform, 'ingest')] };
  }
}

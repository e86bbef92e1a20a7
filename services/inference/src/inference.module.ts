import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule, type Platform } from '@modelyard/platform';

/** The inference worker: runs test and invocation jobs from the inference queue (arrives with the lifecycle issue). */
@Module({})
export class InferenceModule {
  static forRoot(platform: Platform): DynamicModule {
    return { module: InferenceModule, imports: [PlatformModule.forRoot(platform, 'inference')] };
  }
}

import { type DynamicModule, Module } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { PlatformModule, REGISTRY_TRANSPORT, RegistryClient, type Platform } from '@modelyard/platform';
import { ProviderCallService } from './providers/provider-call.service.js';
import { InferenceRunProcessor } from './runs/inference-run.processor.js';
import { InferenceRunService } from './runs/inference-run.service.js';
import { UsageRecorder } from './runs/usage-recorder.service.js';
import { RuntimeModule } from './runtime/runtime.module.js';

/** The inference worker: runs test and invocation jobs from the inference queue, on onnxruntime or through a provider. */
@Module({})
export class InferenceModule {
  static forRoot(platform: Platform, registryTransport: ClientProxy): DynamicModule {
    return {
      module: InferenceModule,
      imports: [PlatformModule.forRoot(platform, 'inference'), RuntimeModule],
      providers: [
        { provide: REGISTRY_TRANSPORT, useValue: registryTransport },
        RegistryClient,
        UsageRecorder,
        InferenceRunService,
        ProviderCallService,
        InferenceRunProcessor,
      ],
    };
  }
}

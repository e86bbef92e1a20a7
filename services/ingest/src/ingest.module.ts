import { type DynamicModule, Module } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { PlatformModule, REGISTRY_TRANSPORT, RegistryClient, type Platform } from '@modelyard/platform';
import { HuggingFaceImportProcessor } from './imports/huggingface-import.processor.js';
import { HuggingFaceImportService } from './imports/huggingface-import.service.js';
import { ModelEventsConsumer } from './imports/model-events.consumer.js';

/** The ingest worker: imports models from Hugging Face into object storage, and deletes the files of deleted models. */
@Module({})
export class IngestModule {
  static forRoot(platform: Platform, registryTransport: ClientProxy): DynamicModule {
    return {
      module: IngestModule,
      imports: [PlatformModule.forRoot(platform, 'ingest')],
      providers: [
        { provide: REGISTRY_TRANSPORT, useValue: registryTransport },
        RegistryClient,
        HuggingFaceImportService,
        HuggingFaceImportProcessor,
        ModelEventsConsumer,
      ],
    };
  }
}

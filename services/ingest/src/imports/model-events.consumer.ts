import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CONSUMER_GROUPS, JOB_IDS, JOB_QUEUES, REGISTRY_PATTERNS, SYSTEM_SCOPE, TOPICS, type AnyEventEnvelope, type JobEnvelope } from '@modelyard/contracts';
import {
  BLOB_STORE,
  DomainException,
  EVENT_BUS,
  JOB_QUEUE,
  LOGGER,
  RegistryClient,
  type BlobStore,
  type EventBus,
  type JobQueue,
  type Logger,
  type SubscriptionHandle,
} from '@modelyard/platform';
import { IMPORT_ATTEMPTS, IMPORT_BACKOFF_MS } from './huggingface-import.processor.js';

/**
 * Turns model events into ingest work: a Hugging Face model created → an import job; a model
 * deleted → its files deleted. Events come through the registry's outbox, so an import is never
 * lost between the commit and the queue; the job id comes from the event id, so a redelivered
 * event does not import twice.
 */
@Injectable()
export class ModelEventsConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: SubscriptionHandle | undefined;

  constructor(
    private readonly registry: RegistryClient,
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.eventBus.subscribe({
      group: CONSUMER_GROUPS.ingest,
      topics: [TOPICS.modelEvents.name],
      handle: (event) => this.apply(event),
      startFrom: 'earliest',
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }

  async apply(event: AnyEventEnvelope): Promise<void> {
    if (event.type === 'model.created' && event.payload.model.source === 'huggingface' && event.payload.model.status === 'uploading') {
      await this.enqueueImport(event.id, event.payload.model.id, event.payload.actor);
    } else if (event.type === 'model.deleted') {
      // Deleting a missing key is not an error, so a redelivered event is harmless.
      for (const key of event.payload.artifact_keys ?? []) await this.blobs.delete(key);
    }
  }

  private async enqueueImport(eventId: string, modelId: string, actor: string): Promise<void> {
    let model;
    try {
      model = await this.registry.send(REGISTRY_PATTERNS.getModel, { id: modelId, scope: SYSTEM_SCOPE });
    } catch (error) {
      // Deleted before its import started: nothing to do.
      if (error instanceof DomainException && error.status === 404) return;
      throw error;
    }
    if (!model.import || model.status !== 'uploading') return;
    const job: JobEnvelope<'ingest.huggingface-import'> = {
      name: 'ingest.huggingface-import',
      payload: { model_id: model.id, repo: model.import.repo, revision: model.import.revision, include: model.import.include, actor },
    };
    const { deduplicated } = await this.jobs.enqueue(JOB_QUEUES['ingest.huggingface-import'], job, {
      id: JOB_IDS.huggingFaceImport(model.id, eventId),
      attempts: IMPORT_ATTEMPTS,
      backoffMs: IMPORT_BACKOFF_MS,
    });
    this.logger.info({ model_id: model.id, repo: model.import.repo, deduplicated }, 'import queued');
  }
}

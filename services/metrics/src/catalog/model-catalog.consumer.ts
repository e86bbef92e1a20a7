import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CONSUMER_GROUPS, TOPICS, type AnyEventEnvelope } from '@modelyard/contracts';
import { EVENT_BUS, LOGGER, METRICS, type EventBus, type Logger, type Metrics, type SubscriptionHandle } from '@modelyard/platform';
import { claimEvent } from '../events/idempotent-consumer.js';
import { CatalogModelEntity } from './entities/catalog-model.entity.js';

/** Keeps the metrics service's model catalog in step with the registry's model events. */
@Injectable()
export class ModelCatalogConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: SubscriptionHandle | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.eventBus.subscribe({
      group: CONSUMER_GROUPS.metrics,
      topics: [TOPICS.modelEvents.name],
      handle: (event) => this.apply(event),
      // Idempotent, so replaying history is harmless, and no event can slip past a new group.
      startFrom: 'earliest',
    });
  }

  /** Stops taking events; the one in flight finishes (its offset is committed) first. */
  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.close();
  }

  async apply(event: AnyEventEnvelope): Promise<void> {
    if (event.type === 'usage.recorded' || event.type === 'audit.recorded') {
      // Usage and audit events travel on their own topics: one here was misrouted.
      this.logger.warn({ event_id: event.id, type: event.type }, 'event of another topic on the model-events topic; ignored');
      return;
    }
    const applied = await this.dataSource.transaction(async (manager) => {
      if (!(await claimEvent(manager, CONSUMER_GROUPS.metrics, event.id))) return false;
      const occurredAt = new Date(event.occurred_at);
      const repository = manager.getRepository(CatalogModelEntity);
      const current = await repository.findOneBy({ modelId: event.key });
      // Events of one model arrive in order; this guards against an old one replayed later.
      if (current && current.lastEventAt > occurredAt) return true;
      if (event.type === 'model.deleted') {
        if (current) await repository.update({ modelId: event.key }, { deletedAt: occurredAt, lastEventAt: occurredAt });
        return true;
      }
      const { model } = event.payload;
      await repository.upsert(
        { modelId: model.id, name: model.name, version: model.version, status: model.status, deletedAt: null, lastEventAt: occurredAt },
        ['modelId'],
      );
      return true;
    });
    this.metrics.eventsConsumed.inc({ group: CONSUMER_GROUPS.metrics, type: event.type, outcome: applied ? 'applied' : 'duplicate' });
    this.logger.debug({ event_id: event.id, type: event.type, applied }, 'model event consumed');
  }
}

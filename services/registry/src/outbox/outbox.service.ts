import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EVENT_TOPICS, parseEvent, type EventEnvelope, type EventPayload, type EventType } from '@modelyard/contracts';
import { OutboxEventEntity } from './entities/outbox-event.entity.js';

export interface PendingEvent<T extends EventType = EventType> {
  type: T;
  key: string;
  payload: EventPayload<T>;
}

/** Writes events into the outbox inside the caller's transaction. */
@Injectable()
export class OutboxService {
  async append(manager: EntityManager, events: PendingEvent[]): Promise<void> {
    const rows = events.map((event) => {
      const envelope = {
        id: randomUUID(),
        type: event.type,
        key: event.key,
        occurred_at: new Date().toISOString(),
        payload: event.payload,
      } as EventEnvelope;
      // Validate on the way in: a malformed event fails the change that produced it, instead of
      // blocking the relay later.
      parseEvent(envelope);
      return manager.create(OutboxEventEntity, {
        eventId: envelope.id,
        topic: EVENT_TOPICS[event.type],
        type: event.type,
        key: event.key,
        envelope: envelope as OutboxEventEntity['envelope'],
      });
    });
    // TypeORM's deep-partial insert type cannot follow a union of payloads with open records
    // (audit details); the rows are whole entities, validated above.
    await manager.insert(OutboxEventEntity, rows as unknown as Parameters<EntityManager['insert']>[1]);
  }
}

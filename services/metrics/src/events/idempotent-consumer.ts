import type { EntityManager } from 'typeorm';
import { ProcessedEventEntity } from './entities/processed-event.entity.js';

/**
 * Records that `group` applies `eventId` inside the caller's transaction. Returns false when the
 * event was applied before: the caller then does nothing, and its transaction commits nothing new.
 */
export async function claimEvent(manager: EntityManager, group: string, eventId: string): Promise<boolean> {
  const inserted = await manager
    .createQueryBuilder()
    .insert()
    .into(ProcessedEventEntity)
    .values({ consumerGroup: group, eventId })
    .orIgnore()
    .returning(['eventId'])
    .execute();
  return inserted.raw.length > 0;
}

import { z } from 'zod';
import { MODEL_FRAMEWORKS, MODEL_SOURCES, MODEL_STATUSES, MODEL_TYPES } from './model-enums.constant.js';
import { TOPICS, type TopicName } from './messaging.constant.js';

/** The model as events carry it: the same snake_case shape as the API, without secrets. */
export const modelSnapshotSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  version: z.string(),
  type: z.enum(MODEL_TYPES),
  framework: z.enum(MODEL_FRAMEWORKS),
  source: z.enum(MODEL_SOURCES),
  status: z.enum(MODEL_STATUSES),
  status_message: z.string().nullable(),
  owner: z.string(),
  tags: z.array(z.string()),
  updated_at: z.iso.datetime(),
});
export type ModelSnapshot = z.infer<typeof modelSnapshotSchema>;

/** The name of the token behind a change (`system` for changes the platform makes itself). */
const actor = z.string().min(1);

/** Event name → payload schema. The one list of events the platform announces. */
export const EVENT_SCHEMAS = {
  'model.created': z.object({ actor, model: modelSnapshotSchema }),
  'model.updated': z.object({ actor, model: modelSnapshotSchema, changed: z.array(z.string()) }),
  'model.status_changed': z.object({
    actor,
    model: modelSnapshotSchema,
    from: z.enum(MODEL_STATUSES),
    to: z.enum(MODEL_STATUSES),
  }),
  'model.deleted': z.object({ actor, model_id: z.uuid(), name: z.string(), version: z.string() }),
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export type EventPayload<T extends EventType> = z.infer<(typeof EVENT_SCHEMAS)[T]>;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as EventType[];

/** Which topic each event travels on. */
export const EVENT_TOPICS: Record<EventType, TopicName> = {
  'model.created': TOPICS.modelEvents.name,
  'model.updated': TOPICS.modelEvents.name,
  'model.status_changed': TOPICS.modelEvents.name,
  'model.deleted': TOPICS.modelEvents.name,
};

/**
 * What travels on the bus. `id` is unique per event and is what consumers de-duplicate on;
 * `key` (the entity id) decides the partition, and so the ordering.
 */
export interface EventEnvelope<T extends EventType = EventType> {
  id: string;
  type: T;
  key: string;
  occurred_at: string;
  payload: EventPayload<T>;
}
export type AnyEventEnvelope = { [T in EventType]: EventEnvelope<T> }[EventType];

const envelopeBase = z.object({
  id: z.uuid(),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]),
  key: z.string().min(1),
  occurred_at: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});

export class InvalidEventError extends Error {
  override readonly name = 'InvalidEventError';
}

/** Validates a message from the wire: the envelope, then the payload against its event's schema. */
export function parseEvent(raw: unknown): AnyEventEnvelope {
  const envelope = envelopeBase.safeParse(raw);
  if (!envelope.success) throw new InvalidEventError(`invalid event envelope: ${z.prettifyError(envelope.error)}`);
  const payload = EVENT_SCHEMAS[envelope.data.type].safeParse(envelope.data.payload);
  if (!payload.success) {
    throw new InvalidEventError(`invalid ${envelope.data.type} payload: ${z.prettifyError(payload.error)}`);
  }
  return { ...envelope.data, payload: payload.data } as AnyEventEnvelope;
}

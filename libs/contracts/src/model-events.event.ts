import { z } from 'zod';
import { MODEL_FRAMEWORKS, MODEL_SOURCES, MODEL_STATUSES, MODEL_TYPES } from './model-enums.constant.js';
import { TOPICS, type TopicName } from './messaging.constant.js';
import { AUDIT_ACTIONS, AUDIT_RESULTS, AUDIT_TARGET_TYPES } from './identity/audit.dto.js';

/** What a usage event counts: a test from the console or API, or an invocation by an application. */
export const USAGE_KINDS = ['test', 'invoke'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

/**
 * Why a call failed, as the stats API groups failures. Stored and aggregated: add values freely,
 * never rename one.
 */
export const USAGE_ERROR_CLASSES = [
  /** The input did not match the model's inputs (name, dtype, shape). */
  'invalid_input',
  /** The model's files could not be fetched or loaded into a runtime. */
  'model_load_failed',
  /** The runtime failed while running the model. */
  'runtime_error',
  /** No worker finished the call in time. */
  'timeout',
  /** An external provider refused or failed the call. */
  'provider_error',
] as const;
export type UsageErrorClass = (typeof USAGE_ERROR_CLASSES)[number];

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
  'model.deleted': z.object({
    actor,
    model_id: z.uuid(),
    name: z.string(),
    version: z.string(),
    /** Object storage keys of the model's files, for the ingest service to delete (absent in old events). */
    artifact_keys: z.array(z.string()).optional(),
  }),
  /**
   * One test or invocation of a model, success or failure. The envelope id is the call id, so a
   * call retried on another worker is counted once.
   */
  'usage.recorded': z.object({
    model_id: z.uuid(),
    actor,
    kind: z.enum(USAGE_KINDS),
    outcome: z.enum(['success', 'failure']),
    error_class: z.enum(USAGE_ERROR_CLASSES).nullable(),
    latency_ms: z.number().nonnegative().finite(),
    worker: z.string(),
    /** Tokens the provider counted (language models; absent or null where nothing counts tokens). */
    input_tokens: z.number().int().nonnegative().nullable().optional(),
    output_tokens: z.number().int().nonnegative().nullable().optional(),
    /** The user and the API token behind the call (absent in events from before users existed). */
    user_id: z.uuid().nullable().optional(),
    token_id: z.uuid().nullable().optional(),
  }),
  /** One audit record as it was committed (see AuditEventDto), for SIEMs and the alerting of issue 16. */
  'audit.recorded': z.object({
    seq: z.number().int().positive(),
    occurred_at: z.iso.datetime({ offset: true }),
    action: z.enum(AUDIT_ACTIONS),
    result: z.enum(AUDIT_RESULTS),
    actor: z.object({ user_id: z.uuid().nullable(), username: z.string(), token_id: z.uuid().nullable() }),
    target_type: z.enum(AUDIT_TARGET_TYPES).nullable(),
    target_id: z.string().nullable(),
    client_ip: z.string().nullable(),
    request_id: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
  }),
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
  'usage.recorded': TOPICS.usageEvents.name,
  'audit.recorded': TOPICS.auditEvents.name,
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

import { z } from 'zod';
import { QUEUES, type QueueName } from './messaging.constant.js';
import { USAGE_KINDS } from './model-events.event.js';
import { TENSOR_ELEMENT_TYPES } from './dto/model-artifacts.dto.js';
import { HTTP_ENDPOINT_METHODS } from './dto/model-config.dto.js';
import { MODEL_TYPES, REMOTE_SOURCES } from './model-enums.constant.js';

/*
 * NEVER RENAME a job name: queued jobs carry it. Job ids are derived from what the job is about
 * (see JOB_IDS), so enqueueing the same work twice is a no-op.
 */

const tensorSpec = z.object({
  name: z.string(),
  element_type: z.enum(TENSOR_ELEMENT_TYPES),
  shape: z.array(z.union([z.number().int(), z.string(), z.null()])),
});
export const modelSignatureSchema = z.object({
  inputs: z.array(tensorSpec),
  outputs: z.array(tensorSpec),
  truncated: z.object({ input_count: z.number().int().nonnegative(), output_count: z.number().int().nonnegative() }).optional(),
});

/** Job name → payload schema, with the queue each one runs on. */
export const JOB_SCHEMAS = {
  /** Fetch a Hugging Face repo's files into object storage and fill the model's metadata. */
  'ingest.huggingface-import': z.object({
    model_id: z.uuid(),
    repo: z.string().min(1),
    revision: z.string().min(1),
    include: z.array(z.string()).nullable(),
    actor: z.string().min(1),
  }),
  /** Run one test or invocation of a stored ONNX model. */
  'inference.run': z.object({
    call_id: z.uuid(),
    model_id: z.uuid(),
    actor: z.string().min(1),
    /** The user and API token behind the call, for per-user and per-token usage (absent on older jobs). */
    user_id: z.uuid().nullable().optional(),
    token_id: z.uuid().nullable().optional(),
    kind: z.enum(USAGE_KINDS),
    artifact: z.object({ key: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative(), path: z.string() }),
    signature: modelSignatureSchema,
    input_data: z.record(z.string(), z.unknown()),
  }),
  /**
   * One call of a model served by OpenAI, Anthropic or an HTTP endpoint. The secret travels sealed
   * (the queue never holds it in clear); the worker opens it with the shared master key.
   */
  'inference.provider-call': z.object({
    call_id: z.uuid(),
    model_id: z.uuid(),
    actor: z.string().min(1),
    user_id: z.uuid().nullable().optional(),
    token_id: z.uuid().nullable().optional(),
    kind: z.enum(USAGE_KINDS),
    target: z.object({
      kind: z.enum(REMOTE_SOURCES),
      endpoint: z.string().nullable(),
      model: z.string().min(1),
      type: z.enum(MODEL_TYPES),
      parameters: z.record(z.string(), z.unknown()),
      http: z
        .object({
          method: z.enum(HTTP_ENDPOINT_METHODS),
          headers: z.record(z.string(), z.string()),
          secret_header: z.string().nullable(),
          secret_prefix: z.string(),
          timeout_ms: z.number().int().positive(),
          request_template: z.unknown(),
          response_path: z.string().nullable(),
        })
        .nullable(),
    }),
    sealed_secret: z.string().nullable(),
    /**
     * The origin the secret was stored for (see secretOriginOf): the worker sends the secret only
     * there. Absent on jobs queued before it existed, which then carry no secret to anyone.
     */
    secret_origin: z.string().nullable().optional(),
    input_data: z.record(z.string(), z.unknown()),
  }),
} as const;

export type JobName = keyof typeof JOB_SCHEMAS;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_SCHEMAS)[N]>;

export const JOB_QUEUES: Record<JobName, QueueName> = {
  'ingest.huggingface-import': QUEUES.ingest,
  'inference.run': QUEUES.inference,
  'inference.provider-call': QUEUES.providerCalls,
};

/** What travels in the queue: the job name beside its payload, so one queue can carry several kinds. */
export interface JobEnvelope<N extends JobName = JobName> {
  name: N;
  payload: JobPayload<N>;
}

export class InvalidJobError extends Error {
  override readonly name = 'InvalidJobError';
}

/** Validates a job taken from a queue against its name's schema. */
export function parseJob<N extends JobName>(name: N, raw: unknown): JobEnvelope<N> {
  const envelope = z.object({ name: z.literal(name), payload: z.unknown() }).safeParse(raw);
  if (!envelope.success) throw new InvalidJobError(`not a ${name} job: ${z.prettifyError(envelope.error)}`);
  const payload = JOB_SCHEMAS[name].safeParse(envelope.data.payload);
  if (!payload.success) throw new InvalidJobError(`invalid ${name} payload: ${z.prettifyError(payload.error)}`);
  return { name, payload: payload.data as JobPayload<N> };
}

/** Deterministic job ids (BullMQ refuses `:` in custom ids). */
export const JOB_IDS = {
  /** One import per model-created event: a redelivered event does not import twice. */
  huggingFaceImport: (modelId: string, eventId: string) => `hf-import.${modelId}.${eventId}`,
  inferenceRun: (callId: string) => `inference.${callId}`,
  providerCall: (callId: string) => `provider-call.${callId}`,
};

/** A problem as a worker reports it back through a job result (the gateway turns it into the HTTP answer). */
export interface JobProblem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; detail: string }>;
  /** Rate-limited provider calls: seconds to wait, answered as Retry-After. */
  retry_after_seconds?: number;
}

export interface TensorValue {
  element_type: string;
  shape: number[];
  data: unknown;
}

/**
 * The result of an `inference.run` job. A failure the caller caused (wrong input) or the model
 * caused (fails to load) is a result, not a thrown error: retrying would fail the same way. Only
 * infrastructure failures throw, so the queue retries them on another worker.
 */
export type InferenceRunResult =
  | {
      ok: true;
      /** ONNX: tensors by output name; providers: the answer (text, vectors or the endpoint's JSON). */
      output: Record<string, TensorValue> | unknown;
      latency_ms: number;
      worker: string;
      usage?: { input_tokens: number | null; output_tokens: number | null } | null;
      finish_reason?: string | null;
    }
  | { ok: false; problem: JobProblem; latency_ms: number; worker: string };

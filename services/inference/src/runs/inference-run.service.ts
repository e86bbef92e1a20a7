import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import * as ort from 'onnxruntime-node';
import {
  JOB_QUEUES,
  REGISTRY_PATTERNS,
  SYSTEM_ACTOR,
  type InferenceRunResult,
  type JobPayload,
  type TensorValue,
  type UsageErrorClass,
} from '@modelyard/contracts';
import { buildFeeds, InputValidationError, toTensorValue, type InputTensor } from '@modelyard/model-formats';
import { BlobNotFoundError, LOGGER, messageOf, METRICS, RegistryClient, type Logger, type Metrics } from '@modelyard/platform';
import { ArtifactIntegrityError, ModelLoadError } from '../runtime/runtime.exception.js';
import { SessionPool } from '../runtime/session-pool.service.js';
import { CallFailure } from './call-failure.exception.js';
import { UsageRecorder, usageOfCall } from './usage-recorder.service.js';

type RunJob = JobPayload<'inference.run'>;

/** The name this worker gives itself in answers and usage events. */
export const WORKER_NAME = `inference@${hostname()}-${process.pid}`;

/**
 * One test or invocation of an ONNX model: input checked against the recorded signature, model
 * loaded (cached file, pooled session), run, output converted to JSON, usage recorded. A failure
 * of the call or the model is an answer; only a failure of the platform (storage unreachable)
 * throws, for the queue to retry elsewhere.
 */
@Injectable()
export class InferenceRunService {
  constructor(
    private readonly sessions: SessionPool,
    private readonly registry: RegistryClient,
    private readonly usage: UsageRecorder,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async run(job: RunJob): Promise<InferenceRunResult> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    try {
      const output = await this.execute(job);
      const latency = elapsed();
      this.record(job, latency, null);
      return { ok: true, output, latency_ms: latency, worker: WORKER_NAME };
    } catch (error) {
      if (!(error instanceof CallFailure)) throw error;
      const latency = elapsed();
      this.record(job, latency, error.errorClass);
      return { ok: false, problem: error.problem, latency_ms: latency, worker: WORKER_NAME };
    }
  }

  private async execute(job: RunJob): Promise<Record<string, TensorValue>> {
    let feeds: Record<string, InputTensor>;
    try {
      feeds = buildFeeds(job.input_data, job.signature);
    } catch (error) {
      if (!(error instanceof InputValidationError)) throw error;
      throw new CallFailure('invalid_input', {
        status: 422,
        code: 'invalid_input',
        detail: `The input does not fit the model: ${error.message}`,
        errors: error.errors.map(({ field, message }) => ({ field, detail: message })),
      });
    }
    const lease = await this.load(job);
    try {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, feed]) => [name, new ort.Tensor(feed.element_type, feed.data, feed.dims)]));
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        results = await lease.session.run(tensors);
      } catch (error) {
        throw new CallFailure('runtime_error', {
          status: 422,
          code: 'inference_runtime_error',
          detail: `The model failed while running on this input: ${messageOf(error)}`,
        });
      }
      return Object.fromEntries(Object.entries(results).map(([name, value]) => [name, toTensorValue(value as ort.Tensor)]));
    } finally {
      lease.release();
    }
  }

  /** Loads the session; a model that cannot load goes to `error` with the reason. */
  private async load(job: RunJob) {
    try {
      return await this.sessions.acquire(job.artifact);
    } catch (error) {
      if (!(error instanceof ModelLoadError || error instanceof ArtifactIntegrityError || error instanceof BlobNotFoundError)) throw error;
      const reason = error instanceof BlobNotFoundError ? `the model file ${job.artifact.path} is missing from storage` : error.message;
      this.logger.warn({ model_id: job.model_id, reason }, 'model failed to load; marking it in error');
      await this.registry.send(REGISTRY_PATTERNS.markFailed, { actor: SYSTEM_ACTOR, id: job.model_id, message: `failed to load: ${reason}`, outcome: 'error' });
      throw new CallFailure('model_load_failed', { status: 409, code: 'model_load_failed', detail: `The model could not be loaded and is now in error: ${reason}` });
    }
  }

  private record(job: RunJob, latencyMs: number, errorClass: UsageErrorClass | null): void {
    this.metrics.jobDuration.observe({ queue: JOB_QUEUES['inference.run'], outcome: errorClass ?? 'success' }, latencyMs / 1000);
    this.usage.record(job.call_id, usageOfCall(job, { latencyMs, errorClass, worker: WORKER_NAME }));
  }
}


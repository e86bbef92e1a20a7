import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  JOB_IDS,
  JOB_QUEUES,
  REGISTRY_PATTERNS,
  type Actor,
  type InferenceRunResult,
  type JobEnvelope,
  type TestResultDto,
} from '@modelyard/contracts';
import { primaryOnnxArtifact } from '@modelyard/model-formats';
import {
  APP_CONFIG,
  DomainException,
  JOB_QUEUE,
  JobFailedError,
  JobTimeoutError,
  RegistryClient,
  type AppConfig,
  type JobQueue,
} from '@modelyard/platform';
import { InvocationException } from './invocation.exception.js';

/** Attempts of an inference job: a worker that dies mid-call hands it to another. */
const INFERENCE_ATTEMPTS = 3;

/**
 * Test calls: checked against the record here (active, runnable), then run by an inference worker
 * through the job queue. The worker validates the input against the model's signature, runs it,
 * and records the usage event; this side waits for its answer.
 */
@Injectable()
export class ModelTestsService {
  constructor(
    private readonly registry: RegistryClient,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async test(actor: Actor, id: string, inputData: Record<string, unknown>): Promise<TestResultDto> {
    const model = await this.registry.send(REGISTRY_PATTERNS.getModel, { id });
    if (model.status !== 'active') throw InvocationException.notActive(model);
    const artifact = primaryOnnxArtifact(model.artifacts);
    if (!artifact || !model.config.signature) throw InvocationException.notRunnable(model);

    const callId = randomUUID();
    const job: JobEnvelope<'inference.run'> = {
      name: 'inference.run',
      payload: {
        call_id: callId,
        model_id: model.id,
        actor: actor.name,
        kind: 'test',
        artifact: { key: artifact.key, sha256: artifact.sha256, size: artifact.size, path: artifact.path },
        signature: model.config.signature,
        input_data: inputData,
      },
    };
    const queue = JOB_QUEUES['inference.run'];
    const { id: jobId } = await this.jobs.enqueue(queue, job, { id: JOB_IDS.inferenceRun(callId), attempts: INFERENCE_ATTEMPTS, backoffMs: 200 });
    const timeoutMs = this.config.inference.timeoutMs;
    let result: InferenceRunResult;
    try {
      result = await this.jobs.waitForResult<InferenceRunResult>(queue, jobId, timeoutMs);
    } catch (error) {
      if (error instanceof JobTimeoutError) throw InvocationException.timeout(timeoutMs);
      if (error instanceof JobFailedError) throw InvocationException.failed(error.reason);
      throw error;
    }
    if (!result.ok) throw new DomainException(result.problem.status, result.problem.code, result.problem.detail, result.problem.errors);
    return { output: result.output, latency_ms: result.latency_ms, model_id: model.id, worker: result.worker, call_id: callId };
  }
}

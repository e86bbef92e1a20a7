import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  JOB_IDS,
  JOB_QUEUES,
  type Actor,
  type InferenceRunResult,
  type JobEnvelope,
  type JobName,
  type ModelDto,
  type TestResultDto,
} from '@modelyard/contracts';
import { primaryOnnxArtifact } from '@modelyard/model-formats';
import { callTargetOf, isProviderModel } from '@modelyard/providers';
import {
  APP_CONFIG,
  DomainException,
  JOB_QUEUE,
  JobFailedError,
  JobTimeoutError,
  type AppConfig,
  type JobQueue,
} from '@modelyard/platform';
import { InvocationException } from './invocation.exception.js';
import { InvocationTargetsService } from './invocation-targets.service.js';

/** Attempts of an inference job: a worker that dies mid-call hands it to another. */
const INFERENCE_ATTEMPTS = 3;
/** How much longer than the provider timeout the gateway waits, for the queue and the worker around the call. */
const PROVIDER_WAIT_MARGIN_MS = 2_000;

/**
 * Test calls: checked against the record here (active, runnable), then run by an inference worker
 * through the job queue. The worker validates the input against the model's signature, runs it,
 * and records the usage event; this side waits for its answer.
 */
@Injectable()
export class ModelTestsService {
  constructor(
    private readonly targets: InvocationTargetsService,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async test(actor: Actor, id: string, inputData: Record<string, unknown>): Promise<TestResultDto> {
    const { model, sealed_secret: sealedSecret, secret_origin: secretOrigin } = await this.targets.get(id);
    if (model.status !== 'active') throw InvocationException.notActive(model);
    const callId = randomUUID();
    const job = isProviderModel(model)
      ? this.providerCall(actor, model, { sealed: sealedSecret, origin: secretOrigin }, callId, inputData)
      : this.onnxRun(actor, model, callId, inputData);
    const queue = JOB_QUEUES[job.name];
    const jobId = job.name === 'inference.run' ? JOB_IDS.inferenceRun(callId) : JOB_IDS.providerCall(callId);
    await this.jobs.enqueue(queue, job, { id: jobId, attempts: INFERENCE_ATTEMPTS, backoffMs: 200 });
    // A provider call may take as long as the provider is allowed to; a local model as long as a worker is.
    const timeoutMs = job.name === 'inference.run' ? this.config.inference.timeoutMs : this.config.providers.timeoutMs + PROVIDER_WAIT_MARGIN_MS;
    let result: InferenceRunResult;
    try {
      result = await this.jobs.waitForResult<InferenceRunResult>(queue, jobId, timeoutMs);
    } catch (error) {
      if (error instanceof JobTimeoutError) throw InvocationException.timeout(timeoutMs);
      if (error instanceof JobFailedError) throw InvocationException.failed(error.reason);
      throw error;
    }
    if (!result.ok) {
      const { status, code, detail, errors, retry_after_seconds: retryAfter } = result.problem;
      throw new DomainException(status, code, detail, errors, retryAfter);
    }
    return {
      output: result.output,
      latency_ms: result.latency_ms,
      usage: result.usage ?? null,
      finish_reason: result.finish_reason ?? null,
      model_id: model.id,
      worker: result.worker,
      call_id: callId,
    };
  }

  private onnxRun(actor: Actor, model: ModelDto, callId: string, inputData: Record<string, unknown>): JobEnvelope<'inference.run'> {
    const artifact = primaryOnnxArtifact(model.artifacts);
    if (!artifact || !model.config.signature) throw InvocationException.notRunnable(model);
    return {
      name: 'inference.run',
      payload: {
        call_id: callId,
        model_id: model.id,
        actor: actor.name,
        user_id: actor.user_id,
        token_id: actor.token_id,
        kind: 'test',
        artifact: { key: artifact.key, sha256: artifact.sha256, size: artifact.size, path: artifact.path },
        signature: model.config.signature,
        input_data: inputData,
      },
    };
  }

  /** The key travels sealed: only the worker that calls the provider opens it. */
  private providerCall(
    actor: Actor,
    model: ModelDto,
    secret: { sealed: string | null; origin: string | null },
    callId: string,
    inputData: Record<string, unknown>,
  ): JobEnvelope<Extract<JobName, 'inference.provider-call'>> {
    return {
      name: 'inference.provider-call',
      payload: {
        call_id: callId,
        model_id: model.id,
        actor: actor.name,
        user_id: actor.user_id,
        token_id: actor.token_id,
        kind: 'test',
        target: callTargetOf(model),
        sealed_secret: secret.sealed,
        secret_origin: secret.origin,
        input_data: inputData,
      },
    };
  }
}

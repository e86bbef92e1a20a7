import { performance } from 'node:perf_hooks';
import { Inject, Injectable } from '@nestjs/common';
import { JOB_QUEUES, secretOriginOf, type InferenceRunResult, type JobPayload, type UsageErrorClass } from '@modelyard/contracts';
import { APP_CONFIG, LOGGER, METRICS, SecretCipher, SecretOpenError, type AppConfig, type Logger, type Metrics } from '@modelyard/platform';
import {
  createGuardedFetch,
  invokeProvider,
  ProviderError,
  providerProblem,
  withKey,
  type ProviderDeps,
  type ProviderResult,
} from '@modelyard/providers';
import { CallFailure } from '../runs/call-failure.exception.js';
import { WORKER_NAME } from '../runs/inference-run.service.js';
import { UsageRecorder, usageOfCall } from '../runs/usage-recorder.service.js';

type CallJob = JobPayload<'inference.provider-call'>;

/**
 * One test or invocation of a model served by OpenAI, Anthropic or an HTTP endpoint: the sealed key
 * opened in memory for the call only, the provider called through the SSRF-guarded fetch, and the
 * usage recorded with the provider's token counts. A refusal by the provider is an answer (retrying
 * would be refused again, or cost tokens twice), never a thrown error.
 */
@Injectable()
export class ProviderCallService {
  private readonly deps: ProviderDeps;

  constructor(
    private readonly secrets: SecretCipher,
    private readonly usage: UsageRecorder,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {
    this.deps = {
      fetch: createGuardedFetch({ allowedHosts: config.providers.allowedEndpointHosts }),
      defaults: { openaiBaseUrl: config.providers.openaiBaseUrl, anthropicBaseUrl: config.providers.anthropicBaseUrl },
      timeoutMs: config.providers.timeoutMs,
    };
  }

  async call(job: CallJob): Promise<InferenceRunResult> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 1000) / 1000;
    try {
      const result = await this.invoke(job);
      const latency = elapsed();
      this.record(job, latency, null, result);
      return { ok: true, output: result.output, usage: result.usage, finish_reason: result.finish_reason, latency_ms: latency, worker: WORKER_NAME };
    } catch (error) {
      if (!(error instanceof CallFailure)) throw error;
      const latency = elapsed();
      this.record(job, latency, error.errorClass, null);
      return { ok: false, problem: error.problem, latency_ms: latency, worker: WORKER_NAME };
    }
  }

  private async invoke(job: CallJob): Promise<ProviderResult> {
    if (job.sealed_secret) this.checkSecretOrigin(job);
    let apiKey: string | null;
    try {
      apiKey = job.sealed_secret ? this.secrets.open(job.sealed_secret) : null;
    } catch (error) {
      if (!(error instanceof SecretOpenError)) throw error;
      // A worker configured with the wrong master key: say so, without retrying on every worker.
      this.logger.error({ model_id: job.model_id, reason: error.message }, 'cannot open the model\'s stored secret');
      throw new CallFailure('provider_error', { status: 500, code: 'secret_unavailable', detail: `The model's stored key cannot be opened on this worker: ${error.message}` });
    }
    try {
      return await invokeProvider(withKey(job.target, apiKey), job.input_data, this.deps);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      throw new CallFailure(error.options.errorClass, providerProblem(error));
    }
  }

  /**
   * A stored secret is only sent to the origin it was stored for (the registry keeps the two together;
   * this is the last check before anything leaves the worker).
   */
  private checkSecretOrigin(job: CallJob): void {
    const target = secretOriginOf(job.target.kind, job.target.endpoint);
    if (job.secret_origin != null && job.secret_origin === target) return;
    this.logger.error({ model_id: job.model_id, secret_origin: job.secret_origin ?? null, target_origin: target }, 'stored secret not sent: the call goes to another origin');
    throw new CallFailure('provider_error', {
      status: 409,
      code: 'secret_origin_mismatch',
      detail: `The model's stored key was given for ${job.secret_origin ?? 'an unknown origin'}, but the call would go to ${target ?? 'no endpoint'}; send api_key again with the endpoint.`,
    });
  }

  private record(job: CallJob, latencyMs: number, errorClass: UsageErrorClass | null, result: ProviderResult | null): void {
    this.metrics.jobDuration.observe({ queue: JOB_QUEUES['inference.provider-call'], outcome: errorClass ?? 'success' }, latencyMs / 1000);
    this.usage.record(job.call_id, usageOfCall(job, { latencyMs, errorClass, worker: WORKER_NAME, tokens: result?.usage ?? null }));
  }
}

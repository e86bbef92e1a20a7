import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JOB_QUEUES, parseJob, type InferenceRunResult } from '@modelyard/contracts';
import { APP_CONFIG, JOB_QUEUE, type AppConfig, type JobQueue, type JobWorker } from '@modelyard/platform';
import { ProviderCallService } from '../providers/provider-call.service.js';
import { InferenceRunService } from './inference-run.service.js';

/**
 * Runs test and invocation jobs: local ONNX models from the inference queue (as many at a time as
 * MODELYARD_INFERENCE_CONCURRENCY: they use the CPU), provider calls from their own queue (as many as
 * MODELYARD_PROVIDER_CONCURRENCY: they wait on the network).
 */
@Injectable()
export class InferenceRunProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private workers: JobWorker[] = [];

  constructor(
    private readonly runs: InferenceRunService,
    private readonly providers: ProviderCallService,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.workers = [
      await this.jobs.process<unknown, InferenceRunResult>(
        JOB_QUEUES['inference.run'],
        (job) => this.runs.run(parseJob('inference.run', job.data).payload),
        { concurrency: this.config.inference.concurrency },
      ),
      await this.jobs.process<unknown, InferenceRunResult>(
        JOB_QUEUES['inference.provider-call'],
        (job) => this.providers.call(parseJob('inference.provider-call', job.data).payload),
        { concurrency: this.config.providers.concurrency },
      ),
    ];
  }

  /** Stops taking jobs; calls in flight finish first. */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}

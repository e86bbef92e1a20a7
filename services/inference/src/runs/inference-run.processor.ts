import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JOB_QUEUES, parseJob, type InferenceRunResult } from '@modelyard/contracts';
import { APP_CONFIG, JOB_QUEUE, type AppConfig, type JobQueue, type JobWorker } from '@modelyard/platform';
import { ProviderCallService } from '../providers/provider-call.service.js';
import { InferenceRunService } from './inference-run.service.js';

/** Runs test and invocation jobs from the inference queue: local ONNX models, and provider calls. */
@Injectable()
export class InferenceRunProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: JobWorker | undefined;

  constructor(
    private readonly runs: InferenceRunService,
    private readonly providers: ProviderCallService,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = await this.jobs.process<unknown, InferenceRunResult>(
      JOB_QUEUES['inference.run'],
      (job) =>
        (job.data as { name?: unknown } | null)?.name === 'inference.provider-call'
          ? this.providers.call(parseJob('inference.provider-call', job.data).payload)
          : this.runs.run(parseJob('inference.run', job.data).payload),
      { concurrency: this.config.inference.concurrency },
    );
  }

  /** Stops taking jobs; calls in flight finish first. */
  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}

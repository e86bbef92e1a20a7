import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { JOB_QUEUES, parseJob } from '@modelyard/contracts';
import { APP_CONFIG, JOB_QUEUE, LOGGER, METRICS, type AppConfig, type JobQueue, type JobWorker, type Logger, type Metrics } from '@modelyard/platform';
import { HuggingFaceImportService } from './huggingface-import.service.js';

/** Tries of one import (each resumes what the last stored): a Hub or storage outage may last a while. */
export const IMPORT_ATTEMPTS = 5;
export const IMPORT_BACKOFF_MS = 2_000;

/** Runs Hugging Face import jobs from the ingest queue. */
@Injectable()
export class HuggingFaceImportProcessor implements OnApplicationBootstrap, OnApplicationShutdown {
  private worker: JobWorker | undefined;

  constructor(
    private readonly imports: HuggingFaceImportService,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.worker = await this.jobs.process(
      JOB_QUEUES['ingest.huggingface-import'],
      async (job) => {
        const { payload } = parseJob('ingest.huggingface-import', job.data);
        const stopTimer = this.metrics.jobDuration.startTimer({ queue: JOB_QUEUES['ingest.huggingface-import'] });
        const outcome = await this.imports.run(payload, job.attempt, job.attempt >= IMPORT_ATTEMPTS).catch((error: unknown) => {
          stopTimer({ outcome: 'retry' });
          throw error;
        });
        stopTimer({ outcome });
        this.logger.debug({ job_id: job.id, model_id: payload.model_id, outcome }, 'import job done');
        return { outcome };
      },
      { concurrency: this.config.ingest.concurrency },
    );
  }

  /** Stops taking jobs; imports in flight finish first (or are picked up again after a crash). */
  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }
}

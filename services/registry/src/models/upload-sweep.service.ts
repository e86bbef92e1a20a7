import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SYSTEM_ACTOR, UPLOAD_LEASE, type ModelStatus } from '@modelyard/contracts';
import { BLOB_STORE, LOGGER, PLATFORM, messageOf, type BlobStore, type Logger, type Platform } from '@modelyard/platform';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { ModelEntity, type StoredProgress } from './entities/model.entity.js';
import { toModelSnapshot } from './model-response.util.js';
import { ModelsRepository } from './models.repository.js';

/** How often the sweep looks: half the lease, so an abandoned upload is restored within 1.5 × its staleMs. */
export const UPLOAD_SWEEP_INTERVAL_MS = UPLOAD_LEASE.staleMs / 2;
/** Leftover partial data is looked for every this many sweeps (five minutes): on S3 each look lists every upload in progress. */
const BLOB_SWEEP_EVERY = 20;

/** Whether an upload's lease has lapsed: its progress was last renewed before `cutoff`, or never recorded. */
export function uploadLeaseLapsed(progress: StoredProgress | null, cutoff: Date): boolean {
  const renewed = progress?.updated_at ? Date.parse(progress.updated_at) : NaN;
  return Number.isNaN(renewed) || renewed < cutoff.getTime();
}

/** The status an abandoned upload leaves its model in: the one before it, as a refused upload does (see markFailed). */
export function statusBeforeUpload(progress: StoredProgress | null): ModelStatus {
  const previous = progress?.previous_status;
  return previous === undefined || previous === 'uploading' ? 'active' : previous;
}

export interface UploadSweepResult {
  /** Models whose abandoned upload was ended. */
  restored: Array<{ id: string; to: ModelStatus; stale_ms: number | null }>;
  /** Partial data the blob store removed, one line each. */
  removed: string[];
}

/**
 * Ends uploads whose transfer no longer exists. The gateway that runs an upload renews its lease
 * (the progress's updated_at) every few seconds while it lives (UPLOAD_LEASE); an upload whose
 * lease has lapsed belonged to a gateway that was killed, crashed or cut off, and would otherwise
 * leave its model `uploading` — refused by toggle, upload and test — for ever. Its model returns to
 * the status before the upload, announced like any status change, and the partial data such dead
 * puts leave in the blob store is removed.
 *
 * Distributed, several gateways may be uploading while this registry restarts: only the lease
 * tells a live upload from a dead one, at start-up as at every sweep after. Standalone, the gateway
 * runs in this process and starts after the registry, so at start-up every upload from before is
 * dead, however recently its lease was renewed (a restart seconds after a kill -9).
 *
 * Hugging Face imports (models with an import spec) are not uploads: the ingest worker's job queue
 * owns them (a stalled job is taken over and retried, a failed one puts the model in `error`), and
 * they report no lease, so the sweep leaves them alone.
 */
@Injectable()
export class UploadSweepService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly startedAt = new Date();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private sweeps = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly models: ModelsRepository,
    private readonly changes: ChangeRunner,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(PLATFORM) private readonly platform: Platform,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const cutoff = this.platform.mode === 'standalone' ? this.startedAt : this.staleCutoff();
    // A failed sweep must not stop the registry from starting: the next one tries again.
    await this.run(cutoff, true);
    this.timer = setInterval(() => {
      this.sweeps += 1;
      void this.run(this.staleCutoff(), this.sweeps % BLOB_SWEEP_EVERY === 0);
    }, UPLOAD_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /**
   * Restores every upload (not import) whose lease was last renewed before `cutoff`, and with
   * `withBlobs` removes partial data untouched since then.
   */
  async sweep(cutoff: Date, withBlobs: boolean): Promise<UploadSweepResult> {
    const restored: UploadSweepResult['restored'] = [];
    for (const candidate of await this.uploadsInProgress()) {
      if (!uploadLeaseLapsed(candidate.progress, cutoff)) continue;
      const done = await this.restore(candidate.id, cutoff);
      if (done) restored.push(done);
    }
    const removed = withBlobs ? await this.blobs.removeAbandonedPuts(cutoff) : [];
    for (const line of removed) this.logger.info({ removed: line }, 'removed partial data of an abandoned upload');
    return { restored, removed };
  }

  /** Models `uploading` by an upload (not an import), with their progress. */
  private uploadsInProgress(): Promise<Array<Pick<ModelEntity, 'id' | 'progress'>>> {
    return this.dataSource
      .getRepository(ModelEntity)
      .createQueryBuilder('model')
      .select(['model.id', 'model.progress'])
      .where("model.status = 'uploading'")
      .andWhere('model.importSpec IS NULL')
      .getMany();
  }

  /** Ends one abandoned upload, checked again under the row lock: it may have renewed its lease or ended meanwhile. */
  private async restore(id: string, cutoff: Date): Promise<UploadSweepResult['restored'][number] | null> {
    return this.changes.run(SYSTEM_ACTOR, async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model || model.status !== 'uploading' || model.importSpec || !uploadLeaseLapsed(model.progress, cutoff)) return { result: null };
      const renewed = model.progress?.updated_at ? Date.parse(model.progress.updated_at) : NaN;
      const staleMs = Number.isNaN(renewed) ? null : Date.now() - renewed;
      const file = model.progress?.current_file ?? null;
      const from = model.status;
      model.status = statusBeforeUpload(model.progress);
      model.statusMessage = null;
      model.progress = null;
      const saved = await manager.save(model);
      this.logger.warn(
        { model_id: id, stale_ms: staleMs, file, to: saved.status },
        'upload abandoned (its gateway stopped renewing it): model restored to its status before',
      );
      return {
        result: { id, to: saved.status, stale_ms: staleMs },
        events: [{ type: 'model.status_changed', key: id, payload: { actor: SYSTEM_ACTOR.name, model: toModelSnapshot(saved), from, to: saved.status } }],
        audit: [
          {
            action: 'model.file.upload',
            result: 'failure',
            target_type: 'model',
            target_id: id,
            details: { name: saved.name, message: 'abandoned: its gateway stopped renewing the upload', file, stale_ms: staleMs },
          },
        ],
      };
    });
  }

  private staleCutoff(): Date {
    return new Date(Date.now() - UPLOAD_LEASE.staleMs);
  }

  private async run(cutoff: Date, withBlobs: boolean): Promise<void> {
    if (this.running) return;
    this.running = this.sweep(cutoff, withBlobs)
      .catch((error: unknown) => this.logger.error({ err: messageOf(error) }, 'upload sweep failed; the next one tries again'))
      .finally(() => (this.running = undefined));
    await this.running;
  }
}

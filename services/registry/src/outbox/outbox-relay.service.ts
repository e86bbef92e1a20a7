import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  APP_CONFIG,
  EVENT_BUS,
  LOGGER,
  METRICS,
  type AppConfig,
  type EventBus,
  type Logger,
  type Metrics,
} from '@modelyard/platform';
import { OutboxEventEntity } from './entities/outbox-event.entity.js';

const BATCH_SIZE = 100;
/** Any constant; every registry instance uses the same one so only one relays at a time. */
const RELAY_LOCK_ID = 73_201_554;
/** Published rows are kept this long for inspection and replays, then deleted. */
const RETENTION = '7 days';

/**
 * Publishes committed outbox rows to the event bus in commit order. One relay at a time holds a
 * transaction-scoped advisory lock, so several registry instances never reorder a model's events.
 * Rows are stamped only after the bus accepted them: a crash in between publishes them again
 * (at least once), which consumers absorb by de-duplicating on the event id.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private wakeRequested = false;
  private stopped = false;
  private ticks = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(EVENT_BUS) private readonly eventBus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Called after a commit so events go out at once instead of at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.wakeRequested) {
        this.wakeRequested = false;
        this.wake();
      }
    });
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.wake();
      if (!this.stopped) this.schedule();
    }, this.config.outbox.pollMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped && (await this.relayBatch()) === BATCH_SIZE);
      const [{ pending }] = await this.dataSource.query<{ pending: string }[]>(
        'SELECT count(*) AS pending FROM outbox_events WHERE published_at IS NULL',
      );
      this.metrics.outboxPending.set(Number(pending));
      if (++this.ticks % 600 === 0) await this.prune();
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox relay could not publish; will retry');
    }
  }

  /** Returns how many rows it published. */
  private relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = await manager.query<{ locked: boolean }[]>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
        RELAY_LOCK_ID,
      ]);
      if (!locked) return 0;
      const rows = await manager
        .getRepository(OutboxEventEntity)
        .createQueryBuilder('o')
        .where('o.publishedAt IS NULL')
        .orderBy('o.seq', 'ASC')
        .limit(BATCH_SIZE)
        .getMany();
      if (rows.length === 0) return 0;
      try {
        await this.eventBus.publish(rows.map((r) => r.envelope));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // The failure is recorded outside this transaction's fate: it rolls back nothing else.
        await manager.query(
          `UPDATE outbox_events SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])`,
          [rows.map((r) => r.seq), message.slice(0, 1000)],
        );
        this.logger.warn({ err: error, pending: rows.length }, 'event bus refused outbox batch');
        return 0;
      }
      await manager.query(`UPDATE outbox_events SET published_at = now() WHERE seq = ANY($1::bigint[])`, [
        rows.map((r) => r.seq),
      ]);
      for (const row of rows) this.metrics.eventsPublished.inc({ type: row.type });
      this.logger.debug({ published: rows.length, last_seq: rows.at(-1)?.seq }, 'outbox batch published');
      return rows.length;
    });
  }

  private async prune(): Promise<void> {
    await this.dataSource.query(`DELETE FROM outbox_events WHERE published_at < now() - interval '${RETENTION}'`);
  }
}

import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { EventEnvelope, EventPayload, UsageErrorClass, UsageKind } from '@modelyard/contracts';
import { EVENT_BUS, LOGGER, type EventBus, type Logger } from '@modelyard/platform';

/** Events kept while the bus is down; beyond it the oldest are dropped (and counted in the log). */
const MAX_BUFFERED = 100_000;
/** Optional provider of another bound than MAX_BUFFERED (tests use a small one). */
export const USAGE_BUFFER_LIMIT = Symbol('UsageBufferLimit');
/**
 * How long an event waits for others before a publish. One publish per call would cost the
 * consumer a transaction per call (in standalone, on the same thread as the calls); 50 ms of
 * delay in the statistics buys batches. A full batch goes at once.
 */
const LINGER_MS = 50;
/** Optional provider of another linger than LINGER_MS (0: publish at once). */
export const USAGE_LINGER_MS = Symbol('UsageLingerMs');
const BATCH_SIZE = 500;
const RETRY_MS = 1_000;
const SHUTDOWN_FLUSH_MS = 5_000;

/** The usage event of one finished call: a success when `errorClass` is null. */
export function usageOfCall(
  call: { model_id: string; actor: string; kind: UsageKind; user_id?: string | null; token_id?: string | null },
  outcome: { latencyMs: number; errorClass: UsageErrorClass | null; worker: string; tokens?: { input_tokens: number | null; output_tokens: number | null } | null },
): EventPayload<'usage.recorded'> {
  return {
    model_id: call.model_id,
    actor: call.actor,
    kind: call.kind,
    outcome: outcome.errorClass ? 'failure' : 'success',
    error_class: outcome.errorClass,
    latency_ms: outcome.latencyMs,
    worker: outcome.worker,
    ...(outcome.tokens !== undefined && { input_tokens: outcome.tokens?.input_tokens ?? null, output_tokens: outcome.tokens?.output_tokens ?? null }),
    ...(call.user_id != null && { user_id: call.user_id }),
    ...(call.token_id != null && { token_id: call.token_id }),
  };
}

/**
 * Publishes usage events without making a call wait for the bus. Events are buffered and sent in
 * batches; when the bus is down they wait and are retried. The event id is the call id, so an
 * event sent twice (a retry after a crash) is counted once by the metrics service.
 */
@Injectable()
export class UsageRecorder implements OnApplicationShutdown {
  private buffer: Array<EventEnvelope<'usage.recorded'>> = [];
  private flushing: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private dropped = 0;

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(LOGGER) private readonly logger: Logger,
    // Nest passes undefined for an optional provider that is missing, so the default applies.
    @Optional() @Inject(USAGE_BUFFER_LIMIT) private readonly maxBuffered: number = MAX_BUFFERED,
    @Optional() @Inject(USAGE_LINGER_MS) private readonly lingerMs: number = LINGER_MS,
  ) {}

  record(callId: string, payload: EventPayload<'usage.recorded'>): void {
    this.buffer.push({ id: callId, type: 'usage.recorded', key: payload.model_id, occurred_at: new Date().toISOString(), payload });
    if (this.buffer.length > this.maxBuffered) {
      this.buffer.shift();
      if (this.dropped++ % 1_000 === 0) this.logger.error({ dropped: this.dropped }, 'usage events dropped: the event bus has been unreachable too long');
    }
    // While the bus is down a retry is already scheduled: no new attempt (and warning) per call.
    if (this.retryTimer) return;
    if (this.lingerMs <= 0 || this.buffer.length >= BATCH_SIZE) {
      void this.flush();
    } else {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = null;
        void this.flush();
      }, this.lingerMs);
    }
  }

  /** Sends what is buffered; resolves when the buffer is empty or the bus refused (a retry is then scheduled). */
  flush(): Promise<void> {
    this.flushing ??= this.send().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    const deadline = Date.now() + SHUTDOWN_FLUSH_MS;
    while (this.buffer.length > 0 && Date.now() < deadline) {
      await this.flush();
      if (this.buffer.length > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (this.buffer.length > 0) this.logger.error({ lost: this.buffer.length }, 'usage events not published before shutdown');
  }

  private async send(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.slice(0, BATCH_SIZE);
      try {
        await this.bus.publish(batch);
      } catch (error) {
        this.logger.warn({ err: error, pending: this.buffer.length }, 'usage events not published yet; retrying');
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          void this.flush();
        }, RETRY_MS);
        this.retryTimer.unref();
        return;
      }
      // Drops while the batch was in flight took its head already: remove only what is still there.
      const stillBuffered = batch.indexOf(this.buffer[0]!);
      if (stillBuffered >= 0) this.buffer.splice(0, batch.length - stillBuffered);
    }
  }
}

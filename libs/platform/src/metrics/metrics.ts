import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, from sub-millisecond RPCs to slow model calls. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * One Prometheus registry per process, shared by every service in it (standalone runs five
 * services in one process, which must export one set of process metrics, not five).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly rpcRequestDuration: Histogram<'pattern' | 'outcome'>;
  readonly eventsPublished: Counter<'type'>;
  readonly eventsConsumed: Counter<'group' | 'type' | 'outcome'>;
  readonly outboxPending: Gauge;

  constructor(defaultLabels: Record<string, string> = {}) {
    this.registry.setDefaultLabels(defaultLabels);
    // CPU, memory, event-loop lag and GC of the process: the guide's resource monitoring.
    collectDefaultMetrics({ register: this.registry, prefix: 'modelyard_' });
    this.httpRequestDuration = new Histogram({
      name: 'modelyard_http_request_duration_seconds',
      help: 'HTTP requests served by the gateway, by route template and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.rpcRequestDuration = new Histogram({
      name: 'modelyard_rpc_request_duration_seconds',
      help: 'Gateway-to-registry requests as the gateway saw them, by message pattern and outcome.',
      labelNames: ['pattern', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.eventsPublished = new Counter({
      name: 'modelyard_events_published_total',
      help: 'Events relayed from the outbox to the event bus.',
      labelNames: ['type'],
      registers: [this.registry],
    });
    this.eventsConsumed = new Counter({
      name: 'modelyard_events_consumed_total',
      help: 'Events handled by a consumer group; outcome is applied or duplicate.',
      labelNames: ['group', 'type', 'outcome'],
      registers: [this.registry],
    });
    this.outboxPending = new Gauge({
      name: 'modelyard_outbox_pending_events',
      help: 'Committed events not yet accepted by the event bus.',
      registers: [this.registry],
    });
  }

  /** The exposition text and its content type, for a /metrics endpoint. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

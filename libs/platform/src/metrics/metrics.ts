import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, from sub-millisecond RPCs to slow model calls. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Events per batch, from a trickle to the largest batches a consumer takes. */
const BATCH_SIZE_BUCKETS = [1, 10, 50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000];

/**
 * One Prometheus registry per process, shared by every service in it (standalone runs five
 * services in one process, which must export one set of process metrics, not five).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly rpcRequestDuration: Histogram<'pattern' | 'outcome'>;
  readonly jobDuration: Histogram<'queue' | 'outcome'>;
  readonly eventsPublished: Counter<'type'>;
  readonly eventsConsumed: Counter<'group' | 'type' | 'outcome'>;
  readonly eventBatchSize: Histogram<'group'>;
  readonly eventBatchDuration: Histogram<'group' | 'outcome'>;
  readonly outboxPending: Gauge;
  readonly modelCacheLookups: Counter<'outcome'>;
  readonly modelCacheDownloadedBytes: Counter;
  readonly inferenceExecutionProvider: Gauge<'provider'>;
  readonly inferenceSessionLoads: Counter<'provider' | 'outcome'>;
  readonly inferenceSessionLoadDuration: Histogram<'provider'>;
  readonly inferenceSessionEvictions: Counter<'provider'>;
  readonly inferenceSessionsOpen: Gauge<'provider'>;

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
      help: 'Requests to another service (registry, metrics) as the caller saw them, by message pattern and outcome.',
      labelNames: ['pattern', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.jobDuration = new Histogram({
      name: 'modelyard_job_duration_seconds',
      help: 'Background jobs run by this worker (imports, inference calls), by queue and outcome.',
      labelNames: ['queue', 'outcome'],
      buckets: [...LATENCY_BUCKETS, 120, 600, 1800],
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
      help: 'Events handled by a consumer group; outcome is applied, duplicate, or expired (too old to de-duplicate).',
      labelNames: ['group', 'type', 'outcome'],
      registers: [this.registry],
    });
    this.eventBatchSize = new Histogram({
      name: 'modelyard_event_batch_size',
      help: 'Events per batch handed to a batch consumer, duplicates included.',
      labelNames: ['group'],
      buckets: BATCH_SIZE_BUCKETS,
      registers: [this.registry],
    });
    this.eventBatchDuration = new Histogram({
      name: 'modelyard_event_batch_apply_duration_seconds',
      help: 'Time a batch consumer took to apply one batch (its database transaction included), by outcome: ok or failed.',
      labelNames: ['group', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.outboxPending = new Gauge({
      name: 'modelyard_outbox_pending_events',
      help: 'Committed events not yet accepted by the event bus.',
      registers: [this.registry],
    });
    this.modelCacheLookups = new Counter({
      name: 'modelyard_model_cache_lookups_total',
      help: "Inference workers' local model file cache: hit (file reused), miss (downloaded, or waited for that download), stale (wrong size on disk, downloaded again).",
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.modelCacheDownloadedBytes = new Counter({
      name: 'modelyard_model_cache_downloaded_bytes_total',
      help: 'Bytes of model files fetched from object storage into the local cache, rejected downloads included.',
      registers: [this.registry],
    });
    this.inferenceExecutionProvider = new Gauge({
      name: 'modelyard_inference_execution_provider',
      help: 'The onnxruntime execution provider this worker chose at start-up (1 for the one in use).',
      labelNames: ['provider'],
      registers: [this.registry],
    });
    this.inferenceSessionLoads = new Counter({
      name: 'modelyard_inference_session_loads_total',
      help: 'onnxruntime sessions created from model files, by execution provider and outcome (loaded or failed).',
      labelNames: ['provider', 'outcome'],
      registers: [this.registry],
    });
    this.inferenceSessionLoadDuration = new Histogram({
      name: 'modelyard_inference_session_load_duration_seconds',
      help: 'Time to fetch (when not cached) and load a model into an onnxruntime session.',
      labelNames: ['provider'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.inferenceSessionEvictions = new Counter({
      name: 'modelyard_inference_session_evictions_total',
      help: 'Sessions unloaded to stay within the session memory budget.',
      labelNames: ['provider'],
      registers: [this.registry],
    });
    this.inferenceSessionsOpen = new Gauge({
      name: 'modelyard_inference_sessions_open',
      help: 'onnxruntime sessions holding memory, evicted ones still serving a call included.',
      labelNames: ['provider'],
      registers: [this.registry],
    });
  }

  /** The exposition text and its content type, for a /metrics endpoint. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

import { runWorkerProcess } from '@modelyard/platform';
import { startMetrics } from './metrics.app.js';

/** The metrics service as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8084). */
await runWorkerProcess('metrics', 8084, startMetrics);

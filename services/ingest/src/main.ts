import { runWorkerProcess } from '@modelyard/platform';
import { startIngest } from './ingest.app.js';

/** The ingest worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8082). */
await runWorkerProcess('ingest', 8082, startIngest);

import { runWorkerProcess } from '@modelyard/platform';
import { startInference } from './inference.app.js';

/** The inference worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8083). */
await runWorkerProcess('inference', 8083, startInference);

export { startMetrics } from './metrics.app.js';

export { startIngest } from './ingest.app.js';

export { startInference } from './inference.app.js';

export * from './egress/index.js';
export * from './providers/index.js';

export * from './egress/index.js';
export * from './providers/index.js';
export * from './provider-target.util.js';

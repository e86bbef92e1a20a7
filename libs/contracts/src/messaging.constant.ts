/*
 * NEVER RENAME anything in this file: live messages, stored outbox rows, Kafka offsets and queued
 * jobs carry these names. Add a new name (and a version suffix) instead of changing an old one.
 */

/** Request/response patterns between the gateway and the registry (@nestjs/microservices). */
export const REGISTRY_PATTERNS = {
  listModels: 'registry.models.list',
  getModel: 'registry.models.get',
  createModel: 'registry.models.create',
  updateModel: 'registry.models.update',
  deleteModel: 'registry.models.delete',
  toggleModelStatus: 'registry.models.toggle-status',
  health: 'registry.health',
} as const;
export type RegistryPattern = (typeof REGISTRY_PATTERNS)[keyof typeof REGISTRY_PATTERNS];

/**
 * Kafka topics with their partition counts. Every event about one model goes to one topic keyed by
 * the model id, so a consumer sees a model's events in the order they were committed.
 */
export const TOPICS = {
  modelEvents: { name: 'modelyard.model-events.v1', partitions: 6 },
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

/** Where an event that failed every delivery attempt is parked for a person to look at. */
export const deadLetterTopicOf = (topic: string): string => `${topic}.dead-letter`;

/** Consumer groups: one per consuming service, so every service sees every event once. */
export const CONSUMER_GROUPS = {
  metrics: 'modelyard-metrics',
} as const;
export type ConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

/** BullMQ queues (job payloads are defined beside the features that enqueue them). */
export const QUEUES = {
  ingest: 'modelyard-ingest',
  inference: 'modelyard-inference',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

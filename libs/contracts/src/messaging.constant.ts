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
  /** System transitions, from the ingest and inference workers and the upload route. */
  beginUpload: 'registry.models.begin-upload',
  reportProgress: 'registry.models.report-progress',
  completeArtifacts: 'registry.models.complete-artifacts',
  markFailed: 'registry.models.mark-failed',
  /** A model with its sealed secret, for the workers that call it (never answered to a user). */
  getInvocationTarget: 'registry.models.get-invocation-target',
  /** Re-seals every stored secret not sealed with the current master key. */
  rotateSecrets: 'registry.secrets.rotate',
  health: 'registry.health',
  /** Identity: sign-in, the principal behind a session or a token, users, teams, tokens. */
  signIn: 'registry.identity.sign-in',
  resolveToken: 'registry.identity.resolve-token',
  principalOfUser: 'registry.identity.principal-of-user',
  principalOfBuiltinAdmin: 'registry.identity.principal-of-builtin-admin',
  touchTokens: 'registry.identity.touch-tokens',
  listUsers: 'registry.users.list',
  getUser: 'registry.users.get',
  createUser: 'registry.users.create',
  updateUser: 'registry.users.update',
  deleteUser: 'registry.users.delete',
  listTeams: 'registry.teams.list',
  getTeam: 'registry.teams.get',
  createTeam: 'registry.teams.create',
  updateTeam: 'registry.teams.update',
  deleteTeam: 'registry.teams.delete',
  listTokens: 'registry.tokens.list',
  createToken: 'registry.tokens.create',
  revokeToken: 'registry.tokens.revoke',
  /** Names of tokens by id, for usage statistics (which know only the ids). */
  tokenRefs: 'registry.tokens.refs',
  /** Access: a caller's level on a model, and a model's permissions. */
  modelAccess: 'registry.access.model-level',
  getModelPermissions: 'registry.access.get-permissions',
  setModelPermissions: 'registry.access.set-permissions',
  /** Audit: the log, its verification, and records of what happened at the gateway (sign-out, throttled sign-in). */
  listAuditEvents: 'registry.audit.list',
  verifyAudit: 'registry.audit.verify',
  appendAudit: 'registry.audit.append',
} as const;
export type RegistryPattern = (typeof REGISTRY_PATTERNS)[keyof typeof REGISTRY_PATTERNS];

/**
 * The lease of an upload in progress. The gateway that runs an upload reports its progress
 * (`reportProgress`) at least every `renewMs`, even while no byte arrives; an upload whose progress
 * is older than `staleMs` belongs to a gateway that died (killed, crashed, cut off), and the
 * registry's sweep returns its model to the status before it. Several missed renewals fit in
 * `staleMs`, so a slow round trip does not end a live upload. Raise both together.
 */
export const UPLOAD_LEASE = { renewMs: 5_000, staleMs: 30_000 } as const;

/** Request/response patterns between the gateway and the metrics service. */
export const METRICS_PATTERNS = {
  modelStats: 'metrics.models.stats',
  modelSummaries: 'metrics.models.summaries',
  /** Usage per user and per API token across all models (the gateway's usage routes). */
  usageByUser: 'metrics.usage.by-user',
  usageByToken: 'metrics.usage.by-token',
  health: 'metrics.health',
} as const;
export type MetricsPattern = (typeof METRICS_PATTERNS)[keyof typeof METRICS_PATTERNS];

/**
 * Kafka topics with their partition counts. Every event about one model goes to one topic keyed by
 * the model id, so a consumer sees a model's events in the order they were committed.
 */
export const TOPICS = {
  modelEvents: { name: 'modelyard.model-events.v1', partitions: 6 },
  /** One event per audit record, keyed by the record's target (or actor), in commit order per key. */
  auditEvents: { name: 'modelyard.audit-events.v1', partitions: 3 },
  /** One event per test or invocation, keyed by model id. High volume: consumers read it in batches. */
  usageEvents: { name: 'modelyard.usage-events.v1', partitions: 6 },
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS]['name'];

/** Where an event that failed every delivery attempt is parked for a person to look at. */
export const deadLetterTopicOf = (topic: string): string => `${topic}.dead-letter`;

/** Consumer groups: one per consuming service, so every service sees every event once. */
export const CONSUMER_GROUPS = {
  metrics: 'modelyard-metrics',
  /**
   * The metrics service's usage aggregation: a group of its own, since Kafka assigns a group's
   * partitions as if every member read every topic of the group, so a per-event subscription (the
   * catalog) and a batch one (usage) cannot share one.
   */
  metricsUsage: 'modelyard-metrics-usage',
  /** The ingest service watches model events for Hugging Face imports to start. */
  ingest: 'modelyard-ingest',
} as const;
export type ConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

/** BullMQ queues; their job payloads are in `jobs.ts`. */
export const QUEUES = {
  ingest: 'modelyard-ingest',
  inference: 'modelyard-inference',
  /**
   * Calls of provider and endpoint models. Their own queue, so they get their own concurrency: they
   * wait on the network, where ONNX runs are bound by the worker's CPU.
   */
  providerCalls: 'modelyard-provider-calls',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

import type { DataSourceOptions } from 'typeorm';
import { runMigrations, typeormOptions, type Database, type ServiceSchema } from '@modelyard/platform';
import { CreateModelRegistry1764230400000 } from './migrations/1764230400000-CreateModelRegistry.js';
import { AddModelArtifacts1764316800000 } from './migrations/1764316800000-AddModelArtifacts.js';
import { AddModelSecrets1764403200000 } from './migrations/1764403200000-AddModelSecrets.js';
import { AddSecretOrigin1765000000000 } from './migrations/1765000000000-AddSecretOrigin.js';
import { AddIdentityAccessAudit1765100000000 } from './migrations/1765100000000-AddIdentityAccessAudit.js';
import { AddModelListVersion1765200000000 } from './migrations/1765200000000-AddModelListVersion.js';
import { ModelGrantEntity } from './access/entities/model-grant.entity.js';
import { AuditChainHeadEntity } from './audit/entities/audit-chain-head.entity.js';
import { AuditEventEntity } from './audit/entities/audit-event.entity.js';
import { ApiTokenEntity } from './identity/entities/api-token.entity.js';
import { TeamMemberEntity } from './identity/entities/team-member.entity.js';
import { TeamEntity } from './identity/entities/team.entity.js';
import { UserEntity } from './identity/entities/user.entity.js';
import { ModelEntity } from './models/entities/model.entity.js';
import { OutboxEventEntity } from './outbox/entities/outbox-event.entity.js';

export const REGISTRY_ENTITIES = [
  ModelEntity,
  OutboxEventEntity,
  UserEntity,
  TeamEntity,
  TeamMemberEntity,
  ApiTokenEntity,
  ModelGrantEntity,
  AuditEventEntity,
  AuditChainHeadEntity,
];
/** In order. A new migration is appended here; a released one is never edited. */
export const REGISTRY_MIGRATIONS = [
  CreateModelRegistry1764230400000,
  AddModelArtifacts1764316800000,
  AddModelSecrets1764403200000,
  AddSecretOrigin1765000000000,
  AddIdentityAccessAudit1765100000000,
  AddModelListVersion1765200000000,
];

const REGISTRY_SCHEMA: ServiceSchema = {
  entities: REGISTRY_ENTITIES,
  migrations: REGISTRY_MIGRATIONS,
  migrationsTableName: 'registry_migrations',
};

/**
 * No JIT on the registry's PostgreSQL connections. The access check of a list is an index probe per
 * row, which the planner prices for every row of the table (cost ~10^6 at 100k models) although a
 * page stops after a few dozen; past jit_above_cost PostgreSQL then compiles the statement, 100+ ms
 * for a query that runs in 1 ms. Nothing the registry runs is long enough to gain from JIT.
 */
export function registryDataSourceOptions(database: Database): DataSourceOptions {
  const options = typeormOptions(database, REGISTRY_SCHEMA);
  if (database.kind !== 'postgres') return options;
  return { ...options, extra: { ...(options.extra as Record<string, unknown>), options: '-c jit=off' } } as DataSourceOptions;
}
/** Applies pending registry migrations (PGlite serves one connection at a time: this one is closed after). */
export const runRegistryMigrations = (database: Database) => runMigrations(database, REGISTRY_SCHEMA);

/*
 * The vocabularies of identity and access. Stored in the database, carried in tokens' records and
 * audit events: add values freely, never rename or remove one.
 */

/**
 * Platform roles, strongest first. `admin`: everything, users and settings. `maintainer`: registers
 * models and manages what it owns or is granted. `user`: reads and invokes what it may. `viewer`:
 * reads only.
 */
export const ROLES = ['admin', 'maintainer', 'user', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** Per-model permission levels, weakest first; each includes the ones before it (as MLflow's). */
export const MODEL_ACCESS_LEVELS = ['read', 'use', 'edit', 'manage'] as const;
export type ModelAccessLevel = (typeof MODEL_ACCESS_LEVELS)[number];

/**
 * Who may see a model beyond its owner and grants. `private`: nobody else. `internal`: every
 * signed-in user may read and use it.
 */
export const MODEL_VISIBILITIES = ['private', 'internal'] as const;
export type ModelVisibility = (typeof MODEL_VISIBILITIES)[number];

/**
 * What an API token may be used for. `read`: every GET; `invoke`: test and call models; `write`:
 * create, edit, delete, upload, permissions; `admin`: users, teams, settings, other users' tokens.
 */
export const TOKEN_SCOPES = ['read', 'invoke', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

const rank = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((value, index) => [value, index])) as Record<T, number>;
/** Higher is stronger. */
export const ROLE_RANK: Record<Role, number> = { admin: 3, maintainer: 2, user: 1, viewer: 0 };
/** Higher is stronger. */
export const LEVEL_RANK = rank(MODEL_ACCESS_LEVELS);

/** The most a role may do with any one model, whatever it was granted. */
export const ROLE_LEVEL_CAP: Record<Role, ModelAccessLevel> = { admin: 'manage', maintainer: 'manage', user: 'use', viewer: 'read' };

/** The scopes a role's token may carry (a token never has more rights than its user); also a new token's default. */
export const ROLE_SCOPES: Record<Role, readonly TokenScope[]> = {
  admin: ['read', 'invoke', 'write', 'admin'],
  maintainer: ['read', 'invoke', 'write'],
  user: ['read', 'invoke'],
  viewer: ['read'],
};

export const atLeastRole = (role: Role, minimum: Role): boolean => ROLE_RANK[role] >= ROLE_RANK[minimum];
export const atLeastLevel = (level: ModelAccessLevel | null, minimum: ModelAccessLevel): boolean => level !== null && LEVEL_RANK[level] >= LEVEL_RANK[minimum];
export const strongerLevel = (a: ModelAccessLevel | null, b: ModelAccessLevel | null): ModelAccessLevel | null =>
  a === null ? b : b === null ? a : LEVEL_RANK[a] >= LEVEL_RANK[b] ? a : b;
export const weakerLevel = (a: ModelAccessLevel, b: ModelAccessLevel): ModelAccessLevel => (LEVEL_RANK[a] <= LEVEL_RANK[b] ? a : b);

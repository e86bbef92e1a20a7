import {
  atLeastLevel,
  ROLE_LEVEL_CAP,
  strongerLevel,
  weakerLevel,
  type ModelAccessLevel,
  type ModelVisibility,
  type Role,
  type TokenScope,
} from './access.constant.js';

/**
 * Who is calling, as the gateway resolved the bearer token: a signed-in user (session), an API token
 * (restricted by its scopes and model list), or the bootstrap admin token (the built-in admin).
 */
export interface Principal {
  user_id: string;
  username: string;
  role: Role;
  team_ids: string[];
  via: 'session' | 'token' | 'bootstrap';
  /** The API token's id (via 'token'); null otherwise. */
  token_id: string | null;
  /** The API token's scopes; null: the user's own rights (a session, the bootstrap token). */
  scopes: TokenScope[] | null;
  /** The models an API token is limited to; null: no such limit. */
  model_ids: string[] | null;
}

/** Who may do what with one model: its owner, its visibility, its grants. */
export interface ModelAccessRecord {
  owner_id: string | null;
  visibility: ModelVisibility;
  grants: Array<{ user_id: string | null; team_id: string | null; level: ModelAccessLevel }>;
}

/**
 * The part of a principal that decides what models it sees, as the registry's queries take it.
 * `all`: the platform itself (workers, system changes) and admins without a token model list.
 */
export type AccessScope =
  | { all: true; model_ids: string[] | null }
  | { all: false; user_id: string; role: Role; team_ids: string[]; model_ids: string[] | null };

export const SYSTEM_SCOPE: AccessScope = { all: true, model_ids: null };

export function accessScopeOf(principal: Principal): AccessScope {
  if (principal.role === 'admin') return { all: true, model_ids: principal.model_ids };
  return { all: false, user_id: principal.user_id, role: principal.role, team_ids: principal.team_ids, model_ids: principal.model_ids };
}

/**
 * What the scope may do with a model: the strongest of ownership (manage), its grants (to the user
 * or one of its teams) and internal visibility (use), capped by the role; null when it may not even
 * read it (then, for the caller, the model does not exist). A token's model list hides the others.
 */
export function modelLevelOf(scope: AccessScope, modelId: string, access: ModelAccessRecord): ModelAccessLevel | null {
  if (scope.model_ids !== null && !scope.model_ids.includes(modelId)) return null;
  if (scope.all) return 'manage';
  let level: ModelAccessLevel | null = access.owner_id === scope.user_id ? 'manage' : null;
  for (const grant of access.grants) {
    if (grant.user_id === scope.user_id || (grant.team_id !== null && scope.team_ids.includes(grant.team_id))) level = strongerLevel(level, grant.level);
  }
  if (access.visibility === 'internal') level = strongerLevel(level, 'use');
  return level === null ? null : weakerLevel(level, ROLE_LEVEL_CAP[scope.role]);
}

export const mayDo = (scope: AccessScope, modelId: string, access: ModelAccessRecord, needed: ModelAccessLevel): boolean =>
  atLeastLevel(modelLevelOf(scope, modelId, access), needed);

/** Whether the principal's token (if any) carries the scope; sessions and the bootstrap token carry all. */
export const hasScope = (principal: Principal, scope: TokenScope): boolean => principal.scopes === null || principal.scopes.includes(scope);

/*
 * The identity and access shapes as the console reads them (libs/contracts/src/identity), written
 * out for the same reason as types.ts: the contracts carry decorators that must not reach the browser.
 */

/** Strongest first (access.constant.ts). */
export const ROLES = ['admin', 'maintainer', 'user', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
/** Weakest first; each includes the ones before it. */
export const MODEL_ACCESS_LEVELS = ['read', 'use', 'edit', 'manage'] as const;
export type ModelAccessLevel = (typeof MODEL_ACCESS_LEVELS)[number];
export const MODEL_VISIBILITIES = ['private', 'internal'] as const;
export type ModelVisibility = (typeof MODEL_VISIBILITIES)[number];
export const TOKEN_SCOPES = ['read', 'invoke', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The scopes a role's token may carry: a token never has more rights than its user. */
export const ROLE_SCOPES: Record<Role, readonly TokenScope[]> = {
  admin: ['read', 'invoke', 'write', 'admin'],
  maintainer: ['read', 'invoke', 'write'],
  user: ['read', 'invoke'],
  viewer: ['read'],
};

/** Stored and filtered on by the API (audit.dto.ts); names are never renamed there. */
export const AUDIT_ACTIONS = [
  'model.create',
  'model.update',
  'model.delete',
  'model.toggle',
  'model.file.upload',
  'model.import',
  'model.error',
  'permission.change',
  'token.create',
  'token.revoke',
  'user.create',
  'user.update',
  'user.delete',
  'team.create',
  'team.update',
  'team.delete',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'secrets.rotate',
  'settings.change',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export const AUDIT_TARGET_TYPES = ['model', 'user', 'team', 'token', 'session', 'secrets', 'settings'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export interface Ref {
  id: string;
  username: string;
}

export interface Limits {
  rpm_limit: number | null;
  tpm_limit: number | null;
  daily_call_limit: number | null;
}

export interface User extends Limits {
  id: string;
  username: string;
  display_name: string | null;
  role: Role;
  disabled: boolean;
  /** The built-in admin (what the bootstrap token stands for): it cannot be deleted. */
  builtin: boolean;
  has_password: boolean;
  teams: Array<{ id: string; name: string }>;
  created_at: string;
  updated_at: string;
}

export interface UserBody extends Partial<Limits> {
  username?: string;
  /** Write-only: never returned. */
  password?: string;
  role?: Role;
  display_name?: string | null;
  disabled?: boolean;
  /** Team names; replaces the memberships. */
  teams?: string[];
}

export interface Team {
  id: string;
  name: string;
  description: string | null;
  members: Ref[];
  created_at: string;
  updated_at: string;
}

export interface TeamBody {
  name?: string;
  description?: string | null;
  /** Usernames; replaces the memberships. */
  members?: string[];
}

export interface ItemList<T> {
  items: T[];
  total: number;
}

/** GET /auth/me: who the caller is, and through what. */
export interface WhoAmI {
  user: User;
  via: 'session' | 'token' | 'bootstrap';
  token_id: string | null;
  /** A token's scopes; null: the user's own rights (sessions, the bootstrap token). */
  scopes: TokenScope[] | null;
  model_ids: string[] | null;
  expires_at: string | null;
}

export interface LoginResult {
  token: string;
  expires_at: string;
  user: User;
}

export interface ApiToken extends Limits {
  id: string;
  name: string;
  prefix: string;
  last4: string;
  user: Ref;
  scopes: TokenScope[];
  /** The only models the token may see; null: every model its user may. */
  model_ids: string[] | null;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface CreatedToken extends ApiToken {
  /** Shown this once: only its hash is stored. */
  token: string;
}

export interface CreateTokenBody extends Partial<Limits> {
  name: string;
  expires_at?: string | null;
  scopes?: TokenScope[];
  model_ids?: string[] | null;
}

export interface ModelGrant {
  user?: string;
  team?: string;
  level: ModelAccessLevel;
}

export interface ModelPermissions {
  visibility: ModelVisibility;
  owner: Ref | null;
  grants: ModelGrant[];
}

export interface AuditEvent {
  id: string;
  seq: number;
  occurred_at: string;
  action: AuditAction;
  result: 'success' | 'failure';
  actor: { user_id: string | null; username: string; token_id: string | null };
  target_type: string | null;
  target_id: string | null;
  client_ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  hash: string;
}

export interface AuditPage extends ItemList<AuditEvent> {
  page: number;
  page_size: number;
}

export interface AuditQuery {
  actor?: string;
  action?: AuditAction[];
  target_id?: string;
  from?: string;
  to?: string;
  page?: number;
  page_size?: number;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  first_bad_seq: number | null;
  problem: string | null;
}

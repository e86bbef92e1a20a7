import type { REGISTRY_PATTERNS } from '../messaging.constant.js';
import type { ModelAccessLevel } from './access.constant.js';
import type { AuditAction, AuditEventDto, AuditPageDto, AuditQueryDto, AuditResult, AuditTargetType, AuditVerificationDto } from './audit.dto.js';
import type { Limits } from './limits.dto.js';
import type { ModelPermissionsDto, UpdateModelPermissionsDto } from './model-permissions.dto.js';
import type { AccessScope, Principal } from './principal.js';
import type { CreateTeamDto, TeamDto, TeamListDto, UpdateTeamDto } from './team.dto.js';
import type { CreatedTokenDto, CreateTokenDto, TokenDto, TokenListDto, TokenRefDto } from './token.dto.js';
import type { CreateUserDto, UpdateUserDto, UserDto, UserListDto } from './user.dto.js';

/**
 * Who asks for a change, as the audit log and events record it: the user (and API token) behind the
 * request, where it came from, and its request id. `name` is the username (`system` for changes
 * the platform makes itself).
 */
export interface Actor {
  name: string;
  user_id: string | null;
  token_id: string | null;
  client_ip: string | null;
  request_id: string | null;
}

/** The actor of changes the platform makes itself (imports, a model that fails to load). */
export const SYSTEM_ACTOR: Actor = { name: 'system', user_id: null, token_id: null, client_ip: null, request_id: null };

/** A caller of the registry on behalf of a user: who it is (for the audit) and what it may see. */
export interface Caller {
  actor: Actor;
  scope: AccessScope;
  principal: Principal;
}

/** What the gateway needs to admit a request made with a principal: who, and its limits. */
export interface ResolvedPrincipal {
  principal: Principal;
  /** The user's own limits, and the token's when it is a token (both apply). */
  limits: { user: Limits; token: Limits | null };
  /** Tokens: when it stops working (null: never). */
  expires_at: string | null;
}

/** An audit record to append, as a service describes it; the registry adds time, sequence and hash. */
export interface AuditEntry {
  action: AuditAction;
  result: AuditResult;
  target_type: AuditTargetType | null;
  target_id: string | null;
  details?: Record<string, unknown>;
}

/** Request and response of each identity, access and audit message (see REGISTRY_PATTERNS). */
export interface IdentityMessages {
  /** 401 `invalid_credentials` for an unknown user, a wrong password or a disabled user, alike; each attempt is audited. */
  [REGISTRY_PATTERNS.signIn]: { request: { username: string; password: string; actor: Actor }; response: { user: UserDto; resolved: ResolvedPrincipal } };
  /** null for an unknown, revoked or expired token, or one whose user is disabled. */
  [REGISTRY_PATTERNS.resolveToken]: { request: { token_hash: string }; response: ResolvedPrincipal | null };
  /** null for an unknown or disabled user. */
  [REGISTRY_PATTERNS.principalOfUser]: { request: { user_id: string }; response: ResolvedPrincipal | null };
  /** null when the built-in admin is disabled (the bootstrap token is then refused). */
  [REGISTRY_PATTERNS.principalOfBuiltinAdmin]: { request: Record<string, never>; response: ResolvedPrincipal | null };
  /** Records that tokens were used (at most once a minute each, batched by the gateway). */
  [REGISTRY_PATTERNS.touchTokens]: { request: { token_ids: string[]; at: string }; response: { ok: true } };
  [REGISTRY_PATTERNS.listUsers]: { request: { caller: Caller }; response: UserListDto };
  [REGISTRY_PATTERNS.getUser]: { request: { caller: Caller; id: string }; response: UserDto };
  [REGISTRY_PATTERNS.createUser]: { request: { caller: Caller; body: CreateUserDto }; response: UserDto };
  [REGISTRY_PATTERNS.updateUser]: { request: { caller: Caller; id: string; body: UpdateUserDto }; response: { user: UserDto; sessions_ended: boolean } };
  [REGISTRY_PATTERNS.deleteUser]: { request: { caller: Caller; id: string }; response: { deleted: true } };
  [REGISTRY_PATTERNS.listTeams]: { request: { caller: Caller }; response: TeamListDto };
  [REGISTRY_PATTERNS.getTeam]: { request: { caller: Caller; id: string }; response: TeamDto };
  [REGISTRY_PATTERNS.createTeam]: { request: { caller: Caller; body: CreateTeamDto }; response: TeamDto };
  [REGISTRY_PATTERNS.updateTeam]: { request: { caller: Caller; id: string; body: UpdateTeamDto }; response: TeamDto };
  [REGISTRY_PATTERNS.deleteTeam]: { request: { caller: Caller; id: string }; response: { deleted: true } };
  /** Mine; admins: everyone's (`all`). */
  [REGISTRY_PATTERNS.listTokens]: { request: { caller: Caller; all: boolean }; response: TokenListDto };
  /** `token_hash` and `prefix`/`last4`: the gateway made the token; only its hash is stored. */
  [REGISTRY_PATTERNS.createToken]: {
    request: { caller: Caller; body: CreateTokenDto; token_hash: string; prefix: string; last4: string };
    response: Omit<CreatedTokenDto, 'token'>;
  };
  [REGISTRY_PATTERNS.revokeToken]: { request: { caller: Caller; id: string }; response: TokenDto };
  /**
   * Names of tokens by id (at most 1,000; revoked ones included), for usage statistics; ids of
   * tokens that no longer exist are left out. Not scoped: the caller already may read the usage.
   */
  [REGISTRY_PATTERNS.tokenRefs]: { request: { ids: string[] }; response: TokenRefDto[] };
  /** The caller's level on a model; null: it may not read it (then it does not exist for it). */
  [REGISTRY_PATTERNS.modelAccess]: { request: { scope: AccessScope; model_id: string }; response: { level: ModelAccessLevel | null } };
  [REGISTRY_PATTERNS.getModelPermissions]: { request: { caller: Caller; id: string }; response: ModelPermissionsDto };
  [REGISTRY_PATTERNS.setModelPermissions]: { request: { caller: Caller; id: string; body: UpdateModelPermissionsDto }; response: ModelPermissionsDto };
  [REGISTRY_PATTERNS.listAuditEvents]: { request: { caller: Caller; query: AuditQueryDto }; response: AuditPageDto };
  [REGISTRY_PATTERNS.verifyAudit]: { request: Record<string, never>; response: AuditVerificationDto };
  [REGISTRY_PATTERNS.appendAudit]: { request: { actor: Actor; entry: AuditEntry }; response: AuditEventDto };
}

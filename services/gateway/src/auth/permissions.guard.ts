import { randomUUID } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  accessScopeOf,
  atLeastLevel,
  atLeastRole,
  hasScope,
  PERMISSIONS,
  type Caller,
  type Permission,
  type PermissionRule,
  type ResolvedPrincipal,
} from '@modelyard/contracts';
import { CommonErrorCode, DomainException, LOGGER, type Logger } from '@modelyard/platform';
import { ModelLevelsService } from '../access/model-levels.service.js';
import { LimitsService, type LimitReport } from '../limits/limits.service.js';
import { PrincipalResolver } from './principal-resolver.service.js';
import { IS_PUBLIC } from './public.decorator.js';
import { REQUIRED_PERMISSION } from './require-permission.decorator.js';

export type AuthenticatedRequest = FastifyRequest & { caller?: Caller; resolved?: ResolvedPrincipal; session?: { id: string; expires_at: string } | null };

const unauthorized = (detail: string) => new DomainException(401, CommonErrorCode.Unauthorized, detail);
const forbidden = (detail: string) => new DomainException(403, 'forbidden', detail);
const modelNotFound = (id: string) => new DomainException(404, 'model_not_found', `No model has the id "${id.slice(0, 100)}".`);

/**
 * The gateway's one guard. Every route is @Public() or declares a @RequirePermission(); a route with
 * neither is refused, so none is open by accident. In order: the bearer token (401), the caller's
 * rate limits and quotas (429), its token scope and role (403), its level on the model the route
 * names (404 below read — the model does not exist for it — 403 below the level needed).
 */
@Injectable()
export class PermissionsGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolver: PrincipalResolver,
    private readonly levels: ModelLevelsService,
    private readonly limits: LimitsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(REQUIRED_PERMISSION, targets);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!permission) {
      // Fail closed: a route someone forgot to declare is refused, and the log says which.
      this.logger.error({ route: request.routeOptions.url, method: request.method }, 'route declares no permission: refused');
      throw forbidden('This route declares no permission and is refused.');
    }
    const rule: PermissionRule = PERMISSIONS[permission];

    const bearer = bearerOf(request.headers.authorization);
    const resolution = await this.resolver.resolve(bearer);
    if (!resolution) throw unauthorized('The token is not valid (unknown, revoked, expired, or its user is disabled).');
    const { resolved } = resolution;
    const { principal } = resolved;
    const caller: Caller = {
      principal,
      scope: accessScopeOf(principal),
      actor: { name: principal.username, user_id: principal.user_id, token_id: principal.token_id, client_ip: request.ip ?? null, request_id: String(request.id) },
    };
    request.caller = caller;
    request.resolved = resolved;
    request.session = resolution.session;

    const { report, refusal } = await this.limits.admit(resolved, { call: rule.call === true });
    if (report) setRateLimitHeaders(context.switchToHttp().getResponse<FastifyReply>(), report);
    if (refusal) throw refusal;

    if (rule.scope !== null && !hasScope(principal, rule.scope)) throw forbidden(`This token lacks the "${rule.scope}" scope this needs (${rule.summary.toLowerCase()}).`);
    if (!atLeastRole(principal.role, rule.role)) throw forbidden(`This needs the role "${rule.role}" or above; you are "${principal.role}".`);
    if (rule.model) {
      const id = (request.params as Record<string, string | undefined>).id ?? '';
      const level = await this.levels.levelOf(caller.scope, id);
      if (level === null) throw modelNotFound(id);
      if (!atLeastLevel(level, rule.model)) throw forbidden(`This needs "${rule.model}" on the model; you have "${level}".`);
    }
    return true;
  }
}

function bearerOf(header: string | undefined): string {
  if (!header) throw unauthorized('This endpoint needs a token: send "Authorization: Bearer <token>" (sign in, or create an API token).');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must have the form "Bearer <token>".');
  return match[1]!;
}

/** IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers), for the limit closest to its end. */
export function setRateLimitHeaders(reply: FastifyReply, report: LimitReport): void {
  void reply.header('ratelimit-limit', String(report.limit));
  void reply.header('ratelimit-remaining', String(report.remaining));
  void reply.header('ratelimit-reset', String(report.resetSeconds));
}

export const newRequestId = (): string => randomUUID();

import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@modelyard/contracts';
import { CommonErrorCode, DomainException } from '@modelyard/platform';
import { ApiTokens } from './admin-token.js';
import { IS_PUBLIC } from './public.decorator.js';

export type AuthenticatedRequest = FastifyRequest & { actor?: Actor };

const unauthorized = (detail: string) => new DomainException(401, CommonErrorCode.Unauthorized, detail);

/** Global guard: `Authorization: Bearer <token>` on every route not marked @Public(). */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(ApiTokens) private readonly tokens: ApiTokens,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw unauthorized('This endpoint needs an API token: send "Authorization: Bearer <token>".');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw unauthorized('The Authorization header must have the form "Bearer <token>".');
    const actor = this.tokens.authenticate(match[1]!);
    if (!actor) throw unauthorized('The API token is not valid.');
    request.actor = actor;
    return true;
  }
}

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor, Caller, Principal } from '@modelyard/contracts';
import type { AuthenticatedRequest } from './permissions.guard.js';

function authenticated(context: ExecutionContext): Required<Pick<AuthenticatedRequest, 'caller'>> {
  const caller = context.switchToHttp().getRequest<AuthenticatedRequest>().caller;
  if (!caller) throw new Error('an authenticated caller was asked for on a public route');
  return { caller };
}

/** Who makes the request, as the audit log records it; only on guarded routes. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => authenticated(context).caller.actor);

/** Who makes the request and what it may see, as the registry takes it. */
export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller => authenticated(context).caller);

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => authenticated(context).caller.principal);

import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '@modelyard/contracts';
import type { AuthenticatedRequest } from './bearer-auth.guard.js';

/** The actor the guard authenticated; only on guarded routes. */
export const CurrentActor = createParamDecorator((_data: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new Error('CurrentActor used on a route without authentication');
  return actor;
});

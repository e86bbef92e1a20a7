import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainException } from '@modelyard/platform';
import { ApiTokens } from './admin-token.js';
import { BearerAuthGuard, type AuthenticatedRequest } from './bearer-auth.guard.js';
import { Public } from './public.decorator.js';

class Routes {
  guarded(): void {}
  @Public()
  open(): void {}
}

function contextFor(handler: keyof Routes, authorization?: string) {
  const request = { headers: authorization === undefined ? {} : { authorization } } as AuthenticatedRequest;
  const context = {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  return { context, request };
}

describe('BearerAuthGuard', () => {
  const guard = new BearerAuthGuard(new Reflector(), ApiTokens.fromSecrets([{ name: 'admin', token: 's3cret-token-value' }]));

  it('admits a valid bearer token and attaches its actor', () => {
    const { context, request } = contextFor('guarded', 'Bearer s3cret-token-value');
    expect(guard.canActivate(context)).toBe(true);
    expect(request.actor).toEqual({ name: 'admin' });
  });

  it('accepts the scheme in any case', () => {
    expect(guard.canActivate(contextFor('guarded', 'bearer s3cret-token-value').context)).toBe(true);
  });

  it.each([
    ['no header', undefined, /needs an API token/],
    ['another scheme', 'Basic czNjcmV0', /form "Bearer <token>"/],
    ['an empty token', 'Bearer ', /form "Bearer <token>"/],
    ['a wrong token', 'Bearer s3cret-token-valuE', /not valid/],
  ])('refuses %s with a 401 problem', (_case, header, message) => {
    let error: unknown;
    try {
      guard.canActivate(contextFor('guarded', header).context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainException);
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
    expect((error as DomainException).detail).toMatch(message);
    expect((error as DomainException).detail).not.toContain('s3cret');
  });

  it('lets public routes through without a token', () => {
    expect(guard.canActivate(contextFor('open').context)).toBe(true);
  });
});

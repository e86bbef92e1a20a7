import { describe, expect, it, jest } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ModelAccessLevel, Principal, ResolvedPrincipal } from '@modelyard/contracts';
import { DomainException, type Logger } from '@modelyard/platform';
import type { ModelLevelsService } from '../access/model-levels.service.js';
import type { LimitsService } from '../limits/limits.service.js';
import { rateLimited } from '../limits/limits.service.js';
import { PermissionsGuard, type AuthenticatedRequest } from './permissions.guard.js';
import type { PrincipalResolver } from './principal-resolver.service.js';
import { Public } from './public.decorator.js';
import { RequirePermission } from './require-permission.decorator.js';

class Routes {
  @Public() open(): void {}
  undeclared(): void {}
  @RequirePermission('models.list') list(): void {}
  @RequirePermission('models.create') create(): void {}
  @RequirePermission('models.use') test(): void {}
  @RequirePermission('users.manage') users(): void {}
}

const principal = (role: Principal['role'], extra: Partial<Principal> = {}): ResolvedPrincipal => ({
  principal: { user_id: 'u-1', username: 'mei', role, team_ids: [], via: 'session', token_id: null, scopes: null, model_ids: null, ...extra },
  limits: { user: { rpm_limit: null, tpm_limit: null, daily_call_limit: null }, token: null },
  expires_at: null,
});

function setUp(options: { resolved?: ResolvedPrincipal | null; level?: ModelAccessLevel | null; refusal?: DomainException } = {}) {
  const resolver = { resolve: jest.fn(async () => (options.resolved === undefined ? principal('admin') : options.resolved) && { resolved: options.resolved ?? principal('admin'), session: null }) };
  const levels = { levelOf: jest.fn(async (_scope: unknown, _id: string) => (options.level === undefined ? 'manage' : options.level)) };
  const limits = {
    admit: jest.fn(async (_resolved: unknown, _request: unknown) => ({ report: { limit: 10, remaining: 9, resetSeconds: 60 }, refusal: options.refusal ?? null })),
  };
  const logger = { error: jest.fn() } as unknown as Logger;
  const guard = new PermissionsGuard(new Reflector(), resolver as unknown as PrincipalResolver, levels as unknown as ModelLevelsService, limits as unknown as LimitsService, logger);
  return { guard, resolver, levels, limits, logger };
}

function contextFor(handler: keyof Routes, authorization: string | null = 'Bearer some-token', params: Record<string, string> = {}) {
  const headers: Record<string, string> = {};
  const request = { headers: authorization === null ? {} : { authorization }, params, ip: '10.0.0.9', id: 'req-7', routeOptions: { url: '/x' }, method: 'GET' } as unknown as AuthenticatedRequest;
  const reply = { header: (name: string, value: string) => void (headers[name] = value) };
  const context = {
    getHandler: () => Routes.prototype[handler],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  return { context, request, headers };
}

async function refusal(work: Promise<unknown>): Promise<DomainException> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainException);
  return error as DomainException;
}

describe('PermissionsGuard', () => {
  it('lets public routes through without asking who calls', async () => {
    const { guard, resolver } = setUp();
    expect(await guard.canActivate(contextFor('open', null).context)).toBe(true);
    expect(resolver.resolve).not.toHaveBeenCalled();
  });

  it('refuses a route that declares no permission, and says so in the log', async () => {
    const { guard, logger } = setUp();
    expect(await refusal(guard.canActivate(contextFor('undeclared').context))).toMatchObject({ status: 403 });
    expect(logger.error).toHaveBeenCalled();
  });

  it.each([
    ['no header', null],
    ['another scheme', 'Basic abc'],
  ])('answers 401 with %s', async (_case, header) => {
    const { guard } = setUp();
    expect(await refusal(guard.canActivate(contextFor('list', header).context))).toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('answers 401 to a token that resolves to no one, never quoting it', async () => {
    const { guard } = setUp({ resolved: null });
    const error = await refusal(guard.canActivate(contextFor('list', 'Bearer s3cret-token-value').context));
    expect(error).toMatchObject({ status: 401 });
    expect(error.detail).not.toContain('s3cret');
  });

  it('attaches the caller with its actor (address and request id) and access scope, and the rate-limit headers', async () => {
    const { guard } = setUp({ resolved: principal('viewer') });
    const { context, request, headers } = contextFor('list');
    expect(await guard.canActivate(context)).toBe(true);
    expect(request.caller).toMatchObject({
      actor: { name: 'mei', user_id: 'u-1', token_id: null, client_ip: '10.0.0.9', request_id: 'req-7' },
      scope: { all: false, user_id: 'u-1', role: 'viewer' },
    });
    expect(headers).toEqual({ 'ratelimit-limit': '10', 'ratelimit-remaining': '9', 'ratelimit-reset': '60' });
  });

  it('refuses a role below the route\'s (403) and a token without the scope (403)', async () => {
    expect(await refusal(setUp({ resolved: principal('user') }).guard.canActivate(contextFor('create').context))).toMatchObject({ status: 403 });
    const readOnly = principal('maintainer', { via: 'token', token_id: 't-1', scopes: ['read'] });
    const error = await refusal(setUp({ resolved: readOnly }).guard.canActivate(contextFor('create').context));
    expect(error).toMatchObject({ status: 403 });
    expect(error.detail).toContain('"write" scope');
    expect(await setUp({ resolved: principal('maintainer') }).guard.canActivate(contextFor('create').context)).toBe(true);
  });

  it('hides a model the caller may not read (404) and refuses a level below the route\'s (403)', async () => {
    const hidden = setUp({ resolved: principal('user'), level: null });
    expect(await refusal(hidden.guard.canActivate(contextFor('test', 'Bearer some-token', { id: 'm-1' }).context))).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(hidden.levels.levelOf).toHaveBeenCalledWith(expect.objectContaining({ user_id: 'u-1' }), 'm-1');
    const readOnly = setUp({ resolved: principal('user'), level: 'read' });
    expect(await refusal(readOnly.guard.canActivate(contextFor('test', 'Bearer some-token', { id: 'm-1' }).context))).toMatchObject({ status: 403 });
    expect(await setUp({ resolved: principal('user'), level: 'use' }).guard.canActivate(contextFor('test', 'Bearer some-token', { id: 'm-1' }).context)).toBe(true);
  });

  it('counts model calls as calls, and refuses over a limit with 429 after setting the headers', async () => {
    const { guard, limits } = setUp({ refusal: rateLimited('Rate limit reached: 10 (token) requests per minute.', 12_500) });
    const { context, headers } = contextFor('test', 'Bearer some-token', { id: 'm-1' });
    expect(await refusal(guard.canActivate(context))).toMatchObject({ status: 429, retryAfterSeconds: 13 });
    expect(limits.admit).toHaveBeenCalledWith(expect.anything(), { call: true });
    expect(headers['ratelimit-remaining']).toBe('9');
  });

  it('asks admins for their level too: admin routes need the admin role', async () => {
    expect(await refusal(setUp({ resolved: principal('maintainer') }).guard.canActivate(contextFor('users').context))).toMatchObject({ status: 403 });
    expect(await setUp({ resolved: principal('admin') }).guard.canActivate(contextFor('users').context)).toBe(true);
  });
});


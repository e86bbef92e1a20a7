import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { requireTestDatabaseUrl, waitFor, type ApiClient, type ApiResponse } from '@modelyard/testing';
import { ACCESS_ENV, createModel, setPermissions, TINY_INPUT, uploadOnnx } from './support/access.js';
import type { LoginResultDto } from '@modelyard/contracts';
import { createUser, TEST_PASSWORD, tokenClient, userClient } from './support/identity.js';
import { startDistributedSystem, type DistributedSystem } from './support/system.js';

const serverUrl = requireTestDatabaseUrl();
/** What the README promises: a revoked token or a disabled user is refused on every gateway within this. */
const REVOCATION_BOUND_MS = 2_000;

/**
 * Milliseconds from `changedAt` until `api` answers `path` with 401, asking as often as a busy
 * client would; gives up (failing) well after the bound.
 */
async function msUntilRefused(api: ApiClient, path: string, changedAt: number): Promise<number> {
  await waitFor(async () => (await api.get(path)).status === 401, { timeoutMs: REVOCATION_BOUND_MS * 3, intervalMs: 20, description: `${path} to be refused` });
  return Date.now() - changedAt;
}

/** Signs in through `api`'s gateway and answers the session token. */
async function sessionToken(api: ApiClient, username: string): Promise<string> {
  const login = await api.withToken(undefined).post<LoginResultDto>('/api/v1/auth/login', { username, password: TEST_PASSWORD });
  expect(login.status).toBe(200);
  return login.body.token;
}

/** Fires the requests at once and answers them in order. */
const all = <T,>(requests: Array<() => Promise<ApiResponse<T>>>) => Promise.all(requests.map((send) => send()));
const statusCounts = (answers: ApiResponse[]) => answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }), {});

// Two gateway processes behind one (imagined) load balancer, sharing the registry, PostgreSQL and
// Redis: what one is told, the other must honour within the promised time, and limits hold exactly
// across both.
describe('two gateway processes on real Redis', () => {
  let system: DistributedSystem;
  let a: ApiClient;
  let b: ApiClient;

  beforeAll(async () => {
    system = await startDistributedSystem(serverUrl, { infrastructure: true, env: ACCESS_ENV });
    a = system.api;
    b = (await system.startGatewayReplica()).api;
  }, 180_000);
  afterAll(() => system?.stop());

  describe('revocation', () => {
    it('refuses on gateway B, within 2 s, a token revoked through gateway A (each of 5 times)', async () => {
      const { api: owner } = await userClient(a, 'user');
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { token } = await tokenClient(owner, { name: `revoked ${i}` });
        const [onA, onB] = [a.withToken(token.token), b.withToken(token.token)];
        // Both gateways know the token (and B has it cached) the moment it is revoked.
        expect([(await onA.get('/api/v1/auth/me')).status, (await onB.get('/api/v1/auth/me')).status]).toEqual([200, 200]);
        expect((await owner.delete(`/api/v1/tokens/${token.id}`)).status).toBe(204);
        const revokedAt = Date.now();
        expect((await onA.get('/api/v1/auth/me')).status).toBe(401);
        delays.push(await msUntilRefused(onB, '/api/v1/auth/me', revokedAt));
      }
      expect({ delays, over: delays.filter((ms) => ms >= REVOCATION_BOUND_MS) }).toEqual({ delays, over: [] });
    });

    it('refuses on gateway B, within 2 s, the token of a user disabled through gateway A, and its session at once', async () => {
      for (let i = 0; i < 3; i++) {
        const user = await createUser(a, 'user');
        const session = await sessionToken(a, user.username);
        const { token } = await tokenClient(a.withToken(session));
        const sessionOnB = b.withToken(session);
        const tokenOnB = b.withToken(token.token);
        expect([(await sessionOnB.get('/api/v1/auth/me')).status, (await tokenOnB.get('/api/v1/auth/me')).status]).toEqual([200, 200]);
        expect((await a.patch(`/api/v1/users/${user.id}`, { disabled: true })).status).toBe(200);
        const disabledAt = Date.now();
        // Sessions live in Redis and are never cached: the first request after is refused.
        expect((await sessionOnB.get('/api/v1/auth/me')).status).toBe(401);
        expect(await msUntilRefused(tokenOnB, '/api/v1/auth/me', disabledAt)).toBeLessThan(REVOCATION_BOUND_MS);
      }
    });

    it('ends on gateway B at once a session signed out on gateway A', async () => {
      const user = await createUser(a, 'viewer');
      for (let i = 0; i < 3; i++) {
        const session = await sessionToken(a, user.username);
        const [onA, onB] = [a.withToken(session), b.withToken(session)];
        expect((await onB.get('/api/v1/auth/me')).status).toBe(200);
        expect((await onA.post('/api/v1/auth/logout')).status).toBe(204);
        expect((await onB.get('/api/v1/auth/me')).status).toBe(401);
        expect((await onA.get('/api/v1/auth/me')).status).toBe(401);
      }
    });
  });

  describe('limits across both gateways', () => {
    it('admits exactly rpm_limit of N + k concurrent requests split across A and B; the k others get 429 with Retry-After', async () => {
      const { api: owner } = await userClient(a, 'viewer');
      for (const [limit, extra] of [
        [10, 6],
        [7, 9],
      ] as const) {
        const { token } = await tokenClient(owner, { rpm_limit: limit });
        const clients = [a.withToken(token.token), b.withToken(token.token)];
        const answers = await all(Array.from({ length: limit + extra }, (_, i) => () => clients[i % 2]!.get('/api/v1/ai-models?page_size=1')));
        // Each gateway got more than half the limit: counted per process, more than the limit would pass.
        expect(Math.ceil((limit + extra) / 2)).toBeGreaterThan(limit / 2);
        expect(statusCounts(answers)).toEqual({ 200: limit, 429: extra });
        for (const refused of answers.filter((answer) => answer.status === 429)) {
          expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(refused.body).toMatchObject({ status: 429, code: 'rate_limited' });
        }
      }
    });

    it('admits exactly daily_call_limit of N + k concurrent test calls split across A and B; the k others get 429 with Retry-After', async () => {
      const model = await createModel(a);
      await uploadOnnx(a, model.id);
      await setPermissions(a, model.id, { visibility: 'internal' });
      // The bootstrap token has no quota: it warms the worker up, so the calls below only race each other.
      expect((await a.post(`/api/v1/ai-models/${model.id}/test`, TINY_INPUT)).status).toBe(200);
      const { api: owner } = await userClient(a, 'user');
      const [limit, extra] = [4, 4];
      const { token } = await tokenClient(owner, { daily_call_limit: limit });
      const clients = [a.withToken(token.token), b.withToken(token.token)];
      const answers = await all(Array.from({ length: limit + extra }, (_, i) => () => clients[i % 2]!.post(`/api/v1/ai-models/${model.id}/test`, TINY_INPUT)));
      expect(statusCounts(answers)).toEqual({ 200: limit, 429: extra });
      for (const refused of answers.filter((answer) => answer.status === 429)) {
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((refused.body as { detail: string }).detail).toMatch(/Daily call quota/);
      }
      // Other requests are not calls: the quota leaves them alone.
      expect((await clients[1]!.get(`/api/v1/ai-models/${model.id}`)).status).toBe(200);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditPageDto, LoginResultDto, ModelDto, ModelListDto, TokenListDto, UserDto, UserListDto, WhoAmIDto } from '@modelyard/contracts';
import { newModelBody, waitFor, type ApiClient } from '@modelyard/testing';
import { createUser, signIn, TEST_PASSWORD, TEST_SCRYPT_ENV, tokenClient, uniqueUsername, userClient } from './support/identity.js';
import type { SystemUnderTest } from './support/system.js';

/** Sign-in failures allowed per username in these systems (the default is 5). */
const MAX_FAILURES = 3;
export const IDENTITY_ENV = { ...TEST_SCRYPT_ENV, MODELYARD_SIGNIN_MAX_FAILURES: String(MAX_FAILURES) };

/**
 * Users, sign-in, API tokens and the rules around them, through the whole system: what a person
 * managing a Modelyard checks first. Run against each way of starting Modelyard.
 */
export function describeIdentity(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`identity (${label})`, () => {
    let system: SystemUnderTest;
    let admin: ApiClient;

    beforeAll(async () => {
      system = await start(IDENTITY_ENV);
      admin = system.api;
    }, 120_000);
    afterAll(() => system?.stop());

    describe('users', () => {
      it('creates a user without ever answering its password, and finds it again', async () => {
        const username = uniqueUsername('Mei');
        const created = await admin.post<UserDto>('/api/v1/users', { username, password: TEST_PASSWORD, role: 'maintainer', display_name: 'Mei Chen' });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ username, role: 'maintainer', display_name: 'Mei Chen', disabled: false, builtin: false, has_password: true, teams: [] });
        expect(created.text).not.toContain(TEST_PASSWORD);
        expect(created.text).not.toContain('scrypt');
        expect((await admin.get<UserDto>(`/api/v1/users/${created.body.id}`)).body).toEqual(created.body);
        const list = (await admin.get<UserListDto>('/api/v1/users')).body;
        expect(list.items.map((u) => u.username)).toEqual(expect.arrayContaining(['admin', username]));
        // Usernames are one whatever their case.
        expect((await admin.post('/api/v1/users', { username: username.toUpperCase(), password: TEST_PASSWORD, role: 'user' })).status).toBe(409);
      });

      it('refuses an unknown role, a short password and an unknown team, naming the field, and stores nothing', async () => {
        const username = uniqueUsername('bad');
        for (const [body, field] of [
          [{ username, password: TEST_PASSWORD, role: 'root' }, 'role'],
          [{ username, password: 'short', role: 'user' }, 'password'],
          [{ username, password: TEST_PASSWORD, role: 'user', teams: ['no-such-team'] }, 'teams'],
          [{ username: 'has space', password: TEST_PASSWORD, role: 'user' }, 'username'],
        ] as const) {
          const refused = await admin.post<{ errors: Array<{ field: string }> }>('/api/v1/users', body);
          expect(refused.status).toBe(422);
          expect(refused.body.errors.map((e) => e.field)).toContain(field);
        }
        const list = (await admin.get<UserListDto>('/api/v1/users')).body;
        expect(list.items.some((u) => u.username === username)).toBe(false);
      });

      it('keeps non-admins out of user management (403), and without a token everyone (401)', async () => {
        const { api } = await userClient(admin, 'maintainer');
        expect((await api.get('/api/v1/users')).status).toBe(403);
        expect((await api.post('/api/v1/users', { username: uniqueUsername('x'), password: TEST_PASSWORD, role: 'admin' })).status).toBe(403);
        expect((await admin.withToken(undefined).get('/api/v1/users')).status).toBe(401);
      });

      it('never removes the last enabled admin, nor the built-in one', async () => {
        const builtin = (await admin.get<UserListDto>('/api/v1/users')).body.items.find((u) => u.builtin)!;
        expect((await admin.delete(`/api/v1/users/${builtin.id}`)).status).toBe(409);
        const other = await createUser(admin, 'admin');
        const otherApi = await signIn(admin, other.username);
        // With another admin, the built-in one may be disabled (then the bootstrap token is refused)...
        expect((await otherApi.patch(`/api/v1/users/${builtin.id}`, { disabled: true })).status).toBe(200);
        try {
          expect((await admin.get('/api/v1/ai-models')).status).toBe(401);
          // ...but the last enabled admin cannot be demoted, disabled or deleted.
          for (const refused of [
            otherApi.patch(`/api/v1/users/${other.id}`, { role: 'maintainer' }),
            otherApi.patch(`/api/v1/users/${other.id}`, { disabled: true }),
            otherApi.delete(`/api/v1/users/${other.id}`),
          ]) {
            const answer = await refused;
            expect(answer.status).toBe(409);
            expect(answer.body).toMatchObject({ code: 'last_admin' });
          }
        } finally {
          expect((await otherApi.patch(`/api/v1/users/${builtin.id}`, { disabled: false })).status).toBe(200);
        }
        expect((await admin.get('/api/v1/ai-models')).status).toBe(200);
        expect((await admin.get<UserDto>(`/api/v1/users/${other.id}`)).body.role).toBe('admin');
      });
    });

    describe('sign-in', () => {
      it('signs in with a username and password; the token works until sign-out', async () => {
        const user = await createUser(admin, 'viewer');
        const login = await admin.withToken(undefined).post<LoginResultDto>('/api/v1/auth/login', { username: user.username.toUpperCase(), password: TEST_PASSWORD });
        expect(login.status).toBe(200);
        expect(login.body.token).toMatch(/^mys_[A-Za-z0-9_-]{43}$/);
        expect(Date.parse(login.body.expires_at)).toBeGreaterThan(Date.now() + 11 * 3_600_000);
        expect(login.body.user).toMatchObject({ id: user.id, role: 'viewer' });
        const session = admin.withToken(login.body.token);
        expect((await session.get<WhoAmIDto>('/api/v1/auth/me')).body).toMatchObject({ via: 'session', user: { username: user.username }, scopes: null });
        expect((await session.post('/api/v1/auth/logout')).status).toBe(204);
        expect((await session.get('/api/v1/auth/me')).status).toBe(401);
      });

      it('says the same for an unknown user and a wrong password, then slows repeated failures with 429 and Retry-After', async () => {
        const user = await createUser(admin, 'user');
        const anonymous = admin.withToken(undefined);
        const unknown = await anonymous.post('/api/v1/auth/login', { username: uniqueUsername('nobody'), password: TEST_PASSWORD });
        const wrong = await anonymous.post('/api/v1/auth/login', { username: user.username, password: 'not the password at all' });
        expect(unknown.status).toBe(401);
        expect(wrong.status).toBe(401);
        expect((wrong.body as { detail: string }).detail).toBe((unknown.body as { detail: string }).detail);
        for (let i = 1; i < MAX_FAILURES; i++) expect((await anonymous.post('/api/v1/auth/login', { username: user.username, password: 'still wrong, sorry' })).status).toBe(401);
        // The limit is reached: even the right password waits now, and says how long.
        const throttled = await anonymous.post('/api/v1/auth/login', { username: user.username, password: TEST_PASSWORD });
        expect(throttled.status).toBe(429);
        expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
        // Every attempt was audited, the throttled one too, and none records the password.
        const audit = (await admin.get<AuditPageDto>(`/api/v1/audit-events?actor=${user.username}&action=auth.login_failed`)).body;
        expect(audit.total).toBe(MAX_FAILURES + 1);
        expect(audit.items[0]!.details).toMatchObject({ reason: 'throttled' });
        expect(JSON.stringify(audit)).not.toContain('still wrong');
      });

      it('refuses a disabled user and ends its sessions and tokens at once', async () => {
        const { user, api } = await userClient(admin, 'user');
        const { api: tokenApi } = await tokenClient(api);
        expect((await tokenApi.get('/api/v1/ai-models')).status).toBe(200);
        expect((await admin.patch(`/api/v1/users/${user.id}`, { disabled: true })).status).toBe(200);
        expect((await api.get('/api/v1/ai-models')).status).toBe(401);
        await waitFor(async () => (await tokenApi.get('/api/v1/ai-models')).status === 401, { timeoutMs: 2_000, intervalMs: 100, description: 'the token to be refused' });
        expect((await admin.withToken(undefined).post('/api/v1/auth/login', { username: user.username, password: TEST_PASSWORD })).status).toBe(401);
      });

      it('ends the sessions of a user whose password changes; the new one signs in', async () => {
        const { user, api } = await userClient(admin, 'viewer');
        expect((await admin.patch(`/api/v1/users/${user.id}`, { password: 'a brand new passphrase' })).status).toBe(200);
        expect((await api.get('/api/v1/auth/me')).status).toBe(401);
        await expect(signIn(admin, user.username, 'a brand new passphrase')).resolves.toBeDefined();
      });
    });

    describe('API tokens', () => {
      it('shows a token once, stores only what recognises it, and refuses it within 2 s of revocation', async () => {
        const { api } = await userClient(admin, 'user');
        const { token, api: tokenApi } = await tokenClient(api, { name: 'ci pipeline' });
        expect(token.token).toMatch(/^myt_[A-Za-z0-9_-]{43}$/);
        expect(token).toMatchObject({ name: 'ci pipeline', scopes: ['read', 'invoke'], prefix: token.token.slice(0, 8), last4: token.token.slice(-4), revoked_at: null });
        const listed = (await api.get<TokenListDto>('/api/v1/tokens')).body;
        expect(listed.items.map((t) => t.id)).toEqual([token.id]);
        expect(JSON.stringify(listed)).not.toContain(token.token);
        expect((await system.sql(`SELECT * FROM api_tokens WHERE id = $1`, [token.id])).map((row) => JSON.stringify(row)).join()).not.toContain(token.token);
        expect((await tokenApi.get<WhoAmIDto>('/api/v1/auth/me')).body).toMatchObject({ via: 'token', token_id: token.id, scopes: ['read', 'invoke'] });

        expect((await api.delete(`/api/v1/tokens/${token.id}`)).status).toBe(204);
        const revokedAt = Date.now();
        await waitFor(async () => (await tokenApi.get('/api/v1/ai-models')).status === 401, { timeoutMs: 2_000, intervalMs: 50, description: 'the revoked token to be refused' });
        expect(Date.now() - revokedAt).toBeLessThan(2_000);
        expect((await api.get<TokenListDto>('/api/v1/tokens')).body.items[0]!.revoked_at).not.toBeNull();
      });

      it('never gives a token more than its user: scopes beyond the role are refused (403), a read-only token cannot write', async () => {
        const { api } = await userClient(admin, 'user');
        const refused = await api.post('/api/v1/tokens', { name: 'too much', scopes: ['read', 'write'] });
        expect(refused.status).toBe(403);
        expect(refused.body).toMatchObject({ code: 'scope_above_role', errors: [{ field: 'scopes' }] });
        const { api: maintainer } = await userClient(admin, 'maintainer');
        const { api: readOnly } = await tokenClient(maintainer, { scopes: ['read'] });
        expect((await readOnly.get('/api/v1/ai-models')).status).toBe(200);
        expect((await readOnly.post('/api/v1/ai-models', newModelBody())).status).toBe(403);
        // A token cannot make tokens unless it carries the admin scope (only admins' can).
        expect((await readOnly.post('/api/v1/tokens', { name: 'minted' })).status).toBe(403);
      });

      it('refuses an expired token, and an expiry in the past', async () => {
        const { api } = await userClient(admin, 'viewer');
        expect((await api.post('/api/v1/tokens', { name: 'late', expires_at: new Date(Date.now() - 1_000).toISOString() })).status).toBe(422);
        const { api: shortLived } = await tokenClient(api, { expires_at: new Date(Date.now() + 1_500).toISOString() });
        expect((await shortLived.get('/api/v1/auth/me')).status).toBe(200);
        await waitFor(async () => (await shortLived.get('/api/v1/auth/me')).status === 401, { timeoutMs: 6_000, intervalMs: 200, description: 'the token to expire' });
      });

      it('limits a token to its models: others do not exist for it', async () => {
        const shown = (await admin.post<ModelDto>('/api/v1/ai-models', newModelBody())).body;
        const hidden = (await admin.post<ModelDto>('/api/v1/ai-models', newModelBody())).body;
        const { api: limited } = await tokenClient(admin, { model_ids: [shown.id], scopes: ['read'] });
        expect((await limited.get(`/api/v1/ai-models/${shown.id}`)).status).toBe(200);
        expect((await limited.get(`/api/v1/ai-models/${hidden.id}`)).status).toBe(404);
        const list = (await limited.get<ModelListDto>('/api/v1/ai-models?page_size=200')).body;
        expect(list.items.map((m) => m.id)).toEqual([shown.id]);
        expect(list.total).toBe(1);
      });

      it('counts a token against its rate limit over a sliding minute: the limit passes, then 429 with Retry-After and RateLimit headers', async () => {
        const { api: limited } = await tokenClient(admin, { rpm_limit: 4 });
        const answers = [];
        for (let i = 0; i < 6; i++) answers.push(await limited.get('/api/v1/auth/me'));
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429]);
        expect(answers[3]!.headers.get('ratelimit-limit')).toBe('4');
        expect(answers[3]!.headers.get('ratelimit-remaining')).toBe('0');
        const refused = answers[4]!;
        expect(refused.body).toMatchObject({ code: 'rate_limited', status: 429 });
        const retryAfter = Number(refused.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
        // The bootstrap token has no limits.
        for (let i = 0; i < 10; i++) expect((await admin.get('/api/v1/auth/me')).status).toBe(200);
      });
    });
  });
}

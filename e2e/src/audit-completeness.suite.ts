import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AuditAction, AuditEventDto, AuditPageDto, AuditVerificationDto, CreatedTokenDto, LoginResultDto, ModelDto, TeamDto, UserDto } from '@modelyard/contracts';
import type { ApiClient, ApiResponse } from '@modelyard/testing';
import { ACCESS_ENV, createModel, onnxForm, TINY_INPUT } from './support/access.js';
import { createUser, TEST_PASSWORD, tokenClient, uniqueUsername, userClient } from './support/identity.js';
import { TEST_ADMIN_TOKEN, type SystemUnderTest } from './support/system.js';

const NEW_PASSWORD = 'a completely new passphrase 42';

interface Expectation {
  action: AuditAction;
  target: string | null;
  actor: { user_id: string | null; username: string; token_id: string | null };
  result?: 'success' | 'failure';
  details?: Record<string, unknown>;
}

/**
 * The audit log through the whole system: every action of issue 13's list writes exactly one record
 * (actor, token, client address, request id, result); a refused request writes none; no record holds
 * a password or a token; and the hash chain verifies. Run against each way of starting Modelyard.
 */
export function describeAuditCompleteness(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`audit completeness (${label})`, () => {
    let system: SystemUnderTest;
    let bootstrap: ApiClient;
    /** Every token and password this suite used: none may appear in a record. */
    const secrets: string[] = [TEST_PASSWORD, NEW_PASSWORD, TEST_ADMIN_TOKEN];

    beforeAll(async () => {
      system = await start(ACCESS_ENV);
      bootstrap = system.api;
    }, 120_000);
    afterAll(() => system?.stop());

    /** Sends a request with an X-Request-Id of its own; the answer must echo it. */
    const send = async <T,>(api: ApiClient, method: string, path: string, body?: unknown, form?: FormData): Promise<{ answer: ApiResponse<T>; requestId: string }> => {
      const requestId = `audit-${randomUUID()}`;
      const answer = await api.request<T>(method, path, body, { headers: { 'x-request-id': requestId }, ...(form && { body: form }) });
      expect({ path, echoed: answer.headers.get('x-request-id') }).toEqual({ path, echoed: requestId });
      return { answer, requestId };
    };
    const recordsOfRequest = (requestId: string) => system.sql<{ action: string }>('SELECT action FROM audit_events WHERE request_id = $1', [requestId]);
    const count = async () => Number((await system.sql<{ n: string }>('SELECT count(*) AS n FROM audit_events'))[0]!.n);

    /** The request wrote exactly one record, the only one of its action about its target, saying who, from where and what. */
    const expectOneRecord = async (requestId: string, expected: Expectation) => {
      expect({ action: expected.action, records: (await recordsOfRequest(requestId)).map((r) => r.action) }).toEqual({ action: expected.action, records: [expected.action] });
      const query = `action=${expected.action}${expected.target ? `&target_id=${expected.target}` : ''}`;
      const page = (await bootstrap.get<AuditPageDto>(`/api/v1/audit-events?${query}`)).body;
      expect({ query, total: page.total }).toEqual({ query, total: 1 });
      const record = page.items[0]!;
      expect(record).toMatchObject({
        action: expected.action,
        result: expected.result ?? 'success',
        actor: expected.actor,
        target_id: expected.target,
        client_ip: '127.0.0.1',
        request_id: requestId,
        ...(expected.details && { details: expected.details }),
      });
      return record;
    };

    it('writes exactly one record for each action, with its actor, token, client address, request id and result', async () => {
      const { user: boss, api: bossApi } = await userClient(bootstrap, 'admin');
      const bossActor = { user_id: boss.id, username: boss.username, token_id: null };
      const { user: maintainer, api: maintainerSession } = await userClient(bootstrap, 'maintainer');
      const { token, api: maint } = await tokenClient(maintainerSession, { name: 'audited' });
      secrets.push(token.token);
      const maintActor = { user_id: maintainer.id, username: maintainer.username, token_id: token.id };
      const viewer = await createUser(bootstrap, 'viewer');

      // Models, through the maintainer's API token: the records name the token.
      const created = await send<ModelDto>(maint, 'POST', '/api/v1/ai-models', { name: uniqueUsername('audited'), type: 'embedding', source: 'upload', description: 'before' });
      expect(created.answer.status).toBe(201);
      const modelId = created.answer.body.id;
      await expectOneRecord(created.requestId, { action: 'model.create', target: modelId, actor: maintActor });
      const updated = await send(maint, 'PATCH', `/api/v1/ai-models/${modelId}`, { description: 'after', accuracy: 0.9 });
      expect(updated.answer.status).toBe(200);
      const update = await expectOneRecord(updated.requestId, {
        action: 'model.update',
        target: modelId,
        actor: maintActor,
        details: { changed: { description: { from: 'before', to: 'after' }, accuracy: { from: null, to: 0.9 } } },
      });
      // The diff has the fields changed, and only those.
      expect([...(update.details.fields as string[])].sort()).toEqual(['accuracy', 'description']);
      expect(Object.keys(update.details.changed as object).sort()).toEqual(['accuracy', 'description']);
      const uploaded = await send(maint, 'POST', `/api/v1/ai-models/${modelId}/files`, undefined, onnxForm());
      expect(uploaded.answer.status).toBe(201);
      await expectOneRecord(uploaded.requestId, { action: 'model.file.upload', target: modelId, actor: maintActor, details: { files: [expect.objectContaining({ path: 'tiny.onnx' })] } });
      const toggled = await send(maint, 'POST', `/api/v1/ai-models/${modelId}/toggle-status`);
      expect(toggled.answer.status).toBe(200);
      await expectOneRecord(toggled.requestId, { action: 'model.toggle', target: modelId, actor: maintActor, details: { from: 'active', to: 'inactive' } });
      const shared = await send(maint, 'PUT', `/api/v1/ai-models/${modelId}/permissions`, { visibility: 'internal', grants: [{ user: viewer.username, level: 'read' }] });
      expect(shared.answer.status).toBe(200);
      await expectOneRecord(shared.requestId, {
        action: 'permission.change',
        target: modelId,
        actor: maintActor,
        details: { visibility: { from: 'private', to: 'internal' }, grants: { from: [], to: [{ user: viewer.username, level: 'read' }] } },
      });
      const deleted = await send(maint, 'DELETE', `/api/v1/ai-models/${modelId}`);
      expect(deleted.answer.status).toBe(204);
      await expectOneRecord(deleted.requestId, { action: 'model.delete', target: modelId, actor: maintActor });

      // Tokens, users and teams, by an admin signed in.
      const minted = await send<CreatedTokenDto>(bossApi, 'POST', '/api/v1/tokens', { name: 'short-lived', scopes: ['read'] });
      expect(minted.answer.status).toBe(201);
      secrets.push(minted.answer.body.token);
      await expectOneRecord(minted.requestId, { action: 'token.create', target: minted.answer.body.id, actor: bossActor, details: { name: 'short-lived', scopes: ['read'] } });
      const revoked = await send(bossApi, 'DELETE', `/api/v1/tokens/${minted.answer.body.id}`);
      expect(revoked.answer.status).toBe(204);
      await expectOneRecord(revoked.requestId, { action: 'token.revoke', target: minted.answer.body.id, actor: bossActor });

      const username = uniqueUsername('audited');
      const userMade = await send<UserDto>(bossApi, 'POST', '/api/v1/users', { username, password: TEST_PASSWORD, role: 'viewer' });
      expect(userMade.answer.status).toBe(201);
      const userId = userMade.answer.body.id;
      await expectOneRecord(userMade.requestId, { action: 'user.create', target: userId, actor: bossActor, details: { username, role: 'viewer' } });
      // A new password is recorded as changed, its value never.
      const userChanged = await send(bossApi, 'PATCH', `/api/v1/users/${userId}`, { role: 'user', password: NEW_PASSWORD });
      expect(userChanged.answer.status).toBe(200);
      await expectOneRecord(userChanged.requestId, { action: 'user.update', target: userId, actor: bossActor, details: { changed: { role: { from: 'viewer', to: 'user' }, password: { changed: true } } } });

      const teamMade = await send<TeamDto>(bossApi, 'POST', '/api/v1/teams', { name: uniqueUsername('audited'), members: [username] });
      expect(teamMade.answer.status).toBe(201);
      const teamId = teamMade.answer.body.id;
      await expectOneRecord(teamMade.requestId, { action: 'team.create', target: teamId, actor: bossActor, details: { members: [username] } });
      const teamChanged = await send(bossApi, 'PATCH', `/api/v1/teams/${teamId}`, { members: [] });
      expect(teamChanged.answer.status).toBe(200);
      await expectOneRecord(teamChanged.requestId, { action: 'team.update', target: teamId, actor: bossActor, details: { changed: { members: { from: [username], to: [] } } } });
      const teamGone = await send(bossApi, 'DELETE', `/api/v1/teams/${teamId}`);
      expect(teamGone.answer.status).toBe(204);
      await expectOneRecord(teamGone.requestId, { action: 'team.delete', target: teamId, actor: bossActor });

      // Sign-in and sign-out of the new user: the attempt is the actor.
      const anonymous = bootstrap.withToken(undefined);
      const failed = await send(anonymous, 'POST', '/api/v1/auth/login', { username, password: TEST_PASSWORD });
      expect(failed.answer.status).toBe(401);
      await expectOneRecord(failed.requestId, { action: 'auth.login_failed', result: 'failure', target: userId, actor: { user_id: userId, username, token_id: null } });
      const login = await send<LoginResultDto>(anonymous, 'POST', '/api/v1/auth/login', { username, password: NEW_PASSWORD });
      expect(login.answer.status).toBe(200);
      secrets.push(login.answer.body.token);
      await expectOneRecord(login.requestId, { action: 'auth.login', target: userId, actor: { user_id: userId, username, token_id: null } });
      const logout = await send(anonymous.withToken(login.answer.body.token), 'POST', '/api/v1/auth/logout');
      expect(logout.answer.status).toBe(204);
      await expectOneRecord(logout.requestId, { action: 'auth.logout', target: userId, actor: { user_id: userId, username, token_id: null } });

      const userGone = await send(bossApi, 'DELETE', `/api/v1/users/${userId}`);
      expect(userGone.answer.status).toBe(204);
      await expectOneRecord(userGone.requestId, { action: 'user.delete', target: userId, actor: bossActor });
      const rotated = await send(bossApi, 'POST', '/api/v1/admin/secrets/rotate');
      expect(rotated.answer.status).toBe(200);
      await expectOneRecord(rotated.requestId, { action: 'secrets.rotate', target: null, actor: bossActor });
    });

    it('writes no record for a request it refuses (403, 404, 409, 422)', async () => {
      const { api: viewer } = await userClient(bootstrap, 'viewer');
      const { user: maintainer, api: maintainerApi } = await userClient(bootstrap, 'maintainer');
      const { api: readOnly } = await tokenClient(maintainerApi, { scopes: ['read'] });
      const { api: boss } = await userClient(bootstrap, 'admin');
      const theirs = await createModel(bootstrap);
      const everyones = await createModel(bootstrap);
      expect((await bootstrap.put(`/api/v1/ai-models/${everyones.id}/permissions`, { visibility: 'internal' })).status).toBe(200);
      const mine = await createModel(maintainerApi);
      const builtin = (await bootstrap.get<{ items: UserDto[] }>('/api/v1/users')).body.items.find((u) => u.builtin)!;
      const before = await count();
      const refusals: Array<[number, ApiClient, string, string, unknown?]> = [
        [403, viewer, 'POST', '/api/v1/ai-models', { name: uniqueUsername('no'), type: 'custom' }],
        [403, readOnly, 'PATCH', `/api/v1/ai-models/${mine.id}`, { description: 'no' }],
        [403, maintainerApi, 'POST', '/api/v1/users', { username: uniqueUsername('no'), password: TEST_PASSWORD, role: 'admin' }],
        [403, maintainerApi, 'PUT', `/api/v1/ai-models/${everyones.id}/permissions`, { visibility: 'private' }],
        [403, maintainerApi, 'PATCH', `/api/v1/ai-models/${everyones.id}`, { description: 'no' }],
        [403, maintainerApi, 'POST', `/api/v1/ai-models/${everyones.id}/files`, undefined],
        [403, viewer, 'POST', `/api/v1/ai-models/${theirs.id}/test`, TINY_INPUT],
        [404, maintainerApi, 'PATCH', `/api/v1/ai-models/${theirs.id}`, { description: 'no' }],
        [404, maintainerApi, 'DELETE', `/api/v1/ai-models/${theirs.id}`],
        [404, maintainerApi, 'POST', `/api/v1/ai-models/${theirs.id}/toggle-status`],
        [404, boss, 'DELETE', `/api/v1/users/${randomUUID()}`],
        [404, maintainerApi, 'DELETE', `/api/v1/tokens/${randomUUID()}`],
        [409, maintainerApi, 'POST', '/api/v1/ai-models', { name: mine.name, version: mine.version, type: 'custom' }],
        [409, boss, 'POST', '/api/v1/users', { username: maintainer.username.toUpperCase(), password: TEST_PASSWORD, role: 'user' }],
        [409, boss, 'DELETE', `/api/v1/users/${builtin.id}`],
        [409, readOnly, 'POST', '/api/v1/auth/logout'],
        [422, maintainerApi, 'PATCH', `/api/v1/ai-models/${mine.id}`, { accuracy: 7 }],
        [422, maintainerApi, 'PUT', `/api/v1/ai-models/${mine.id}/permissions`, { grants: [{ user: uniqueUsername('nobody'), level: 'read' }] }],
        [422, boss, 'POST', '/api/v1/users', { username: uniqueUsername('no'), password: 'short', role: 'user' }],
        [422, maintainerApi, 'POST', '/api/v1/tokens', { name: 'late', expires_at: new Date(Date.now() - 60_000).toISOString() }],
        [422, boss, 'POST', '/api/v1/teams', { name: uniqueUsername('no'), members: [uniqueUsername('nobody')] }],
      ];
      for (const [status, api, method, path, body] of refusals) {
        const { answer, requestId } = await send(api, method, path, body);
        expect({ method, path, status: answer.status }).toEqual({ method, path, status });
        expect({ method, path, records: await recordsOfRequest(requestId) }).toEqual({ method, path, records: [] });
      }
      expect(await count()).toBe(before);
    });

    it('keeps no password or token in any record, and the chain verifies', async () => {
      const records: AuditEventDto[] = [];
      for (let page = 1; ; page++) {
        const body = (await bootstrap.get<AuditPageDto>(`/api/v1/audit-events?page_size=200&page=${page}`)).body;
        records.push(...body.items);
        if (records.length >= body.total) break;
      }
      expect(records.length).toBe(await count());
      const stored = JSON.stringify(await system.sql('SELECT * FROM audit_events'));
      for (const secret of secrets) {
        expect({ secret: `…${secret.slice(-4)}`, inAnswers: JSON.stringify(records).includes(secret), inTable: stored.includes(secret) }).toEqual({ secret: `…${secret.slice(-4)}`, inAnswers: false, inTable: false });
      }
      const verified = await bootstrap.get<AuditVerificationDto>('/api/v1/audit-events/verify');
      expect(verified.body).toEqual({ ok: true, checked: records.length, first_bad_seq: null, problem: null });
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { AuditPageDto, ModelDto, ModelListDto, TeamDto } from '@modelyard/contracts';
import type { ApiClient } from '@modelyard/testing';
import { ACCESS_ENV, createModel, onnxForm, setPermissions, TINY_INPUT, uploadOnnx } from './support/access.js';
import { tokenClient, uniqueUsername, userClient } from './support/identity.js';
import type { SystemUnderTest } from './support/system.js';

const BASE = '/api/v1/ai-models';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/**
 * Who sees which model, through the whole system: a private model does not exist for anyone it was
 * not shared with — not in lists, counts, searches or filters, and a 404 on every route about it —
 * and grants (to users or teams), internal visibility, token model lists and role caps open exactly
 * what they should. Run against each way of starting Modelyard.
 */
export function describeModelVisibility(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`access: per-model visibility (${label})`, () => {
    let system: SystemUnderTest;
    let admin: ApiClient;

    beforeAll(async () => {
      system = await start(ACCESS_ENV);
      admin = system.api;
    }, 120_000);
    afterAll(() => system?.stop());

    /** A private model of the bootstrap admin with an ONNX file, findable by a tag and a word of its own. */
    const privateModel = async () => {
      const word = `w${randomUUID().slice(0, 8)}`;
      const model = await createModel(admin, { name: `secret-${word}`, description: `only for ${word}`, tags: [word] });
      await uploadOnnx(admin, model.id);
      return { model, word };
    };
    const listed = async (api: ApiClient, query: string) => (await api.get<ModelListDto>(`${BASE}?page_size=200&${query}`)).body;
    /** What a caller sees of the model: each read route's status, and whether lists, searches and filters show it. */
    const sight = async (api: ApiClient, model: ModelDto, word: string) => ({
      get: (await api.get(`${BASE}/${model.id}`)).status,
      stats: (await api.get(`${BASE}/${model.id}/stats`)).status,
      test: (await api.post(`${BASE}/${model.id}/test`, TINY_INPUT)).status,
      search: (await listed(api, `q=${word}`)).total,
      tag: (await listed(api, `tag=${word}&type=embedding&source=upload`)).total,
      inList: (await listed(api, '')).items.some((m) => m.id === model.id),
    });

    it('keeps a private model out of another user\'s lists, counts, searches and filters, and answers 404 on every route about it', async () => {
      const { model, word } = await privateModel();
      const { api: maintainer } = await userClient(admin, 'maintainer');
      const { api: user } = await userClient(admin, 'user');
      // The searches do find it for someone who may see it.
      expect(await sight(admin, model, word)).toEqual({ get: 200, stats: 200, test: 200, search: 1, tag: 1, inList: true });
      for (const api of [maintainer, user]) {
        expect(await sight(api, model, word)).toEqual({ get: 404, stats: 404, test: 404, search: 0, tag: 0, inList: false });
        // The total counts only what the caller may read: everything it may read fits on this page.
        const all = await listed(api, '');
        expect(all.total).toBe(all.items.length);
      }
      // Every route about the model, for a role that may use each: the same 404 as for a model that never existed.
      const unknown = (await maintainer.get<{ detail: string }>(`${BASE}/${UNKNOWN_ID}`)).body.detail;
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['GET', '/stats', undefined],
        ['GET', '/permissions', undefined],
        ['PUT', '/permissions', { visibility: 'internal' }],
        ['PATCH', '', { description: 'mine now' }],
        ['DELETE', '', undefined],
        ['POST', '/toggle-status', undefined],
        ['POST', '/test', TINY_INPUT],
      ] as const) {
        const answer = await maintainer.request<{ code: string; detail: string }>(method, `${BASE}/${model.id}${suffix}`, body);
        expect({ route: `${method} ${suffix}`, status: answer.status, code: answer.body.code }).toEqual({ route: `${method} ${suffix}`, status: 404, code: 'model_not_found' });
        expect(answer.body.detail).toBe(unknown.replace(UNKNOWN_ID, model.id));
      }
      const upload = await maintainer.request('POST', `${BASE}/${model.id}/files`, undefined, { body: onnxForm() });
      expect(upload.status).toBe(404);
      // Nothing was changed by any of it.
      expect((await admin.get<ModelDto>(`${BASE}/${model.id}`)).body).toMatchObject({ status: 'active', description: model.description, artifacts: [expect.anything()] });
    });

    it('granting read opens the model, its lists and stats but not test calls (403); use opens test calls, not edits', async () => {
      const { model, word } = await privateModel();
      const { user, api } = await userClient(admin, 'maintainer');
      await setPermissions(admin, model.id, { grants: [{ user: user.username, level: 'read' }] });
      expect(await sight(api, model, word)).toEqual({ get: 200, stats: 200, test: 403, search: 1, tag: 1, inList: true });
      expect((await api.get(`${BASE}/${model.id}/permissions`)).status).toBe(403);

      await setPermissions(admin, model.id, { grants: [{ user: user.username, level: 'use' }] });
      const call = await api.post<{ output: { y: { data: number[][] } } }>(`${BASE}/${model.id}/test`, TINY_INPUT);
      expect(call.status).toBe(200);
      expect(call.body.output.y.data).toEqual([[3]]);
      expect((await api.patch(`${BASE}/${model.id}`, { description: 'not mine' })).status).toBe(403);

      // Taking the grant back closes it again.
      await setPermissions(admin, model.id, { grants: [] });
      expect(await sight(api, model, word)).toEqual({ get: 404, stats: 404, test: 404, search: 0, tag: 0, inList: false });
    });

    it('gives a team grant to its members, and takes it from a member removed from the team', async () => {
      const { model, word } = await privateModel();
      const leaving = await userClient(admin, 'user');
      const staying = await userClient(admin, 'user');
      const team = (await admin.post<TeamDto>('/api/v1/teams', { name: uniqueUsername('vision'), members: [leaving.user.username, staying.user.username] })).body;
      await setPermissions(admin, model.id, { grants: [{ team: team.name, level: 'use' }] });
      for (const { api } of [leaving, staying]) expect(await sight(api, model, word)).toEqual({ get: 200, stats: 200, test: 200, search: 1, tag: 1, inList: true });

      expect((await admin.patch(`/api/v1/teams/${team.id}`, { members: [staying.user.username] })).status).toBe(200);
      expect(await sight(leaving.api, model, word)).toEqual({ get: 404, stats: 404, test: 404, search: 0, tag: 0, inList: false });
      expect((await staying.api.post(`${BASE}/${model.id}/test`, TINY_INPUT)).status).toBe(200);
    });

    it('lets every user read and use an internal model, but edit it only with a grant (403)', async () => {
      const { model, word } = await privateModel();
      await setPermissions(admin, model.id, { visibility: 'internal' });
      const { api: viewer } = await userClient(admin, 'viewer');
      const { api: user } = await userClient(admin, 'user');
      const { user: maintainerUser, api: maintainer } = await userClient(admin, 'maintainer');
      expect(await sight(user, model, word)).toEqual({ get: 200, stats: 200, test: 200, search: 1, tag: 1, inList: true });
      expect(await sight(maintainer, model, word)).toEqual({ get: 200, stats: 200, test: 200, search: 1, tag: 1, inList: true });
      // A viewer reads it; calling it takes the user role.
      expect(await sight(viewer, model, word)).toEqual({ get: 200, stats: 200, test: 403, search: 1, tag: 1, inList: true });
      for (const [method, suffix, body] of [
        ['PATCH', '', { description: 'everyone\'s?' }],
        ['POST', '/toggle-status', undefined],
        ['DELETE', '', undefined],
        ['GET', '/permissions', undefined],
        ['PUT', '/permissions', { visibility: 'private' }],
      ] as const) {
        const answer = await maintainer.request<{ code: string }>(method, `${BASE}/${model.id}${suffix}`, body);
        expect({ route: `${method} ${suffix}`, status: answer.status }).toEqual({ route: `${method} ${suffix}`, status: 403 });
      }
      expect((await maintainer.request('POST', `${BASE}/${model.id}/files`, undefined, { body: onnxForm() })).status).toBe(403);
      // With an edit grant on top, the same maintainer edits it.
      await setPermissions(admin, model.id, { grants: [{ user: maintainerUser.username, level: 'edit' }] });
      expect((await maintainer.patch(`${BASE}/${model.id}`, { description: 'edited with a grant' })).status).toBe(200);
    });

    it('shows a token with model_ids only those models, whatever its user may see', async () => {
      const shown = await privateModel();
      const hidden = await privateModel();
      const { user, api } = await userClient(admin, 'user');
      for (const { model } of [shown, hidden]) await setPermissions(admin, model.id, { grants: [{ user: user.username, level: 'use' }] });
      const { api: limited } = await tokenClient(api, { model_ids: [shown.model.id] });
      const list = await listed(limited, '');
      expect(list.items.map((m) => m.id)).toEqual([shown.model.id]);
      expect(list.total).toBe(1);
      expect(await sight(limited, shown.model, shown.word)).toEqual({ get: 200, stats: 200, test: 200, search: 1, tag: 1, inList: true });
      expect(await sight(limited, hidden.model, hidden.word)).toEqual({ get: 404, stats: 404, test: 404, search: 0, tag: 0, inList: false });
      // Its user, signed in, still sees both.
      expect(await sight(api, hidden.model, hidden.word)).toMatchObject({ get: 200, test: 200 });
    });

    it('caps a grant by the role: a viewer granted edit only reads, a user granted manage only uses', async () => {
      const { model, word } = await privateModel();
      const viewer = await userClient(admin, 'viewer');
      const user = await userClient(admin, 'user');
      await setPermissions(admin, model.id, { grants: [{ user: viewer.user.username, level: 'edit' }, { user: user.user.username, level: 'manage' }] });
      expect(await sight(viewer.api, model, word)).toEqual({ get: 200, stats: 200, test: 403, search: 1, tag: 1, inList: true });
      expect(await sight(user.api, model, word)).toEqual({ get: 200, stats: 200, test: 200, search: 1, tag: 1, inList: true });
      for (const { api } of [viewer, user]) {
        expect((await api.patch(`${BASE}/${model.id}`, { description: 'capped' })).status).toBe(403);
        expect((await api.post(`${BASE}/${model.id}/toggle-status`)).status).toBe(403);
        expect((await api.delete(`${BASE}/${model.id}`)).status).toBe(403);
        // Nor do they read the model's audit records, which are for those who manage it.
        expect((await api.get<AuditPageDto>(`/api/v1/audit-events?target_id=${model.id}`)).body.total).toBe(0);
      }
      // A maintainer granted manage does manage it: the cap is the role's, not the grant's.
      const maintainer = await userClient(admin, 'maintainer');
      await setPermissions(admin, model.id, { grants: [{ user: maintainer.user.username, level: 'manage' }] });
      expect((await maintainer.api.get<AuditPageDto>(`/api/v1/audit-events?target_id=${model.id}`)).body.total).toBeGreaterThan(0);
      expect((await maintainer.api.get(`${BASE}/${model.id}/permissions`)).status).toBe(200);
    });
  });
}

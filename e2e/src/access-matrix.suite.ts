import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PERMISSIONS, type CreatedTokenDto, type ModelAccessLevel, type Role, type TeamDto } from '@modelyard/contracts';
import { startHuggingFaceStandIn, type ApiClient, type HuggingFaceStandIn } from '@modelyard/testing';
import {
  ACCESS_ENV,
  createModel,
  described,
  matrixCallers,
  onnxForm,
  setPermissions,
  TINY_INPUT,
  TINY_ONNX,
  uploadOnnx,
  type MatrixCaller,
} from './support/access.js';
import { createUser, TEST_PASSWORD, uniqueUsername } from './support/identity.js';
import { REPO_ROOT, type SystemUnderTest } from './support/system.js';

interface XPermission {
  name: string;
  scope?: string | null;
  role?: Role;
  model?: ModelAccessLevel;
  call?: true;
}
interface Operation {
  'x-permission'?: XPermission;
  responses: Record<string, unknown>;
}
type OpenApiDocument = { paths: Record<string, Record<string, Operation>> };

type Fixture = 'private' | 'granted use' | 'internal';
const FIXTURES: Fixture[] = ['private', 'granted use', 'internal'];

/**
 * Each role's level on each kind of model, as the README states the rules (the owner — here the
 * bootstrap admin — manages; a grant gives its level; internal gives `use`; a viewer is capped at
 * `read`, a user at `use`). Written out here, not computed by the code under test.
 */
const LEVEL_ON: Record<Fixture, Record<Role, ModelAccessLevel | null>> = {
  private: { viewer: null, user: null, maintainer: null, admin: 'manage' },
  'granted use': { viewer: 'read', user: 'use', maintainer: 'use', admin: 'manage' },
  internal: { viewer: 'read', user: 'use', maintainer: 'use', admin: 'manage' },
};
const ROLE_ORDER: Role[] = ['viewer', 'user', 'maintainer', 'admin'];
const LEVEL_ORDER: ModelAccessLevel[] = ['read', 'use', 'edit', 'manage'];

/**
 * The status a call must get, from the operation's rule alone: 401 without a token; 403 for a token
 * without the scope or a role below the rule's; 404 when the caller may not read the model; 403
 * below the level the rule needs; otherwise the route's documented success (or `success`).
 */
function expectedStatus(rule: XPermission, caller: MatrixCaller, fixture: Fixture | null, success: number): number {
  if (rule.name === 'public') return success;
  if (caller.role === null) return 401;
  if (rule.scope && caller.scopes !== null && !caller.scopes.includes(rule.scope as never)) return 403;
  if (ROLE_ORDER.indexOf(caller.role) < ROLE_ORDER.indexOf(rule.role!)) return 403;
  if (rule.model) {
    const level = LEVEL_ON[fixture!][caller.role];
    if (level === null) return 404;
    if (LEVEL_ORDER.indexOf(level) < LEVEL_ORDER.indexOf(rule.model)) return 403;
  }
  return success;
}

interface Ctx {
  caller: MatrixCaller;
  /** The model the call is about: the shared one of its fixture, or (for changes) a new one like it. */
  modelId: string;
}
interface Request {
  path: string;
  body?: unknown;
  form?: FormData;
  /** Another client of the caller's kind (a new session for a sign-out). */
  api?: ApiClient;
}

/**
 * The matrix, run against each way of starting Modelyard: every operation of /api/docs-json must
 * declare who may call it, and answers every kind of caller exactly as its rule says.
 */
export function describeAccessMatrix(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`access: role × route matrix (${label})`, () => {
    let system: SystemUnderTest;
    let hub: HuggingFaceStandIn;
    let bootstrap: ApiClient;
    let doc: OpenApiDocument;
    let callers: MatrixCaller[];
    let team: TeamDto;
    const shared = {} as Record<Fixture, string>;

    /** A model of the fixture's kind, owned by the bootstrap admin and granted to no caller (or `use` to each). */
    const newFixture = async (fixture: Fixture): Promise<string> => {
      const model = await createModel(bootstrap);
      const grantees = callers.filter((c) => c.kind === 'viewer' || c.kind === 'user' || c.kind === 'maintainer');
      if (fixture === 'granted use') await setPermissions(bootstrap, model.id, { grants: grantees.map((c) => ({ user: c.user!.username, level: 'use' })) });
      if (fixture === 'internal') await setPermissions(bootstrap, model.id, { visibility: 'internal' });
      return model.id;
    };
    const callerOf = (kind: MatrixCaller['kind']): MatrixCaller => callers.find((c) => c.kind === kind)!;
    const newTeam = async (): Promise<TeamDto> => (await bootstrap.post<TeamDto>('/api/v1/teams', { name: uniqueUsername('team') })).body;
    /** A token of the caller's own user (the bootstrap admin's for nobody), to revoke. */
    const ownToken = async (caller: MatrixCaller): Promise<string> => {
      const maker = caller.kind === 'anonymous' ? bootstrap : caller.kind === 'read token' ? callerOf('admin').api : caller.api;
      return (await maker.post<CreatedTokenDto>('/api/v1/tokens', { name: 'to revoke' })).body.id;
    };

    /** How to call each operation; `fresh`: it changes or removes its model, so each call gets a new one. */
    const REQUESTS: Record<string, { fresh?: true; build(ctx: Ctx): Promise<Request> }> = {
      'POST /api/v1/auth/login': { build: async () => ({ path: '/api/v1/auth/login', body: { username: callerOf('viewer').user!.username, password: TEST_PASSWORD } }) },
      'POST /api/v1/auth/logout': { build: async ({ caller }) => ({ path: '/api/v1/auth/logout', api: await caller.fresh() }) },
      'GET /api/v1/auth/me': { build: async () => ({ path: '/api/v1/auth/me' }) },
      'GET /api/v1/users': { build: async () => ({ path: '/api/v1/users' }) },
      'POST /api/v1/users': { build: async () => ({ path: '/api/v1/users', body: { username: uniqueUsername('matrix'), password: TEST_PASSWORD, role: 'viewer' } }) },
      'GET /api/v1/users/{id}': { build: async () => ({ path: `/api/v1/users/${callerOf('viewer').user!.id}` }) },
      'PATCH /api/v1/users/{id}': { build: async () => ({ path: `/api/v1/users/${(await createUser(bootstrap, 'viewer')).id}`, body: { display_name: 'Renamed' } }) },
      'DELETE /api/v1/users/{id}': { build: async () => ({ path: `/api/v1/users/${(await createUser(bootstrap, 'viewer')).id}` }) },
      'GET /api/v1/teams': { build: async () => ({ path: '/api/v1/teams' }) },
      'POST /api/v1/teams': { build: async () => ({ path: '/api/v1/teams', body: { name: uniqueUsername('team') } }) },
      'GET /api/v1/teams/{id}': { build: async () => ({ path: `/api/v1/teams/${team.id}` }) },
      'PATCH /api/v1/teams/{id}': { build: async () => ({ path: `/api/v1/teams/${(await newTeam()).id}`, body: { description: 'edited' } }) },
      'DELETE /api/v1/teams/{id}': { build: async () => ({ path: `/api/v1/teams/${(await newTeam()).id}` }) },
      'GET /api/v1/tokens': { build: async () => ({ path: '/api/v1/tokens' }) },
      'POST /api/v1/tokens': { build: async () => ({ path: '/api/v1/tokens', body: { name: 'matrix' } }) },
      'DELETE /api/v1/tokens/{id}': { build: async ({ caller }) => ({ path: `/api/v1/tokens/${await ownToken(caller)}` }) },
      'GET /api/v1/ai-models': { build: async () => ({ path: '/api/v1/ai-models' }) },
      'POST /api/v1/ai-models': { build: async () => ({ path: '/api/v1/ai-models', body: { name: uniqueUsername('matrix-model'), type: 'embedding', source: 'upload' } }) },
      'GET /api/v1/ai-models/{id}': { build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}` }) },
      'PATCH /api/v1/ai-models/{id}': { fresh: true, build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}`, body: { description: 'edited' } }) },
      'DELETE /api/v1/ai-models/{id}': { fresh: true, build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}` }) },
      'POST /api/v1/ai-models/{id}/toggle-status': { fresh: true, build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}/toggle-status` }) },
      'POST /api/v1/ai-models/{id}/files': { fresh: true, build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}/files`, form: onnxForm() }) },
      'POST /api/v1/ai-models/{id}/test': { build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}/test`, body: TINY_INPUT }) },
      'GET /api/v1/ai-models/{id}/stats': { build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}/stats` }) },
      'GET /api/v1/ai-models/{id}/permissions': { build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}/permissions` }) },
      'PUT /api/v1/ai-models/{id}/permissions': { fresh: true, build: async ({ modelId }) => ({ path: `/api/v1/ai-models/${modelId}/permissions`, body: { grants: [] } }) },
      'GET /api/v1/audit-events': { build: async () => ({ path: '/api/v1/audit-events' }) },
      'GET /api/v1/audit-events/verify': { build: async () => ({ path: '/api/v1/audit-events/verify' }) },
      'POST /api/v1/admin/secrets/rotate': { build: async () => ({ path: '/api/v1/admin/secrets/rotate' }) },
      'GET /api/v1/huggingface/models/{name}': { build: async () => ({ path: '/api/v1/huggingface/models/gpt2' }) },
      'GET /api/v1/huggingface/models/{namespace}/{name}': { build: async () => ({ path: '/api/v1/huggingface/models/org/tiny' }) },
      'GET /healthz': { build: async () => ({ path: '/healthz' }) },
      'GET /metrics': { build: async () => ({ path: '/metrics' }) },
      'GET /readyz': { build: async () => ({ path: '/readyz' }) },
    };

    beforeAll(async () => {
      const files = [{ path: 'onnx/model.onnx', content: TINY_ONNX }];
      hub = await startHuggingFaceStandIn([
        { id: 'gpt2', files },
        { id: 'org/tiny', files },
      ]);
      system = await start({ ...ACCESS_ENV, MODELYARD_HF_ENDPOINT: hub.url });
      bootstrap = system.api;
      doc = (await bootstrap.withToken(undefined).get<OpenApiDocument>('/api/docs-json')).body;
      callers = await matrixCallers(bootstrap);
      team = await newTeam();
      for (const fixture of FIXTURES) {
        shared[fixture] = await newFixture(fixture);
        await uploadOnnx(bootstrap, shared[fixture]);
      }
    }, 180_000);

    afterAll(async () => {
      await system?.stop();
      await hub?.close();
    });

    const operations = () => Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })));

    it('declares who may call every operation of the OpenAPI document (no route is open by accident)', () => {
      const all = operations();
      expect(all.length).toBeGreaterThanOrEqual(35);
      expect(all.filter(({ op }) => !op['x-permission']).map(({ key }) => key)).toEqual([]);
      for (const { key, op } of all) {
        const { name, ...rule } = op['x-permission']!;
        // The document says what the guard enforces: the rule of the contracts, whole.
        if (name !== 'public') expect({ key, rule }).toEqual({ key, rule: PERMISSIONS[name as keyof typeof PERMISSIONS] });
      }
    });

    it('answers every operation, for every kind of caller and model, with the status its rule gives (never a 5xx)', async () => {
      const rows: string[] = [];
      const failures: string[] = [];
      const known = new Set(operations().map(({ key }) => key));
      for (const key of Object.keys(REQUESTS)) if (!known.has(key)) failures.push(`${key}: in the matrix but not in /api/docs-json`);
      for (const { key, op } of operations().sort((a, b) => a.key.localeCompare(b.key))) {
        const request = REQUESTS[key];
        if (!request) {
          failures.push(`${key}: no request known for it: add one to REQUESTS`);
          continue;
        }
        const rule = op['x-permission']!;
        const documented = Object.keys(op.responses).map(Number);
        const successes = documented.filter((status) => status >= 200 && status < 300);
        if (successes.length !== 1) failures.push(`${key}: documents ${successes.length} success statuses`);
        const method = key.split(' ')[0]!;
        for (const caller of callers) {
          // Sign-out with an API token is the documented 409: there is no session to end.
          const success = key === 'POST /api/v1/auth/logout' && caller.scopes !== null ? 409 : successes[0]!;
          for (const fixture of rule.model ? FIXTURES : [null]) {
            const modelId = fixture === null ? '' : request.fresh ? await newFixture(fixture) : shared[fixture];
            const call = await request.build({ caller, modelId });
            const answer = await (call.api ?? caller.api).request(method, call.path, call.body, call.form ? { body: call.form } : {});
            const expected = expectedStatus(rule, caller, fixture, success);
            const where = `${key} · ${caller.kind}${fixture ? ` · ${fixture} model` : ''}`;
            rows.push(`${where} | rule ${rule.name} | expected ${expected} | got ${answer.status}`);
            if (answer.status !== expected) failures.push(`${where}: expected ${expected}, got ${described(answer)}`);
            if (!documented.includes(expected)) failures.push(`${where}: ${expected} is not among the documented responses (${documented.join(', ')})`);
          }
        }
      }
      const folder = join(REPO_ROOT, 'test-artifacts/access-matrix');
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, `${label.replace(/[^\w-]+/g, '-')}.txt`), `${rows.join('\n')}\n`);
      expect(failures).toEqual([]);
      // Every caller kind met every operation (a model route once per kind of model).
      expect(rows.length).toBe(callers.length * operations().reduce((n, { op }) => n + (op['x-permission']!.model ? FIXTURES.length : 1), 0));
    }, 300_000);
  });
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ModelDto, ModelListDto } from '@modelyard/contracts';
import type { ProblemDetails } from '@modelyard/platform';
import { GUIDE_GPT4_BODY, newModelBody, waitFor, type ApiClient } from '@modelyard/testing';
import type { SystemUnderTest } from './support/system.js';

const BASE = '/api/v1/ai-models';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

type Problem = ProblemDetails;

function expectProblem(response: { status: number; headers: Headers; body: unknown }, status: number, code?: string): Problem {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const problem = response.body as Problem;
  expect(problem.status).toBe(status);
  expect(typeof problem.detail).toBe('string');
  expect(problem.detail.length).toBeGreaterThan(10);
  expect(problem.type).toMatch(/^urn:modelyard:problem:/);
  if (code) expect(problem.code).toBe(code);
  return problem;
}

/**
 * The /api/v1/ai-models contract, run against every way Modelyard can be started. Each case is
 * what a user of the API would check; the same file runs for standalone and distributed mode.
 */
export function describeModelsApi(mode: string, start: () => Promise<SystemUnderTest>): void {
  describe(`models API (${mode})`, () => {
    let system: SystemUnderTest;
    let api: ApiClient;

    beforeAll(async () => {
      system = await start();
      api = system.api;
    }, 90_000);
    afterAll(async () => {
      await system?.stop();
    }, 30_000);

    const create = async (overrides: Parameters<typeof newModelBody>[0] = {}) => {
      const response = await api.post<ModelDto>(BASE, newModelBody(overrides));
      expect(response.status).toBe(201);
      return response.body;
    };

    describe('access', () => {
      it('refuses every /api/v1 route without a token, with a problem and a Bearer challenge', async () => {
        const anonymous = api.withToken(undefined);
        for (const [method, path] of [
          ['GET', BASE],
          ['POST', BASE],
          ['GET', `${BASE}/${UNKNOWN_ID}`],
          ['PATCH', `${BASE}/${UNKNOWN_ID}`],
          ['DELETE', `${BASE}/${UNKNOWN_ID}`],
          ['POST', `${BASE}/${UNKNOWN_ID}/toggle-status`],
        ] as const) {
          const response = await anonymous.request(method, path, method === 'POST' || method === 'PATCH' ? {} : undefined);
          expectProblem(response, 401, 'unauthorized');
          expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        }
      });

      it('refuses a wrong token and a malformed Authorization header', async () => {
        expectProblem(await api.withToken('not-the-token-at-all').get(BASE), 401);
        const basic = await api.get(BASE, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
        expect((expectProblem(basic, 401) as Problem).detail).toContain('Bearer');
      });

      it('leaves health probes and the API documents public', async () => {
        const anonymous = api.withToken(undefined);
        expect((await anonymous.get('/healthz')).body).toEqual({ status: 'ok' });
        const ready = await anonymous.get<{ status: string; checks: Record<string, { status: string }> }>('/readyz');
        expect(ready.status).toBe(200);
        expect(ready.body.status).toBe('ok');
        expect(Object.keys(ready.body.checks)).toEqual(expect.arrayContaining(['registry', 'event_bus', 'job_queue', 'blob_store']));
        expect((await anonymous.get('/api/docs-json')).status).toBe(200);
        const ui = await anonymous.get<string>('/api/docs');
        expect(ui.status).toBe(200);
        expect(ui.body).toContain('swagger');
      });
    });

    describe('POST /api/v1/ai-models', () => {
      it("accepts the user guide's GPT-4 example exactly as written and records the token as owner", async () => {
        await system.sql(`DELETE FROM models WHERE name = 'GPT-4' AND version = '4.0'`);
        const response = await api.post<ModelDto>(`${BASE}/`, GUIDE_GPT4_BODY);
        expect(response.status).toBe(201);
        // Without an API key an OpenAI model cannot run: stored switched off, saying why.
        expect(response.body).toMatchObject({ ...GUIDE_GPT4_BODY, status: 'inactive', owner: 'admin', tags: [], has_api_key: false });
        expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(Date.parse(response.body.created_at)).not.toBeNaN();
        const stored = await api.get<ModelDto>(`${BASE}/${response.body.id}`);
        expect(stored.body).toEqual(response.body);
      });

      it('fills documented defaults and a complete config', async () => {
        const response = await api.post<ModelDto>(BASE, { name: `minimal-${Date.now()}`, type: 'vision' });
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({
          version: '1.0',
          source: 'custom',
          framework: 'custom',
          status: 'active',
          status_message: null,
          description: null,
          endpoint: null,
          accuracy: null,
          latency_ms: null,
          tags: [],
          config: { input_format: null, output_format: null, parameters: {}, env: {} },
        });
        const anthropic = await api.post<ModelDto>(BASE, { name: `claude-${Date.now()}`, type: 'llm', source: 'anthropic' });
        expect(anthropic.body.framework).toBe('anthropic');
      });

      it('stores every field it was given, tags de-duplicated', async () => {
        const body = newModelBody({
          tags: ['vision', 'prod', 'vision'],
          accuracy: 0.93,
          latency_ms: 12.5,
          status: 'inactive',
          config: { input_format: 'image/png', output_format: 'json', parameters: { top_k: 5 }, env: { OMP_NUM_THREADS: '2' } },
        });
        const response = await api.post<ModelDto>(BASE, body);
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({
          tags: ['vision', 'prod'],
          accuracy: 0.93,
          latency_ms: 12.5,
          status: 'inactive',
          config: body.config,
        });
      });

      it('names each invalid field and the allowed values (422)', async () => {
        const response = await api.post(BASE, { name: '', type: 'chatbot', framework: 'jax', accuracy: 1.5, endpoint: 'ftp://x' });
        const problem = expectProblem(response, 422, 'validation_failed');
        const byField = Object.fromEntries(problem.errors!.map((e) => [e.field, e.detail]));
        expect(byField.type).toBe('must be one of: llm, vision, audio, multimodal, embedding, custom');
        expect(byField.framework).toContain('pytorch, tensorflow, onnx, tensorrt, openvino, openai, anthropic, custom');
        expect(byField.name).toMatch(/longer than or equal to 1/);
        expect(byField.accuracy).toMatch(/must not be greater than 1/);
        expect(byField.endpoint).toBe('must be an http:// or https:// URL');
      });

      it('requires name and type', async () => {
        const problem = expectProblem(await api.post(BASE, { version: '1' }), 422);
        expect(problem.errors!.map((e) => e.field)).toEqual(expect.arrayContaining(['name', 'type']));
      });

      it('refuses unknown fields, listing the allowed ones', async () => {
        const problem = expectProblem(await api.post(BASE, newModelBody({ colour: 'blue' })), 422);
        expect(problem.errors).toEqual([
          { field: 'colour', detail: expect.stringMatching(/^is not a known field \(allowed: .*name.*type/) },
        ]);
      });

      it('validates nested config and tags', async () => {
        const problem = expectProblem(
          await api.post(BASE, newModelBody({ config: { env: { 'BAD-NAME': 'x' }, parameters: [1] as unknown as Record<string, unknown> }, tags: ['ok', '  '] })),
          422,
        );
        const fields = problem.errors!.map((e) => e.field);
        expect(fields).toEqual(expect.arrayContaining(['config.env', 'config.parameters', 'tags']));
      });

      it('refuses a body that is not a JSON object', async () => {
        expectProblem(await api.post(BASE, [newModelBody()]), 422);
        expectProblem(await api.post(BASE, 'GPT-4'), 422);
      });

      it('answers 400 to malformed JSON, 415 to other media types and 413 over 1 MiB', async () => {
        const malformed = await api.post(BASE, undefined, { body: '{"name": "x",', headers: { 'content-type': 'application/json' } });
        expect(expectProblem(malformed, 400).detail).toMatch(/JSON/);
        const text = await api.post(BASE, undefined, { body: 'name=x', headers: { 'content-type': 'text/plain' } });
        expectProblem(text, 415);
        const huge = await api.post(BASE, newModelBody({ description: 'x'.repeat(1024 * 1024 + 10) }));
        expect(expectProblem(huge, 413).detail).toContain('1048576');
      });

      it('answers 409 to a duplicate name and version, and the stored model is untouched', async () => {
        const original = await create({ description: 'the original' });
        const response = await api.post(BASE, newModelBody({ name: original.name, version: original.version, description: 'impostor' }));
        const problem = expectProblem(response, 409, 'model_duplicate');
        expect(problem.detail).toContain(original.name);
        expect((await api.get<ModelDto>(`${BASE}/${original.id}`)).body).toEqual(original);
        // The same name with another version is a different model.
        expect((await api.post(BASE, newModelBody({ name: original.name, version: '2.0' }))).status).toBe(201);
      });

      it('serves 20 concurrent creates', async () => {
        const responses = await Promise.all(Array.from({ length: 20 }, () => api.post(BASE, newModelBody())));
        expect(responses.map((r) => r.status)).toEqual(Array(20).fill(201));
      });
    });

    describe('GET /api/v1/ai-models/{id}', () => {
      it('returns the model, with or without a trailing slash', async () => {
        const model = await create();
        expect((await api.get(`${BASE}/${model.id}`)).body).toEqual(model);
        expect((await api.get(`${BASE}/${model.id}/`)).body).toEqual(model);
      });

      it('answers 404 for an unknown id and for a malformed one', async () => {
        expectProblem(await api.get(`${BASE}/${UNKNOWN_ID}`), 404, 'model_not_found');
        expectProblem(await api.get(`${BASE}/not-a-uuid`), 404, 'model_not_found');
        expectProblem(await api.get(`${BASE}/'%20OR%201=1`), 404);
      });
    });

    describe('PATCH /api/v1/ai-models/{id}', () => {
      it('changes only the fields sent', async () => {
        const model = await create({ description: 'before', tags: ['a'], accuracy: 0.5 });
        const response = await api.patch<ModelDto>(`${BASE}/${model.id}`, { description: 'after', accuracy: null });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ ...model, description: 'after', accuracy: null, updated_at: expect.any(String) });
        expect(Date.parse(response.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(model.updated_at));
        expect((await api.get(`${BASE}/${model.id}`)).body).toEqual(response.body);
      });

      it('merges config members: those sent replace, the rest stay', async () => {
        const model = await create({ config: { input_format: 'text', parameters: { temperature: 0.2 }, env: { A: '1' } } });
        const response = await api.patch<ModelDto>(`${BASE}/${model.id}`, { config: { parameters: { temperature: 0.9 } } });
        expect(response.body.config).toEqual({ input_format: 'text', output_format: null, parameters: { temperature: 0.9 }, env: { A: '1' }, signature: null, http: null });
      });

      it('refuses null for required fields, status and source edits, and unknown fields', async () => {
        const model = await create();
        const nulls = expectProblem(await api.patch(`${BASE}/${model.id}`, { name: null, type: null }), 422);
        expect([...new Set(nulls.errors!.map((e) => e.field))].sort()).toEqual(['name', 'type']);
        const status = expectProblem(await api.patch(`${BASE}/${model.id}`, { status: 'inactive' }), 422);
        expect(status.errors![0]!.detail).toContain('toggle-status');
        expectProblem(await api.patch(`${BASE}/${model.id}`, { source: 'openai' }), 422);
        expectProblem(await api.patch(`${BASE}/${model.id}`, { owner: 'mallory' }), 422);
        expect((await api.get(`${BASE}/${model.id}`)).body).toEqual(model);
      });

      it('answers 409 when the edit would duplicate another model, keeping both intact', async () => {
        const a = await create();
        const b = await create();
        const response = await api.patch(`${BASE}/${b.id}`, { name: a.name, version: a.version });
        expectProblem(response, 409, 'model_duplicate');
        expect((await api.get(`${BASE}/${b.id}`)).body).toEqual(b);
      });

      it('answers 404 for an unknown model', async () => {
        expectProblem(await api.patch(`${BASE}/${UNKNOWN_ID}`, { description: 'x' }), 404);
      });
    });

    describe('DELETE /api/v1/ai-models/{id}', () => {
      it('deletes with 204, then the model is gone', async () => {
        const model = await create();
        const response = await api.delete(`${BASE}/${model.id}`);
        expect(response.status).toBe(204);
        expect(response.text).toBe('');
        expectProblem(await api.get(`${BASE}/${model.id}`), 404);
        expectProblem(await api.delete(`${BASE}/${model.id}`), 404);
      });
    });

    describe('POST /api/v1/ai-models/{id}/toggle-status', () => {
      it('switches active and inactive both ways', async () => {
        const model = await create();
        const off = await api.post<ModelDto>(`${BASE}/${model.id}/toggle-status`);
        expect(off.status).toBe(200);
        expect(off.body.status).toBe('inactive');
        const on = await api.post<ModelDto>(`${BASE}/${model.id}/toggle-status/`);
        expect(on.body.status).toBe('active');
      });

      it('refuses with 409 and the reason while uploading or in error', async () => {
        const model = await create();
        await system.sql(`UPDATE models SET status = 'uploading' WHERE id = $1`, [model.id]);
        const uploading = expectProblem(await api.post(`${BASE}/${model.id}/toggle-status`), 409, 'model_status_locked');
        expect(uploading.detail).toContain('uploading');
        await system.sql(`UPDATE models SET status = 'error', status_message = 'checksum mismatch' WHERE id = $1`, [model.id]);
        const failed = expectProblem(await api.post(`${BASE}/${model.id}/toggle-status`), 409);
        expect(failed.detail).toContain('checksum mismatch');
        expect((await api.get<ModelDto>(`${BASE}/${model.id}`)).body.status).toBe('error');
      });

      it('answers 404 for an unknown model', async () => {
        expectProblem(await api.post(`${BASE}/${UNKNOWN_ID}/toggle-status`), 404);
      });

      it("answers the guide's test body for a model with nothing to run with 422 saying why", async () => {
        const model = await create();
        const problem = expectProblem(await api.post(`${BASE}/${model.id}/test`, { input_data: { prompt: 'Hello, how are you?', max_tokens: 100 } }), 422);
        expect(problem.detail).toMatch(/no ONNX file/);
      });
    });

    describe('GET /api/v1/ai-models (list)', () => {
      const marker = `m${Date.now().toString(36)}`;
      const ids: Record<string, string> = {};

      beforeAll(async () => {
        const specs: Array<[string, Parameters<typeof newModelBody>[0]]> = [
          ['alpha', { type: 'llm', framework: 'onnx', source: 'upload', tags: [marker, 'nlp'], latency_ms: 30, accuracy: 0.7, description: `Alpha model for 100% ${marker} tests` }],
          ['bravo', { type: 'llm', framework: 'pytorch', source: 'huggingface', tags: [marker], latency_ms: 10, accuracy: 0.9 }],
          ['charlie', { type: 'vision', framework: 'onnx', source: 'upload', tags: [marker, 'nlp'], latency_ms: null, accuracy: 0.8 }],
          ['delta', { type: 'embedding', framework: 'custom', source: 'endpoint', endpoint: 'https://models.example.com/predict', tags: [marker], latency_ms: 20, status: 'inactive' }],
        ];
        for (const [name, spec] of specs) {
          ids[name] = (await create({ ...spec, name: `${marker}-${name}` })).id;
        }
      });

      const list = async (query: string) => {
        const response = await api.get<ModelListDto>(`${BASE}/?tag=${marker}&${query}`);
        expect(response.status).toBe(200);
        return response.body;
      };
      const names = (body: ModelListDto) => body.items.map((m) => m.name.replace(`${marker}-`, ''));

      it('pages with items, total, page and page_size, with and without a trailing slash', async () => {
        const first = await list('page_size=3&sort=name');
        expect(first).toMatchObject({ total: 4, page: 1, page_size: 3 });
        expect(names(first)).toEqual(['alpha', 'bravo', 'charlie']);
        expect(names(await list('page_size=3&page=2&sort=name'))).toEqual(['delta']);
        expect((await list('page=9')).items).toEqual([]);
        const noSlash = await api.get<ModelListDto>(`${BASE}?tag=${marker}`);
        expect(noSlash.body.total).toBe(4);
        const defaults = await api.get<ModelListDto>(BASE);
        expect(defaults.body.page_size).toBe(20);
      });

      it('filters by type, status, source, framework and several tags', async () => {
        expect(names(await list('type=llm&sort=name'))).toEqual(['alpha', 'bravo']);
        expect(names(await list('status=inactive'))).toEqual(['delta']);
        expect(names(await list('source=upload&sort=name'))).toEqual(['alpha', 'charlie']);
        expect(names(await list('framework=onnx&type=vision'))).toEqual(['charlie']);
        expect(names(await list('tag=nlp&sort=name'))).toEqual(['alpha', 'charlie']);
      });

      it('searches name and description case-insensitively, with % taken literally', async () => {
        expect(names(await list('q=BRAVO'))).toEqual(['bravo']);
        expect(names(await list(`q=${encodeURIComponent(`100% ${marker.toUpperCase()}`)}`))).toEqual(['alpha']);
        expect(names(await list('q=%25'))).toEqual(['alpha']);
      });

      it('sorts by each field both ways, unknown values last', async () => {
        expect(names(await list('sort=-name'))).toEqual(['delta', 'charlie', 'bravo', 'alpha']);
        expect(names(await list('sort=latency_ms'))).toEqual(['bravo', 'delta', 'alpha', 'charlie']);
        expect(names(await list('sort=-latency_ms'))).toEqual(['alpha', 'delta', 'bravo', 'charlie']);
        expect(names(await list('sort=-accuracy'))).toEqual(['bravo', 'charlie', 'alpha', 'delta']);
        expect(names(await list('sort=created_at'))).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
        expect(names(await list(''))).toEqual(['delta', 'charlie', 'bravo', 'alpha']);
        await api.patch(`${BASE}/${ids.alpha}`, { description: 'touched' });
        expect(names(await list('sort=-updated_at'))[0]).toBe('alpha');
      });

      it('refuses bad query values with 422 naming the parameter', async () => {
        for (const [query, field] of [
          ['page_size=201', 'page_size'],
          ['page_size=0', 'page_size'],
          ['page=0', 'page'],
          ['page=two', 'page'],
          ['sort=colour', 'sort'],
          ['type=robot', 'type'],
          ['status=on', 'status'],
          ['frobnicate=1', 'frobnicate'],
        ]) {
          const problem = expectProblem(await api.get(`${BASE}?${query}`), 422);
          expect(problem.errors!.map((e) => e.field)).toContain(field);
        }
      });
    });

    describe('events', () => {
      it('writes one outbox event per committed change, in order, and none for a refused one', async () => {
        const model = await create();
        await api.patch(`${BASE}/${model.id}`, { description: 'edited' });
        await api.patch(`${BASE}/${model.id}`, { description: 'edited' }); // no change, no event
        await api.post(`${BASE}/${model.id}/toggle-status`);
        await api.post(BASE, newModelBody({ name: model.name, version: model.version })); // 409, rolled back
        await api.patch(`${BASE}/${model.id}`, { type: 'robot' }); // 422, never reaches the database
        await api.delete(`${BASE}/${model.id}`);
        const rows = await system.sql<{ type: string }>(`SELECT type FROM outbox_events WHERE key = $1 AND topic = 'modelyard.model-events.v1' ORDER BY seq`, [model.id]);
        expect(rows.map((r) => r.type)).toEqual(['model.created', 'model.updated', 'model.status_changed', 'model.deleted']);
        // Each committed change has its audit record (announced on the audit topic too); refused ones have none.
        const audit = await system.sql<{ action: string }>(`SELECT action FROM audit_events WHERE target_id = $1 ORDER BY seq`, [model.id]);
        expect(audit.map((r) => r.action)).toEqual(['model.create', 'model.update', 'model.toggle', 'model.delete']);
        const announced = await system.sql<{ n: string }>(`SELECT count(*) AS n FROM outbox_events WHERE key = $1 AND type = 'audit.recorded'`, [model.id]);
        expect(Number(announced[0]!.n)).toBe(4);
      });

      it('relays every event to the bus with the actor and the model id as key', async () => {
        const model = await create();
        await api.post(`${BASE}/${model.id}/toggle-status`);
        let events: Awaited<ReturnType<SystemUnderTest['publishedEvents']>> = [];
        await waitFor(
          async () => {
            events = (await system.publishedEvents()).filter((e) => e.key === model.id);
            return events.length >= 2;
          },
          { timeoutMs: 10_000, description: 'both events of the model on the bus' },
        );
        expect(events.map((e) => e.type)).toEqual(['model.created', 'model.status_changed']);
        expect(events[1]!.payload).toMatchObject({ actor: 'admin', from: 'active', to: 'inactive', model: { id: model.id, status: 'inactive' } });
        const unpublished = await system.sql<{ n: string }>(`SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL AND key = $1`, [model.id]);
        expect(Number(unpublished[0]!.n)).toBe(0);
      });
    });

    describe('Prometheus metrics', () => {
      it('exports request latency by route template, registry round trips, events and process resources', async () => {
        const model = await create();
        await api.get(`${BASE}/${model.id}`);
        const scrape = await api.withToken(undefined).get<string>('/metrics');
        expect(scrape.status).toBe(200);
        expect(scrape.headers.get('content-type')).toContain('text/plain');
        expect(scrape.body).toMatch(/modelyard_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/ai-models\/:id",status="200"\} [1-9]/);
        expect(scrape.body).toMatch(/modelyard_rpc_request_duration_seconds_count\{pattern="registry.models.create",outcome="ok"\} [1-9]/);
        expect(scrape.body).toContain('modelyard_process_cpu_seconds_total');
        expect(scrape.body).toContain('modelyard_process_resident_memory_bytes');
        expect(scrape.body).not.toContain(model.id);
      });
    });

    describe('OpenAPI document', () => {
      it('documents every route, field, enum, filter and error answer', async () => {
        const doc = (await api.get<{
          openapi: string;
          paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, unknown> }>>;
          components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
        }>('/api/docs-json')).body;
        expect(doc.openapi).toMatch(/^3\./);
        expect(Object.keys(doc.paths)).toEqual(
          expect.arrayContaining(['/api/v1/ai-models', '/api/v1/ai-models/{id}', '/api/v1/ai-models/{id}/toggle-status', '/healthz', '/readyz']),
        );
        const list = doc.paths['/api/v1/ai-models']!.get!;
        expect(list.parameters!.map((p) => p.name).sort()).toEqual(
          ['framework', 'page', 'page_size', 'q', 'sort', 'source', 'status', 'tag', 'type'].sort(),
        );
        expect(Object.keys(doc.paths['/api/v1/ai-models']!.post!.responses)).toEqual(
          expect.arrayContaining(['201', '400', '401', '409', '413', '415', '422']),
        );
        const create = doc.components.schemas.CreateModelDto!.properties;
        expect(create.type!.enum).toEqual(['llm', 'vision', 'audio', 'multimodal', 'embedding', 'custom']);
        expect(Object.keys(create)).toEqual(
          expect.arrayContaining(['name', 'version', 'type', 'framework', 'source', 'status', 'description', 'endpoint', 'tags', 'config', 'accuracy', 'latency_ms']),
        );
        expect(Object.keys(doc.components.schemas.ProblemDto!.properties)).toEqual(
          expect.arrayContaining(['type', 'title', 'status', 'detail', 'errors']),
        );
      });
    });
  });
}

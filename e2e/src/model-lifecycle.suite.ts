import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ModelDto, ModelListDto, ModelStatsDto, OnnxTestResultDto } from '@modelyard/contracts';
import {
  linearOnnxModel,
  newModelBody,
  sha256Hex,
  startHuggingFaceStandIn,
  waitFor,
  type HuggingFaceStandIn,
  type StandInRepo,
} from '@modelyard/testing';
import onnxProto from 'onnx-proto';
import type { SystemUnderTest } from './support/system.js';

/** y = x·W + b with known weights; expected outputs are computed here, not by the worker. */
const WEIGHTS = [
  [0.5, -1, 2],
  [1.5, 0, -0.25],
  [-2, 1, 0.75],
  [0.25, 0.5, 1],
];
const BIAS = [0.1, -0.2, 0.3];
const LINEAR_ONNX = linearOnnxModel({ weights: WEIGHTS, bias: BIAS });
const linear = (x: number[]) => BIAS.map((b, j) => x.reduce((sum, xi, i) => sum + xi * WEIGHTS[i]![j]!, b));

const CONFIG_JSON = Buffer.from(JSON.stringify({ model_type: 'linear', hidden_size: 3 }));
const TOKENIZER_JSON = Buffer.from(JSON.stringify({ version: '1.0', model: { type: 'WordLevel' } }));
const README = '---\nlicense: apache-2.0\n---\n# Tiny linear\n\nA four-in, three-out linear layer for tests.\n';
const UPLOAD_LIMIT = 64 * 1024;

/** A well-formed ONNX file that onnxruntime cannot load: its one node is an operator that does not exist. */
function unloadableOnnx(): Buffer {
  const { onnx } = onnxProto;
  const tensor = (name: string) => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 2 }] } } } });
  return Buffer.from(
    onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name: 'broken', node: [{ opType: 'NoSuchOperator', input: ['x'], output: ['y'] }], input: [tensor('x')], output: [tensor('y')] },
    }).finish(),
  );
}

/** A well-formed safetensors file of `size` bytes: an 8-byte header length, a JSON header, one U8 tensor of zeros filling the rest. */
function safetensors(size: number): Buffer {
  const headerOf = (bytes: number) => Buffer.from(JSON.stringify({ w: { dtype: 'U8', shape: [bytes], data_offsets: [0, bytes] } }));
  // The header's length depends on the digits of the tensor's size, which depends on the header's length.
  let header = headerOf(size);
  for (let next = headerOf(size - 8 - header.length); next.length !== header.length; next = headerOf(size - 8 - header.length)) header = next;
  header = headerOf(size - 8 - header.length);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, Buffer.alloc(size - 8 - header.length)]);
}

const repo = (id: string, extra: Partial<StandInRepo> = {}): StandInRepo => ({
  id,
  pipeline_tag: 'feature-extraction',
  library_name: 'transformers.js',
  tags: ['onnx', 'tiny', 'license:apache-2.0'],
  cardData: { license: 'apache-2.0' },
  readme: README,
  files: [
    { path: 'onnx/model.onnx', content: LINEAR_ONNX },
    { path: 'config.json', content: CONFIG_JSON },
    { path: 'tokenizer.json', content: TOKENIZER_JSON },
    { path: 'pytorch_model.bin', content: Buffer.from('not fetched by default') },
  ],
  ...extra,
});

/**
 * The model lifecycle through the whole system: upload or import, test on an inference worker,
 * see the call in the stats. Run against each way of starting Modelyard; `start` receives the
 * environment the suite needs (the Hub stand-in's URL, a small upload limit).
 */
export function describeModelLifecycle(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`model lifecycle (${label})`, () => {
    let system: SystemUnderTest;
    let hub: HuggingFaceStandIn;

    beforeAll(async () => {
      hub = await startHuggingFaceStandIn([
        repo('org/tiny-linear'),
        repo('org/gated', { gated: 'manual', tokens: ['hf_granted'] }),
        repo('org/corrupt'),
        repo('org/flaky'),
        repo('org/hostile', {
          files: [
            { path: 'onnx/model.onnx', content: LINEAR_ONNX },
            { path: '../escape.json', content: Buffer.from('{}') },
            { path: 'bad\u0007name.json', content: Buffer.from('{}') },
          ],
        }),
      ]);
      hub.corruptChecksum('org/corrupt', 'onnx/model.onnx');
      system = await start({
        MODELYARD_HF_ENDPOINT: hub.url,
        MODELYARD_UPLOAD_LIMIT: String(UPLOAD_LIMIT),
        MODELYARD_INFERENCE_TIMEOUT_MS: '20000',
      });
    }, 120_000);

    afterAll(async () => {
      await system?.stop();
      await hub?.close();
    });

    const create = async (body: object) => {
      const response = await system.api.post<ModelDto>('/api/v1/ai-models', body);
      expect(response.status).toBe(201);
      return response.body;
    };
    const upload = (id: string, name: string, content: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(content)]), name);
      return system.api.request<ModelDto & { detail?: string; errors?: unknown[] }>('POST', `/api/v1/ai-models/${id}/files`, undefined, { body: form });
    };
    const get = async (id: string) => (await system.api.get<ModelDto>(`/api/v1/ai-models/${id}`)).body;
    const settled = async (id: string) => {
      let model = await get(id);
      await waitFor(async () => (model = await get(id)).status !== 'uploading', { timeoutMs: 30_000, intervalMs: 100, description: `import of ${id}` });
      return model;
    };
    const test = (id: string, inputData: unknown) =>
      system.api.post<OnnxTestResultDto & { detail?: string; errors?: Array<{ field: string }> }>(`/api/v1/ai-models/${id}/test`, { input_data: inputData });

    describe('upload', () => {
      it('stores an ONNX file, reads its inputs and outputs, and keeps the status', async () => {
        const model = await create(newModelBody({ type: 'embedding' }));
        const response = await upload(model.id, 'linear.onnx', LINEAR_ONNX);
        expect(response.status).toBe(201);
        expect(response.body).toMatchObject({ status: 'active', framework: 'onnx', progress: null });
        expect(response.body.artifacts).toEqual([
          expect.objectContaining({ path: 'linear.onnx', size: LINEAR_ONNX.length, sha256: sha256Hex(LINEAR_ONNX), format: 'onnx', primary: true }),
        ]);
        expect(response.body.config.signature).toEqual({
          inputs: [{ name: 'x', element_type: 'float32', shape: ['batch', 4] }],
          outputs: [{ name: 'y', element_type: 'float32', shape: ['batch', 3] }],
        });
      });

      it('replaces a file uploaded again under the same name', async () => {
        const model = await create(newModelBody({ type: 'embedding' }));
        const first = (await upload(model.id, 'linear.onnx', LINEAR_ONNX)).body;
        const other = linearOnnxModel({ weights: WEIGHTS, bias: [1, 2, 3] });
        const second = await upload(model.id, 'linear.onnx', other);
        expect(second.status).toBe(201);
        expect(second.body.artifacts).toEqual([expect.objectContaining({ path: 'linear.onnx', sha256: sha256Hex(other), primary: true })]);
        expect(second.body.artifacts[0]!.key).not.toBe(first.artifacts[0]!.key);
        const response = await test(model.id, { inputs: { x: [[0, 0, 0, 0]] } });
        expect(response.body.output['y']!.data).toEqual([[1, 2, 3]]);
      });

      it('refuses a file whose bytes do not match its extension, and changes nothing', async () => {
        const model = await create(newModelBody());
        const response = await upload(model.id, 'weights.onnx', Buffer.from('{"this": "is json, not onnx"}'));
        expect(response.status).toBe(422);
        expect(response.body.errors).toEqual([expect.objectContaining({ field: 'file' })]);
        const after = await get(model.id);
        expect(after).toMatchObject({ status: 'active', artifacts: [], progress: null });
      });

      it('refuses unsupported extensions, paths as names, non-multipart bodies and files over the limit', async () => {
        const model = await create(newModelBody({ status: 'inactive' }));
        expect((await upload(model.id, 'notes.txt', Buffer.from('x'))).status).toBe(422);
        const notMultipart = await system.api.post(`/api/v1/ai-models/${model.id}/files`, { file: 'x' });
        expect(notMultipart.status).toBe(415);
        const tooLarge = await upload(model.id, 'big.safetensors', safetensors(UPLOAD_LIMIT + 1024));
        expect(tooLarge.status).toBe(413);
        // Nothing stored, and the status the model had before comes back.
        expect(await get(model.id)).toMatchObject({ status: 'inactive', artifacts: [] });
        expect((await upload('00000000-0000-4000-8000-000000000000', 'a.onnx', LINEAR_ONNX)).status).toBe(404);
      });

      it('stores a pickle file but does not offer it for tests', async () => {
        const model = await create(newModelBody());
        const pickle = Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.alloc(64)]);
        expect((await upload(model.id, 'model.pt', pickle)).status).toBe(201);
        const response = await test(model.id, { inputs: { x: [[1, 2, 3, 4]] } });
        expect(response.status).toBe(422);
        expect(response.body.detail).toMatch(/no ONNX file/);
      });
    });

    describe('test', () => {
      let model: ModelDto;
      beforeAll(async () => {
        model = await create(newModelBody({ type: 'embedding' }));
        expect((await upload(model.id, 'linear.onnx', LINEAR_ONNX)).status).toBe(201);
      });

      it('runs the model on a worker and answers values computed independently', async () => {
        const x = [
          [1, 2, 3, 4],
          [-1, 0.5, 0, 2],
        ];
        const response = await test(model.id, { inputs: { x } });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ model_id: model.id, worker: expect.stringMatching(/^inference@/) });
        expect(response.body.latency_ms).toBeGreaterThan(0);
        expect(response.body.output['y']!.shape).toEqual([2, 3]);
        const y = response.body.output['y']!.data as number[][];
        x.forEach((row, i) => linear(row).forEach((expected, j) => expect(y[i]![j]).toBeCloseTo(expected, 5)));
      });

      it('answers 422 naming the input and what was expected', async () => {
        const wrongName = await test(model.id, { inputs: { z: [[1, 2, 3, 4]] } });
        expect(wrongName.status).toBe(422);
        expect(wrongName.body.errors?.[0]?.field).toMatch(/input_data\.inputs/);
        const wrongShape = await test(model.id, { inputs: { x: [[1, 2, 3]] } });
        expect(wrongShape.status).toBe(422);
        expect(wrongShape.body.detail).toMatch(/shape|4/);
        const wrongType = await test(model.id, { inputs: { x: [['a', 'b', 'c', 'd']] } });
        expect(wrongType.status).toBe(422);
      });

      it('refuses an inactive model with 409 and a missing body with 422', async () => {
        const inactive = await create(newModelBody({ status: 'inactive' }));
        const response = await test(inactive.id, { inputs: { x: [[1, 2, 3, 4]] } });
        expect(response.status).toBe(409);
        expect(response.body.detail).toMatch(/inactive/);
        expect((await system.api.post(`/api/v1/ai-models/${model.id}/test`, {})).status).toBe(422);
      });

      it('puts a model that fails to load in error, with the reason', async () => {
        const broken = await create(newModelBody({ type: 'custom' }));
        expect((await upload(broken.id, 'broken.onnx', unloadableOnnx())).status).toBe(201);
        const response = await test(broken.id, { inputs: { x: [1, 2] } });
        expect(response.status).toBe(409);
        expect(response.body.detail).toMatch(/could not be loaded/);
        const after = await get(broken.id);
        expect(after.status).toBe('error');
        expect(after.status_message).toMatch(/failed to load: .*NoSuchOperator/);
        // Now in error, it is refused before reaching a worker.
        expect((await test(broken.id, { inputs: { x: [1, 2] } })).status).toBe(409);
      });

      it('counts calls, failures by class and latency percentiles in the stats and the list', async () => {
        const fresh = await create(newModelBody({ type: 'embedding' }));
        expect((await upload(fresh.id, 'linear.onnx', LINEAR_ONNX)).status).toBe(201);
        for (let i = 0; i < 8; i++) expect((await test(fresh.id, { inputs: { x: [[i, 1, 2, 3]] } })).status).toBe(200);
        for (let i = 0; i < 2; i++) expect((await test(fresh.id, { inputs: { x: [[i]] } })).status).toBe(422);
        let stats: ModelStatsDto | undefined;
        await waitFor(
          async () => {
            const response = await system.api.get<ModelStatsDto>(`/api/v1/ai-models/${fresh.id}/stats`);
            stats = response.body;
            return response.status === 200 && stats.calls === 10;
          },
          { timeoutMs: 30_000, intervalMs: 200, description: 'ten calls in the stats' },
        );
        expect(stats!.success_rate).toBeCloseTo(0.8, 5);
        expect(stats!.errors).toEqual([{ class: 'invalid_input', count: 2 }]);
        expect(stats!.latency_ms!.p50).toBeGreaterThan(0);
        expect(stats!.latency_ms!.p50).toBeLessThanOrEqual(stats!.latency_ms!.p95);
        expect(stats!.latency_ms!.p95).toBeLessThanOrEqual(stats!.latency_ms!.p99);
        expect(stats!.throughput_rps).toBeGreaterThan(0);
        expect(stats!.series.reduce((sum, point) => sum + point.calls, 0)).toBe(10);

        const listed = (await system.api.get<ModelListDto>(`/api/v1/ai-models?q=${encodeURIComponent(fresh.name)}`)).body.items[0]!;
        expect(listed.usage).toMatchObject({ calls: 10, success_rate: 0.8 });
        expect(listed.latency_ms).toBe(listed.usage!.latency_p50_ms);

        const badRange = await system.api.get(`/api/v1/ai-models/${fresh.id}/stats?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`);
        expect(badRange.status).toBe(422);
      }, 60_000);
    });

    describe('Hugging Face import', () => {
      it('imports the default files pinned to the commit, fills metadata, and the model runs', async () => {
        const created = await create({ name: 'org/tiny-linear', source: 'huggingface' });
        expect(created).toMatchObject({ status: 'uploading', import: { repo: 'org/tiny-linear', revision: 'main', commit: null } });
        const model = await settled(created.id);
        expect(model).toMatchObject({
          status: 'active',
          status_message: null,
          type: 'embedding',
          framework: 'onnx',
          license: 'apache-2.0',
          description: 'A four-in, three-out linear layer for tests.',
          tags: ['onnx', 'tiny'],
          import: { commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
          progress: null,
        });
        expect(model.artifacts.map((a) => [a.path, a.size, a.sha256, a.format]).sort()).toEqual(
          [
            ['config.json', CONFIG_JSON.length, sha256Hex(CONFIG_JSON), 'config'],
            ['onnx/model.onnx', LINEAR_ONNX.length, sha256Hex(LINEAR_ONNX), 'onnx'],
            ['tokenizer.json', TOKENIZER_JSON.length, sha256Hex(TOKENIZER_JSON), 'tokenizer'],
          ].sort(),
        );
        expect(model.config.signature?.inputs[0]).toEqual({ name: 'x', element_type: 'float32', shape: ['batch', 4] });
        const response = await test(model.id, { inputs: { x: [[1, 1, 1, 1]] } });
        expect(response.status).toBe(200);
        (response.body.output['y']!.data as number[][])[0]!.forEach((v, j) => expect(v).toBeCloseTo(linear([1, 1, 1, 1])[j]!, 5));
      }, 60_000);

      it('keeps what the user gave and fetches only what include asks for', async () => {
        const created = await create({ name: 'org/tiny-linear', version: 'configs', source: 'huggingface', type: 'llm', include: ['*.json'] });
        const model = await settled(created.id);
        expect(model).toMatchObject({ status: 'active', type: 'llm', import: { include: ['*.json'] } });
        expect(model.artifacts.map((a) => a.path).sort()).toEqual(['config.json', 'tokenizer.json']);
        expect(model.config.signature).toBeNull();
      }, 60_000);

      it.each([
        ['org/missing', {}, /^org\/missing not found on /],
        ['org/gated', {}, /gated or private/],
        ['org/corrupt', {}, /checksum/i],
        ['org/tiny-linear', { revision: 'v9' }, /revision "v9" not found/],
        ['org/tiny-linear', { include: ['*.gguf'] }, /no file of org\/tiny-linear matches/],
      ])('records why the import of %s %j failed', async (name, extra, reason) => {
        const created = await create({ name, version: `fail-${Math.random().toString(36).slice(2, 8)}`, source: 'huggingface', ...extra });
        const model = await settled(created.id);
        expect(model.status).toBe('error');
        expect(model.status_message).toMatch(reason);
        expect(model.artifacts).toEqual([]);
        // A model in error cannot be switched on until it is fixed.
        expect((await system.api.post(`/api/v1/ai-models/${model.id}/toggle-status`)).status).toBe(409);
      }, 60_000);

      it('resumes a download cut mid-file instead of starting over', async () => {
        hub.cutConnection('org/flaky', 'onnx/model.onnx', { afterBytes: 100, times: 2 });
        hub.requests.length = 0;
        const model = await settled((await create({ name: 'org/flaky', source: 'huggingface' })).id);
        expect(model.status).toBe('active');
        expect(model.artifacts.find((a) => a.path === 'onnx/model.onnx')?.sha256).toBe(sha256Hex(LINEAR_ONNX));
        const ranged = hub.requests.filter((r) => r.url.includes('/resolve/') && r.range && !r.range.startsWith('bytes=0-'));
        expect(ranged.length).toBeGreaterThanOrEqual(1);
      }, 60_000);

      it('shows bytes and files done on the model while it imports', async () => {
        hub.setDelay(250);
        try {
          const created = await create({ name: 'org/tiny-linear', version: 'progress', source: 'huggingface' });
          const seen: Array<NonNullable<ModelDto['progress']>> = [];
          let model = created;
          while (model.status === 'uploading') {
            if (model.progress) seen.push(model.progress);
            await new Promise((resolve) => setTimeout(resolve, 50));
            model = await get(created.id);
          }
          expect(model.status).toBe('active');
          const total = LINEAR_ONNX.length + CONFIG_JSON.length + TOKENIZER_JSON.length;
          expect(seen.some((progress) => progress.bytes_total === total && progress.files_total === 3)).toBe(true);
          expect(seen.some((progress) => progress.current_file !== null)).toBe(true);
          const done = seen.map((progress) => progress.bytes_done);
          expect(done).toEqual([...done].sort((a, b) => a - b));
          expect(model.progress).toBeNull();
        } finally {
          hub.setDelay(0);
        }
      }, 60_000);

      it('never stores files with hostile names', async () => {
        const model = await settled((await create({ name: 'org/hostile', source: 'huggingface', include: ['**'] })).id);
        expect(model.status).toBe('active');
        expect(model.artifacts.map((a) => a.path).sort()).toEqual(['README.md', 'onnx/model.onnx']);
        expect(model.artifacts.every((a) => !a.key.includes('..'))).toBe(true);
      }, 60_000);

      it('refuses a repo id that is not one, and import fields on other sources', async () => {
        expect((await system.api.post('/api/v1/ai-models', { name: '../etc/passwd', source: 'huggingface' })).status).toBe(422);
        expect((await system.api.post('/api/v1/ai-models', { ...newModelBody(), revision: 'main' })).status).toBe(422);
      });

      it('previews what the Hub says about a repo before importing it', async () => {
        const preview = await system.api.get<{ id: string; pipeline_tag: string; license: string; gated: unknown; files: Array<{ path: string; size: number }> }>(
          '/api/v1/huggingface/models/org/tiny-linear',
        );
        expect(preview.status).toBe(200);
        expect(preview.body).toMatchObject({ id: 'org/tiny-linear', pipeline_tag: 'feature-extraction', library_name: 'transformers.js', license: 'apache-2.0', gated: false });
        expect(preview.body.files).toEqual(expect.arrayContaining([{ path: 'onnx/model.onnx', size: LINEAR_ONNX.length }, { path: 'config.json', size: CONFIG_JSON.length }]));
        expect((await system.api.get('/api/v1/huggingface/models/org/missing')).status).toBe(404);
        expect((await system.api.get('/api/v1/huggingface/models/bad..name')).status).toBe(422);
      });
    });
  });
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { JOB_QUEUES, REGISTRY_PATTERNS, type JobEnvelope, type ModelDto } from '@modelyard/contracts';
import {
  generateSecretKey,
  InProcessJobQueue,
  LocalDiskBlobStore,
  loadConfig,
  parseSecretKey,
  SecretCipher,
  type Logger,
  type Metrics,
  type RegistryClient,
} from '@modelyard/platform';
import { linearOnnxModel, sha256Hex, startHuggingFaceStandIn, waitFor, type HuggingFaceStandIn, type StandInRequest } from '@modelyard/testing';

// The waits between resumed downloads (250 ms, doubling) would make five failing attempts take
// about 40 s; what this spec checks is what is asked of the Hub, in which order, not when.
const timers = await import('node:timers/promises');
jest.unstable_mockModule('node:timers/promises', () => ({ ...timers, setTimeout: async () => undefined }));
const { HuggingFaceImportService } = await import('./huggingface-import.service.js');
const { HuggingFaceImportProcessor, IMPORT_ATTEMPTS } = await import('./huggingface-import.processor.js');

const REPO = 'org/flaky';
/** 16 × 16 float weights: about 1 KiB, so a connection cut every CUT bytes breaks it many times. */
const ONNX = linearOnnxModel({ weights: Array.from({ length: 16 }, (_, i) => Array.from({ length: 16 }, (_, j) => i - j)), bias: Array.from({ length: 16 }, () => 0.5) });
const CONFIG_JSON = Buffer.from(JSON.stringify({ model_type: 'linear' }));
const CUT = 64;
/** A download opens once and resumes up to five times (resumableDownload's default) within one attempt. */
const OPENS_PER_ATTEMPT = 1 + 5;

const isModelInfo = (request: StandInRequest) => request.url.startsWith(`/api/models/${REPO}/revision/`);
/** A download of the file's bytes; the client first asks for `bytes=0-0` to learn about the file, which is not one. */
const isDownload = (path: string) => (request: StandInRequest) =>
  request.method === 'GET' && request.url.includes('/resolve/') && request.url.endsWith(`/${path}`) && request.range !== 'bytes=0-0';
const isOnnxDownload = isDownload('onnx/model.onnx');
const isConfigDownload = isDownload('config.json');
/** Where a download started: 0 without a Range header, else the first byte asked for. */
const startOf = (request: StandInRequest) => (request.range === undefined ? 0 : Number(/^bytes=(\d+)-/.exec(request.range)![1]));

/** The registry, as far as imports use it: one model, whose status and messages are recorded in order. */
function fakeRegistry(hub: HuggingFaceStandIn) {
  const model = { id: '0b6f3c3e-9a7d-4e8b-8c59-1f2a3b4c5d6e', name: REPO, status: 'uploading', status_message: null, artifacts: [] } as unknown as ModelDto;
  const calls: Array<{ pattern: string; payload: Record<string, unknown>; modelInfosSeen: number }> = [];
  const send = async (pattern: string, payload: Record<string, unknown>) => {
    calls.push({ pattern, payload, modelInfosSeen: hub.requests.filter(isModelInfo).length });
    if (pattern === REGISTRY_PATTERNS.getInvocationTarget) return { model: structuredClone(model), sealed_secret: null };
    if (pattern === REGISTRY_PATTERNS.completeArtifacts) Object.assign(model, { status: 'active', artifacts: payload['artifacts'] });
    if (pattern === REGISTRY_PATTERNS.markFailed) Object.assign(model, { status: 'error', status_message: payload['message'] });
    return structuredClone(model);
  };
  return { model, calls, client: { send } as unknown as RegistryClient };
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } as unknown as Logger;
const metrics = { jobDuration: { startTimer: () => () => undefined } } as unknown as Metrics;

describe('Hugging Face import retries', () => {
  let hub: HuggingFaceStandIn;
  let dir: string;
  let jobs: InProcessJobQueue;
  let registry: ReturnType<typeof fakeRegistry>;
  let processor: InstanceType<typeof HuggingFaceImportProcessor>;

  beforeAll(async () => {
    hub = await startHuggingFaceStandIn([
      {
        id: REPO,
        pipeline_tag: 'feature-extraction',
        files: [
          { path: 'onnx/model.onnx', content: ONNX },
          { path: 'config.json', content: CONFIG_JSON },
        ],
      },
    ]);
  });
  afterAll(() => hub.close());

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modelyard-import-retries-'));
    const config = loadConfig({ MODELYARD_DATA_DIR: dir, MODELYARD_HF_ENDPOINT: hub.url });
    registry = fakeRegistry(hub);
    jobs = new InProcessJobQueue();
    const imports = new HuggingFaceImportService(registry.client, new LocalDiskBlobStore(join(dir, 'blobs')), config, silent, new SecretCipher(parseSecretKey(generateSecretKey())));
    processor = new HuggingFaceImportProcessor(imports, jobs, config, silent, metrics);
    await processor.onApplicationBootstrap();
    hub.requests.length = 0;
  });
  afterEach(async () => {
    await processor.onApplicationShutdown();
    await jobs.close();
    hub.cutConnection(REPO, 'onnx/model.onnx', { afterBytes: CUT, times: 0 });
    await rm(dir, { recursive: true, force: true });
  });

  /** Queues the import as the model-events consumer does, with the configured attempts; no wait between them. */
  const enqueueImport = async () => {
    const job: JobEnvelope<'ingest.huggingface-import'> = {
      name: 'ingest.huggingface-import',
      payload: { model_id: registry.model.id, repo: REPO, revision: 'main', include: null, actor: 'admin' },
    };
    await jobs.enqueue(JOB_QUEUES['ingest.huggingface-import'], job, { id: 'import-1', attempts: IMPORT_ATTEMPTS, backoffMs: 0 });
  };
  const settled = () => waitFor(async () => registry.model.status !== 'uploading', { timeoutMs: 20_000, intervalMs: 20, description: 'the import to settle' });
  /** The ONNX file's downloads, one list of start offsets per attempt (an attempt starts with its model-info request). */
  const onnxStartsByAttempt = () => {
    const attempts: number[][] = [];
    for (const request of hub.requests) {
      if (isModelInfo(request)) attempts.push([]);
      else if (isOnnxDownload(request)) attempts.at(-1)!.push(startOf(request));
    }
    return attempts;
  };

  it('retries a failure that does not clear exactly IMPORT_ATTEMPTS times, each resuming where it broke, then marks the model error saying so', async () => {
    hub.cutConnection(REPO, 'onnx/model.onnx', { afterBytes: CUT, times: 1_000 });

    await enqueueImport();
    await settled();

    expect(IMPORT_ATTEMPTS).toBe(5);
    expect(hub.requests.filter(isModelInfo)).toHaveLength(IMPORT_ATTEMPTS);
    // Within each attempt every reconnection asks for the bytes after those already received.
    const resumedAt = Array.from({ length: OPENS_PER_ATTEMPT }, (_, n) => n * CUT);
    expect(onnxStartsByAttempt()).toEqual(Array.from({ length: IMPORT_ATTEMPTS }, () => resumedAt));
    // A file stored whole by the first attempt is not downloaded again by the later ones.
    expect(hub.requests.filter(isConfigDownload)).toHaveLength(1);

    const failed = registry.calls.filter((call) => call.pattern === REGISTRY_PATTERNS.markFailed);
    expect(failed).toHaveLength(1);
    // Marked only once the last attempt had begun: not after the first failure.
    expect(failed[0]!.modelInfosSeen).toBe(IMPORT_ATTEMPTS);
    expect(registry.model.status).toBe('error');
    expect(registry.model.status_message).toMatch(new RegExp(`^import of ${REPO} failed after ${IMPORT_ATTEMPTS} attempts: .+`));
    expect(registry.calls.some((call) => call.pattern === REGISTRY_PATTERNS.completeArtifacts)).toBe(false);
  });

  it('imports the model when the fault clears after two failed attempts', async () => {
    hub.cutConnection(REPO, 'onnx/model.onnx', { afterBytes: CUT, times: 2 * OPENS_PER_ATTEMPT });

    await enqueueImport();
    await settled();

    expect(registry.model.status).toBe('active');
    expect(hub.requests.filter(isModelInfo)).toHaveLength(3);
    const starts = onnxStartsByAttempt();
    const resumedAt = Array.from({ length: OPENS_PER_ATTEMPT }, (_, n) => n * CUT);
    expect(starts.slice(0, 2)).toEqual([resumedAt, resumedAt]);
    expect(starts[2]).toEqual([0]);
    expect(registry.calls.some((call) => call.pattern === REGISTRY_PATTERNS.markFailed)).toBe(false);
    const [complete] = registry.calls.filter((call) => call.pattern === REGISTRY_PATTERNS.completeArtifacts);
    expect(complete!.payload['artifacts']).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'onnx/model.onnx', size: ONNX.length, sha256: sha256Hex(ONNX), primary: true })]),
    );
  });
});

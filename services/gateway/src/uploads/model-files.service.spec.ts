import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REGISTRY_PATTERNS, UPLOAD_LEASE, type ModelDto } from '@modelyard/contracts';
import { createLogger, DomainException, loadConfig, type BlobStore, type RegistryClient } from '@modelyard/platform';
import type { InvocationTargetsService } from '../invocations/invocation-targets.service.js';
import { ModelFilesService } from './model-files.service.js';
import { MULTIPART_OVERHEAD_BYTES } from './upload-limits.constant.js';
import { UploadWatchdog } from './upload-watchdog.util.js';
import { callerFor } from '@modelyard/testing';

const CALLER = callerFor({ user_id: '00000000-0000-4000-8000-000000000001', username: 'admin', role: 'admin' });

const ID = '6f1c1d4e-2b1a-4c44-9a55-0c6f0a2b9e10';
const LIMIT = 64 * 1024;

/** A safetensors file of one U8 tensor of `bytes` bytes. */
function safetensors(bytes: number): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'U8', shape: [bytes], data_offsets: [0, bytes] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, Buffer.alloc(bytes)]);
}

/** Disposed after each test: their timers must not outlive it. */
const watchdogs: UploadWatchdog[] = [];

function setUp(idleMs = 1_000) {
  const send = jest.fn(async (pattern: string, _request: unknown): Promise<unknown> => {
    if (pattern === REGISTRY_PATTERNS.beginUpload) return { id: ID, artifacts: [] } as unknown as ModelDto;
    if (pattern === REGISTRY_PATTERNS.completeArtifacts) return { id: ID, status: 'active' } as unknown as ModelDto;
    return { ok: true };
  });
  const deleted: string[] = [];
  const blobs = {
    async put(_key: string, body: Readable) {
      let size = 0;
      for await (const chunk of body) size += (chunk as Buffer).length;
      return { key: _key, size, sha256: 'x', contentType: 'application/octet-stream' };
    },
    delete: async (key: string) => void deleted.push(key),
  } as unknown as BlobStore;
  const config = loadConfig({ MODELYARD_UPLOAD_LIMIT: String(LIMIT), MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: '1000' });
  const service = new ModelFilesService(
    { send } as unknown as RegistryClient,
    { forget: () => undefined } as unknown as InvocationTargetsService,
    blobs,
    config,
    createLogger({ log: { level: 'silent', format: 'json' } }),
  );
  const request = Object.assign(new EventEmitter(), { socket: { bytesRead: 0 }, readableFlowing: true, complete: false });
  const response = Object.assign(new EventEmitter(), { headersSent: false, writableFinished: false, setHeader: jest.fn() });
  const watchdog = new UploadWatchdog(request as unknown as IncomingMessage, response as unknown as ServerResponse, idleMs);
  watchdogs.push(watchdog);
  const calls = (pattern: string) => send.mock.calls.filter(([p]) => p === pattern).map(([, r]) => r);
  return { service, send, calls, deleted, watchdog, response };
}

const fileOf = (name: string, stream: Readable, truncated = false): MultipartFile =>
  ({ filename: name, file: Object.assign(stream, { truncated }) }) as unknown as MultipartFile;

afterEach(() => {
  for (const watchdog of watchdogs.splice(0)) watchdog.dispose();
  jest.useRealTimers();
});

describe('ModelFilesService', () => {
  describe('openUpload', () => {
    const open = (contentLength: number | undefined) => {
      const { service, response } = setUp();
      const reply = { raw: response } as unknown as FastifyReply;
      const request = {
        headers: contentLength === undefined ? {} : { 'content-length': String(contentLength) },
        raw: { socket: { bytesRead: 0 } },
      } as unknown as FastifyRequest;
      return { attempt: () => watchdogs.push(service.openUpload(request, reply)), response };
    };

    it('refuses a body declared larger than the limit plus the multipart overhead with 413, and closes the connection', () => {
      const { attempt, response } = open(LIMIT + MULTIPART_OVERHEAD_BYTES + 1);

      expect(attempt).toThrow(expect.objectContaining({ status: 413, code: 'upload_too_large' }) as unknown as Error);
      expect(response.setHeader).toHaveBeenCalledWith('connection', 'close');
    });

    it('lets through a body that could still hold a file at the limit, and one of undeclared length', () => {
      expect(open(LIMIT + MULTIPART_OVERHEAD_BYTES).attempt).not.toThrow();
      expect(open(undefined).attempt).not.toThrow();
    });
  });

  describe('upload', () => {
    it('renews the lease at least every renewal period while no byte arrives, and stops when the upload ends', async () => {
      jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
      // A client that pauses, well within the idle timeout, for three renewal periods.
      const { service, calls, watchdog } = setUp(UPLOAD_LEASE.renewMs * 10);
      const source = new PassThrough();
      const bytes = safetensors(100);
      const uploading = service.upload(CALLER, ID, fileOf('w.safetensors', source), watchdog);
      await jest.advanceTimersByTimeAsync(0);

      await jest.advanceTimersByTimeAsync(UPLOAD_LEASE.renewMs * 3);
      expect(calls(REGISTRY_PATTERNS.reportProgress)).toHaveLength(3);
      expect(calls(REGISTRY_PATTERNS.reportProgress)[0]).toMatchObject({ id: ID, progress: { bytes_done: 0, current_file: 'w.safetensors' } });

      source.end(bytes);
      await expect(uploading).resolves.toMatchObject({ id: ID });
      await jest.advanceTimersByTimeAsync(UPLOAD_LEASE.renewMs * 3);
      expect(calls(REGISTRY_PATTERNS.reportProgress)).toHaveLength(3);
    });

    it('answers 413 for a file cut at the limit, although the cut file also fails its format check', async () => {
      const { service, calls, deleted, watchdog } = setUp();
      const source = new PassThrough();
      source.end(safetensors(LIMIT).subarray(0, LIMIT));

      const error = await service.upload(CALLER, ID, fileOf('w.safetensors', source, true), watchdog).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DomainException);
      expect(error).toMatchObject({ status: 413, code: 'upload_too_large' });
      expect(calls(REGISTRY_PATTERNS.markFailed)).toEqual([{ actor: CALLER.actor, id: ID, message: 'upload failed', outcome: 'restore' }]);
      expect(deleted).toHaveLength(1);
    });

    it('refuses a truncated safetensors file with 422 upload_invalid_file, and restores the model', async () => {
      const { service, calls, watchdog } = setUp();
      const source = new PassThrough();
      const bytes = safetensors(1000);
      source.end(bytes.subarray(0, bytes.length - 10));

      const error = await service.upload(CALLER, ID, fileOf('w.safetensors', source), watchdog).catch((e: unknown) => e);

      expect(error).toMatchObject({ status: 422, code: 'upload_invalid_file', errors: [{ field: 'file' }] });
      expect((error as DomainException).detail).toMatch(/truncated: the tensors end at byte \d+, but the file has \d+ bytes/);
      expect(calls(REGISTRY_PATTERNS.completeArtifacts)).toHaveLength(0);
      expect(calls(REGISTRY_PATTERNS.markFailed)).toHaveLength(1);
    });

    it('ends an upload the watchdog gives up on with its error, deleting the partial blob and restoring the model', async () => {
      const { service, calls, deleted, watchdog, response } = setUp();
      const source = new PassThrough();
      source.write(safetensors(1000).subarray(0, 100));
      const uploading = service.upload(CALLER, ID, fileOf('w.safetensors', source), watchdog).catch((e: unknown) => e);
      await new Promise((resolve) => setImmediate(resolve));

      response.emit('close');

      expect(await uploading).toMatchObject({ code: 'upload_client_gone' });
      expect(deleted).toEqual([expect.stringMatching(new RegExp(`^models/${ID}/uploads/[0-9a-f-]+/w\\.safetensors$`))]);
      expect(calls(REGISTRY_PATTERNS.markFailed)).toEqual([expect.objectContaining({ id: ID, outcome: 'restore' })]);
      expect(calls(REGISTRY_PATTERNS.completeArtifacts)).toHaveLength(0);
    });

    it.each([
      ['abc\u202Exnno.pt', /bidirectional control character \(U\+202E\)/],
      ['model\u200B.onnx', /invisible character \(U\+200B\)/],
      [' ', /only of whitespace/],
      [' model.onnx', /starts or ends with whitespace/],
    ])('refuses the file name %j with 422 naming file, before the model is touched', async (name, reason) => {
      const { service, send, watchdog } = setUp();

      const error = await service.upload(CALLER, ID, fileOf(name, new PassThrough()), watchdog).catch((e: unknown) => e);

      expect(error).toMatchObject({ status: 422, code: 'upload_invalid_file_name', errors: [{ field: 'file', detail: expect.stringMatching(reason) }] });
      expect(send).not.toHaveBeenCalled();
    });
  });
});

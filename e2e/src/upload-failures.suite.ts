import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ModelDto } from '@modelyard/contracts';
import { MULTIPART_OVERHEAD_BYTES } from '@modelyard/gateway';
import { multipartFileBody, newModelBody, openRawHttpRequest, waitFor, type RawHttpRequest } from '@modelyard/testing';
import { TEST_ADMIN_TOKEN, type SystemUnderTest } from './support/system.js';

const UPLOAD_LIMIT = 64 * 1024;
/** Short, so the stall tests end quickly; long enough that a busy machine never trips it while bytes flow. */
const SHORT_IDLE_MS = 1_500;
/** Long: whatever happens within it was not the idle timeout. */
const PATIENT_IDLE_MS = 600_000;
const BOUNDARY = 'modelyard-upload-failures';

/** A valid safetensors file of one U8 tensor, `dataBytes` long after its header. */
export function safetensorsFile(dataBytes: number): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'U8', shape: [dataBytes], data_offsets: [0, dataBytes] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, Buffer.alloc(dataBytes, 3)]);
}

interface ProblemBody {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; detail: string }>;
}

/**
 * Uploads that go wrong on the wire — a client that stalls, sends nothing, is cut off or goes
 * away, declares too much — and files that are not what they claim. Each must end with an answer
 * (or at once, for a client that left), the model back at its status before, and nothing stored.
 * `start` receives the environment each system needs (the idle timeout, a small upload limit).
 */
export function describeUploadFailures(label: string, start: (env: Record<string, string>) => Promise<SystemUnderTest>): void {
  describe(`upload failures (${label})`, () => {
    let quick: SystemUnderTest;
    let patient: SystemUnderTest;

    beforeAll(async () => {
      const env = { MODELYARD_UPLOAD_LIMIT: String(UPLOAD_LIMIT) };
      [quick, patient] = await Promise.all([
        start({ ...env, MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: String(SHORT_IDLE_MS) }),
        start({ ...env, MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: String(PATIENT_IDLE_MS) }),
      ]);
    }, 120_000);

    afterAll(async () => {
      await quick?.stop();
      await patient?.stop();
    });

    const create = async (system: SystemUnderTest, status: 'active' | 'inactive') => {
      const response = await system.api.post<ModelDto>('/api/v1/ai-models', newModelBody({ status }));
      expect(response.status).toBe(201);
      return response.body;
    };
    const get = async (system: SystemUnderTest, id: string) => (await system.api.get<ModelDto>(`/api/v1/ai-models/${id}`)).body;
    /** The model's events as written, in order (the outbox: no wait for the relay); other topics' events keyed by it are not counted. */
    const eventsOf = async (system: SystemUnderTest, id: string) =>
      (
        await system.sql<{ type: string; envelope: { payload: { from?: string; to?: string } } }>(
          `SELECT type, envelope FROM outbox_events WHERE key = $1 AND type LIKE 'model.%' ORDER BY seq`,
          [id],
        )
      ).map(
        ({ type, envelope }) => (type === 'model.status_changed' ? `${envelope.payload.from}→${envelope.payload.to}` : type),
      );
    /** A request to the upload route, its headers declaring `declared` body bytes, of which `sent` are written. */
    const rawUpload = (system: SystemUnderTest, id: string, sent: Buffer, declared: number): Promise<RawHttpRequest> =>
      openRawHttpRequest(system.api.baseUrl, {
        method: 'POST',
        path: `/api/v1/ai-models/${id}/files`,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
          'content-length': String(declared),
        },
        body: sent,
      });
    const upload = (system: SystemUnderTest, id: string, name: string, content: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(content)]), name);
      return system.api.request<ModelDto & ProblemBody>('POST', `/api/v1/ai-models/${id}/files`, undefined, { body: form });
    };
    /** Nothing of the model's is stored, nor left half-written (checked where files live on local disk). */
    const expectNothingStored = async (system: SystemUnderTest, id: string) => {
      expect((await get(system, id)).artifacts).toEqual([]);
      if (!system.blobDir) return;
      const files = await readdir(system.blobDir, { recursive: true }).catch(() => [] as string[]);
      expect(files.filter((file) => file.includes(id))).toEqual([]);
      await expect(readdir(join(system.blobDir, '.tmp')).then((names) => names.filter((n) => !n.startsWith('ping-')))).resolves.toEqual([]);
    };
    const expectIdleTimeout = (problem: ProblemBody) => {
      expect(problem).toMatchObject({ status: 408, code: 'upload_idle_timeout' });
      expect(problem.detail).toContain(`${SHORT_IDLE_MS} ms (MODELYARD_UPLOAD_IDLE_TIMEOUT_MS)`);
    };

    describe('a client that stops sending', () => {
      it('mid-file: 408 once nothing came for the idle timeout, the model back to its status before, nothing stored', async () => {
        const model = await create(quick, 'inactive');
        const body = multipartFileBody({ boundary: BOUNDARY, filename: 'w.safetensors', content: safetensorsFile(32 * 1024) });
        const request = await rawUpload(quick, model.id, Buffer.concat([body.head, body.content.subarray(0, 4096)]), body.whole.length);
        await waitFor(async () => (await get(quick, model.id)).status === 'uploading', { timeoutMs: 10_000, description: 'the upload to begin' });

        const response = await request.response;

        expectIdleTimeout(JSON.parse(response.body) as ProblemBody);
        expect(response.headers['content-type']).toContain('application/problem+json');
        // The rest of the body will never be read: the connection is closed after the answer.
        expect(response.headers['connection']).toBe('close');
        await request.closed;
        expect(await get(quick, model.id)).toMatchObject({ status: 'inactive', progress: null });
        expect(await eventsOf(quick, model.id)).toEqual(['model.created', 'inactive→uploading', 'uploading→inactive']);
        await expectNothingStored(quick, model.id);
      });

      it('after the headers: 408, and the model never went uploading', async () => {
        const model = await create(quick, 'active');
        const body = multipartFileBody({ boundary: BOUNDARY, filename: 'w.safetensors', content: safetensorsFile(1024) });

        const response = await (await rawUpload(quick, model.id, Buffer.alloc(0), body.whole.length)).response;

        expectIdleTimeout(JSON.parse(response.body) as ProblemBody);
        expect(await eventsOf(quick, model.id)).toEqual(['model.created']);
        expect((await get(quick, model.id)).status).toBe('active');
      });

      it('before the file part (after another field): 408, the model untouched', async () => {
        const model = await create(quick, 'active');
        const field = Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nfirst a field\r\n`);

        const response = await (await rawUpload(quick, model.id, field, field.length + 4096)).response;

        expectIdleTimeout(JSON.parse(response.body) as ProblemBody);
        expect(await eventsOf(quick, model.id)).toEqual(['model.created']);
      });
    });

    it('a client that goes away mid-upload: the model is restored at once, not after the idle timeout, and nothing is stored', async () => {
      const model = await create(patient, 'inactive');
      const body = multipartFileBody({ boundary: BOUNDARY, filename: 'w.safetensors', content: safetensorsFile(32 * 1024) });
      const request = await rawUpload(patient, model.id, Buffer.concat([body.head, body.content.subarray(0, 4096)]), body.whole.length);
      await waitFor(async () => (await get(patient, model.id)).status === 'uploading', { timeoutMs: 10_000, description: 'the upload to begin' });

      request.destroy();

      // The idle timeout is ten minutes: only the disconnect can end the upload within this wait.
      await waitFor(async () => (await get(patient, model.id)).status === 'inactive', { timeoutMs: 30_000, intervalMs: 50, description: 'the model to be restored' });
      expect(await eventsOf(patient, model.id)).toEqual(['model.created', 'inactive→uploading', 'uploading→inactive']);
      await expectNothingStored(patient, model.id);
    });

    it('a body declared larger than the limit plus the multipart overhead: 413 before a byte of it is sent, the model untouched', async () => {
      const model = await create(patient, 'active');

      const request = await rawUpload(patient, model.id, Buffer.alloc(0), UPLOAD_LIMIT + MULTIPART_OVERHEAD_BYTES + 1);
      const response = await request.response;

      expect(JSON.parse(response.body)).toMatchObject({ status: 413, code: 'upload_too_large' });
      expect(JSON.parse(response.body).detail).toContain(`${UPLOAD_LIMIT} bytes (MODELYARD_UPLOAD_LIMIT)`);
      expect(response.headers['connection']).toBe('close');
      expect(await eventsOf(patient, model.id)).toEqual(['model.created']);
      // Five gigabytes declared: refused just the same, without waiting for them.
      const huge = await rawUpload(patient, model.id, Buffer.alloc(0), 5 * 1024 ** 3);
      expect((await huge.response).status).toBe(413);
    });

    it('a file over the limit without a declared length is still 413 (the stream is cut at the limit)', async () => {
      const model = await create(patient, 'inactive');

      const response = await upload(patient, model.id, 'big.safetensors', safetensorsFile(UPLOAD_LIMIT + 1024));

      expect(response.body).toMatchObject({ status: 413, code: 'upload_too_large' });
      expect((await get(patient, model.id)).status).toBe('inactive');
      await expectNothingStored(patient, model.id);
    });

    it.each([
      ['a right-to-left override', 'abc\u202Exnno.pt', /bidirectional control character \(U\+202E\)/],
      ['a zero-width space', 'mo\u200Bdel.onnx', /invisible character \(U\+200B\)/],
      ['a bare space', ' ', /only of whitespace/],
      ['a leading space', ' model.onnx', /starts or ends with whitespace/],
    ])('a file name with %s: 422 naming file, the model untouched', async (_case, name, reason) => {
      const model = await create(patient, 'active');

      const response = await upload(patient, model.id, name, safetensorsFile(16));

      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ code: 'upload_invalid_file_name', errors: [{ field: 'file', detail: expect.stringMatching(reason) }] });
      expect(await eventsOf(patient, model.id)).toEqual(['model.created']);
    });

    it.each([
      ['truncated', (file: Buffer) => file.subarray(0, file.length - 100), /truncated: the tensors end at byte \d+, but the file has \d+ bytes/],
      ['padded past its last tensor', (file: Buffer) => Buffer.concat([file, Buffer.alloc(10)]), /longer than its header says/],
      ['with a header that lies about a tensor size', () => {
        const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 15] } }));
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(BigInt(header.length));
        return Buffer.concat([length, header, Buffer.alloc(15)]);
      }, /data_offsets \[0, 15\] hold 15 bytes, but shape \[4\] of F32 needs 16/],
    ])('a .safetensors file %s: 422 upload_invalid_file saying what is wrong, the model restored', async (_case, damage, reason) => {
      const model = await create(patient, 'inactive');

      const response = await upload(patient, model.id, 'w.safetensors', damage(safetensorsFile(4096)));

      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ code: 'upload_invalid_file', errors: [{ field: 'file', detail: expect.stringMatching(reason) }] });
      expect(await get(patient, model.id)).toMatchObject({ status: 'inactive', artifacts: [] });
      await expectNothingStored(patient, model.id);
    });
  });
}

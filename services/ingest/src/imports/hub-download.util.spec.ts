import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { ChecksumMismatchError, GitBlobVerifier, resumableDownload, type ResumableOptions } from './hub-download.util.js';

const CONTENT = randomBytes(10_000);

interface Connection {
  /** Bytes the connection sends before it breaks or ends. */
  bytes: number;
  /** How it stops after them: an error, or a clean end that comes too early. */
  then: 'error' | 'end';
}

/**
 * A fake remote file: each `open(offset)` serves `CONTENT` from `offset` in chunks of `chunk`
 * bytes, and the n-th connection breaks as `connections[n]` says (later ones run to the end).
 */
function fakeRemote(connections: Connection[], chunk = 1_000) {
  const offsets: number[] = [];
  const open = (offset: number): Promise<ReadableStream<Uint8Array>> => {
    const plan = connections[offsets.length];
    offsets.push(offset);
    const end = plan ? Math.min(CONTENT.length, offset + plan.bytes) : CONTENT.length;
    let position = offset;
    return Promise.resolve(
      new ReadableStream<Uint8Array>({
        pull(controller) {
          if (position < end) {
            const next = Math.min(end, position + chunk);
            controller.enqueue(new Uint8Array(CONTENT.subarray(position, next)));
            position = next;
          } else if (plan?.then === 'error') controller.error(new Error(`connection reset at ${position}`));
          else controller.close();
        },
      }),
    );
  };
  return { open, offsets };
}

const fast: ResumableOptions = { backoffMs: 1 };

describe('resumableDownload', () => {
  it('streams the whole file from one connection', async () => {
    const remote = fakeRemote([]);

    const bytes = await buffer(resumableDownload(remote.open, CONTENT.length, fast));

    expect(bytes.equals(CONTENT)).toBe(true);
    expect(remote.offsets).toEqual([0]);
  });

  it('resumes a connection that fails mid-way at the byte where it stopped', async () => {
    const remote = fakeRemote([
      { bytes: 2_500, then: 'error' },
      { bytes: 4_000, then: 'error' },
    ]);
    const resumed: number[] = [];

    const bytes = await buffer(resumableDownload(remote.open, CONTENT.length, { ...fast, onResume: (offset) => resumed.push(offset) }));

    expect(bytes.equals(CONTENT)).toBe(true);
    expect(remote.offsets).toEqual([0, 2_500, 6_500]);
    expect(resumed).toEqual([2_500, 6_500]);
  });

  it('resumes a connection that ends short, reporting why', async () => {
    const remote = fakeRemote([{ bytes: 7_777, then: 'end' }], 333);
    const reasons: unknown[] = [];

    const bytes = await buffer(resumableDownload(remote.open, CONTENT.length, { ...fast, onResume: (_offset, error) => reasons.push(error) }));

    expect(bytes.equals(CONTENT)).toBe(true);
    expect(remote.offsets).toEqual([0, 7_777]);
    expect(reasons).toEqual([new Error('the connection ended after 7777 of 10000 bytes')]);
  });

  it('resumes a connection that fails before sending anything, at the same offset', async () => {
    const remote = fakeRemote([
      { bytes: 3_000, then: 'error' },
      { bytes: 0, then: 'error' },
    ]);

    const bytes = await buffer(resumableDownload(remote.open, CONTENT.length, fast));

    expect(bytes.equals(CONTENT)).toBe(true);
    expect(remote.offsets).toEqual([0, 3_000, 3_000]);
  });

  it('resumes when opening itself fails', async () => {
    const remote = fakeRemote([]);
    let calls = 0;
    const open = (offset: number) => (calls++ === 0 ? Promise.reject(new Error('ECONNREFUSED')) : remote.open(offset));

    const bytes = await buffer(resumableDownload(open, CONTENT.length, fast));

    expect(bytes.equals(CONTENT)).toBe(true);
    expect(remote.offsets).toEqual([0]);
  });

  it('gives up after maxResumes resumes with the last error, having passed on the bytes it got', async () => {
    const remote = fakeRemote(Array.from({ length: 10 }, () => ({ bytes: 1_000, then: 'error' as const })));
    const received: Buffer[] = [];
    const download = resumableDownload(remote.open, CONTENT.length, { ...fast, maxResumes: 2 });
    download.on('data', (chunk: Buffer) => received.push(chunk));

    await expect(new Promise((resolve, reject) => download.on('end', resolve).on('error', reject))).rejects.toThrow('connection reset at 3000');

    expect(remote.offsets).toEqual([0, 1_000, 2_000]);
    expect(Buffer.concat(received).equals(CONTENT.subarray(0, 3_000))).toBe(true);
  });

  it('with maxResumes 0 fails on the first break', async () => {
    const remote = fakeRemote([{ bytes: 500, then: 'end' }]);

    await expect(buffer(resumableDownload(remote.open, CONTENT.length, { ...fast, maxResumes: 0 }))).rejects.toThrow('ended after 500 of 10000');
    expect(remote.offsets).toEqual([0]);
  });

  it('stops at once on an error that isRetryable refuses, asking it about that error', async () => {
    const remote = fakeRemote([{ bytes: 1_500, then: 'error' }]);
    const asked: unknown[] = [];
    const resumed: number[] = [];

    const download = resumableDownload(remote.open, CONTENT.length, {
      ...fast,
      isRetryable: (error) => {
        asked.push(error);
        return false;
      },
      onResume: (offset) => resumed.push(offset),
    });

    await expect(buffer(download)).rejects.toThrow('connection reset at 1500');
    expect(remote.offsets).toEqual([0]);
    expect(asked).toEqual([new Error('connection reset at 1500')]);
    expect(resumed).toEqual([]);
  });

  it('resumes errors that isRetryable allows and stops at the first it refuses', async () => {
    const remote = fakeRemote([
      { bytes: 1_000, then: 'error' },
      { bytes: 1_000, then: 'error' },
    ]);
    let asked = 0;

    const download = resumableDownload(remote.open, CONTENT.length, { ...fast, isRetryable: () => asked++ === 0 });

    await expect(buffer(download)).rejects.toThrow('connection reset at 2000');
    expect(remote.offsets).toEqual([0, 1_000]);
  });

  it('waits longer before each resume', async () => {
    const remote = fakeRemote([
      { bytes: 100, then: 'error' },
      { bytes: 100, then: 'error' },
      { bytes: 100, then: 'error' },
    ]);
    const times: number[] = [];
    const open = (offset: number) => {
      times.push(performance.now());
      return remote.open(offset);
    };

    await buffer(resumableDownload(open, CONTENT.length, { backoffMs: 20 }));

    const waits = times.slice(1).map((t, i) => t - times[i]!);
    // 20, 40 and 80 ms, with a little slack for timer resolution.
    expect(waits[0]).toBeGreaterThanOrEqual(18);
    expect(waits[1]).toBeGreaterThanOrEqual(38);
    expect(waits[2]).toBeGreaterThanOrEqual(78);
  });

  it('serves a zero-length file without opening a connection', async () => {
    const remote = fakeRemote([]);

    const bytes = await buffer(resumableDownload(remote.open, 0, fast));

    expect(bytes).toHaveLength(0);
    expect(remote.offsets).toEqual([]);
  });

  it('copes with chunks that are views into a larger buffer', async () => {
    const backing = Buffer.concat([Buffer.from('HEADER'), CONTENT, Buffer.from('TRAILER')]);
    const open = () =>
      Promise.resolve(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new Uint8Array(backing.buffer, backing.byteOffset + 6, 4_000));
            controller.enqueue(new Uint8Array(backing.buffer, backing.byteOffset + 6 + 4_000, CONTENT.length - 4_000));
            controller.close();
          },
        }),
      );

    const bytes = await buffer(resumableDownload(open, CONTENT.length, fast));

    expect(bytes.equals(CONTENT)).toBe(true);
  });
});

/** The git blob id, computed here independently of the verifier. */
function gitBlobOid(content: Buffer): string {
  return createHash('sha1').update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content])).digest('hex');
}

/** Pipes `content` (in chunks) through a verifier and collects what comes out. */
async function verify(content: Buffer, oid: string, size = content.length): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const chunked = Array.from({ length: Math.ceil(content.length / 1_000) }, (_, i) => content.subarray(i * 1_000, (i + 1) * 1_000));
  await pipeline(Readable.from(chunked), new GitBlobVerifier('config.json', size, oid), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

describe('GitBlobVerifier', () => {
  it('matches what git computes for a known file', () => {
    // `printf 'hello\n' | git hash-object --stdin`
    expect(gitBlobOid(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('passes the content through unchanged when it hashes to the oid', async () => {
    await expect(verify(CONTENT, gitBlobOid(CONTENT))).resolves.toEqual(CONTENT);
  });

  it('passes an empty file with the empty blob id', async () => {
    await expect(verify(Buffer.alloc(0), 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391')).resolves.toHaveLength(0);
  });

  it('fails with ChecksumMismatchError on a wrong oid', async () => {
    const wrong = gitBlobOid(Buffer.from('something else'));

    const failure = verify(CONTENT, wrong);

    await expect(failure).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(failure).rejects.toThrow(`checksum mismatch for config.json: the Hub lists git blob ${wrong}, the download hashes to ${gitBlobOid(CONTENT)}`);
  });

  it('fails on a body altered in one byte, or cut short', async () => {
    const altered = Buffer.from(CONTENT);
    altered[5_000] = altered[5_000]! ^ 0xff;

    await expect(verify(altered, gitBlobOid(CONTENT))).rejects.toBeInstanceOf(ChecksumMismatchError);
    await expect(verify(CONTENT.subarray(0, 9_999), gitBlobOid(CONTENT), CONTENT.length)).rejects.toBeInstanceOf(ChecksumMismatchError);
  });

  it('fails at the end of the stream, after passing on every byte', async () => {
    const verifier = new GitBlobVerifier('config.json', CONTENT.length, '0'.repeat(40));
    const passed: Buffer[] = [];
    verifier.on('data', (chunk: Buffer) => passed.push(chunk));
    const failed = new Promise<unknown>((resolve) => verifier.once('error', resolve));

    verifier.write(CONTENT.subarray(0, 6_000));
    verifier.write(CONTENT.subarray(6_000));
    await new Promise((resolve) => setImmediate(resolve));

    expect(Buffer.concat(passed).equals(CONTENT)).toBe(true);
    expect(verifier.errored).toBeNull();

    verifier.end();

    await expect(failed).resolves.toBeInstanceOf(ChecksumMismatchError);
  });
});

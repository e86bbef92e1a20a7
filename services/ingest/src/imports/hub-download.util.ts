import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ResumableOptions {
  /** How many times a broken connection is resumed from where it broke (default 5). */
  maxResumes?: number;
  /** First wait before resuming; doubles each time (default 250 ms). */
  backoffMs?: number;
  onResume?: (offset: number, error: unknown) => void;
  /** Whether an error may go away by reconnecting (default: always); an HTTP 4xx answer will not. */
  isRetryable?: (error: unknown) => boolean;
}

/**
 * The bytes of a remote file as one stream that survives cut connections: when a read fails or
 * ends short, it reopens at the byte where it stopped (an HTTP Range request) instead of starting
 * over. `open(offset)` gives the body from `offset` to the end.
 */
export function resumableDownload(
  open: (offset: number) => Promise<ReadableStream<Uint8Array>>,
  size: number,
  options: ResumableOptions = {},
): Readable {
  const maxResumes = options.maxResumes ?? 5;
  const backoffMs = options.backoffMs ?? 250;
  async function* bytes(): AsyncGenerator<Buffer> {
    let offset = 0;
    for (let resumes = 0; offset < size; ) {
      try {
        const body = await open(offset);
        for await (const chunk of body) {
          offset += chunk.byteLength;
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        if (offset < size) throw new Error(`the connection ended after ${offset} of ${size} bytes`);
      } catch (error) {
        if (resumes >= maxResumes || options.isRetryable?.(error) === false) throw error;
        options.onResume?.(offset, error);
        await sleep(backoffMs * 2 ** resumes);
        resumes += 1;
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

export class ChecksumMismatchError extends Error {
  override readonly name = 'ChecksumMismatchError';
}

/**
 * Checks a non-LFS file against its git blob id (sha1 of `blob <size>\0<content>`), the only
 * checksum the Hub gives for it. Fails the stream at its end, before storage completes it.
 */
export class GitBlobVerifier extends Transform {
  private readonly hash = createHash('sha1');

  constructor(
    private readonly path: string,
    size: number,
    private readonly expectedOid: string,
  ) {
    super();
    this.hash.update(`blob ${size}\0`);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual === this.expectedOid) return done();
    done(new ChecksumMismatchError(`checksum mismatch for ${this.path}: the Hub lists git blob ${this.expectedOid}, the download hashes to ${actual}`));
  }
}

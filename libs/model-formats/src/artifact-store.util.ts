import { pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { ArtifactDto, ModelSignature } from '@modelyard/contracts';
import { checkMagicBytes, formatOfPath, MAGIC_BYTES_NEEDED } from './artifact-format.util.js';
import { InvalidModelFileError } from './model-formats.exception.js';
import { OnnxSignatureReader } from './onnx-signature.util.js';
import { SafetensorsReader } from './safetensors-header.util.js';

/**
 * Where artifacts go: the blob store port's `put`, described structurally so this library needs
 * no platform import.
 */
export interface ArtifactSink {
  put(
    key: string,
    body: Readable,
    options?: { contentType?: string; expectedSize?: number; expectedSha256?: string },
  ): Promise<{ size: number; sha256: string }>;
}

export interface StoreArtifactOptions {
  key: string;
  /** The file's path within the model; decides its format and the checks it gets. */
  path: string;
  source: Readable;
  /** Known size and checksum (from the Hub): the store refuses a body that differs. */
  expectedSize?: number;
  expectedSha256?: string;
  /** Called with the byte count of each chunk as it passes. */
  onBytes?: (bytes: number) => void;
}

export interface StoredArtifact {
  artifact: Omit<ArtifactDto, 'primary'>;
  /** The inputs and outputs of an ONNX file; null for other formats. */
  signature: ModelSignature | null;
}

/**
 * Streams one model file into storage, inspecting it on the way: its first bytes must match its
 * extension, an ONNX file must parse (its signature is read in the same pass), and a safetensors
 * file must have a valid header and exactly the bytes it declares. A file that fails a check
 * errors the stream, so the store never completes it and nothing is stored.
 */
export async function storeArtifact(sink: ArtifactSink, options: StoreArtifactOptions): Promise<StoredArtifact> {
  const inspector = new ArtifactInspector(options.path, options.onBytes);
  // Its failures reach the caller through the store's rejection (and `inspector.failure`); a store
  // that has already given up on the body must not turn a late one into an unhandled 'error'.
  inspector.on('error', () => undefined);
  // pipeline(), not pipe(): a source that fails (a cut connection) must fail the put, not leave it
  // waiting — also one that failed before this call, such as an upload whose multipart body ended
  // while the handler was still busy: pipe() would wait forever on such a stream for bytes or an
  // 'end' that never come. Its error reaches the put through the destroyed inspector.
  pipeline(options.source, inspector, () => undefined);
  const stored = sink.put(options.key, inspector, {
    contentType: 'application/octet-stream',
    ...(options.expectedSize !== undefined && { expectedSize: options.expectedSize }),
    ...(options.expectedSha256 !== undefined && { expectedSha256: options.expectedSha256 }),
  });
  let info: { size: number; sha256: string };
  try {
    info = await stored;
  } catch (error) {
    // Nothing more will be read: release the source (an HTTP body from the Hub, an upload).
    options.source.destroy();
    // The inspector's verdict explains the failure better than the store's "stream destroyed".
    throw inspector.failure ?? error;
  }
  return {
    artifact: {
      path: options.path,
      key: options.key,
      size: info.size,
      sha256: info.sha256,
      format: formatOfPath(options.path),
      stored_at: new Date().toISOString(),
    },
    signature: inspector.signature,
  };
}

/** A pass-through that checks magic bytes, reads an ONNX signature or checks a safetensors layout, and counts bytes. */
class ArtifactInspector extends Transform {
  failure: InvalidModelFileError | null = null;
  signature: ModelSignature | null = null;
  private head: Buffer | null = Buffer.alloc(0);
  private readonly onnx: OnnxSignatureReader | null;
  private readonly safetensors: SafetensorsReader | null;

  constructor(
    private readonly path: string,
    private readonly onBytes: ((bytes: number) => void) | undefined,
  ) {
    super();
    const format = formatOfPath(path);
    this.onnx = format === 'onnx' ? new OnnxSignatureReader() : null;
    this.safetensors = format === 'safetensors' ? new SafetensorsReader() : null;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.head) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length >= MAGIC_BYTES_NEEDED && !this.checkHead()) return done(this.failure);
    }
    this.onnx?.write(chunk);
    if (this.onnx?.error) return done(this.fail(this.onnx.error.message));
    this.safetensors?.write(chunk);
    if (this.safetensors?.error) return done(this.fail(this.safetensors.error.message));
    this.onBytes?.(chunk.length);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.head && !this.checkHead()) return done(this.failure);
    if (this.onnx) {
      try {
        this.signature = this.onnx.end();
      } catch (error) {
        return done(this.fail(error instanceof Error ? error.message : String(error)));
      }
    }
    if (this.safetensors) {
      try {
        this.safetensors.end();
      } catch (error) {
        return done(this.fail(error instanceof Error ? error.message : String(error)));
      }
    }
    done();
  }

  private checkHead(): boolean {
    const verdict = checkMagicBytes(this.path, this.head!.subarray(0, MAGIC_BYTES_NEEDED));
    this.head = null;
    if (verdict.ok) return true;
    this.fail(verdict.reason);
    return false;
  }

  private fail(reason: string): InvalidModelFileError {
    this.failure = new InvalidModelFileError(`${this.path}: ${reason}`);
    return this.failure;
  }
}

/** The ONNX file a test runs: the one marked primary, else `model.onnx` nearest the root, else the first. */
export function primaryOnnxArtifact<A extends Pick<ArtifactDto, 'path' | 'format'> & { primary?: boolean }>(artifacts: readonly A[]): A | undefined {
  const onnx = artifacts.filter((artifact) => artifact.format === 'onnx');
  const marked = onnx.find((artifact) => artifact.primary);
  if (marked) return marked;
  const depth = (path: string) => path.split('/').length;
  const byDepthThenPath = (a: A, b: A) => depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const named = onnx.filter((artifact) => artifact.path.split('/').pop() === 'model.onnx').sort(byDepthThenPath);
  return named[0] ?? [...onnx].sort(byDepthThenPath)[0];
}

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import onnxProto from 'onnx-proto';
import { primaryOnnxArtifact, storeArtifact, type ArtifactSink, type StoreArtifactOptions } from './artifact-store.util.js';
import { InvalidModelFileError } from './model-formats.exception.js';

/*
 * The ONNX model is built here with onnx-proto: this library may not import @modelyard/testing
 * (platform-type projects depend on contracts only), whose linearOnnxModel it mirrors.
 */
const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** y = x·W + b with x [batch, 3] and y [batch, 2], W and b as initializers. */
function linearModel(): Buffer {
  const tensor = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (d < 0 ? { dimParam: 'batch' } : { dimValue: d })) } } },
  });
  const weights = (name: string, dims: number[]) => ({
    name,
    dims,
    dataType: FLOAT,
    rawData: Buffer.from(new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(0.5).buffer),
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'spec',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'linear',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['xW'] },
        { opType: 'Add', input: ['xW', 'b'], output: ['y'] },
      ],
      initializer: [weights('W', [3, 2]), weights('b', [2])],
      input: [tensor('x', [-1, 3])],
      output: [tensor('y', [-1, 2])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

const ONNX = linearModel();
const SIGNATURE = {
  inputs: [{ name: 'x', element_type: 'float32', shape: ['batch', 3] }],
  outputs: [{ name: 'y', element_type: 'float32', shape: ['batch', 2] }],
};

function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header, Buffer.from(new Float32Array([1, 2]).buffer)]);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

class BlobIntegrityError extends Error {}

/** An in-memory blob store with the real ones' `put`: it reads the whole body, and refuses one that differs from what was promised. */
class MemorySink implements ArtifactSink {
  readonly stored = new Map<string, Buffer>();
  readonly calls: Array<{ key: string; options: Parameters<ArtifactSink['put']>[2] }> = [];

  async put(key: string, body: Readable, options: Parameters<ArtifactSink['put']>[2] = {}): Promise<{ size: number; sha256: string }> {
    this.calls.push({ key, options });
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (options.expectedSize !== undefined && size > options.expectedSize) {
        throw new BlobIntegrityError(`body of ${key} is longer than the expected ${options.expectedSize} bytes`);
      }
      hash.update(chunk);
      chunks.push(chunk);
    }
    const digest = hash.digest('hex');
    if (options.expectedSize !== undefined && size !== options.expectedSize) {
      throw new BlobIntegrityError(`body of ${key} is ${size} bytes, expected ${options.expectedSize}`);
    }
    if (options.expectedSha256 !== undefined && digest !== options.expectedSha256.toLowerCase()) {
      throw new BlobIntegrityError(`body of ${key} has sha256 ${digest}, expected ${options.expectedSha256}`);
    }
    this.stored.set(key, Buffer.concat(chunks));
    return { size, sha256: digest };
  }
}

/** `bytes` as a stream of `chunkSize`-byte chunks. */
function chunked(bytes: Buffer, chunkSize = 5): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}

function store(sink: ArtifactSink, path: string, bytes: Buffer | Readable, options: Partial<StoreArtifactOptions> = {}) {
  const bytesSeen: number[] = [];
  const stored = storeArtifact(sink, {
    key: `models/m1/${path}`,
    path,
    source: bytes instanceof Readable ? bytes : chunked(bytes),
    onBytes: (n) => bytesSeen.push(n),
    ...options,
  });
  return { stored, bytesSeen };
}

const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

describe('storeArtifact', () => {
  it('stores an ONNX file byte for byte and reads its signature on the way', async () => {
    const sink = new MemorySink();

    const { stored, bytesSeen } = store(sink, 'onnx/model.onnx', ONNX);
    const { artifact, signature } = await stored;

    expect(signature).toEqual(SIGNATURE);
    expect(artifact).toEqual({
      path: 'onnx/model.onnx',
      key: 'models/m1/onnx/model.onnx',
      size: ONNX.length,
      sha256: sha256(ONNX),
      format: 'onnx',
      stored_at: expect.any(String),
    });
    expect(new Date(artifact.stored_at).toISOString()).toBe(artifact.stored_at);
    expect(sink.stored.get('models/m1/onnx/model.onnx')!.equals(ONNX)).toBe(true);
    expect(total(bytesSeen)).toBe(ONNX.length);
  });

  it.each([1, 3, 15, 16, 17, 4096])('reads an ONNX file arriving in %i-byte chunks', async (size) => {
    const { stored } = store(new MemorySink(), 'model.onnx', chunked(ONNX, size));

    await expect(stored).resolves.toMatchObject({ signature: SIGNATURE, artifact: { size: ONNX.length } });
  });

  it('hands the store the content type and the expected size and sha256', async () => {
    const sink = new MemorySink();

    await store(sink, 'model.onnx', ONNX, { expectedSize: ONNX.length, expectedSha256: sha256(ONNX) }).stored;

    expect(sink.calls).toEqual([
      {
        key: 'models/m1/model.onnx',
        options: { contentType: 'application/octet-stream', expectedSize: ONNX.length, expectedSha256: sha256(ONNX) },
      },
    ]);
  });

  it('refuses a .onnx file that is JSON, and the store completes nothing', async () => {
    const sink = new MemorySink();
    const json = Buffer.from(JSON.stringify({ error: 'Repository not found', detail: 'x'.repeat(100) }));

    const { stored, bytesSeen } = store(sink, 'model.onnx', chunked(json, 4096));

    await expect(stored).rejects.toThrow(InvalidModelFileError);
    await expect(stored).rejects.toThrow('model.onnx: Not an ONNX model: it does not start with an ir_version field.');
    expect(sink.stored.size).toBe(0);
    expect(bytesSeen).toEqual([]);
    // In small chunks the signature reader objects before the magic-byte window fills.
    const small = store(sink, 'model.onnx', chunked(json, 5));
    await expect(small.stored).rejects.toThrow(/^model\.onnx: Not a valid ONNX model/);
    expect(total(small.bytesSeen)).toBeLessThan(16);
    expect(sink.stored.size).toBe(0);
  });

  it('refuses a truncated ONNX file (a valid head, a cut body) when it ends', async () => {
    const sink = new MemorySink();
    const cut = ONNX.subarray(0, ONNX.length - 20);

    const { stored, bytesSeen } = store(sink, 'model.onnx', cut);

    await expect(stored).rejects.toThrow(InvalidModelFileError);
    await expect(stored).rejects.toThrow(/^model\.onnx: The ONNX model is truncated/);
    expect(sink.stored.size).toBe(0);
    // Every byte passed the inspector: only the end tells.
    expect(total(bytesSeen)).toBe(cut.length);
  });

  it('refuses a .onnx file shorter than the magic-byte window', async () => {
    const sink = new MemorySink();

    await expect(store(sink, 'model.onnx', Buffer.from('oops')).stored).rejects.toThrow(InvalidModelFileError);
    await expect(store(sink, 'model.onnx', Buffer.alloc(0)).stored).rejects.toThrow('model.onnx: .onnx file is empty.');
    expect(sink.stored.size).toBe(0);
  });

  it('stores a .safetensors file with a good header, without a signature', async () => {
    const sink = new MemorySink();
    const bytes = safetensors();

    const { stored, bytesSeen } = store(sink, 'model.safetensors', bytes);

    await expect(stored).resolves.toMatchObject({
      artifact: { path: 'model.safetensors', format: 'safetensors', size: bytes.length, sha256: sha256(bytes) },
      signature: null,
    });
    expect(sink.stored.get('models/m1/model.safetensors')!.equals(bytes)).toBe(true);
    expect(total(bytesSeen)).toBe(bytes.length);
  });

  it('refuses a .safetensors file that is a pickle', async () => {
    const sink = new MemorySink();
    const pickle = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(64, 0x2e)]);

    // The magic-byte check or, in small chunks, the header reader (which sees 8 bytes first) objects.
    await expect(store(sink, 'model.safetensors', pickle).stored).rejects.toThrow(/^model\.safetensors: Not a (valid )?safetensors file/);
    expect(sink.stored.size).toBe(0);
  });

  it('refuses a truncated .safetensors file when it ends, and one with bytes past its tensors at the first such byte', async () => {
    const sink = new MemorySink();
    const bytes = safetensors();

    const cut = store(sink, 'model.safetensors', bytes.subarray(0, bytes.length - 1));
    await expect(cut.stored).rejects.toThrow(InvalidModelFileError);
    await expect(cut.stored).rejects.toThrow(`model.safetensors: Not a valid safetensors file: the file is truncated: the tensors end at byte ${bytes.length}`);

    const padded = store(sink, 'model.safetensors', chunked(Buffer.concat([bytes, Buffer.alloc(100)]), 10));
    await expect(padded.stored).rejects.toThrow(/longer than its header says/);
    // Refused at the chunk that went past the end: the extra bytes never reached the store.
    expect(total(padded.bytesSeen)).toBeLessThanOrEqual(bytes.length);
    expect(sink.stored.size).toBe(0);
  });

  it('fails, instead of waiting forever, on a source that already failed before the call', async () => {
    const sink = new MemorySink();
    // An upload whose multipart body ended early while the handler was busy: the parser destroyed
    // the file stream before storeArtifact saw it, so no 'error' or 'end' will ever come again.
    const failed = new Readable({ read: () => undefined });
    const cut = new Error('Part terminated early due to unexpected end of multipart data');
    failed.on('error', () => undefined);
    failed.destroy(cut);
    await new Promise((resolve) => setImmediate(resolve));

    await expect(store(sink, 'model.onnx', failed).stored).rejects.toBe(cut);

    const closed = new Readable({ read: () => undefined });
    closed.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await expect(store(sink, 'model.onnx', closed).stored).rejects.toThrow(/premature close/i);
    expect(sink.stored.size).toBe(0);
  });

  it('stores a config.json as it is, without checks', async () => {
    const sink = new MemorySink();
    const config = Buffer.from('{"model_type": "bert", "hidden_size": 384}');

    const { stored, bytesSeen } = store(sink, 'config.json', config);

    await expect(stored).resolves.toMatchObject({ artifact: { format: 'config', size: config.length, sha256: sha256(config) }, signature: null });
    expect(total(bytesSeen)).toBe(config.length);
    // Not even JSON is required of it, nor any length.
    await expect(store(sink, 'config.json', Buffer.from('not json')).stored).resolves.toMatchObject({ artifact: { size: 8 } });
    await expect(store(sink, 'empty/config.json', Buffer.alloc(0)).stored).resolves.toMatchObject({ artifact: { size: 0, sha256: sha256(Buffer.alloc(0)) } });
  });

  it('fails when the source fails mid-way, and the store completes nothing', async () => {
    const sink = new MemorySink();
    const reset = new Error('ECONNRESET');
    async function* source() {
      yield ONNX.subarray(0, 40);
      await new Promise((resolve) => setTimeout(resolve, 5));
      yield ONNX.subarray(40, 80);
      throw reset;
    }

    const { stored } = store(sink, 'model.onnx', Readable.from(source(), { objectMode: false }));

    await expect(stored).rejects.toBe(reset);
    expect(sink.stored.size).toBe(0);
  });

  it("passes on the store's refusal of a body of the wrong size or checksum", async () => {
    const sink = new MemorySink();

    await expect(store(sink, 'model.onnx', ONNX, { expectedSize: ONNX.length + 1 }).stored).rejects.toThrow(BlobIntegrityError);
    await expect(store(sink, 'model.onnx', ONNX, { expectedSize: ONNX.length - 1 }).stored).rejects.toThrow('longer than the expected');
    await expect(store(sink, 'model.onnx', ONNX, { expectedSha256: sha256(Buffer.from('other')) }).stored).rejects.toThrow('has sha256');
    expect(sink.stored.size).toBe(0);
  });
});

describe('primaryOnnxArtifact', () => {
  const a = (path: string, extra: { primary?: boolean; format?: string } = {}) => ({
    path,
    format: (extra.format ?? (path.endsWith('.onnx') ? 'onnx' : 'config')) as 'onnx' | 'config',
    ...(extra.primary !== undefined && { primary: extra.primary }),
  });

  it('takes the one marked primary over any model.onnx', () => {
    const marked = a('onnx/model_quantized.onnx', { primary: true });

    expect(primaryOnnxArtifact([a('model.onnx', { primary: false }), marked, a('onnx/model.onnx')])).toBe(marked);
  });

  it('ignores a primary mark on a file that is not ONNX', () => {
    const model = a('onnx/model.onnx');

    expect(primaryOnnxArtifact([a('config.json', { primary: true }), model])).toBe(model);
  });

  it('takes model.onnx nearest the root', () => {
    const root = a('model.onnx');
    const nested = a('onnx/model.onnx');

    expect(primaryOnnxArtifact([a('a.onnx'), a('x/y/model.onnx'), nested, root])).toBe(root);
    expect(primaryOnnxArtifact([a('x/y/model.onnx'), a('a.onnx'), nested])).toBe(nested);
  });

  it('without a model.onnx, takes the shallowest file, then the first by name', () => {
    const decoder = a('onnx/decoder.onnx');

    expect(primaryOnnxArtifact([a('onnx/encoder.onnx'), a('onnx/sub/a.onnx'), decoder])).toBe(decoder);
    // Depth counts, not the length of the path.
    const shallow = a('a-very-long-file-name.onnx');
    expect(primaryOnnxArtifact([a('o/b.onnx'), shallow])).toBe(shallow);
  });

  it('does not reorder the array it is given', () => {
    const artifacts = [a('onnx/z.onnx'), a('onnx/b.onnx')];

    primaryOnnxArtifact(artifacts);

    expect(artifacts.map((x) => x.path)).toEqual(['onnx/z.onnx', 'onnx/b.onnx']);
  });

  it('ignores files that are not ONNX, and returns undefined when there is none', () => {
    expect(primaryOnnxArtifact([a('config.json'), a('model.onnx_data', { format: 'other' })])).toBeUndefined();
    expect(primaryOnnxArtifact([])).toBeUndefined();
  });

  it('judges by format, not by name: a file named model.onnx that is not ONNX is skipped', () => {
    const real = a('onnx/encoder.onnx');

    expect(primaryOnnxArtifact([a('model.onnx', { format: 'other' }), real])).toBe(real);
  });
});

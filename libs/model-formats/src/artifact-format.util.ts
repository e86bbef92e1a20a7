import type { ArtifactFormat } from '@modelyard/contracts';
import { SAFETENSORS_MAX_HEADER_BYTES } from './safetensors-header.util.js';

/** Extensions a user may upload as a model file. */
export const UPLOADABLE_EXTENSIONS = ['.onnx', '.pt', '.pth', '.pb', '.h5', '.bin', '.safetensors'] as const;
export type UploadableExtension = (typeof UPLOADABLE_EXTENSIONS)[number];

/** How many leading bytes `checkMagicBytes` looks at: the safetensors header length (8) and its `{`, and an ONNX ir_version varint (up to 10) after its tag. */
export const MAGIC_BYTES_NEEDED = 16;

/** ONNX IR versions run from 1 (2017) to 11 (2025); the bound leaves room for new ones while refusing random bytes. */
const ONNX_MAX_PLAUSIBLE_IR_VERSION = 64;

const PICKLE_EXTENSIONS: ReadonlySet<string> = new Set(['.pt', '.pth', '.bin', '.ckpt', '.pkl', '.pickle']);

const TOKENIZER_FILES: ReadonlySet<string> = new Set([
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'merges.txt',
]);

/** The lower-cased last path segment, and its extension (from the last dot, `''` when none). */
function fileNameOf(path: string): { name: string; extension: string } {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = name.lastIndexOf('.');
  return { name, extension: dot > 0 ? name.slice(dot) : '' };
}

/** The extension of `path` if it is one a user may upload, else null. */
export function uploadableExtensionOf(path: string): UploadableExtension | null {
  const { extension } = fileNameOf(path);
  return (UPLOADABLE_EXTENSIONS as readonly string[]).includes(extension) ? (extension as UploadableExtension) : null;
}

/** What a file is, by its name alone (Hugging Face repo conventions for config and tokenizer files). */
export function formatOfPath(path: string): ArtifactFormat {
  const { name, extension } = fileNameOf(path);
  // Tokenizer names first: tokenizer_config.json would otherwise read as a config file.
  if (TOKENIZER_FILES.has(name) || name.startsWith('vocab.') || extension === '.model') return 'tokenizer';
  if (extension === '.json' && (name === 'config.json' || name.endsWith('_config.json') || name.startsWith('config_'))) return 'config';
  switch (extension) {
    case '.onnx':
      return 'onnx';
    case '.safetensors':
      return 'safetensors';
    case '.pt':
    case '.pth':
    case '.bin':
      return 'pytorch';
    case '.pb':
      return 'tensorflow';
    case '.h5':
    case '.keras':
      return 'keras';
    default:
      return 'other';
  }
}

/** Whether the file is a Python pickle (or a zip holding one): it is stored and served, never loaded. */
export function isPickleFormat(path: string): boolean {
  return PICKLE_EXTENSIONS.has(fileNameOf(path).extension);
}

export type MagicBytesCheck = { ok: true } | { ok: false; reason: string };

const ZIP_MAGIC = Buffer.from('PK\x03\x04', 'latin1');
const HDF5_MAGIC = Buffer.from('\x89HDF\r\n\x1a\n', 'latin1');
const PICKLE_PROTO = 0x80;

function startsWith(head: Uint8Array, magic: Uint8Array): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

function isZip(head: Uint8Array): boolean {
  return startsWith(head, ZIP_MAGIC);
}

/** Pickle protocols 2 to 5 open with PROTO (0x80) and the protocol number; torch.save's legacy format is protocol 2. */
function isPickle(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === PICKLE_PROTO && head[1]! >= 2 && head[1]! <= 5;
}

/** A varint at `offset`, or null when `head` ends inside it. */
function varintAt(head: Uint8Array, offset: number): number | null {
  let value = 0;
  for (let i = 0; i < 10 && offset + i < head.length; i++) {
    const byte = head[offset + i]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return value;
  }
  return null;
}

function fail(reason: string): MagicBytesCheck {
  return { ok: false, reason };
}

/**
 * Whether the first bytes of a file agree with its extension, so a renamed file (an HTML error page
 * saved as model.onnx, a pickle named .safetensors) is refused before it is stored. `head` is the
 * first `MAGIC_BYTES_NEEDED` bytes, or the whole file if shorter. Only uploadable extensions and
 * `.keras` are checked; other files pass. How much each check proves:
 *
 * - `.onnx` (weak-to-medium): protobuf tag 0x08 (ModelProto field 1, varint) and an ir_version of
 *   1..64. Every ONNX serializer writes ir_version first, but any protobuf starting so would pass;
 *   `OnnxSignatureReader` is the real check.
 * - `.safetensors` (medium): an 8-byte little-endian header length in 2..100 MB followed by `{`.
 * - `.pt` / `.pth` / `.bin` (weak): a zip (torch.save since 1.6) or a pickle protocol 2-5 opcode;
 *   any zip passes, and pickles are never loaded anyway.
 * - `.h5` (strong): the 8-byte HDF5 signature at offset 0 (HDF5 also allows it at 512, 1024 …
 *   after a user block; Keras never writes one). `.keras` (weak): a zip.
 * - `.pb` (very weak): a first byte that is a plausible protobuf tag (field ≥ 1, wire type 0 or 2),
 *   which refuses text, JSON and most binary formats but little else.
 */
export function checkMagicBytes(path: string, head: Uint8Array): MagicBytesCheck {
  const { extension } = fileNameOf(path);
  const checked = ['.onnx', '.safetensors', '.pt', '.pth', '.bin', '.h5', '.keras', '.pb'];
  if (!checked.includes(extension)) return { ok: true };
  if (head.length === 0) return fail(`${extension} file is empty.`);

  switch (extension) {
    case '.onnx': {
      if (head[0] !== 0x08) return fail('Not an ONNX model: it does not start with an ir_version field.');
      const irVersion = varintAt(head, 1);
      if (irVersion === null) return fail('Not an ONNX model: the file is too short.');
      if (irVersion < 1 || irVersion > ONNX_MAX_PLAUSIBLE_IR_VERSION) return fail(`Not an ONNX model: ir_version ${irVersion} is implausible.`);
      return { ok: true };
    }
    case '.safetensors': {
      if (head.length < 9) return fail('Not a safetensors file: the file is too short.');
      const headerLength = Buffer.from(head.buffer, head.byteOffset, head.byteLength).readBigUInt64LE(0);
      if (headerLength < 2n || headerLength > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
        return fail(`Not a safetensors file: header length ${headerLength} is out of range.`);
      }
      if (head[8] !== 0x7b) return fail('Not a safetensors file: the header is not a JSON object.');
      return { ok: true };
    }
    case '.pt':
    case '.pth':
    case '.bin':
      return isZip(head) || isPickle(head) ? { ok: true } : fail(`Not a PyTorch ${extension} file: neither a torch.save zip nor a pickle.`);
    case '.h5':
      return startsWith(head, HDF5_MAGIC) ? { ok: true } : fail('Not an HDF5 (.h5) file: the HDF5 signature is missing.');
    case '.keras':
      return isZip(head) ? { ok: true } : fail('Not a Keras (.keras) file: it is not a zip archive.');
    case '.pb': {
      const tag = head[0]!;
      const wireType = tag & 0x07;
      if (tag >> 3 === 0 || (wireType !== 0 && wireType !== 2)) return fail('Not a TensorFlow protobuf (.pb) file: the first byte is not a plausible field tag.');
      return { ok: true };
    }
    default:
      return { ok: true };
  }
}

import { describe, expect, it } from '@jest/globals';
import { MAGIC_BYTES_NEEDED, checkMagicBytes, formatOfPath, isPickleFormat, uploadableExtensionOf } from './artifact-format.util.js';

function safetensorsHead(headerLength: number): Buffer {
  const head = Buffer.alloc(16, 0x20);
  head.writeBigUInt64LE(BigInt(headerLength));
  head[8] = 0x7b;
  return head;
}

const ONNX_HEAD = Buffer.from([0x08, 0x08, 0x12, 0x07, ...Buffer.from('pytorch')]);
const ZIP_HEAD = Buffer.from('PK\x03\x04\x00\x00\x08\x00archive/data.pkl', 'latin1');
const PICKLE_HEAD = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x00]);
const HDF5_HEAD = Buffer.from('\x89HDF\r\n\x1a\n\x00\x00\x00\x00\x00\x08\x08\x00', 'latin1');
const HTML_HEAD = Buffer.from('<!DOCTYPE html><html>');

describe('formatOfPath', () => {
  it.each([
    ['model.onnx', 'onnx'],
    ['onnx/Model.ONNX', 'onnx'],
    ['model-00001-of-00002.safetensors', 'safetensors'],
    ['pytorch_model.bin', 'pytorch'],
    ['weights.pt', 'pytorch'],
    ['ckpt/weights.pth', 'pytorch'],
    ['saved_model.pb', 'tensorflow'],
    ['tf_model.h5', 'keras'],
    ['model.keras', 'keras'],
    ['config.json', 'config'],
    ['generation_config.json', 'config'],
    ['preprocessor_config.json', 'config'],
    ['1_Pooling/config.json', 'config'],
    ['config_sentence_transformers.json', 'config'],
    ['tokenizer.json', 'tokenizer'],
    ['tokenizer_config.json', 'tokenizer'],
    ['special_tokens_map.json', 'tokenizer'],
    ['vocab.txt', 'tokenizer'],
    ['vocab.json', 'tokenizer'],
    ['merges.txt', 'tokenizer'],
    ['spiece.model', 'tokenizer'],
    ['tokenizer.model', 'tokenizer'],
    ['README.md', 'other'],
    ['model.onnx_data', 'other'],
    ['.gitattributes', 'other'],
    ['data.json', 'other'],
  ])('%s is %s', (path, format) => {
    expect(formatOfPath(path)).toBe(format);
  });
});

describe('uploadableExtensionOf', () => {
  it('gives the lower-cased extension of an uploadable file, else null', () => {
    expect(uploadableExtensionOf('dir/Model.SafeTensors')).toBe('.safetensors');
    expect(uploadableExtensionOf('model.keras')).toBeNull();
    expect(uploadableExtensionOf('onnx')).toBeNull();
  });
});

describe('isPickleFormat', () => {
  it.each([
    ['pytorch_model.bin', true],
    ['model.pt', true],
    ['model.PTH', true],
    ['model.safetensors', false],
    ['model.onnx', false],
    ['tf_model.h5', false],
    ['last.ckpt', true],
  ])('%s: %s', (path, pickle) => {
    expect(isPickleFormat(path)).toBe(pickle);
  });
});

describe('checkMagicBytes', () => {
  it('needs no more head bytes than MAGIC_BYTES_NEEDED', () => {
    for (const [path, head] of [
      ['m.onnx', ONNX_HEAD],
      ['m.safetensors', safetensorsHead(1000)],
      ['m.pt', ZIP_HEAD],
      ['m.h5', HDF5_HEAD],
    ] as const) {
      expect(checkMagicBytes(path, head.subarray(0, MAGIC_BYTES_NEEDED))).toEqual({ ok: true });
    }
  });

  it.each([
    ['model.onnx', ONNX_HEAD],
    ['model.safetensors', safetensorsHead(2)],
    ['model.safetensors', safetensorsHead(100_000_000)],
    ['model.pt', ZIP_HEAD],
    ['model.pth', PICKLE_HEAD],
    ['pytorch_model.bin', ZIP_HEAD],
    ['pytorch_model.bin', PICKLE_HEAD],
    ['model.h5', HDF5_HEAD],
    ['model.keras', ZIP_HEAD],
    ['saved_model.pb', Buffer.from([0x08, 0x01, 0x12])],
    ['frozen_graph.pb', Buffer.from([0x0a, 0x10])],
    ['README.md', HTML_HEAD],
    ['config.json', Buffer.alloc(0)],
  ])('accepts %s with the right first bytes', (path, head) => {
    expect(checkMagicBytes(path, head)).toEqual({ ok: true });
  });

  it.each([
    ['model.onnx', HTML_HEAD, /does not start with an ir_version/],
    ['model.onnx', Buffer.from([0x08, 0xc8, 0x01]), /ir_version 200 is implausible/],
    ['model.onnx', Buffer.from([0x08, 0x00]), /ir_version 0 is implausible/],
    ['model.onnx', Buffer.from([0x08, 0x88]), /too short/],
    ['model.onnx', Buffer.alloc(0), /empty/],
    ['model.safetensors', PICKLE_HEAD, /header length \d+ is out of range/],
    ['model.safetensors', safetensorsHead(100_000_001), /out of range/],
    ['model.safetensors', Buffer.concat([safetensorsHead(64).subarray(0, 8), Buffer.from('[')]), /not a JSON object/],
    ['model.safetensors', Buffer.from([1, 0, 0]), /too short/],
    ['model.pt', HTML_HEAD, /neither a torch.save zip nor a pickle/],
    ['model.pt', Buffer.from([0x80, 0x06]), /neither/],
    ['pytorch_model.bin', safetensorsHead(64), /neither/],
    ['model.h5', ZIP_HEAD, /HDF5 signature is missing/],
    ['model.keras', HDF5_HEAD, /not a zip archive/],
    ['saved_model.pb', HTML_HEAD, /not a plausible field tag/],
    ['saved_model.pb', Buffer.from([0x09]), /not a plausible field tag/],
    ['saved_model.pb', Buffer.from([0x02]), /not a plausible field tag/],
  ])('refuses %s with first bytes that do not match (%#)', (path, head, reason) => {
    const check = checkMagicBytes(path, head);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(reason);
  });
});

import { describe, expect, it } from '@jest/globals';
import { MAX_REPO_FILE_PATH_LENGTH, checkRepoFilePath } from './repo-path.util.js';

describe('checkRepoFilePath', () => {
  it.each(['model.onnx', 'onnx/model.onnx', '1_Pooling/config.json', '.gitattributes', 'a/.hidden/b..c', 'ünïcödé/模型.bin', 'my model.onnx', 'a b/c d.json', 'a'.repeat(MAX_REPO_FILE_PATH_LENGTH)])(
    'accepts %s',
    (path) => {
      expect(checkRepoFilePath(path)).toBeNull();
    },
  );

  it.each([
    ['', /empty/],
    ['a'.repeat(MAX_REPO_FILE_PATH_LENGTH + 1), /longer than 1000/],
    ['/etc/passwd', /absolute/],
    ['C:/Windows/model.onnx', /drive letter/],
    ['../secrets', /"\.\." segment/],
    ['onnx/../../x', /"\.\." segment/],
    ['./model.onnx', /"\." segment/],
    ['onnx/./model.onnx', /"\." segment/],
    ['onnx\\model.onnx', /backslash/],
    ['onnx//model.onnx', /empty segment/],
    ['onnx/', /empty segment/],
    ['model\u0000.onnx', /control character/],
    ['model\n.onnx', /control character/],
    ['model\u007f.onnx', /control character/],
    ['model\u0085.onnx', /control character/],
    ['abc\u202Exnno.pt', /bidirectional control character \(U\+202E\)/],
    ...['\u202A', '\u202B', '\u202C', '\u202D', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'].map(
      (c): [string, RegExp] => [`model${c}.onnx`, /bidirectional control character/],
    ),
    ['onnx/\u2067model.onnx', /bidirectional control character \(U\+2067\)/],
    ...['\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF', '\u00AD', '\u2028', '\u2029', '\u3164'].map(
      (c): [string, RegExp] => [`mo${c}del.onnx`, /invisible character/],
    ),
    ['model\u200B.onnx', /invisible character \(U\+200B\)/],
    [' ', /only of whitespace/],
    ['\u3000\u00A0', /only of whitespace/],
    ['onnx/   /model.onnx', /only of whitespace/],
    [' model.onnx', /starts or ends with whitespace/],
    ['model.onnx ', /starts or ends with whitespace/],
    ['model.onnx\u00A0', /starts or ends with whitespace/],
    ['onnx /model.onnx', /starts or ends with whitespace/],
  ])('refuses %j', (path, reason) => {
    expect(checkRepoFilePath(path)).toMatch(reason);
  });
});

import { describe, expect, it } from '@jest/globals';
import { MAX_REPO_FILE_PATH_LENGTH, checkRepoFilePath } from './repo-path.util.js';

describe('checkRepoFilePath', () => {
  it.each(['model.onnx', 'onnx/model.onnx', '1_Pooling/config.json', '.gitattributes', 'a/.hidden/b..c', 'ünïcödé/模型.bin', 'a'.repeat(MAX_REPO_FILE_PATH_LENGTH)])(
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
  ])('refuses %j', (path, reason) => {
    expect(checkRepoFilePath(path)).toMatch(reason);
  });
});

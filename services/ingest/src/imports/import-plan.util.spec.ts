import { describe, expect, it } from '@jest/globals';
import { describeFromCard, importedMetadata, isDefaultImportFile, PIPELINE_TYPES, planImport, type HubFile } from './import-plan.util.js';

function file(path: string, size = 10): HubFile {
  return { path, size, oid: 'a'.repeat(40) };
}

const pathsOf = (files: readonly HubFile[]) => files.map((f) => f.path);

/** A listing like a typical transformers.js / optimum repo. */
const LISTING: HubFile[] = [
  '.gitattributes',
  'README.md',
  'config.json',
  'generation_config.json',
  'model.safetensors',
  'pytorch_model.bin',
  'tf_model.h5',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
  'merges.txt',
  'onnx/model.onnx',
  'onnx/model.onnx_data',
  'onnx/model_quantized.onnx',
  'onnx/decoder.onnx.data',
  '1_Pooling/config.json',
  'images/diagram.png',
].map((path) => file(path));

describe('planImport', () => {
  it('by default takes ONNX weights with their external data, configs and tokenizer files, and nothing else', () => {
    const plan = planImport(LISTING, null);

    expect(pathsOf(plan.files).sort()).toEqual(
      [
        '1_Pooling/config.json',
        'config.json',
        'generation_config.json',
        'merges.txt',
        'onnx/decoder.onnx.data',
        'onnx/model.onnx',
        'onnx/model.onnx_data',
        'onnx/model_quantized.onnx',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.txt',
      ].sort(),
    );
    expect(plan.refused).toEqual([]);
  });

  it.each(['model.safetensors', 'pytorch_model.bin', 'README.md', '.gitattributes', 'tf_model.h5', 'images/diagram.png', 'data.json'])(
    'leaves %s out of the default choice',
    (path) => {
      expect(isDefaultImportFile(path)).toBe(false);
      expect(planImport([file(path)], null).files).toEqual([]);
    },
  );

  it('keeps each listed file as given (size, oid, lfs)', () => {
    const lfs: HubFile = { path: 'model.onnx', size: 1234, oid: 'b'.repeat(40), lfs: { oid: 'c'.repeat(64), size: 1234 } };

    expect(planImport([lfs], null).files).toEqual([lfs]);
  });

  it('with include patterns takes exactly the files they match, globbing over the whole path', () => {
    const plan = planImport(LISTING, ['*.json', 'onnx/*_quantized.onnx']);

    // `*.json` does not reach into folders: patterns match the full path, not the base name.
    expect(pathsOf(plan.files)).toEqual(
      expect.arrayContaining(['config.json', 'generation_config.json', 'onnx/model_quantized.onnx', 'special_tokens_map.json']),
    );
    expect(pathsOf(plan.files)).not.toContain('1_Pooling/config.json');
    expect(pathsOf(plan.files)).not.toContain('onnx/model.onnx');
    expect(plan.files).toHaveLength(6);
  });

  it('with include patterns can take files the default leaves out, dot files included', () => {
    const plan = planImport(LISTING, ['**/*.safetensors', '.git*', 'README.md']);

    expect(pathsOf(plan.files).sort()).toEqual(['.gitattributes', 'README.md', 'model.safetensors']);
  });

  it('matches `**` across folders and dot folders', () => {
    const files = ['a/b/c/model.onnx', '.cache/x/model.onnx', 'model.onnx'].map((p) => file(p));

    expect(pathsOf(planImport(files, ['**/model.onnx']).files).sort()).toEqual(['.cache/x/model.onnx', 'a/b/c/model.onnx', 'model.onnx']);
  });

  it('takes nothing when no pattern matches', () => {
    expect(planImport(LISTING, ['*.gguf']).files).toEqual([]);
  });

  it.each([
    ['../x.json', /"\.\." segment/],
    ['onnx/../../config.json', /"\.\." segment/],
    ['/abs.onnx', /absolute/],
    ['a\\b.onnx', /backslash/],
    ['onnx//model.onnx', /empty segment/],
    ['onnx/', /empty segment/],
    ['./config.json', /"\." segment/],
    ['model\u0000.onnx', /control character/],
    ['config\n.json', /control character/],
    ['C:/model.onnx', /drive letter/],
    ['', /empty/],
  ])('refuses %j with a reason and never selects it, not even when a pattern matches it', (path, reason) => {
    // An empty string is no glob (the API refuses one), so that path is matched by `**` alone.
    for (const include of [null, ['**'], ['**/*', ...(path ? [path] : [])]]) {
      const plan = planImport([file(path), file('config.json')], include);

      expect(pathsOf(plan.files)).toEqual(['config.json']);
      expect(plan.refused).toEqual([{ path, reason: expect.stringMatching(reason) }]);
    }
  });

  it('reports every refused file, in listing order', () => {
    const plan = planImport([file('../a.onnx'), file('model.onnx'), file('/b.onnx')], null);

    expect(plan.refused.map((r) => r.path)).toEqual(['../a.onnx', '/b.onnx']);
    expect(pathsOf(plan.files)).toEqual(['model.onnx']);
  });

  it('returns the files sorted by path whatever the listing order, without changing the listing', () => {
    const listing = ['tokenizer.json', 'onnx/model.onnx', 'config.json', 'onnx/encoder.onnx'].map((p) => file(p));
    const before = pathsOf(listing);

    const forward = pathsOf(planImport(listing, null).files);
    const backward = pathsOf(planImport([...listing].reverse(), null).files);

    expect(forward).toEqual(['config.json', 'onnx/encoder.onnx', 'onnx/model.onnx', 'tokenizer.json']);
    expect(backward).toEqual(forward);
    expect(pathsOf(listing)).toEqual(before);
  });
});

describe('PIPELINE_TYPES', () => {
  it.each([
    ['text-generation', 'llm'],
    ['feature-extraction', 'embedding'],
    ['sentence-similarity', 'embedding'],
    ['image-classification', 'vision'],
    ['automatic-speech-recognition', 'audio'],
    ['image-text-to-text', 'multimodal'],
  ])('maps %s to %s', (tag, type) => {
    expect(PIPELINE_TYPES[tag]).toBe(type);
  });

  it('maps only to Modelyard model types', () => {
    const types = new Set(Object.values(PIPELINE_TYPES));

    expect([...types].sort()).toEqual(['audio', 'embedding', 'llm', 'multimodal', 'vision']);
  });
});

describe('importedMetadata', () => {
  const onnxFiles = [file('onnx/model.onnx'), file('config.json')];
  const configOnly = [file('config.json'), file('tokenizer.json')];

  it('takes the type from the pipeline tag', () => {
    expect(importedMetadata({ pipelineTag: 'feature-extraction' }, onnxFiles).type).toBe('embedding');
    expect(importedMetadata({ pipelineTag: 'text-generation' }, onnxFiles).type).toBe('llm');
  });

  it('leaves the type out for an unknown or missing pipeline tag', () => {
    expect(importedMetadata({ pipelineTag: 'robotics' }, onnxFiles)).not.toHaveProperty('type');
    expect(importedMetadata({}, onnxFiles)).not.toHaveProperty('type');
  });

  it('says onnx when an ONNX file is stored, whatever the library', () => {
    expect(importedMetadata({ libraryName: 'transformers' }, onnxFiles).framework).toBe('onnx');
  });

  it('takes the framework from library_name when no ONNX file is stored', () => {
    expect(importedMetadata({ libraryName: 'transformers' }, configOnly).framework).toBe('pytorch');
    expect(importedMetadata({ libraryName: 'keras' }, configOnly).framework).toBe('tensorflow');
    expect(importedMetadata({ libraryName: 'transformers.js' }, configOnly).framework).toBe('onnx');
  });

  it('leaves the framework out for an unknown library and no ONNX file (external data alone is not a model)', () => {
    expect(importedMetadata({ libraryName: 'llama.cpp' }, [file('onnx/model.onnx_data')])).not.toHaveProperty('framework');
    expect(importedMetadata({}, configOnly)).not.toHaveProperty('framework');
  });

  // library_name is free text in a repo's card; a name that is also an Object.prototype member must not leak through.
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])('ignores a library or pipeline named %s', (name) => {
    const metadata = importedMetadata({ libraryName: name, pipelineTag: name }, configOnly);

    expect(metadata).not.toHaveProperty('framework');
    expect(metadata).not.toHaveProperty('type');
  });

  it('keeps plain tags and drops keyed Hub tags, over-long tags and all past 20', () => {
    const tags = ['onnx', 'license:mit', 'region:us', 'arxiv:1810.04805', 'bert', 'x'.repeat(65), 'y'.repeat(64)];

    expect(importedMetadata({ tags }, onnxFiles).tags).toEqual(['onnx', 'bert', 'y'.repeat(64)]);
    expect(importedMetadata({ tags: Array.from({ length: 30 }, (_, i) => `t${i}`) }, onnxFiles).tags).toHaveLength(20);
    expect(importedMetadata({}, onnxFiles).tags).toEqual([]);
  });

  it('takes the licence from cardData, as a string or the first of a list', () => {
    expect(importedMetadata({ cardData: { license: 'apache-2.0' }, tags: ['license:mit'] }, onnxFiles).license).toBe('apache-2.0');
    expect(importedMetadata({ cardData: { license: ['cc-by-4.0', 'mit'] } }, onnxFiles).license).toBe('cc-by-4.0');
  });

  it('falls back to the license: tag, and to null', () => {
    expect(importedMetadata({ cardData: { license: 42 }, tags: ['onnx', 'license:mit'] }, onnxFiles).license).toBe('mit');
    expect(importedMetadata({ cardData: {}, tags: ['onnx'] }, onnxFiles).license).toBeNull();
    expect(importedMetadata({}, onnxFiles).license).toBeNull();
  });

  it('describes the model from the card, and leaves the description out without prose', () => {
    expect(importedMetadata({ readme: '# Title\n\nA small sentence embedding model.\n' }, onnxFiles).description).toBe(
      'A small sentence embedding model.',
    );
    expect(importedMetadata({ readme: '# Title\n' }, onnxFiles)).not.toHaveProperty('description');
    expect(importedMetadata({}, onnxFiles)).not.toHaveProperty('description');
  });

  it('puts it all together', () => {
    const metadata = importedMetadata(
      {
        pipelineTag: 'feature-extraction',
        libraryName: 'sentence-transformers',
        tags: ['sentence-transformers', 'license:apache-2.0', 'onnx'],
        cardData: { license: 'apache-2.0' },
        readme: '---\nlicense: apache-2.0\n---\n# all-MiniLM-L6-v2\n\nMaps sentences to a 384 dimensional dense vector space.\n',
      },
      onnxFiles,
    );

    expect(metadata).toEqual({
      type: 'embedding',
      framework: 'onnx',
      tags: ['sentence-transformers', 'onnx'],
      license: 'apache-2.0',
      description: 'Maps sentences to a 384 dimensional dense vector space.',
    });
  });
});

describe('describeFromCard', () => {
  it('skips front matter, headings, badges, HTML, tables, quotes, rules and code fences', () => {
    const card = [
      '---',
      'license: mit',
      'tags:',
      '- onnx',
      '---',
      '# My Model',
      '',
      '[![CI](https://ci/badge.svg)](https://ci)',
      '',
      '![diagram](images/diagram.png)',
      '',
      '<p align="center"><img src="logo.png"></p>',
      '',
      '| col | col |',
      '|-----|-----|',
      '| a   | b   |',
      '',
      '```python',
      'from transformers import pipeline',
      '```',
      '',
      '> **Note** read this',
      '',
      '---',
      '',
      '## About',
      '',
      'This model  classifies\n   images of cats.',
      '',
      'A second paragraph.',
    ].join('\n');

    expect(describeFromCard(card)).toBe('This model classifies images of cats.');
  });

  it('handles CRLF line ends', () => {
    expect(describeFromCard('---\r\nlicense: mit\r\n---\r\n# Title\r\n\r\nFirst words here.\r\nMore words.\r\n')).toBe(
      'First words here. More words.',
    );
  });

  it('skips a code fence that holds blank lines', () => {
    const card = ['# Usage', '', '```python', 'import onnxruntime', '', 'session = onnxruntime.InferenceSession("model.onnx")', '```', '', 'Runs anywhere.'].join('\n');

    expect(describeFromCard(card)).toBe('Runs anywhere.');
  });

  it('skips ~~~ fences, longer fences and an unclosed fence', () => {
    expect(describeFromCard('~~~\nx = 1\n\ny = 2\n~~~\n\nTilde fenced.')).toBe('Tilde fenced.');
    // A ``` line inside a ```` fence does not close it.
    expect(describeFromCard('````md\n```\n\ninner code\n```\n\nstill code\n````\n\nAfter the fence.')).toBe('After the fence.');
    expect(describeFromCard('# T\n\n```python\nimport x\n\nprint(x)\n')).toBeUndefined();
  });

  it('keeps prose that touches a fence apart from the code', () => {
    expect(describeFromCard('```\ncode\n\nmore code\n```\nThe model card text.')).toBe('The model card text.');
    expect(describeFromCard('Before the fence.\n```\ncode\n```\nAfter.')).toBe('Before the fence.');
  });

  it('does not take a line of inline code for a fence that swallows the rest', () => {
    expect(describeFromCard('```onnx``` inside\n\nThe real description.\n\n```\ncode\n```')).toBe('The real description.');
  });

  it('cuts long prose at 1,000 characters, ending in ...', () => {
    const long = 'word '.repeat(400).trim();

    const description = describeFromCard(`# T\n\n${long}\n`)!;

    expect(description).toHaveLength(1_000);
    expect(description.endsWith('...')).toBe(true);
    expect(description.slice(0, 997)).toBe(long.slice(0, 997));
  });

  it('keeps prose of exactly 1,000 characters whole', () => {
    const text = 'a'.repeat(1_000);

    expect(describeFromCard(text)).toBe(text);
  });

  it('returns undefined when the card has no prose', () => {
    expect(describeFromCard('')).toBeUndefined();
    expect(describeFromCard('---\nlicense: mit\n---\n')).toBeUndefined();
    expect(describeFromCard('# Title\n\n## Usage\n\n```\ncode\n```\n\n| a | b |\n')).toBeUndefined();
    // Blocks without three letters in a row are not prose.
    expect(describeFromCard('# T\n\n1. 2. 3.\n\n-- ok\n')).toBeUndefined();
  });

  it('accepts prose in other scripts', () => {
    expect(describeFromCard('# 模型\n\n这是一个中文模型。\n')).toBe('这是一个中文模型。');
  });
});

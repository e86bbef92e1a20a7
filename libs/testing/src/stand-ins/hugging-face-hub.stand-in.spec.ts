import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { downloadFile, fileDownloadInfo, HubApiError, listFiles, modelInfo, repoExists } from '@huggingface/hub';
import type { ListFileEntry } from '@huggingface/hub';
import {
  generatedStandInFile,
  gitBlobOid,
  sha256Hex,
  startHuggingFaceStandIn,
  type HuggingFaceStandIn,
  type StandInRepo,
} from './hugging-face-hub.stand-in.js';

const config = Buffer.from('{"model_type":"gpt2","n_layer":2}\n');
const weights = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31 + 7) % 256));
const onnx = Buffer.from(Array.from({ length: 4_096 }, (_, i) => i % 251));
const SHA = 'a'.repeat(40);
const ALLOWED = 'hf_allowed';

function gpt2(): StandInRepo {
  return {
    id: 'gpt2',
    sha: SHA,
    pipeline_tag: 'text-generation',
    library_name: 'transformers',
    tags: ['transformers', 'gpt2', 'license:mit'],
    cardData: { license: 'mit', language: ['en'] },
    readme: '---\nlicense: mit\n---\n# GPT-2\n',
    files: [
      { path: 'config.json', content: config },
      { path: 'model.safetensors', content: weights },
      { path: 'onnx/model.onnx', content: onnx },
      { path: 'onnx/extra/notes.txt', content: Buffer.from('notes') },
    ],
  };
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

async function hubError(promise: Promise<unknown>): Promise<HubApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof HubApiError)) throw new Error(`expected a HubApiError, got ${String(error)}`);
  return error;
}

describe('Hugging Face Hub stand-in, driven by @huggingface/hub', () => {
  let hub: HuggingFaceStandIn;
  let hubUrl: string;

  beforeEach(async () => {
    hub = await startHuggingFaceStandIn([gpt2()], { port: 0 });
    hubUrl = hub.url;
  });

  afterEach(async () => {
    await hub.close();
  });

  describe('modelInfo', () => {
    it('returns the requested additional fields and the commit sha of the revision', async () => {
      const info = await modelInfo({
        name: 'gpt2',
        hubUrl,
        additionalFields: ['sha', 'cardData', 'library_name', 'tags', 'filePaths'],
      });

      expect(info).toMatchObject({
        name: 'gpt2',
        task: 'text-generation',
        private: false,
        gated: false,
        sha: SHA,
        library_name: 'transformers',
        tags: ['transformers', 'gpt2', 'license:mit'],
        cardData: { license: 'mit', language: ['en'] },
      });
      expect(info.id).toMatch(/^[0-9a-f]{24}$/);
      expect(info.updatedAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      expect(info.filePaths.sort()).toEqual(
        ['README.md', 'config.json', 'model.safetensors', 'onnx/extra/notes.txt', 'onnx/model.onnx'].sort(),
      );
      expect(hub.requests[0].url).toMatch(/^\/api\/models\/gpt2\/revision\/HEAD\?expand=pipeline_tag&/);
    });

    it('answers only the expanded fields, as the Hub does', async () => {
      const info = await modelInfo({ name: 'gpt2', hubUrl });

      expect(info).not.toHaveProperty('sha');
      const response = await fetch(`${hubUrl}/api/models/gpt2?expand[]=sha`);
      expect(await response.json()).toEqual({ _id: info.id, id: 'gpt2', sha: SHA });
    });

    it('resolves an org/name repo at its own commit sha and derives a sha when none is given', async () => {
      hub.addRepo({ id: 'org/tiny', files: [{ path: 'a.txt', content: Buffer.from('a') }] });
      const { sha } = await modelInfo({ name: 'org/tiny', hubUrl, additionalFields: ['sha'] });

      expect(sha).toMatch(/^[0-9a-f]{40}$/);
      const again = await modelInfo({ name: 'org/tiny', hubUrl, revision: sha, additionalFields: ['sha'] });
      expect(again.sha).toBe(sha);
    });

    it('reports an unknown repo as HubApiError 404 RepoNotFound', async () => {
      const error = await hubError(modelInfo({ name: 'nobody/nothing', hubUrl }));

      expect(error.statusCode).toBe(404);
      expect(error.message).toMatch(/^Repository not found/);
      expect(error.requestId).toMatch(/^stand-in-/);
    });

    it('reports an unknown revision as HubApiError 404 with the Hub message', async () => {
      const error = await hubError(modelInfo({ name: 'gpt2', hubUrl, revision: 'v9' }));

      expect(error.statusCode).toBe(404);
      expect(error.message).toMatch(/^Invalid rev id: v9/);
      const response = await fetch(`${hubUrl}/api/models/gpt2/revision/v9`);
      expect(response.headers.get('X-Error-Code')).toBe('RevisionNotFound');
    });

    it('stops serving a removed repo', async () => {
      hub.removeRepo('gpt2');

      expect((await hubError(modelInfo({ name: 'gpt2', hubUrl }))).statusCode).toBe(404);
    });

    it('answers 401 RepoNotFound to anonymous callers when asked to mimic huggingface.co', async () => {
      const strict = await startHuggingFaceStandIn([], { repoNotFoundStatusWithoutToken: 401 });
      try {
        const anonymous = await fetch(`${strict.url}/api/models/x/y`);
        expect([anonymous.status, anonymous.headers.get('X-Error-Code')]).toEqual([401, 'RepoNotFound']);
        expect((await hubError(modelInfo({ name: 'x/y', hubUrl: strict.url, accessToken: 'hf_a' }))).statusCode).toBe(
          404,
        );
        expect(await repoExists({ repo: 'x/y', hubUrl: strict.url })).toBe(false);
      } finally {
        await strict.close();
      }
    });
  });

  describe('listFiles', () => {
    it('lists every file and directory recursively with oids, LFS sha256 and last commit', async () => {
      const entries = await all(listFiles({ repo: 'gpt2', hubUrl, recursive: true, expand: true }));
      const byPath = new Map(entries.map((entry) => [entry.path, entry]));

      expect(entries.map((entry) => [entry.type, entry.path])).toEqual([
        ['file', 'README.md'],
        ['file', 'config.json'],
        ['file', 'model.safetensors'],
        ['directory', 'onnx'],
        ['directory', 'onnx/extra'],
        ['file', 'onnx/extra/notes.txt'],
        ['file', 'onnx/model.onnx'],
      ]);
      expect(byPath.get('config.json')).toEqual({
        type: 'file',
        oid: gitBlobOid(config),
        size: config.length,
        path: 'config.json',
        lastCommit: { id: SHA, title: 'Upload model', date: '2024-01-01T00:00:00.000Z' },
      });
      const lfs = byPath.get('model.safetensors') as ListFileEntry;
      expect(lfs.size).toBe(weights.length);
      expect(lfs.lfs).toEqual({ oid: sha256Hex(weights), size: weights.length, pointerSize: expect.any(Number) });
      expect(lfs.oid).toMatch(/^[0-9a-f]{40}$/);
      expect(lfs.oid).not.toBe(gitBlobOid(weights));
      expect(byPath.get('onnx')).toMatchObject({
        type: 'directory',
        size: 0,
        oid: expect.stringMatching(/^[0-9a-f]{40}$/),
      });
      expect(entries.some((entry) => 'xetHash' in entry)).toBe(false);
    });

    it('omits lastCommit without expand and lists one level without recursive', async () => {
      const top = await all(listFiles({ repo: 'gpt2', hubUrl }));
      const onnxDir = await all(listFiles({ repo: 'gpt2', hubUrl, path: 'onnx', revision: SHA }));

      expect(top.map((entry) => entry.path)).toEqual(['README.md', 'config.json', 'model.safetensors', 'onnx']);
      expect(top.some((entry) => entry.lastCommit)).toBe(false);
      expect(onnxDir.map((entry) => entry.path)).toEqual(['onnx/extra', 'onnx/model.onnx']);
    });

    it('follows Link pagination', async () => {
      const paged = await startHuggingFaceStandIn([gpt2()], { treePageSize: 2 });
      try {
        const entries = await all(listFiles({ repo: 'gpt2', hubUrl: paged.url, recursive: true }));

        expect(entries).toHaveLength(7);
        expect(paged.requests.map((request) => request.url.includes('cursor='))).toEqual([false, true, true, true]);
      } finally {
        await paged.close();
      }
    });

    it('reports a missing folder, unknown repo and unknown revision as HubApiError 404', async () => {
      expect((await hubError(all(listFiles({ repo: 'gpt2', hubUrl, path: 'nope' })))).statusCode).toBe(404);
      expect((await hubError(all(listFiles({ repo: 'no/repo', hubUrl })))).statusCode).toBe(404);
      const revision = await hubError(all(listFiles({ repo: 'gpt2', hubUrl, revision: 'b'.repeat(40) })));
      expect([revision.statusCode, revision.message.startsWith('Invalid rev id')]).toEqual([404, true]);
    });

    it('lists hostile file names verbatim', async () => {
      const hostile = ['../escape.bin', '/etc/passwd', 'a/../../b', 'bell\u0007\nname'];
      hub.addRepo({ id: 'evil/repo', files: hostile.map((path) => ({ path, content: Buffer.from(path) })) });

      const paths = (await all(listFiles({ repo: 'evil/repo', hubUrl, recursive: true })))
        .filter((entry) => entry.type === 'file')
        .map((entry) => entry.path);

      expect(paths.sort()).toEqual([...hostile].sort());
      const blob = await downloadFile({ repo: 'evil/repo', hubUrl, path: encodeURIComponent('../escape.bin') });
      expect(await blob?.text()).toBe('../escape.bin');
    });
  });

  describe('fileDownloadInfo and downloadFile', () => {
    it('gives the size and the quoted sha256 (LFS) or git oid (regular) as etag', async () => {
      const lfs = await fileDownloadInfo({ repo: 'gpt2', hubUrl, path: 'model.safetensors' });
      const regular = await fileDownloadInfo({ repo: 'gpt2', hubUrl, path: 'config.json', revision: SHA });

      expect(lfs).toMatchObject({ size: weights.length, etag: `"${sha256Hex(weights)}"`, xet: undefined });
      expect(lfs?.url).toBe(`${hubUrl}/gpt2/resolve/main/model.safetensors`);
      expect(regular).toMatchObject({ size: config.length, etag: `"${gitBlobOid(config)}"` });
      expect(hub.requests.map((request) => request.range)).toEqual(['bytes=0-0', 'bytes=0-0']);
    });

    it('answers null for a missing file', async () => {
      expect(await fileDownloadInfo({ repo: 'gpt2', hubUrl, path: 'missing.bin' })).toBeNull();
      expect(await downloadFile({ repo: 'gpt2', hubUrl, path: 'missing.bin' })).toBeNull();
    });

    it('downloads lazily and turns blob.slice into a Range request', async () => {
      const blob = await downloadFile({ repo: 'gpt2', hubUrl, path: 'model.safetensors' });
      expect(blob?.size).toBe(weights.length);
      expect(hub.requests).toHaveLength(1);

      const part = Buffer.from(await (blob as Blob).slice(1_000, 71_000).arrayBuffer());
      const whole = Buffer.from(await (blob as Blob).arrayBuffer());

      expect(part.equals(weights.subarray(1_000, 71_000))).toBe(true);
      expect(whole.equals(weights)).toBe(true);
      expect(hub.requests.slice(1).map((request) => request.range)).toEqual(['bytes=1000-70999', undefined]);
    });

    it('streams a whole file', async () => {
      const blob = (await downloadFile({ repo: 'gpt2', hubUrl, path: 'onnx/model.onnx' })) as Blob;
      const chunks: Buffer[] = [];
      for await (const chunk of blob.stream()) chunks.push(Buffer.from(chunk));

      expect(Buffer.concat(chunks).equals(onnx)).toBe(true);
    });

    it('sends the resolve headers the Hub sends, and 206 / 416 for ranges', async () => {
      const url = `${hubUrl}/gpt2/resolve/main/model.safetensors`;
      const head = await fetch(url, { method: 'HEAD' });
      const suffix = await fetch(url, { headers: { Range: 'bytes=-10' } });
      const open = await fetch(url, { headers: { Range: `bytes=${weights.length - 5}-` } });
      const beyond = await fetch(url, { headers: { Range: `bytes=${weights.length}-` } });
      const backwards = await fetch(url, { headers: { Range: 'bytes=9-3' } });

      const headers = ['etag', 'x-linked-etag', 'x-linked-size', 'x-repo-commit', 'content-length', 'accept-ranges'];
      expect(Object.fromEntries(headers.map((header) => [header, head.headers.get(header)]))).toEqual({
        etag: `"${sha256Hex(weights)}"`,
        'x-linked-etag': `"${sha256Hex(weights)}"`,
        'x-linked-size': String(weights.length),
        'x-repo-commit': SHA,
        'content-length': String(weights.length),
        'accept-ranges': 'bytes',
      });
      expect([suffix.status, suffix.headers.get('content-range')]).toEqual([
        206,
        `bytes ${weights.length - 10}-${weights.length - 1}/${weights.length}`,
      ]);
      expect(Buffer.from(await suffix.arrayBuffer()).equals(weights.subarray(-10))).toBe(true);
      expect(Buffer.from(await open.arrayBuffer()).equals(weights.subarray(-5))).toBe(true);
      expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, `bytes */${weights.length}`]);
      expect(backwards.status).toBe(416);
    });

    it('serves the LFS pointer through raw', async () => {
      const pointer = await (await fetch(`${hubUrl}/gpt2/raw/main/model.safetensors`)).text();

      expect(pointer).toBe(
        `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256Hex(weights)}\nsize ${weights.length}\n`,
      );
      const tree = await all(listFiles({ repo: 'gpt2', hubUrl }));
      expect(tree.find((e) => e.path === 'model.safetensors')?.lfs?.pointerSize).toBe(Buffer.byteLength(pointer));
    });

    it('reports an unknown revision as HubApiError 404', async () => {
      const error = await hubError(downloadFile({ repo: 'gpt2', hubUrl, path: 'config.json', revision: 'dev' }));

      expect(error.statusCode).toBe(404);
    });

    it('answers 416 for any range of an empty file, so fileDownloadInfo cannot size it', async () => {
      hub.addRepo({ id: 'org/empty', files: [{ path: '__init__.py', content: Buffer.alloc(0) }] });

      const error = await hubError(fileDownloadInfo({ repo: 'org/empty', hubUrl, path: '__init__.py' }));
      expect(error.statusCode).toBe(416);
      const plain = await fetch(`${hubUrl}/org/empty/resolve/main/__init__.py`);
      expect([plain.status, plain.headers.get('etag')]).toEqual([200, `"${gitBlobOid(Buffer.alloc(0))}"`]);
    });
  });

  describe('gated and private repos', () => {
    beforeEach(() => {
      hub.addRepo({ ...gpt2(), id: 'org/gated', gated: 'manual', tokens: [ALLOWED] });
      hub.addRepo({ ...gpt2(), id: 'org/private', private: true, tokens: [ALLOWED] });
    });

    it('shows a gated repo’s info and tree to anyone but gates files: 401 anonymous, 403 unlisted', async () => {
      const info = await modelInfo({ name: 'org/gated', hubUrl });
      expect(info.gated).toBe('manual');
      expect(await all(listFiles({ repo: 'org/gated', hubUrl }))).toHaveLength(4);

      const anonymous = await hubError(downloadFile({ repo: 'org/gated', hubUrl, path: 'config.json' }));
      const unlisted = await hubError(
        downloadFile({ repo: 'org/gated', hubUrl, path: 'config.json', accessToken: 'hf_other' }),
      );
      expect([anonymous.statusCode, anonymous.message]).toEqual([401, expect.stringMatching(/restricted.*log in/)]);
      expect([unlisted.statusCode, unlisted.message]).toEqual([
        403,
        expect.stringMatching(/not in the authorized list/),
      ]);

      const allowed = await downloadFile({ repo: 'org/gated', hubUrl, path: 'config.json', accessToken: ALLOWED });
      expect(await allowed?.text()).toBe(config.toString());
      expect(hub.requests.at(-1)?.authorization).toBe(`Bearer ${ALLOWED}`);
      const raw = await fetch(`${hubUrl}/org/gated/resolve/main/config.json`);
      expect(raw.headers.get('X-Error-Code')).toBe('GatedRepo');
    });

    it('hides a private repo from callers without an allowed token', async () => {
      expect((await hubError(modelInfo({ name: 'org/private', hubUrl }))).statusCode).toBe(404);
      const unlisted = await hubError(modelInfo({ name: 'org/private', hubUrl, accessToken: 'hf_other' }));
      expect(unlisted.statusCode).toBe(404);
      expect((await modelInfo({ name: 'org/private', hubUrl, accessToken: ALLOWED })).private).toBe(true);
    });
  });

  describe('faults', () => {
    it('cuts a download mid-file so that a ranged resume yields the exact bytes', async () => {
      hub.cutConnection('gpt2', 'model.safetensors', { afterBytes: 100_000 });
      const blob = (await downloadFile({ repo: 'gpt2', hubUrl, path: 'model.safetensors' })) as Blob;

      const received: Buffer[] = [];
      const reader = blob.stream().getReader();
      await expect(
        (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            received.push(Buffer.from(value));
          }
        })(),
      ).rejects.toBeDefined();
      const head = Buffer.concat(received);
      expect(head.length).toBe(100_000);

      const tail = Buffer.from(await blob.slice(head.length).arrayBuffer());
      expect(sha256Hex(Buffer.concat([head, tail]))).toBe(sha256Hex(weights));
      expect(hub.requests.at(-1)?.range).toBe(`bytes=100000-${weights.length - 1}`);
    });

    it('cuts only `times` responses, and spares responses no longer than afterBytes', async () => {
      hub.cutConnection('gpt2', 'onnx/model.onnx', { afterBytes: 10, times: 2 });
      const url = `${hubUrl}/gpt2/resolve/main/onnx/model.onnx`;

      const short = await fetch(url, { headers: { Range: 'bytes=0-9' } });
      expect(Buffer.from(await short.arrayBuffer()).equals(onnx.subarray(0, 10))).toBe(true);
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(fetch(url).then((response) => response.arrayBuffer())).rejects.toThrow();
      }
      expect(Buffer.from(await (await fetch(url)).arrayBuffer()).equals(onnx)).toBe(true);
    });

    it('advertises a wrong checksum in the tree and the etag after corruptChecksum', async () => {
      hub.corruptChecksum('gpt2', 'model.safetensors');
      hub.corruptChecksum('gpt2', 'config.json');

      const tree = await all(listFiles({ repo: 'gpt2', hubUrl }));
      const lfsEntry = tree.find((entry) => entry.path === 'model.safetensors');
      const regularEntry = tree.find((entry) => entry.path === 'config.json');
      const info = await fileDownloadInfo({ repo: 'gpt2', hubUrl, path: 'model.safetensors' });
      const blob = (await downloadFile({ repo: 'gpt2', hubUrl, path: 'model.safetensors' })) as Blob;
      const bytes = Buffer.from(await blob.arrayBuffer());

      expect(lfsEntry?.lfs?.oid).toMatch(/^[0-9a-f]{64}$/);
      expect(lfsEntry?.lfs?.oid).not.toBe(sha256Hex(weights));
      expect(info?.etag).toBe(`"${lfsEntry?.lfs?.oid}"`);
      expect(bytes.equals(weights)).toBe(true);
      expect(regularEntry?.oid).toMatch(/^[0-9a-f]{40}$/);
      expect(regularEntry?.oid).not.toBe(gitBlobOid(config));
    });

    it('drops the connection when a streamed file yields fewer bytes than its size', async () => {
      const stream = (): Readable => Readable.from([Buffer.alloc(10)]);
      hub.addRepo({ id: 'org/short', files: [{ path: 'w.bin', size: 1_000, sha256: '0'.repeat(64), stream }] });

      const download = fetch(`${hubUrl}/org/short/resolve/main/w.bin`).then((response) => response.arrayBuffer());
      await expect(download).rejects.toThrow();
    });

    it('delays responses', async () => {
      hub.setDelay(150);
      const started = Date.now();
      await modelInfo({ name: 'gpt2', hubUrl });

      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it('streams a generated 50 MB file whose sha256 matches the advertised one', async () => {
    const size = 50 * 1024 * 1024;
    const big = await generatedStandInFile('big/model.onnx', size, 7);
    const served: Array<[number, number]> = [];
    hub.addRepo({
      id: 'org/big',
      files: [{ ...big, stream: (start, end) => (served.push([start, end]), big.stream(start, end)) }],
    });

    const [entry] = await all(listFiles({ repo: 'org/big', hubUrl, path: 'big' }));
    const blob = (await downloadFile({ repo: 'org/big', hubUrl, path: 'big/model.onnx' })) as Blob;
    const hash = createHash('sha256');
    let chunks = 0;
    let largestChunk = 0;
    for await (const chunk of blob.stream()) {
      hash.update(chunk);
      chunks++;
      largestChunk = Math.max(largestChunk, chunk.length);
    }

    expect(entry.lfs).toEqual({ oid: big.sha256, size, pointerSize: expect.any(Number) });
    expect(hash.digest('hex')).toBe(big.sha256);
    expect(served).toEqual([
      [0, 0],
      [0, size - 1],
    ]);
    expect(chunks).toBeGreaterThan(100);
    expect(largestChunk).toBeLessThan(1024 * 1024);
    const middle = Buffer.from(await blob.slice(size / 2, size / 2 + 100_000).arrayBuffer());
    const expected: Buffer[] = [];
    for await (const chunk of big.stream(size / 2, size / 2 + 99_999)) expected.push(chunk as Buffer);
    expect(middle.equals(Buffer.concat(expected))).toBe(true);
  }, 30_000);

  it('computes git blob oids like git hash-object', () => {
    expect(gitBlobOid(Buffer.alloc(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    expect(gitBlobOid(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(sha256Hex(Buffer.from('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

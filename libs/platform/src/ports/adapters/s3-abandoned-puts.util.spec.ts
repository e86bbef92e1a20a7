import { describe, expect, it } from '@jest/globals';
import type { Client } from 'minio';
import { removeAbandonedS3Puts } from './s3-abandoned-puts.util.js';

const NOW = Date.parse('2026-12-01T12:00:00.000Z');
const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000);

interface FakeUpload {
  key: string;
  uploadId: string;
  initiated: Date;
  parts: Date[];
  /** listParts fails: the upload ended between the listing and the look at its parts. */
  gone?: boolean;
}

/** The calls removeAbandonedS3Puts makes, on a bucket held in memory; listings come two per page. */
function fakeClient(uploads: FakeUpload[], temporaries: Array<{ name: string; lastModified: Date }>) {
  const aborted: string[] = [];
  const removedObjects: string[] = [];
  const client = {
    async listIncompleteUploadsQuery(_bucket: string, prefix: string, keyMarker: string) {
      const matching = uploads.filter((u) => u.key.startsWith(prefix));
      const start = keyMarker ? matching.findIndex((u) => u.key === keyMarker) + 1 : 0;
      const page = matching.slice(start, start + 2);
      const isTruncated = start + 2 < matching.length;
      return { uploads: page, prefixes: [], isTruncated, nextKeyMarker: page.at(-1)?.key ?? '', nextUploadIdMarker: page.at(-1)?.uploadId ?? '' };
    },
    async listParts(_bucket: string, key: string) {
      const upload = uploads.find((u) => u.key === key)!;
      if (upload.gone) throw Object.assign(new Error('The specified upload does not exist'), { code: 'NoSuchUpload' });
      return upload.parts.map((lastModified, i) => ({ part: i + 1, lastModified, etag: 'e', size: 5 }));
    },
    async abortMultipartUpload(_bucket: string, key: string) {
      aborted.push(key);
    },
    listObjectsV2(_bucket: string, prefix: string) {
      return (async function* () {
        yield* temporaries.filter((t) => t.name.startsWith(prefix));
      })();
    },
    async removeObject(_bucket: string, name: string) {
      removedObjects.push(name);
    },
  };
  return { client: client as unknown as Client, aborted, removedObjects };
}

const sweep = (client: Client, before: Date, minIdleMs: number) =>
  removeAbandonedS3Puts(client, { bucket: 'b', prefix: 'p/', tmpPrefix: 'p/.tmp/', before, minIdleMs, now: NOW });

describe('removeAbandonedS3Puts', () => {
  it('aborts uploads with no part since the cutoff, judged by their newest part, and keeps the others', async () => {
    const { client, aborted } = fakeClient(
      [
        { key: 'p/.tmp/dead', uploadId: '1', initiated: minutesAgo(300), parts: [minutesAgo(290), minutesAgo(120)] },
        // Started long ago, but a part landed a minute ago: a slow live put.
        { key: 'p/.tmp/slow', uploadId: '2', initiated: minutesAgo(300), parts: [minutesAgo(200), minutesAgo(1)] },
        { key: 'p/models/x/direct.onnx', uploadId: '3', initiated: minutesAgo(90), parts: [] },
        { key: 'p/.tmp/fresh', uploadId: '4', initiated: minutesAgo(2), parts: [] },
        { key: 'other/.tmp/not-ours', uploadId: '5', initiated: minutesAgo(999), parts: [] },
      ],
      [],
    );

    const removed = await sweep(client, minutesAgo(0.5), 60 * 60_000);

    expect(aborted).toEqual(['p/.tmp/dead', 'p/models/x/direct.onnx']);
    expect(removed).toEqual([
      `multipart upload of p/.tmp/dead (no part since ${minutesAgo(120).toISOString()})`,
      `multipart upload of p/models/x/direct.onnx (no part since ${minutesAgo(90).toISOString()})`,
    ]);
  });

  it('never aborts an upload idle for less than the minimum, whatever the cutoff, nor one that ended meanwhile', async () => {
    const { client, aborted } = fakeClient(
      [
        { key: 'p/.tmp/recent', uploadId: '1', initiated: minutesAgo(30), parts: [] },
        { key: 'p/.tmp/ended', uploadId: '2', initiated: minutesAgo(300), parts: [], gone: true },
      ],
      [],
    );

    // A cutoff in the future (a standalone restart): still only uploads idle for an hour go.
    await expect(sweep(client, new Date(NOW + 60_000), 60 * 60_000)).resolves.toEqual([]);
    expect(aborted).toEqual([]);
    await expect(sweep(client, new Date(NOW + 60_000), 10 * 60_000)).resolves.toHaveLength(1);
    expect(aborted).toEqual(['p/.tmp/recent']);
  });

  it('removes temporary objects written before the cutoff', async () => {
    const { client, removedObjects } = fakeClient(
      [],
      [
        { name: 'p/.tmp/orphan', lastModified: minutesAgo(120) },
        { name: 'p/.tmp/being-copied', lastModified: minutesAgo(1) },
      ],
    );

    const removed = await sweep(client, minutesAgo(0.5), 60 * 60_000);

    expect(removedObjects).toEqual(['p/.tmp/orphan']);
    expect(removed).toEqual([`temporary object p/.tmp/orphan (written ${minutesAgo(120).toISOString()})`]);
  });
});

import type { Client } from 'minio';
import { messageOf } from '../../errors/error-message.util.js';
import type { Logger } from '../../logging/logger.js';

/**
 * What a put that died mid-way leaves in S3: a multipart upload never completed nor aborted (its
 * parts are stored, invisible to listings, and billed), or a verified temporary object under
 * `.tmp/` never copied to its key and deleted.
 *
 * S3 shows a multipart upload's life only by its parts: the last part's LastModified, or its
 * Initiated time before the first part. A live put at a slow rate can go a long time between parts
 * (16 MiB parts at 8 KiB/s: one every 35 minutes), so an upload counts as abandoned only when it has
 * shown no life for `minIdleMs` as well as since `before`. The bucket's lifecycle rule (set when the
 * store creates the bucket) does the same after a day, where the server supports it.
 */
export async function removeAbandonedS3Puts(
  client: Client,
  options: { bucket: string; prefix: string; tmpPrefix: string; before: Date; minIdleMs: number; now?: number; logger?: Logger },
): Promise<string[]> {
  const cutoff = Math.min(options.before.getTime(), (options.now ?? Date.now()) - options.minIdleMs);
  const removed: string[] = [];
  let keyMarker = '';
  let uploadIdMarker = '';
  for (;;) {
    const page = await client.listIncompleteUploadsQuery(options.bucket, options.prefix, keyMarker, uploadIdMarker, '');
    for (const upload of page.uploads) {
      // Null: it ended (completed or aborted by its own put) since it was listed.
      const lastActive = await lastActivityOf(client, options.bucket, upload).catch(() => null);
      if (lastActive === null || lastActive >= cutoff) continue;
      try {
        await client.abortMultipartUpload(options.bucket, upload.key, upload.uploadId);
        removed.push(`multipart upload of ${upload.key} (no part since ${new Date(lastActive).toISOString()})`);
      } catch (error: unknown) {
        // Completed or aborted by its own put meanwhile, or not ours to abort: the next sweep looks again.
        options.logger?.warn({ object: upload.key, err: messageOf(error) }, 'could not abort an abandoned multipart upload');
      }
    }
    if (!page.isTruncated) break;
    keyMarker = page.nextKeyMarker;
    uploadIdMarker = page.nextUploadIdMarker;
  }
  for await (const item of client.listObjectsV2(options.bucket, options.tmpPrefix, true)) {
    const { name, lastModified } = item as { name?: string; lastModified?: Date };
    if (!name || !lastModified || lastModified.getTime() >= cutoff) continue;
    await client.removeObject(options.bucket, name);
    removed.push(`temporary object ${name} (written ${lastModified.toISOString()})`);
  }
  return removed;
}

/** The last time the upload showed life: its newest part, or its start when it has none. */
async function lastActivityOf(client: Client, bucket: string, upload: { key: string; uploadId: string; initiated: Date }): Promise<number> {
  // listParts is public in S3 and in minio's JavaScript, only `protected` in its type declarations.
  const parts = await (client as unknown as { listParts(bucket: string, object: string, uploadId: string): Promise<Array<{ lastModified: Date }>> }).listParts(
    bucket,
    upload.key,
    upload.uploadId,
  );
  return Math.max(upload.initiated.getTime(), ...parts.map((part) => new Date(part.lastModified).getTime()));
}

import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { MultipartFile } from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REGISTRY_PATTERNS, UPLOAD_LEASE, type Caller, type ModelDto } from '@modelyard/contracts';
import { checkRepoFilePath, InvalidModelFileError, storeArtifact, uploadableExtensionOf } from '@modelyard/model-formats';
import { APP_CONFIG, BLOB_STORE, LOGGER, RegistryClient, type AppConfig, type BlobStore, type Logger } from '@modelyard/platform';
import { InvocationTargetsService } from '../invocations/invocation-targets.service.js';
import { UploadException } from './upload.exception.js';
import { MULTIPART_OVERHEAD_BYTES } from './upload-limits.constant.js';
import { UploadWatchdog } from './upload-watchdog.util.js';

/** How often, at most, an upload in progress writes its byte count to the record while bytes flow. */
const PROGRESS_INTERVAL_MS = 1_000;

/**
 * Model file uploads: the file streams from the request into object storage, checked on the way
 * (extension, magic bytes, ONNX structure), and is recorded on the model only once it is whole.
 * The model is `uploading` meanwhile; a refused or broken upload restores its status and stores
 * nothing. A stalled or vanished client ends the upload the same way (see UploadWatchdog), and
 * while the upload runs its progress renews its lease, so that the registry can tell it from one
 * whose gateway died (see UPLOAD_LEASE).
 */
@Injectable()
export class ModelFilesService {
  constructor(
    private readonly registry: RegistryClient,
    private readonly targets: InvocationTargetsService,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Before a byte of the body is read: refuses a body declared larger than any acceptable upload
   * (413, and the connection is closed rather than the rest read), then watches the connection.
   */
  openUpload(request: FastifyRequest, reply: FastifyReply): UploadWatchdog {
    const declared = Number(request.headers['content-length']);
    if (declared > this.config.ingest.uploadLimitBytes + MULTIPART_OVERHEAD_BYTES) {
      reply.raw.setHeader('connection', 'close');
      throw UploadException.tooLarge(this.config.ingest.uploadLimitBytes);
    }
    return new UploadWatchdog(request.raw, reply.raw, this.config.ingest.uploadIdleTimeoutMs);
  }

  async upload(caller: Caller, id: string, file: MultipartFile, watchdog: UploadWatchdog): Promise<ModelDto> {
    const { actor } = caller;
    // From here a stall or a disconnect fails the file stream, whatever the upload is waiting for.
    watchdog.watch(file.file);
    const name = file.filename;
    const unsafe = checkRepoFilePath(name) ?? (name.includes('/') ? 'it must be a file name, not a path' : null);
    if (unsafe) throw UploadException.invalidFileName(unsafe);
    if (!uploadableExtensionOf(name)) throw UploadException.unsupportedExtension(name);

    const before = await this.registry.send(REGISTRY_PATTERNS.beginUpload, { caller, id, file: name });
    // Test calls see the upload (409 while it runs), then the new file.
    this.targets.forget(before.id);
    const key = `models/${id}/uploads/${randomUUID()}/${name}`;
    let bytesDone = 0;
    let lastReport = Date.now();
    const report = () => {
      lastReport = Date.now();
      const progress = { bytes_done: bytesDone, bytes_total: null, files_done: 0, files_total: 1, current_file: name };
      void this.registry.send(REGISTRY_PATTERNS.reportProgress, { id, progress }).catch(() => undefined);
    };
    // The lease: renewed while this process lives, bytes or not (a client may pause up to the idle timeout).
    const lease = setInterval(report, UPLOAD_LEASE.renewMs);
    try {
      const { artifact, signature } = await storeArtifact(this.blobs, {
        key,
        path: name,
        source: file.file,
        onBytes: (bytes) => {
          bytesDone += bytes;
          if (Date.now() - lastReport >= PROGRESS_INTERVAL_MS) report();
        },
      });
      // @fastify/multipart ends the stream early at the limit and marks it, rather than failing it.
      if (file.file.truncated) throw UploadException.tooLarge(this.config.ingest.uploadLimitBytes);
      const model = await this.registry.send(REGISTRY_PATTERNS.completeArtifacts, {
        actor,
        id,
        artifacts: [{ ...artifact, primary: signature !== null }],
        replace: false,
        ...(signature && { signature }),
      });
      // A file of the same name was replaced: its blob is no longer referenced.
      const replaced = before.artifacts.find((old) => old.path === name && old.key !== key);
      if (replaced) await this.blobs.delete(replaced.key).catch((error: unknown) => this.logger.warn({ err: error, key: replaced.key }, 'replaced model file not deleted'));
      return model;
    } catch (error) {
      clearInterval(lease);
      await this.blobs.delete(key).catch(() => undefined);
      await this.registry.send(REGISTRY_PATTERNS.markFailed, { actor, id, message: 'upload failed', outcome: 'restore' }).catch((restoreError: unknown) => {
        this.logger.error({ err: restoreError, model_id: id }, 'could not restore the status of a model after a failed upload');
      });
      if (watchdog.error) this.logger.info({ model_id: id, file: name, bytes_done: bytesDone, reason: watchdog.error.message }, 'upload abandoned');
      // A file cut at the limit fails the format checks too; the limit is the reason to give.
      if (file.file.truncated) throw UploadException.tooLarge(this.config.ingest.uploadLimitBytes);
      throw this.explain(error);
    } finally {
      clearInterval(lease);
    }
  }

  private explain(error: unknown): unknown {
    if (error instanceof InvalidModelFileError) return UploadException.invalidFile(error.message);
    if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') return UploadException.tooLarge(this.config.ingest.uploadLimitBytes);
    return error;
  }
}

import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { downloadFile, HubApiError, listFiles, modelInfo } from '@huggingface/hub';
import { REGISTRY_PATTERNS, SYSTEM_ACTOR, type ArtifactDto, type JobPayload, type ModelDto, type ModelSignature } from '@modelyard/contracts';
import { formatOfPath, InvalidModelFileError, primaryOnnxArtifact, readOnnxSignature, storeArtifact } from '@modelyard/model-formats';
import {
  APP_CONFIG,
  BLOB_STORE,
  BlobIntegrityError,
  DomainException,
  LOGGER,
  messageOf,
  RegistryClient,
  SecretCipher,
  type AppConfig,
  type BlobStore,
  type Logger,
} from '@modelyard/platform';
import { ChecksumMismatchError, GitBlobVerifier, resumableDownload } from './hub-download.util.js';
import { ImportFailure } from './import.exception.js';
import { importedMetadata, planImport, type HubFile } from './import-plan.util.js';

const PROGRESS_INTERVAL_MS = 1_000;
/** A card bigger than this is not read for a description. */
const README_LIMIT_BYTES = 1024 * 1024;

type ImportJob = JobPayload<'ingest.huggingface-import'>;
export type ImportOutcome = 'imported' | 'failed' | 'skipped';

/**
 * One Hugging Face import: pin the revision to its commit, choose the files, stream each into
 * object storage (resuming cut connections, verifying size and checksum), then record the files,
 * the ONNX signature and the Hub's metadata on the model in one registry call.
 */
@Injectable()
export class HuggingFaceImportService {
  constructor(
    private readonly registry: RegistryClient,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly secrets: SecretCipher,
  ) {}

  /**
   * Runs one attempt. A failure that retrying cannot fix, or any failure on the last attempt, is
   * recorded on the model (status `error`, with the reason) and resolves; others throw, so the
   * queue retries the job.
   */
  async run(job: ImportJob, attempt: number, lastAttempt: boolean): Promise<ImportOutcome> {
    const found = await this.findModel(job.model_id);
    // Deleted, or finished by an earlier attempt whose acknowledgement was lost.
    if (!found || found.model.status !== 'uploading') return 'skipped';
    const { model } = found;
    try {
      await this.import(job, model, this.hubParams(found.sealedToken));
      return 'imported';
    } catch (error) {
      if (isNoTransfer(error)) return 'skipped';
      const permanent = this.permanentReason(error, job);
      if (!permanent && !lastAttempt) {
        this.logger.warn({ err: error, model_id: job.model_id, repo: job.repo, attempt }, 'import attempt failed; it will be retried');
        throw error;
      }
      const message = permanent ?? `import of ${job.repo} failed after ${attempt} attempts: ${messageOf(error)}`;
      this.logger.warn({ model_id: job.model_id, repo: job.repo, reason: message }, 'import failed');
      await this.registry.send(REGISTRY_PATTERNS.markFailed, { actor: SYSTEM_ACTOR, id: job.model_id, message, outcome: 'error' });
      return 'failed';
    }
  }

  private async import(job: ImportJob, model: ModelDto, hub: HubParams): Promise<void> {
    const info = await modelInfo({ name: job.repo, revision: job.revision, additionalFields: ['sha', 'cardData', 'library_name', 'tags'], ...hub });
    // Every later request names the commit, so files cannot change under the import.
    const commit = info.sha;
    const listed: HubFile[] = [];
    for await (const entry of listFiles({ repo: job.repo, revision: commit, recursive: true, expand: true, ...hub })) {
      if (entry.type !== 'file') continue;
      listed.push({ path: entry.path, size: entry.size, oid: entry.oid ?? '', ...(entry.lfs && { lfs: { oid: entry.lfs.oid, size: entry.lfs.size } }) });
    }
    const plan = planImport(listed, job.include);
    for (const { path, reason } of plan.refused) this.logger.warn({ repo: job.repo, path: JSON.stringify(path), reason }, 'file with an unsafe name not imported');
    if (plan.files.length === 0) {
      throw new ImportFailure(
        job.include
          ? `no file of ${job.repo} matches ${JSON.stringify(job.include)} (the repo has ${listed.length} files)`
          : `${job.repo} has no ONNX, config or tokenizer files to import (it has ${listed.length} files); choose files with "include" patterns`,
      );
    }

    const progress = new ProgressReporter(plan.files, (update) =>
      this.registry.send(REGISTRY_PATTERNS.reportProgress, { id: model.id, progress: update }).then(() => undefined),
    );
    const stored: Array<Omit<ArtifactDto, 'primary'>> = [];
    const signatures = new Map<string, ModelSignature>();
    for (const file of plan.files) {
      progress.startFile(file.path);
      const key = `models/${model.id}/hf/${commit}/${file.path}`;
      const { artifact, signature } = await this.storeFile(job, commit, file, key, (bytes) => progress.add(bytes), hub);
      stored.push(artifact);
      if (signature) signatures.set(artifact.path, signature);
      progress.endFile();
    }
    await progress.flush();

    const primary = primaryOnnxArtifact(stored);
    const readme = listed.find((file) => file.path === 'README.md' && file.size <= README_LIMIT_BYTES);
    const metadata = importedMetadata(
      {
        pipelineTag: info.task,
        libraryName: info.library_name,
        tags: info.tags,
        cardData: info.cardData as Record<string, unknown> | undefined,
        readme: readme ? await this.readText(job.repo, commit, readme.path, hub).catch(() => undefined) : undefined,
      },
      plan.files,
    );
    await this.registry.send(REGISTRY_PATTERNS.completeArtifacts, {
      actor: SYSTEM_ACTOR,
      id: model.id,
      artifacts: stored.map((artifact) => ({ ...artifact, primary: artifact === primary })),
      replace: true,
      signature: primary ? (signatures.get(primary.path) ?? null) : null,
      metadata,
      commit,
    });
    // A re-import replaces the files: those of the earlier one that are not kept are unreferenced now.
    const kept = new Set(stored.map((artifact) => artifact.key));
    for (const old of model.artifacts.filter((artifact) => !kept.has(artifact.key))) {
      await this.blobs.delete(old.key).catch((error: unknown) => this.logger.warn({ err: error, key: old.key }, 'replaced model file not deleted'));
    }
    this.logger.info({ model_id: model.id, repo: job.repo, commit, files: stored.length, bytes: progress.total }, 'import complete');
  }

  /** Streams one file into storage, or reuses it when an earlier attempt already stored it whole. */
  private async storeFile(
    job: ImportJob,
    commit: string,
    file: HubFile,
    key: string,
    onBytes: (bytes: number) => void,
    hub: HubParams,
  ): Promise<{ artifact: Omit<ArtifactDto, 'primary'>; signature: ModelSignature | null }> {
    const existing = await this.blobs.head(key);
    // A stored blob passed verification before it was completed; the LFS sha256 proves it is this file.
    if (existing && existing.size === file.size && (!file.lfs || existing.sha256 === file.lfs.oid)) {
      onBytes(file.size);
      const format = formatOfPath(file.path);
      const isOnnx = format === 'onnx';
      return {
        artifact: { path: file.path, key, size: existing.size, sha256: existing.sha256, format, stored_at: new Date().toISOString() },
        signature: isOnnx ? await readOnnxSignature(await this.blobs.get(key)) : null,
      };
    }
    let source: Readable =
      file.size === 0
        ? Readable.from([], { objectMode: false })
        : resumableDownload((offset) => this.openHubFile(job.repo, commit, file.path, offset, hub), file.size, {
            isRetryable: (error) => this.permanentReason(error, job) === undefined,
            onResume: (offset, error) =>
              this.logger.warn({ repo: job.repo, path: file.path, offset, reason: messageOf(error) }, 'download interrupted; resuming where it stopped'),
          });
    if (!file.lfs && file.oid) {
      const download = source;
      source = download.pipe(new GitBlobVerifier(file.path, file.size, file.oid));
      // pipe() does not forward errors: a failed download must fail what reads the verifier.
      download.once('error', (error) => source.destroy(error));
    }
    try {
      return await storeArtifact(this.blobs, {
        key,
        path: file.path,
        source,
        expectedSize: file.size,
        ...(file.lfs && { expectedSha256: file.lfs.oid }),
        onBytes,
      });
    } catch (error) {
      if (error instanceof BlobIntegrityError) throw new ChecksumMismatchError(`checksum mismatch for ${file.path}: ${error.message}`);
      throw error;
    }
  }

  private async openHubFile(repo: string, commit: string, path: string, offset: number, hub: HubParams): Promise<ReadableStream<Uint8Array>> {
    // The client puts the path into the URL as it is: names with # ? % must be encoded here.
    const blob = await downloadFile({ repo, path: encodePath(path), revision: commit, xet: false, ...hub });
    if (!blob) throw new ImportFailure(`${path} is listed by ${repo} at ${commit} but cannot be downloaded (not found)`);
    return (offset > 0 ? blob.slice(offset) : blob).stream();
  }

  private async readText(repo: string, commit: string, path: string, hub: HubParams): Promise<string> {
    const blob = await downloadFile({ repo, path: encodePath(path), revision: commit, xet: false, ...hub });
    return blob ? blob.text() : '';
  }

  /** The model's own token (sealed with it at registration) wins over the platform's MODELYARD_HF_TOKEN. */
  private hubParams(sealedToken: string | null): HubParams {
    const token = sealedToken ? this.secrets.open(sealedToken) : this.config.huggingFace.token;
    return { hubUrl: this.config.huggingFace.endpoint, ...(token && { accessToken: token }) };
  }

  private async findModel(id: string): Promise<{ model: ModelDto; sealedToken: string | null } | null> {
    try {
      const { model, sealed_secret: sealedToken } = await this.registry.send(REGISTRY_PATTERNS.getInvocationTarget, { id });
      return { model, sealedToken };
    } catch (error) {
      if (error instanceof DomainException && error.status === 404) return null;
      throw error;
    }
  }

  /** Why an error will not go away by retrying, in words for the model's status message; undefined if it might. */
  private permanentReason(error: unknown, job: ImportJob): string | undefined {
    const hub = this.config.huggingFace.endpoint;
    if (error instanceof ImportFailure) return error.message;
    if (error instanceof ChecksumMismatchError) return `${job.repo}: ${error.message}`;
    if (error instanceof InvalidModelFileError) return `${job.repo}: not a valid model file: ${error.message}`;
    if (error instanceof HubApiError) {
      if (error.statusCode === 404) {
        // The message also holds the URL (…/revision/main), so match the Hub's own wording.
        return /invalid rev id/i.test(error.message)
          ? `revision "${job.revision}" not found in ${job.repo} on ${hub}`
          : `${job.repo} not found on ${hub} (it does not exist, or it is private)`;
      }
      if (error.statusCode === 401 || error.statusCode === 403) {
        return `access to ${job.repo} refused: the repo is gated or private and no token with access was given (the model's api_key, or MODELYARD_HF_TOKEN)`;
      }
      if (error.statusCode >= 400 && error.statusCode < 500 && error.statusCode !== 408 && error.statusCode !== 429) {
        return `${hub} refused the import of ${job.repo} (HTTP ${error.statusCode}): ${error.message}`;
      }
    }
    // The client refuses malformed ids and tokens before sending anything.
    if (error instanceof TypeError && /token|repo/i.test(error.message)) return `${job.repo}: ${error.message}`;
    return undefined;
  }
}

type HubParams = { hubUrl: string; accessToken?: string };

/** Batches progress reports: at most one a second, and one at the end. */
class ProgressReporter {
  readonly total: number;
  private done = 0;
  private filesDone = 0;
  private current: string | null = null;
  private lastSent = 0;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly files: readonly HubFile[],
    private readonly send: (update: { bytes_done: number; bytes_total: number; files_done: number; files_total: number; current_file: string | null }) => Promise<void>,
  ) {
    this.total = files.reduce((sum, file) => sum + file.size, 0);
    this.report(true);
  }

  startFile(path: string): void {
    this.current = path;
    this.report(true);
  }

  add(bytes: number): void {
    this.done += bytes;
    this.report(false);
  }

  endFile(): void {
    this.filesDone += 1;
  }

  async flush(): Promise<void> {
    this.current = null;
    this.report(true);
    await this.sending;
  }

  private report(force: boolean): void {
    if (!force && Date.now() - this.lastSent < PROGRESS_INTERVAL_MS) return;
    this.lastSent = Date.now();
    const update = { bytes_done: this.done, bytes_total: this.total, files_done: this.filesDone, files_total: this.files.length, current_file: this.current };
    // One report in flight at a time, in order; a lost report is not worth failing an import for.
    this.sending = this.sending.then(() => this.send(update)).catch(() => undefined);
  }
}

function isNoTransfer(error: unknown): boolean {
  return error instanceof DomainException && error.status === 409;
}

const encodePath = (path: string) => path.split('/').map(encodeURIComponent).join('/');


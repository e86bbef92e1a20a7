import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Actor, ArtifactDto, Caller, ImportedMetadata, ModelDto, ModelSignature, TransferProgressDto } from '@modelyard/contracts';
import { ModelAccessService } from '../access/model-access.service.js';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { ModelException } from './model.exception.js';
import { toModelDto, toModelSnapshot } from './model-response.util.js';
import { applyImportedMetadata, newProgress, statusAfterTransfer, statusChanged } from './model-rules.util.js';
import { ModelsRepository } from './models.repository.js';

/**
 * Transfers of model files: uploads through the gateway and Hugging Face imports by the ingest
 * worker. A model is `uploading` while one runs, and returns to its status before when it ends;
 * a finished or failed transfer is audited (`model.file.upload`, `model.import`, `model.error`).
 */
@Injectable()
export class ModelTransfersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeRunner,
    private readonly models: ModelsRepository,
    private readonly access: ModelAccessService,
  ) {}

  /** Starts an upload: the model is `uploading` until completeArtifacts or markFailed ends it. */
  beginUpload(caller: Caller, id: string, file: string): Promise<ModelDto> {
    return this.changes.run(caller.actor, async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      await this.access.require(caller.scope, id, 'edit', manager);
      if (model.status === 'uploading') throw ModelException.transferInProgress(model.progress?.current_file ?? null);
      const from = model.status;
      model.progress = newProgress(file, from);
      model.status = 'uploading';
      model.statusMessage = null;
      const saved = await manager.save(model);
      return { result: toModelDto(saved), events: [statusChanged(caller.actor, saved, from)] };
    });
  }

  /** Progress of a transfer. Not an event (too frequent) and not an edit (updated_at stays). */
  async reportProgress(id: string, progress: Omit<TransferProgressDto, 'updated_at'>): Promise<void> {
    const update = { ...progress, updated_at: new Date().toISOString() };
    // Merged into the stored progress so its previous_status survives; ignored once the transfer ended.
    await this.dataSource.query(
      `UPDATE "models" SET "progress" = COALESCE("progress", '{}'::jsonb) || $2::jsonb WHERE "id" = $1 AND "status" = 'uploading'`,
      [id, JSON.stringify(update)],
    );
  }

  /** Records stored files and ends the transfer (see RegistryMessages for the rules). */
  completeArtifacts(
    actor: Actor,
    id: string,
    request: { artifacts: ArtifactDto[]; replace: boolean; signature?: ModelSignature | null; metadata?: ImportedMetadata; commit?: string },
  ): Promise<ModelDto> {
    return this.changes.run(actor, async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      if (model.status !== 'uploading') throw ModelException.noTransfer(id);
      const from = model.status;
      const changed = ['artifacts'];
      if (request.replace) {
        model.artifacts = request.artifacts;
      } else {
        const paths = new Set(request.artifacts.map((artifact) => artifact.path));
        // One primary ONNX file: a new primary one takes over from the old.
        const newPrimary = request.artifacts.some((artifact) => artifact.primary);
        const kept = model.artifacts
          .filter((artifact) => !paths.has(artifact.path))
          .map((artifact) => (newPrimary ? { ...artifact, primary: false } : artifact));
        model.artifacts = [...kept, ...request.artifacts];
      }
      if (request.signature !== undefined) {
        model.config = { ...model.config, signature: request.signature };
        changed.push('config');
      }
      const imported = model.importSpec !== null;
      if (model.importSpec) {
        if (request.metadata) changed.push(...applyImportedMetadata(model, model.importSpec.fill, request.metadata));
        model.importSpec = { ...model.importSpec, commit: request.commit ?? model.importSpec.commit };
      } else if (model.framework === 'custom' && request.artifacts.some((artifact) => artifact.format === 'onnx')) {
        // An ONNX file uploaded to a model of unstated framework says what it is.
        model.framework = 'onnx';
        changed.push('framework');
      }
      model.status = statusAfterTransfer(model.progress);
      model.statusMessage = null;
      model.progress = null;
      const saved = await manager.save(model);
      const files = request.artifacts.map(({ path, size, sha256 }) => ({ path, size, sha256 }));
      return {
        result: toModelDto(saved),
        events: [
          { type: 'model.updated', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved), changed } },
          statusChanged(actor, saved, from),
        ],
        audit: [
          imported
            ? { action: 'model.import', result: 'success', target_type: 'model', target_id: id, details: { name: saved.name, commit: saved.importSpec?.commit ?? null, files } }
            : { action: 'model.file.upload', result: 'success', target_type: 'model', target_id: id, details: { name: saved.name, files } },
        ],
      };
    });
  }

  /**
   * Ends a transfer that failed, or reports a model that cannot run. `error`: the model goes to
   * `error` with the message. `restore`: a refused upload changed nothing, so the status before it
   * comes back (a no-op when no transfer is in progress).
   */
  markFailed(actor: Actor, id: string, message: string, outcome: 'error' | 'restore'): Promise<ModelDto> {
    return this.changes.run(actor, async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      const from = model.status;
      if (outcome === 'restore') {
        if (model.status !== 'uploading') return { result: toModelDto(model) };
        model.status = model.progress?.previous_status === 'uploading' ? 'active' : (model.progress?.previous_status ?? 'active');
        model.statusMessage = null;
      } else {
        model.status = 'error';
        model.statusMessage = message.slice(0, 2_000);
      }
      const file = model.progress?.current_file ?? null;
      model.progress = null;
      const saved = await manager.save(model);
      const action = outcome === 'restore' ? 'model.file.upload' : from === 'uploading' && model.importSpec ? 'model.import' : 'model.error';
      return {
        result: toModelDto(saved),
        events: from === saved.status && outcome === 'restore' ? [] : [statusChanged(actor, saved, from)],
        audit: [{ action, result: 'failure', target_type: 'model', target_id: id, details: { name: saved.name, message: message.slice(0, 500), ...(file && { file }) } }],
      };
    });
  }
}

import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  isSourceIn,
  PROVIDER_SOURCES,
  secretOriginOf,
  type Caller,
  type ModelAccessLevel,
  type ModelDto,
  type SecretChange,
  type StoredCreateModel,
  type StoredUpdateModel,
} from '@modelyard/contracts';
import { ModelAccessService } from '../access/model-access.service.js';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { ModelEntity } from './entities/model.entity.js';
import { ModelException } from './model.exception.js';
import { modelUpdateDiff } from './model-audit.util.js';
import { toModelDto, toModelSnapshot } from './model-response.util.js';
import {
  checkSourceFields,
  DEFAULT_FRAMEWORK,
  EDITABLE,
  importSpecOf,
  keyNeededMessage,
  mergeConfig,
  newProgress,
  normalizeTags,
  statusChanged,
  toggledStatus,
} from './model-rules.util.js';
import { ModelsRepository } from './models.repository.js';

/**
 * The changes people make to models: register, edit, switch on and off, delete. Each runs with its
 * outbox events and audit record in one transaction (ChangeRunner), after checking the caller's
 * level on the model (a model it may not read is not found).
 */
@Injectable()
export class ModelsService {
  constructor(
    private readonly changes: ChangeRunner,
    private readonly models: ModelsRepository,
    private readonly access: ModelAccessService,
  ) {}

  create(caller: Caller, dto: StoredCreateModel, secret?: SecretChange): Promise<ModelDto> {
    const source = dto.source ?? 'custom';
    const version = dto.version ?? '1.0';
    const importSpec = importSpecOf(dto);
    checkSourceFields(source, dto, secret);
    if (source === 'endpoint' && !dto.endpoint) throw ModelException.invalidField('endpoint', 'endpoint is required for an endpoint model: the URL it is called at');
    // A provider model cannot run without its key: stored switched off, saying why.
    const keyMissing = isSourceIn(PROVIDER_SOURCES, source) && !secret;
    const initialStatus = keyMissing ? 'inactive' : (dto.status ?? 'active');
    const { actor } = caller;
    return this.changes.run(
      actor,
      async (manager) => {
        const model = manager.create(ModelEntity, {
          name: dto.name,
          version,
          // A Hugging Face import without a type is `custom` until the Hub's pipeline tag says more.
          type: dto.type ?? 'custom',
          framework: dto.framework ?? DEFAULT_FRAMEWORK[source] ?? 'custom',
          source,
          // An import is uploading from the start: the ingest service picks it up from model.created.
          status: importSpec ? 'uploading' : initialStatus,
          statusMessage: keyMissing ? keyNeededMessage(source) : null,
          providerModel: dto.provider_model ?? null,
          secret: secret?.sealed ?? null,
          hasSecret: Boolean(secret),
          secretLast4: secret?.last4 ?? null,
          secretOrigin: secret ? secretOriginOf(source, dto.endpoint) : null,
          license: null,
          artifacts: [],
          progress: importSpec ? newProgress(null, initialStatus) : null,
          importSpec,
          description: dto.description ?? null,
          endpoint: dto.endpoint ?? null,
          tags: normalizeTags(dto.tags),
          config: mergeConfig(undefined, dto.config, source),
          accuracy: dto.accuracy ?? null,
          latencyMs: dto.latency_ms ?? null,
          owner: actor.name,
          // The creator manages what it registers.
          ownerId: caller.principal.user_id,
          visibility: 'private',
        });
        const saved = await manager.save(model);
        return {
          result: toModelDto(saved),
          events: [{ type: 'model.created', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved) } }],
          audit: [
            {
              action: 'model.create',
              result: 'success',
              target_type: 'model',
              target_id: saved.id,
              details: { name: saved.name, version: saved.version, source: saved.source, type: saved.type, status: saved.status, has_api_key: saved.hasSecret },
            },
          ],
        };
      },
      () => ModelException.duplicate(dto.name, version),
    );
  }

  update(caller: Caller, id: string, dto: StoredUpdateModel, secret?: SecretChange): Promise<ModelDto> {
    let target = { name: '', version: '' };
    return this.changes.run(
      caller.actor,
      async (manager) => {
        const model = await this.lockFor(caller, id, 'edit', manager);
        checkSourceFields(model.source, dto, secret);
        if (model.source === 'endpoint' && dto.endpoint === null) throw ModelException.invalidField('endpoint', 'an endpoint model needs its endpoint; it cannot be removed');
        const before = toModelDto(model);
        const next: Partial<ModelEntity> = {
          ...(dto.name !== undefined && { name: dto.name }),
          ...(dto.version !== undefined && { version: dto.version }),
          ...(dto.type !== undefined && { type: dto.type }),
          ...(dto.framework !== undefined && { framework: dto.framework }),
          ...(dto.description !== undefined && { description: dto.description }),
          ...(dto.endpoint !== undefined && { endpoint: dto.endpoint }),
          ...(dto.tags !== undefined && { tags: normalizeTags(dto.tags) }),
          ...(dto.config !== undefined && { config: mergeConfig(model.config, dto.config, model.source) }),
          ...(dto.provider_model !== undefined && { providerModel: dto.provider_model }),
          ...(dto.accuracy !== undefined && { accuracy: dto.accuracy }),
          ...(dto.latency_ms !== undefined && { latencyMs: dto.latency_ms }),
        };
        const changed: string[] = EDITABLE.filter(([, column]) => column in next && JSON.stringify(next[column]) !== JSON.stringify(model[column])).map(([field]) => field);
        const statusBefore = model.status;
        // A stored secret goes only to the origin it was stored for: moving it needs the secret again.
        const origin = secretOriginOf(model.source, dto.endpoint !== undefined ? dto.endpoint : model.endpoint);
        if (secret === undefined && model.hasSecret && origin !== model.secretOrigin) throw ModelException.secretOriginChange(model.secretOrigin, origin);
        if (secret !== undefined) {
          // Never compared or announced by value: the event and the audit say only that the key changed.
          changed.push('api_key');
          Object.assign(model, { secret: secret?.sealed ?? null, hasSecret: Boolean(secret), secretLast4: secret?.last4 ?? null, secretOrigin: secret ? origin : null });
          if (!secret && isSourceIn(PROVIDER_SOURCES, model.source) && model.status === 'active') {
            model.status = 'inactive';
            model.statusMessage = keyNeededMessage(model.source);
          } else if (secret && model.statusMessage === keyNeededMessage(model.source)) {
            model.statusMessage = null;
          }
        }
        if (changed.length === 0) return { result: toModelDto(model) };
        Object.assign(model, next);
        target = { name: model.name, version: model.version };
        const saved = await manager.save(model);
        const after = toModelDto(saved);
        return {
          result: after,
          events: [
            { type: 'model.updated', key: saved.id, payload: { actor: caller.actor.name, model: toModelSnapshot(saved), changed } },
            ...(saved.status === statusBefore ? [] : [statusChanged(caller.actor, saved, statusBefore)]),
          ],
          audit: [
            {
              action: 'model.update',
              result: 'success',
              target_type: 'model',
              target_id: saved.id,
              details: { name: saved.name, fields: changed, changed: modelUpdateDiff(changed, before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>) },
            },
          ],
        };
      },
      () => ModelException.duplicate(target.name, target.version),
    );
  }

  toggleStatus(caller: Caller, id: string): Promise<ModelDto> {
    return this.changes.run(caller.actor, async (manager) => {
      const model = await this.lockFor(caller, id, 'edit', manager);
      const from = model.status;
      model.status = toggledStatus(model.status, model.statusMessage);
      if (model.status === 'active' && isSourceIn(PROVIDER_SOURCES, model.source) && !model.hasSecret) throw ModelException.secretRequired(model.source);
      model.statusMessage = null;
      const saved = await manager.save(model);
      return {
        result: toModelDto(saved),
        events: [statusChanged(caller.actor, saved, from)],
        audit: [{ action: 'model.toggle', result: 'success', target_type: 'model', target_id: saved.id, details: { name: saved.name, from, to: saved.status } }],
      };
    });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.changes.run(caller.actor, async (manager) => {
      const model = await this.lockFor(caller, id, 'manage', manager);
      await manager.delete(ModelEntity, { id });
      const payload = {
        actor: caller.actor.name,
        model_id: id,
        name: model.name,
        version: model.version,
        artifact_keys: model.artifacts.map((artifact) => artifact.key),
      };
      return {
        result: undefined,
        events: [{ type: 'model.deleted', key: id, payload }],
        audit: [{ action: 'model.delete', result: 'success', target_type: 'model', target_id: id, details: { name: model.name, version: model.version, source: model.source } }],
      };
    });
  }

  /** Row-locks the model for a change, after checking the caller may do `level` with it (404 / 403). */
  private async lockFor(caller: Caller, id: string, level: ModelAccessLevel, manager: EntityManager): Promise<ModelEntity> {
    const model = await this.models.findForUpdate(id, manager);
    if (!model) throw ModelException.notFound(id);
    await this.access.require(caller.scope, id, level, manager);
    return model;
  }
}

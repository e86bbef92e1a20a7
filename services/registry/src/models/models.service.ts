import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import type {
  Actor,
  CreateModelDto,
  ListModelsQueryDto,
  ModelConfig,
  ModelDto,
  ModelFramework,
  ModelListDto,
  ModelSource,
  ModelStatus,
  UpdateModelDto,
} from '@modelyard/contracts';
import { OutboxRelayService } from '../outbox/outbox-relay.service.js';
import { OutboxService, type PendingEvent } from '../outbox/outbox.service.js';
import { ModelEntity } from './entities/model.entity.js';
import { ModelException } from './model.exception.js';
import { toModelDto, toModelSnapshot } from './model-response.util.js';
import { ModelsRepository } from './models.repository.js';

const PG_UNIQUE_VIOLATION = '23505';

const DEFAULT_FRAMEWORK: Partial<Record<ModelSource, ModelFramework>> = { openai: 'openai', anthropic: 'anthropic' };

/** Trims, drops empties and duplicates, keeps the user's order. */
export const normalizeTags = (tags: readonly string[] | undefined): string[] => [
  ...new Set((tags ?? []).map((t) => t.trim()).filter((t) => t.length > 0)),
];

/** Fills every config member, so readers never meet a missing one. */
export function mergeConfig(
  base: ModelConfig | undefined,
  change: { [K in keyof ModelConfig]?: ModelConfig[K] | null } | undefined,
): ModelConfig {
  const pick = <K extends keyof ModelConfig>(key: K, empty: ModelConfig[K]): ModelConfig[K] =>
    change && change[key] !== undefined ? (change[key] ?? empty) : (base?.[key] ?? empty);
  return {
    input_format: pick('input_format', null),
    output_format: pick('output_format', null),
    parameters: pick('parameters', {}),
    env: pick('env', {}),
  };
}

/**
 * The status a toggle leads to: active ↔ inactive. Uploading and error belong to the system
 * (an import in progress, a failure to fix) and are refused with the reason.
 */
export function toggledStatus(status: ModelStatus, statusMessage: string | null): ModelStatus {
  if (status === 'uploading' || status === 'error') throw ModelException.statusLocked(status, statusMessage);
  return status === 'active' ? 'inactive' : 'active';
}

/** Fields compared to decide whether a PATCH changed anything, in API names. */
const EDITABLE: Array<[keyof UpdateModelDto & string, keyof ModelEntity]> = [
  ['name', 'name'],
  ['version', 'version'],
  ['type', 'type'],
  ['framework', 'framework'],
  ['description', 'description'],
  ['endpoint', 'endpoint'],
  ['tags', 'tags'],
  ['config', 'config'],
  ['accuracy', 'accuracy'],
  ['latency_ms', 'latencyMs'],
];

@Injectable()
export class ModelsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: ModelsRepository,
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelayService,
  ) {}

  async list(query: ListModelsQueryDto): Promise<ModelListDto> {
    const { items, total } = await this.models.list(query);
    return { items: items.map(toModelDto), total, page: query.page, page_size: query.page_size };
  }

  async get(id: string): Promise<ModelDto> {
    const model = await this.models.findById(id);
    if (!model) throw ModelException.notFound(id);
    return toModelDto(model);
  }

  create(actor: Actor, dto: CreateModelDto): Promise<ModelDto> {
    const source = dto.source ?? 'custom';
    const version = dto.version ?? '1.0';
    return this.change(
      async (manager) => {
        const model = manager.create(ModelEntity, {
          name: dto.name,
          version,
          type: dto.type,
          framework: dto.framework ?? DEFAULT_FRAMEWORK[source] ?? 'custom',
          source,
          status: dto.status ?? 'active',
          statusMessage: null,
          description: dto.description ?? null,
          endpoint: dto.endpoint ?? null,
          tags: normalizeTags(dto.tags),
          config: mergeConfig(undefined, dto.config),
          accuracy: dto.accuracy ?? null,
          latencyMs: dto.latency_ms ?? null,
          owner: actor.name,
        });
        const saved = await manager.save(model);
        return { model: saved, events: [{ type: 'model.created', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved) } }] };
      },
      () => ModelException.duplicate(dto.name, version),
    );
  }

  async update(actor: Actor, id: string, dto: UpdateModelDto): Promise<ModelDto> {
    let target = { name: '', version: '' };
    return this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      const next: Partial<ModelEntity> = {
        ...(dto.name !== undefined && { name: dto.name }),
        ...(dto.version !== undefined && { version: dto.version }),
        ...(dto.type !== undefined && { type: dto.type }),
        ...(dto.framework !== undefined && { framework: dto.framework }),
        ...(dto.description !== undefined && { description: dto.description }),
        ...(dto.endpoint !== undefined && { endpoint: dto.endpoint }),
        ...(dto.tags !== undefined && { tags: normalizeTags(dto.tags) }),
        ...(dto.config !== undefined && { config: mergeConfig(model.config, dto.config) }),
        ...(dto.accuracy !== undefined && { accuracy: dto.accuracy }),
        ...(dto.latency_ms !== undefined && { latencyMs: dto.latency_ms }),
      };
      const changed = EDITABLE.filter(
        ([, column]) => column in next && JSON.stringify(next[column]) !== JSON.stringify(model[column]),
      ).map(([field]) => field);
      if (changed.length === 0) return { model, events: [] };
      Object.assign(model, next);
      target = { name: model.name, version: model.version };
      const saved = await manager.save(model);
      return {
        model: saved,
        events: [{ type: 'model.updated', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved), changed } }],
      };
    }, () => ModelException.duplicate(target.name, target.version));
  }

  async toggleStatus(actor: Actor, id: string): Promise<ModelDto> {
    return this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      const from = model.status;
      model.status = toggledStatus(model.status, model.statusMessage);
      model.statusMessage = null;
      const saved = await manager.save(model);
      return {
        model: saved,
        events: [
          { type: 'model.status_changed', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved), from, to: saved.status } },
        ],
      };
    });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    await this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      await manager.delete(ModelEntity, { id });
      return {
        model,
        events: [{ type: 'model.deleted', key: id, payload: { actor: actor.name, model_id: id, name: model.name, version: model.version } }],
      };
    });
  }

  /**
   * Runs a change and its outbox events in one transaction, then wakes the relay. A unique
   * violation on (name, version) becomes a 409 after the rollback.
   */
  private async change(
    work: (manager: EntityManager) => Promise<{ model: ModelEntity; events: PendingEvent[] }>,
    onDuplicate?: () => Error,
  ): Promise<ModelDto> {
    let result: { model: ModelEntity; events: PendingEvent[] };
    try {
      result = await this.dataSource.transaction(async (manager) => {
        const done = await work(manager);
        if (done.events.length) await this.outbox.append(manager, done.events);
        return done;
      });
    } catch (error) {
      const code = error instanceof QueryFailedError ? (error.driverError as { code?: string }).code : undefined;
      if (code === PG_UNIQUE_VIOLATION && onDuplicate) throw onDuplicate();
      throw error;
    }
    if (result.events.length) this.relay.wake();
    return toModelDto(result.model);
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import {
  MODEL_FRAMEWORKS,
  MODEL_TYPES,
  REVISION_PATTERN,
  TAG_PATTERN,
  DEFAULT_HTTP_ENDPOINT_CONFIG,
  isHubRepoId,
  isSourceIn,
  secretOriginOf,
  PROVIDER_SOURCES,
  SECRET_SOURCES,
  type ArtifactDto,
  type HttpEndpointConfig,
  type SecretChange,
  type SecretRotationDto,
  type StoredCreateModel,
  type StoredUpdateModel,
  type ImportedMetadata,
  type ModelSignature,
  type TransferProgressDto,
  type Actor,
  type ListModelsQueryDto,
  type ModelConfig,
  type ModelDto,
  type ModelFramework,
  type ModelListDto,
  type ModelSource,
  type ModelStatus,
  type ModelType,
} from '@modelyard/contracts';
import { SecretCipher } from '@modelyard/platform';
import { OutboxRelayService } from '../outbox/outbox-relay.service.js';
import { OutboxService, type PendingEvent } from '../outbox/outbox.service.js';
import { ModelEntity, type StoredImport, type StoredProgress } from './entities/model.entity.js';
import { ModelException } from './model.exception.js';
import { toModelDto, toModelSnapshot } from './model-response.util.js';
import { ModelsRepository } from './models.repository.js';
import { rotateSealedSecrets } from './secret-rotation.util.js';

const PG_UNIQUE_VIOLATION = '23505';

const DEFAULT_FRAMEWORK: Partial<Record<ModelSource, ModelFramework>> = { openai: 'openai', anthropic: 'anthropic' };

/** Trims, drops empties and duplicates, keeps the user's order. */
export const normalizeTags = (tags: readonly string[] | undefined): string[] => [
  ...new Set((tags ?? []).map((t) => t.trim()).filter((t) => t.length > 0)),
];

type ConfigChange = { [K in Exclude<keyof ModelConfig, 'http'>]?: ModelConfig[K] | null } & { http?: Partial<HttpEndpointConfig> | null };

/**
 * Fills every config member, so readers never meet a missing one. `http` (custom endpoints) is
 * filled with its defaults; the members of a sent `http` replace the stored ones.
 */
export function mergeConfig(base: ModelConfig | undefined, change: ConfigChange | undefined, source?: ModelSource): ModelConfig {
  const pick = <K extends Exclude<keyof ModelConfig, 'http'>>(key: K, empty: ModelConfig[K]): ModelConfig[K] =>
    change && change[key] !== undefined ? ((change[key] ?? empty) as ModelConfig[K]) : (base?.[key] ?? empty);
  const sentHttp = change?.http === undefined ? undefined : change.http;
  const storedHttp = base?.http ?? null;
  let http: HttpEndpointConfig | null = storedHttp;
  if (sentHttp === null) http = null;
  else if (sentHttp !== undefined) http = { ...DEFAULT_HTTP_ENDPOINT_CONFIG, ...storedHttp, ...withoutUndefined(sentHttp) };
  // An endpoint model always knows how it is called.
  if (source === 'endpoint' && http === null) http = { ...DEFAULT_HTTP_ENDPOINT_CONFIG };
  return {
    input_format: pick('input_format', null),
    output_format: pick('output_format', null),
    parameters: pick('parameters', {}),
    env: pick('env', {}),
    // Read from the model file by the platform, never from a request.
    signature: base?.signature ?? null,
    http,
  };
}

const withoutUndefined = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as Partial<T>;


export const keyNeededMessage = (source: ModelSource) =>
  `An API key is needed to activate this ${source === 'openai' ? 'OpenAI' : 'Anthropic'} model: add one with an edit that sets api_key, then switch it on.`;

/** Checks the fields that depend on the source (create, and edits of the stored source). */
export function checkSourceFields(source: ModelSource, fields: { provider_model?: string | null; endpoint?: string | null; config?: { http?: unknown } }, secret: SecretChange | undefined): void {
  if (fields.provider_model != null && !isSourceIn(PROVIDER_SOURCES, source)) {
    throw ModelException.invalidField('provider_model', `provider_model applies to openai and anthropic models only, not to source "${source}"`);
  }
  if (secret && !isSourceIn(SECRET_SOURCES, source)) {
    throw ModelException.invalidField('api_key', `api_key applies to openai, anthropic, endpoint and huggingface models only, not to source "${source}"`);
  }
  if (fields.config?.http != null && source !== 'endpoint') {
    throw ModelException.invalidField('config.http', `config.http applies to endpoint models only (source "endpoint"), not to source "${source}"`);
  }
}


/** Checks the import-only fields of a create request; returns the import to store, if any. */
export function importSpecOf(dto: StoredCreateModel): StoredImport | null {
  if (dto.source !== 'huggingface') {
    if (dto.revision !== undefined) throw ModelException.invalidImport('revision', 'revision applies to Hugging Face imports only (source "huggingface")');
    if (dto.include !== undefined) throw ModelException.invalidImport('include', 'include applies to Hugging Face imports only (source "huggingface")');
    return null;
  }
  if (!isHubRepoId(dto.name)) {
    throw ModelException.invalidImport('name', `name must be a Hugging Face repo id such as "gpt2" or "org/model", got "${dto.name.slice(0, 200)}"`);
  }
  const revision = dto.revision ?? 'main';
  if (!REVISION_PATTERN.test(revision) || revision.includes('..')) {
    throw ModelException.invalidImport('revision', 'revision must be a branch, tag or commit name (letters, digits, . _ - /), without ".."');
  }
  // What the user left empty is the import's to fill from the Hub.
  const fill = [
    ...(dto.type === undefined ? ['type'] : []),
    ...(dto.framework === undefined ? ['framework'] : []),
    ...(dto.description == null ? ['description'] : []),
    ...(dto.tags === undefined || dto.tags.length === 0 ? ['tags'] : []),
    'license',
  ];
  return { repo: dto.name, revision, include: dto.include ?? null, commit: null, fill };
}

/** The status a finished transfer returns to: the one before it, unless that was a failure. */
const statusAfterTransfer = (progress: StoredProgress | null): ModelStatus =>
  progress && (progress.previous_status === 'active' || progress.previous_status === 'inactive') ? progress.previous_status : 'active';

/** Applies imported metadata to the fields the import may fill; returns the API names it changed. */
export function applyImportedMetadata(model: ModelEntity, fill: readonly string[], metadata: ImportedMetadata): string[] {
  const changed: string[] = [];
  const may = (field: string) => fill.includes(field);
  if (may('type') && metadata.type && (MODEL_TYPES as readonly string[]).includes(metadata.type)) {
    model.type = metadata.type as ModelType;
    changed.push('type');
  }
  if (may('framework') && metadata.framework && (MODEL_FRAMEWORKS as readonly string[]).includes(metadata.framework)) {
    model.framework = metadata.framework as ModelFramework;
    changed.push('framework');
  }
  if (may('description') && metadata.description) {
    model.description = metadata.description.slice(0, 10_000);
    changed.push('description');
  }
  if (may('tags') && metadata.tags?.length) {
    model.tags = normalizeTags(metadata.tags.filter((tag) => TAG_PATTERN.test(tag))).slice(0, 50);
    changed.push('tags');
  }
  if (may('license') && metadata.license !== undefined) {
    model.license = metadata.license?.slice(0, 200) ?? null;
    changed.push('license');
  }
  return changed;
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
const EDITABLE: Array<[keyof StoredUpdateModel & string, keyof ModelEntity]> = [
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
  ['provider_model', 'providerModel'],
];

function newProgress(file: string | null, previous: ModelStatus): StoredProgress {
  return {
    bytes_done: 0,
    bytes_total: null,
    files_done: 0,
    files_total: file ? 1 : null,
    current_file: file,
    updated_at: new Date().toISOString(),
    previous_status: previous,
  };
}

function statusChanged(actor: Actor, model: ModelEntity, from: ModelStatus): PendingEvent {
  return { type: 'model.status_changed', key: model.id, payload: { actor: actor.name, model: toModelSnapshot(model), from, to: model.status } };
}

@Injectable()
export class ModelsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: ModelsRepository,
    private readonly outbox: OutboxService,
    private readonly relay: OutboxRelayService,
    private readonly secrets: SecretCipher,
  ) {}

  /** The model and its sealed secret, for a worker about to call it. */
  async getInvocationTarget(id: string): Promise<{ model: ModelDto; sealed_secret: string | null; secret_origin: string | null }> {
    const model = await this.models.findWithSecret(id);
    if (!model) throw ModelException.notFound(id);
    return { model: toModelDto(model), sealed_secret: model.secret ?? null, secret_origin: model.secretOrigin };
  }

  /** Re-seals every secret not sealed with the current master key (see rotateSealedSecrets). */
  rotateSecrets(): Promise<SecretRotationDto> {
    return rotateSealedSecrets(this.dataSource, this.secrets);
  }

  async list(query: ListModelsQueryDto): Promise<ModelListDto> {
    const { items, total } = await this.models.list(query);
    return { items: items.map(toModelDto), total, page: query.page, page_size: query.page_size };
  }

  async get(id: string): Promise<ModelDto> {
    const model = await this.models.findById(id);
    if (!model) throw ModelException.notFound(id);
    return toModelDto(model);
  }

  create(actor: Actor, dto: StoredCreateModel, secret?: SecretChange): Promise<ModelDto> {
    const source = dto.source ?? 'custom';
    const version = dto.version ?? '1.0';
    const importSpec = importSpecOf(dto);
    checkSourceFields(source, dto, secret);
    if (source === 'endpoint' && !dto.endpoint) throw ModelException.invalidField('endpoint', 'endpoint is required for an endpoint model: the URL it is called at');
    // A provider model cannot run without its key: stored switched off, saying why.
    const keyMissing = isSourceIn(PROVIDER_SOURCES, source) && !secret;
    const initialStatus = keyMissing ? 'inactive' : (dto.status ?? 'active');
    return this.change(
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
        });
        const saved = await manager.save(model);
        return { model: saved, events: [{ type: 'model.created', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved) } }] };
      },
      () => ModelException.duplicate(dto.name, version),
    );
  }

  async update(actor: Actor, id: string, dto: StoredUpdateModel, secret?: SecretChange): Promise<ModelDto> {
    let target = { name: '', version: '' };
    return this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      checkSourceFields(model.source, dto, secret);
      if (model.source === 'endpoint' && dto.endpoint === null) throw ModelException.invalidField('endpoint', 'an endpoint model needs its endpoint; it cannot be removed');
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
      const changed: string[] = EDITABLE.filter(
        ([, column]) => column in next && JSON.stringify(next[column]) !== JSON.stringify(model[column]),
      ).map(([field]) => field);
      const statusBefore = model.status;
      const origin = secretOriginOf(model.source, dto.endpoint !== undefined ? dto.endpoint : model.endpoint);
      if (secret === undefined && model.hasSecret && origin !== model.secretOrigin) throw ModelException.secretOriginChange(model.secretOrigin, origin);
      if (secret !== undefined) {
        // Never compared or announced by value: the event says only that the key changed.
        changed.push('api_key');
        Object.assign(model, { secret: secret?.sealed ?? null, hasSecret: Boolean(secret), secretLast4: secret?.last4 ?? null, secretOrigin: secret ? origin : null });
        if (!secret && isSourceIn(PROVIDER_SOURCES, model.source) && model.status === 'active') {
          model.status = 'inactive';
          model.statusMessage = keyNeededMessage(model.source);
        } else if (secret && model.statusMessage === keyNeededMessage(model.source)) {
          model.statusMessage = null;
        }
      }
      if (changed.length === 0) return { model, events: [] };
      Object.assign(model, next);
      target = { name: model.name, version: model.version };
      const saved = await manager.save(model);
      return {
        model: saved,
        events: [
          { type: 'model.updated', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved), changed } },
          ...(saved.status === statusBefore ? [] : [statusChanged(actor, saved, statusBefore)]),
        ],
      };
    }, () => ModelException.duplicate(target.name, target.version));
  }

  async toggleStatus(actor: Actor, id: string): Promise<ModelDto> {
    return this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      const from = model.status;
      model.status = toggledStatus(model.status, model.statusMessage);
      if (model.status === 'active' && isSourceIn(PROVIDER_SOURCES, model.source) && !model.hasSecret) throw ModelException.secretRequired(model.source);
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
      const payload = {
        actor: actor.name,
        model_id: id,
        name: model.name,
        version: model.version,
        artifact_keys: model.artifacts.map((artifact) => artifact.key),
      };
      return { model, events: [{ type: 'model.deleted', key: id, payload }] };
    });
  }

  /** Starts an upload: the model is `uploading` until completeArtifacts or markFailed ends it. */
  beginUpload(actor: Actor, id: string, file: string): Promise<ModelDto> {
    return this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      if (model.status === 'uploading') throw ModelException.transferInProgress(model.progress?.current_file ?? null);
      const from = model.status;
      model.progress = newProgress(file, from);
      model.status = 'uploading';
      model.statusMessage = null;
      const saved = await manager.save(model);
      return { model: saved, events: [statusChanged(actor, saved, from)] };
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
    return this.change(async (manager) => {
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
      return {
        model: saved,
        events: [
          { type: 'model.updated', key: saved.id, payload: { actor: actor.name, model: toModelSnapshot(saved), changed } },
          statusChanged(actor, saved, from),
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
    return this.change(async (manager) => {
      const model = await this.models.findForUpdate(id, manager);
      if (!model) throw ModelException.notFound(id);
      const from = model.status;
      if (outcome === 'restore') {
        if (model.status !== 'uploading') return { model, events: [] };
        model.status = model.progress?.previous_status === 'uploading' ? 'active' : (model.progress?.previous_status ?? 'active');
        model.statusMessage = null;
      } else {
        model.status = 'error';
        model.statusMessage = message.slice(0, 2_000);
      }
      model.progress = null;
      const saved = await manager.save(model);
      return { model: saved, events: from === saved.status && outcome === 'restore' ? [] : [statusChanged(actor, saved, from)] };
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

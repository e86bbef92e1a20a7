import {
  MODEL_FRAMEWORKS,
  MODEL_TYPES,
  REVISION_PATTERN,
  TAG_PATTERN,
  DEFAULT_HTTP_ENDPOINT_CONFIG,
  isHubRepoId,
  isSourceIn,
  PROVIDER_SOURCES,
  SECRET_SOURCES,
  type Actor,
  type HttpEndpointConfig,
  type ImportedMetadata,
  type ModelConfig,
  type ModelFramework,
  type ModelSource,
  type ModelStatus,
  type ModelType,
  type SecretChange,
  type StoredCreateModel,
  type StoredUpdateModel,
} from '@modelyard/contracts';
import type { PendingEvent } from '../outbox/outbox.service.js';
import type { ModelEntity, StoredImport, StoredProgress } from './entities/model.entity.js';
import { ModelException } from './model.exception.js';
import { toModelSnapshot } from './model-response.util.js';

/*
 * The rules of a model record that need no database: defaults, config merging, which fields fit
 * which source, imports, status transitions. Shared by the services that change models.
 */

export const DEFAULT_FRAMEWORK: Partial<Record<ModelSource, ModelFramework>> = { openai: 'openai', anthropic: 'anthropic' };

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
export const statusAfterTransfer = (progress: StoredProgress | null): ModelStatus =>
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
export const EDITABLE: Array<[keyof StoredUpdateModel & string, keyof ModelEntity]> = [
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

export function newProgress(file: string | null, previous: ModelStatus): StoredProgress {
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

export function statusChanged(actor: Actor, model: ModelEntity, from: ModelStatus): PendingEvent {
  return { type: 'model.status_changed', key: model.id, payload: { actor: actor.name, model: toModelSnapshot(model), from, to: model.status } };
}

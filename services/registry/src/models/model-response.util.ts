import type { ModelDto, ModelSnapshot } from '@modelyard/contracts';
import type { ModelEntity, StoredImport, StoredProgress } from './entities/model.entity.js';

const publicProgress = ({ previous_status: _hidden, ...progress }: StoredProgress) => progress;
const publicImport = ({ fill: _hidden, ...spec }: StoredImport) => spec;

export function toModelDto(model: ModelEntity): ModelDto {
  return {
    id: model.id,
    name: model.name,
    version: model.version,
    type: model.type,
    framework: model.framework,
    source: model.source,
    status: model.status,
    status_message: model.statusMessage,
    description: model.description,
    endpoint: model.endpoint,
    provider_model: model.providerModel,
    has_api_key: model.hasSecret,
    api_key_last4: model.secretLast4,
    tags: model.tags,
    config: { ...model.config, signature: model.config.signature ?? null, http: model.config.http ?? null },
    accuracy: model.accuracy,
    latency_ms: model.latencyMs,
    license: model.license,
    artifacts: model.artifacts,
    progress: model.progress && publicProgress(model.progress),
    import: model.importSpec && publicImport(model.importSpec),
    owner: model.owner,
    created_at: model.createdAt.toISOString(),
    updated_at: model.updatedAt.toISOString(),
  };
}

/** The model as events carry it: the API shape, narrowed to what consumers need. */
export function toModelSnapshot(model: ModelEntity): ModelSnapshot {
  const { id, name, version, type, framework, source, status, status_message, owner, tags, updated_at } = toModelDto(model);
  return { id, name, version, type, framework, source, status, status_message, owner, tags, updated_at };
}

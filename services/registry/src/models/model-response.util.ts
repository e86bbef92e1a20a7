import type { ModelDto, ModelSnapshot } from '@modelyard/contracts';
import type { ModelEntity } from './entities/model.entity.js';

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
    tags: model.tags,
    config: model.config,
    accuracy: model.accuracy,
    latency_ms: model.latencyMs,
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

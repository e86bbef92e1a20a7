import type { CreateModelDto } from './dto/create-model.dto.js';
import type { ListModelsQueryDto } from './dto/list-models-query.dto.js';
import type { ModelDto, ModelListDto } from './dto/model.dto.js';
import type { UpdateModelDto } from './dto/update-model.dto.js';
import type { REGISTRY_PATTERNS } from './messaging.constant.js';

/** Who asks: the name of the API token behind the request, recorded as a model's owner. */
export interface Actor {
  name: string;
}

/** Request and response of each gateway → registry message pattern. */
export interface RegistryMessages {
  [REGISTRY_PATTERNS.listModels]: { request: { query: ListModelsQueryDto }; response: ModelListDto };
  [REGISTRY_PATTERNS.getModel]: { request: { id: string }; response: ModelDto };
  [REGISTRY_PATTERNS.createModel]: { request: { actor: Actor; body: CreateModelDto }; response: ModelDto };
  [REGISTRY_PATTERNS.updateModel]: { request: { actor: Actor; id: string; body: UpdateModelDto }; response: ModelDto };
  [REGISTRY_PATTERNS.deleteModel]: { request: { actor: Actor; id: string }; response: { deleted: true } };
  [REGISTRY_PATTERNS.toggleModelStatus]: { request: { actor: Actor; id: string }; response: ModelDto };
  [REGISTRY_PATTERNS.health]: { request: Record<string, never>; response: { status: 'ok' | 'unavailable'; checks: Record<string, unknown> } };
}

import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CreateModelDto,
  ListModelsQueryDto,
  REGISTRY_PATTERNS,
  UpdateModelDto,
  type AccessScope,
  type Caller,
  type ModelDto,
  type ModelListDto,
  type RegistryMessages,
} from '@modelyard/contracts';
import { ModelException } from './model.exception.js';
import { ModelQueriesService } from './model-queries.service.js';
import { ModelTransfersService } from './model-transfers.service.js';
import { ModelsService } from './models.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A malformed id names no model: 404 like any other unknown id, never a database error. */
function validId(id: unknown): string {
  if (typeof id === 'string' && UUID.test(id)) return id.toLowerCase();
  throw ModelException.notFound(String(id).slice(0, 100));
}

type Response<P extends keyof RegistryMessages> = Promise<RegistryMessages[P]['response']>;
/** System messages come from other services, not from HTTP: typed, not validated again. */
type SystemRequest<P extends keyof RegistryMessages> = RegistryMessages[P]['request'];

/** The registry's message handlers for models; the gateway reaches them over the RPC transport. */
@Controller()
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly queries: ModelQueriesService,
    private readonly transfers: ModelTransfersService,
  ) {}

  @MessagePattern(REGISTRY_PATTERNS.listModels)
  list(@Payload('query') query: ListModelsQueryDto, @Payload('scope') scope: AccessScope): Promise<ModelListDto> {
    return this.queries.list(query, scope);
  }

  @MessagePattern(REGISTRY_PATTERNS.getModel)
  get(@Payload('id') id: unknown, @Payload('scope') scope: AccessScope): Promise<ModelDto> {
    return this.queries.get(validId(id), scope);
  }

  @MessagePattern(REGISTRY_PATTERNS.createModel)
  create(
    @Payload('caller') caller: Caller,
    @Payload('body') body: CreateModelDto,
    @Payload('secret') secret: SystemRequest<typeof REGISTRY_PATTERNS.createModel>['secret'],
  ): Response<typeof REGISTRY_PATTERNS.createModel> {
    return this.models.create(caller, body, secret);
  }

  @MessagePattern(REGISTRY_PATTERNS.updateModel)
  update(
    @Payload('caller') caller: Caller,
    @Payload('id') id: unknown,
    @Payload('body') body: UpdateModelDto,
    @Payload('secret') secret: SystemRequest<typeof REGISTRY_PATTERNS.updateModel>['secret'],
  ): Response<typeof REGISTRY_PATTERNS.updateModel> {
    return this.models.update(caller, validId(id), body, secret);
  }

  @MessagePattern(REGISTRY_PATTERNS.getInvocationTarget)
  getInvocationTarget(@Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.getInvocationTarget> {
    return this.queries.getInvocationTarget(validId(id));
  }

  @MessagePattern(REGISTRY_PATTERNS.rotateSecrets)
  rotateSecrets(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.rotateSecrets>): Response<typeof REGISTRY_PATTERNS.rotateSecrets> {
    return this.queries.rotateSecrets(request.actor);
  }

  @MessagePattern(REGISTRY_PATTERNS.deleteModel)
  async delete(@Payload('caller') caller: Caller, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.deleteModel> {
    await this.models.delete(caller, validId(id));
    return { deleted: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.toggleModelStatus)
  toggleStatus(@Payload('caller') caller: Caller, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.toggleModelStatus> {
    return this.models.toggleStatus(caller, validId(id));
  }

  @MessagePattern(REGISTRY_PATTERNS.beginUpload)
  beginUpload(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.beginUpload>): Response<typeof REGISTRY_PATTERNS.beginUpload> {
    return this.transfers.beginUpload(request.caller, validId(request.id), request.file);
  }

  @MessagePattern(REGISTRY_PATTERNS.reportProgress)
  async reportProgress(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.reportProgress>): Response<typeof REGISTRY_PATTERNS.reportProgress> {
    await this.transfers.reportProgress(validId(request.id), request.progress);
    return { ok: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.completeArtifacts)
  completeArtifacts(
    @Payload() { actor, id, ...rest }: SystemRequest<typeof REGISTRY_PATTERNS.completeArtifacts>,
  ): Response<typeof REGISTRY_PATTERNS.completeArtifacts> {
    return this.transfers.completeArtifacts(actor, validId(id), rest);
  }

  @MessagePattern(REGISTRY_PATTERNS.markFailed)
  markFailed(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.markFailed>): Response<typeof REGISTRY_PATTERNS.markFailed> {
    return this.transfers.markFailed(request.actor, validId(request.id), request.message, request.outcome);
  }
}

import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CreateModelDto,
  ListModelsQueryDto,
  REGISTRY_PATTERNS,
  UpdateModelDto,
  type Actor,
  type ModelDto,
  type ModelListDto,
  type RegistryMessages,
} from '@modelyard/contracts';
import { ModelException } from './model.exception.js';
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

/** The registry's message handlers; the gateway reaches them over the RPC transport. */
@Controller()
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @MessagePattern(REGISTRY_PATTERNS.listModels)
  list(@Payload('query') query: ListModelsQueryDto): Promise<ModelListDto> {
    return this.models.list(query);
  }

  @MessagePattern(REGISTRY_PATTERNS.getModel)
  get(@Payload('id') id: unknown): Promise<ModelDto> {
    return this.models.get(validId(id));
  }

  @MessagePattern(REGISTRY_PATTERNS.createModel)
  create(
    @Payload('actor') actor: Actor,
    @Payload('body') body: CreateModelDto,
    @Payload('secret') secret: SystemRequest<typeof REGISTRY_PATTERNS.createModel>['secret'],
  ): Response<typeof REGISTRY_PATTERNS.createModel> {
    return this.models.create(actor, body, secret);
  }

  @MessagePattern(REGISTRY_PATTERNS.updateModel)
  update(
    @Payload('actor') actor: Actor,
    @Payload('id') id: unknown,
    @Payload('body') body: UpdateModelDto,
    @Payload('secret') secret: SystemRequest<typeof REGISTRY_PATTERNS.updateModel>['secret'],
  ): Response<typeof REGISTRY_PATTERNS.updateModel> {
    return this.models.update(actor, validId(id), body, secret);
  }

  @MessagePattern(REGISTRY_PATTERNS.getInvocationTarget)
  getInvocationTarget(@Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.getInvocationTarget> {
    return this.models.getInvocationTarget(validId(id));
  }

  @MessagePattern(REGISTRY_PATTERNS.rotateSecrets)
  rotateSecrets(): Response<typeof REGISTRY_PATTERNS.rotateSecrets> {
    return this.models.rotateSecrets();
  }

  @MessagePattern(REGISTRY_PATTERNS.deleteModel)
  async delete(@Payload('actor') actor: Actor, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.deleteModel> {
    await this.models.delete(actor, validId(id));
    return { deleted: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.beginUpload)
  beginUpload(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.beginUpload>): Response<typeof REGISTRY_PATTERNS.beginUpload> {
    return this.models.beginUpload(request.actor, validId(request.id), request.file);
  }

  @MessagePattern(REGISTRY_PATTERNS.reportProgress)
  async reportProgress(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.reportProgress>): Response<typeof REGISTRY_PATTERNS.reportProgress> {
    await this.models.reportProgress(validId(request.id), request.progress);
    return { ok: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.completeArtifacts)
  completeArtifacts(
    @Payload() { actor, id, ...rest }: SystemRequest<typeof REGISTRY_PATTERNS.completeArtifacts>,
  ): Response<typeof REGISTRY_PATTERNS.completeArtifacts> {
    return this.models.completeArtifacts(actor, validId(id), rest);
  }

  @MessagePattern(REGISTRY_PATTERNS.markFailed)
  markFailed(@Payload() request: SystemRequest<typeof REGISTRY_PATTERNS.markFailed>): Response<typeof REGISTRY_PATTERNS.markFailed> {
    return this.models.markFailed(request.actor, validId(request.id), request.message, request.outcome);
  }

  @MessagePattern(REGISTRY_PATTERNS.toggleModelStatus)
  toggleStatus(@Payload('actor') actor: Actor, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.toggleModelStatus> {
    return this.models.toggleStatus(actor, validId(id));
  }
}

import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { REGISTRY_PATTERNS, UpdateModelPermissionsDto, type AccessScope, type Caller, type RegistryMessages } from '@modelyard/contracts';
import { ModelException } from '../models/model.exception.js';
import { ModelAccessService } from './model-access.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const validId = (id: unknown): string => {
  if (typeof id === 'string' && UUID.test(id)) return id.toLowerCase();
  throw ModelException.notFound(String(id).slice(0, 100));
};

type Response<P extends keyof RegistryMessages> = Promise<RegistryMessages[P]['response']>;

@Controller()
export class AccessController {
  constructor(private readonly access: ModelAccessService) {}

  @MessagePattern(REGISTRY_PATTERNS.modelAccess)
  async modelAccess(@Payload('scope') scope: AccessScope, @Payload('model_id') modelId: unknown): Response<typeof REGISTRY_PATTERNS.modelAccess> {
    if (typeof modelId !== 'string' || !UUID.test(modelId)) return { level: null };
    return { level: await this.access.levelOf(scope, modelId.toLowerCase()) };
  }

  @MessagePattern(REGISTRY_PATTERNS.getModelPermissions)
  getPermissions(@Payload('caller') caller: Caller, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.getModelPermissions> {
    return this.access.permissions(caller, validId(id));
  }

  @MessagePattern(REGISTRY_PATTERNS.setModelPermissions)
  setPermissions(
    @Payload('caller') caller: Caller,
    @Payload('id') id: unknown,
    @Payload('body') body: UpdateModelPermissionsDto,
  ): Response<typeof REGISTRY_PATTERNS.setModelPermissions> {
    return this.access.setPermissions(caller, validId(id), body);
  }
}

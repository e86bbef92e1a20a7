import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AccessScope, Actor, ListModelsQueryDto, ModelAccessRecord, ModelDto, ModelListDto, SecretRotationDto } from '@modelyard/contracts';
import { SecretCipher } from '@modelyard/platform';
import { ModelAccessService } from '../access/model-access.service.js';
import { AuditService } from '../audit/audit.service.js';
import { ModelException } from './model.exception.js';
import { toModelDto } from './model-response.util.js';
import { ModelsRepository } from './models.repository.js';
import { rotateSealedSecrets } from './secret-rotation.util.js';

/** Reading models: for a caller (scoped: a model it may not read is not found) or for a worker. */
@Injectable()
export class ModelQueriesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: ModelsRepository,
    private readonly access: ModelAccessService,
    private readonly audit: AuditService,
    private readonly secrets: SecretCipher,
  ) {}

  async list(query: ListModelsQueryDto, scope: AccessScope): Promise<ModelListDto> {
    const { items, total } = await this.models.list(query, scope);
    return { items: items.map(toModelDto), total, page: query.page, page_size: query.page_size };
  }

  async get(id: string, scope: AccessScope): Promise<ModelDto> {
    const model = await this.models.findReadable(id, scope);
    if (!model) throw ModelException.notFound(id);
    return toModelDto(model);
  }

  /** The model, its sealed secret and who may use it, for the gateway and the workers that call it. */
  async getInvocationTarget(id: string): Promise<{ model: ModelDto; sealed_secret: string | null; secret_origin: string | null; access: ModelAccessRecord }> {
    const model = await this.models.findWithSecret(id);
    if (!model) throw ModelException.notFound(id);
    const access = await this.access.recordOf(id);
    if (!access) throw ModelException.notFound(id);
    return { model: toModelDto(model), sealed_secret: model.secret ?? null, secret_origin: model.secretOrigin, access };
  }

  /** Re-seals every secret not sealed with the current master key (see rotateSealedSecrets); audited. */
  async rotateSecrets(actor: Actor): Promise<SecretRotationDto> {
    const result = await rotateSealedSecrets(this.dataSource, this.secrets);
    await this.audit.appendAlone(actor, [
      {
        action: 'secrets.rotate',
        result: result.failed.length ? 'failure' : 'success',
        target_type: 'secrets',
        target_id: null,
        details: { key_id: result.key_id, rotated: result.rotated, already_current: result.already_current, failed: result.failed.map((f) => f.model_id) },
      },
    ]);
    return result;
  }
}

import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { REGISTRY_PATTERNS, type Actor, type SecretRotationDto } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

class RotationFailureDto {
  @ApiProperty({ format: 'uuid' }) model_id!: string;
  @ApiProperty() reason!: string;
}

class SecretRotationResponseDto implements SecretRotationDto {
  @ApiProperty({ description: 'Id of the master key every secret is now sealed with (a digest of the key, not the key).' }) key_id!: string;
  @ApiProperty() rotated!: number;
  @ApiProperty() already_current!: number;
  @ApiProperty({ type: [RotationFailureDto], description: 'Secrets no configured key opens, left as they are.' }) failed!: RotationFailureDto[];
}

@ApiTags('Administration')
@ApiBearerAuth()
@ApiProblems(401, 503, 504)
@Controller('api/v1/admin/secrets')
export class SecretsAdminController {
  constructor(private readonly registry: RegistryClient) {}

  @Post('rotate')
  @RequirePermission('secrets.rotate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Re-seal stored secrets with the current master key',
    description:
      'After setting MODELYARD_SECRET_KEY to a new key (with the old one in MODELYARD_SECRET_KEYS_PREVIOUS) and restarting, this re-encrypts every ' +
      'stored API key, endpoint secret and Hugging Face token with the new key; the old key can then be dropped. Safe while models are in use.',
  })
  @ApiOkResponse({ type: SecretRotationResponseDto })
  rotate(@CurrentActor() actor: Actor): Promise<SecretRotationDto> {
    return this.registry.send(REGISTRY_PATTERNS.rotateSecrets, { actor });
  }
}

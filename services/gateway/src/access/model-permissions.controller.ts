import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ModelPermissionsDto, REGISTRY_PATTERNS, UpdateModelPermissionsDto, type Caller } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';
import { ModelLevelsService } from './model-levels.service.js';

const ID = { name: 'id', format: 'uuid', description: 'Model id.' } as const;

/** Who may use a model: its visibility and grants, read and changed by those who manage it. */
@ApiTags('AI models')
@ApiBearerAuth()
@ApiProblems(401, 404, 503, 504)
@Controller('api/v1/ai-models')
export class ModelPermissionsController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly levels: ModelLevelsService,
  ) {}

  @Get(':id/permissions')
  @RequirePermission('models.permissions.read')
  @ApiOperation({ summary: 'Who may use a model', description: 'Its visibility (private or internal), owner and grants to users and teams.' })
  @ApiParam(ID)
  @ApiOkResponse({ type: ModelPermissionsDto })
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<ModelPermissionsDto> {
    return this.registry.send(REGISTRY_PATTERNS.getModelPermissions, { caller, id });
  }

  @Put(':id/permissions')
  @RequirePermission('models.permissions.write')
  @ApiOperation({
    summary: 'Change who may use a model',
    description:
      '`visibility`: private (owner and grants) or internal (every signed-in user may read and use it). `grants` replaces every grant: ' +
      '`{"user": "<username>", "level": "use"}` or `{"team": "<name>", "level": "read"}`, levels read < use < edit < manage. ' +
      'Granting above your own level is refused (403); unknown users or teams, 422.',
  })
  @ApiParam(ID)
  @ApiBody({ type: UpdateModelPermissionsDto })
  @ApiOkResponse({ type: ModelPermissionsDto })
  @ApiProblems(400, 413, 415, 422)
  async set(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: UpdateModelPermissionsDto): Promise<ModelPermissionsDto> {
    const permissions = await this.registry.send(REGISTRY_PATTERNS.setModelPermissions, { caller, id, body });
    this.levels.forgetAll();
    return permissions;
  }
}

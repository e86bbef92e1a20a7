import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  CreateModelDto,
  ListModelsQueryDto,
  ModelDto,
  ModelListDto,
  REGISTRY_PATTERNS,
  UpdateModelDto,
  type Caller,
} from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { ModelLevelsService } from '../access/model-levels.service.js';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { UsageSummariesService } from '../stats/usage-summaries.service.js';
import { ModelCredentialsService } from '../credentials/model-credentials.service.js';
import { InvocationTargetsService } from '../invocations/invocation-targets.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';


const ID_PARAM = { name: 'id', description: 'Model id (UUID).', format: 'uuid' } as const;

/** The user guide's `/api/v1/ai-models` API. Every route works with and without a trailing slash. */
@ApiTags('AI models')
@ApiBearerAuth()
@ApiProblems(401, 503, 504)
@Controller('api/v1/ai-models')
export class ModelsController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly usage: UsageSummariesService,
    private readonly credentials: ModelCredentialsService,
    private readonly targets: InvocationTargetsService,
    private readonly levels: ModelLevelsService,
  ) {}

  @Get()
  @RequirePermission('models.list')
  @ApiOperation({ summary: 'List models', description: 'Filter, search, sort and page through the models you may read (others are not listed or counted).' })
  @ApiOkResponse({ type: ModelListDto })
  @ApiProblems(422)
  async list(@CurrentCaller() caller: Caller, @Query() query: ListModelsQueryDto): Promise<ModelListDto> {
    const page = await this.registry.send(REGISTRY_PATTERNS.listModels, { query, scope: caller.scope });
    return { ...page, items: await this.usage.enrich(page.items) };
  }

  @Post()
  @RequirePermission('models.create')
  @ApiOperation({
    summary: 'Register a model',
    description:
      'Stores a model record, owned by the caller (who manages it; it is private until shared). (name, version) must be unique. ' +
      'OpenAI and Anthropic models: `api_key` is checked with the provider first (422 when it refuses the key or the model, 424 when it cannot be reached; ' +
      '`validate: false` skips the check), then stored encrypted and never returned. Without a key the model is stored inactive. ' +
      'Endpoints that resolve to loopback, private, link-local or cloud-metadata addresses are refused (422) unless allowed by MODELYARD_ALLOWED_ENDPOINT_HOSTS.',
  })
  @ApiBody({ type: CreateModelDto })
  @ApiCreatedResponse({ type: ModelDto })
  @ApiProblems(400, 409, 413, 415, 422, 424, 429)
  async create(@CurrentCaller() caller: Caller, @Body() body: CreateModelDto): Promise<ModelDto> {
    const { stored, secret } = await this.credentials.prepareCreate(body);
    return this.usage.enrichOne(await this.registry.send(REGISTRY_PATTERNS.createModel, { caller, body: stored, ...(secret !== undefined && { secret }) }));
  }

  @Get(':id')
  @RequirePermission('models.read')
  @ApiOperation({ summary: 'Get a model' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(404)
  async get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<ModelDto> {
    return this.usage.enrichOne(await this.registry.send(REGISTRY_PATTERNS.getModel, { id, scope: caller.scope }));
  }

  @Patch(':id')
  @RequirePermission('models.edit')
  @ApiOperation({
    summary: 'Edit a model',
    description:
      'Partial edit: send only the fields that change. `config` members sent replace the stored ones; the others stay. Status changes go through toggle-status. ' +
      'A new `api_key` (or a new endpoint or provider_model of a provider model) is checked with the provider like at registration; `api_key: null` removes the key.',
  })
  @ApiParam(ID_PARAM)
  @ApiBody({ type: UpdateModelDto })
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(400, 404, 409, 413, 415, 422, 424, 429)
  async update(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: UpdateModelDto): Promise<ModelDto> {
    const { stored, secret } = await this.credentials.prepareUpdate(id, body);
    const model = await this.registry.send(REGISTRY_PATTERNS.updateModel, { caller, id, body: stored, ...(secret !== undefined && { secret }) });
    this.targets.forget(model.id);
    return this.usage.enrichOne(model);
  }

  @Delete(':id')
  @RequirePermission('models.delete')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(404)
  async delete(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.registry.send(REGISTRY_PATTERNS.deleteModel, { caller, id });
    this.targets.forget(id);
    this.levels.forgetAll();
  }

  @Post(':id/toggle-status')
  @RequirePermission('models.edit')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Switch a model on or off',
    description: 'active ↔ inactive. A model that is uploading or in error cannot be switched (409, with the reason).',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(404, 409)
  async toggleStatus(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<ModelDto> {
    const model = await this.registry.send(REGISTRY_PATTERNS.toggleModelStatus, { caller, id });
    this.targets.forget(model.id);
    return this.usage.enrichOne(model);
  }
}

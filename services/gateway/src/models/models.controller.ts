import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import {
  CreateModelDto,
  ListModelsQueryDto,
  ModelDto,
  ModelListDto,
  REGISTRY_PATTERNS,
  UpdateModelDto,
  type Actor,
} from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { UsageSummariesService } from '../stats/usage-summaries.service.js';
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
  ) {}

  @Get()
  @ApiOperation({ summary: 'List models', description: 'Filter, search, sort and page through the registered models.' })
  @ApiOkResponse({ type: ModelListDto })
  @ApiProblems(422)
  async list(@Query() query: ListModelsQueryDto): Promise<ModelListDto> {
    const page = await this.registry.send(REGISTRY_PATTERNS.listModels, { query });
    return { ...page, items: await this.usage.enrich(page.items) };
  }

  @Post()
  @ApiOperation({
    summary: 'Register a model',
    description: 'Stores a model record. The calling token becomes its owner. (name, version) must be unique.',
  })
  @ApiBody({ type: CreateModelDto })
  @ApiCreatedResponse({ type: ModelDto })
  @ApiProblems(400, 409, 413, 415, 422)
  async create(@CurrentActor() actor: Actor, @Body() body: CreateModelDto): Promise<ModelDto> {
    return this.usage.enrichOne(await this.registry.send(REGISTRY_PATTERNS.createModel, { actor, body }));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a model' })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(404)
  async get(@Param('id') id: string): Promise<ModelDto> {
    return this.usage.enrichOne(await this.registry.send(REGISTRY_PATTERNS.getModel, { id }));
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Edit a model',
    description:
      'Partial edit: send only the fields that change. `config` members sent replace the stored ones; the others stay. Status changes go through toggle-status.',
  })
  @ApiParam(ID_PARAM)
  @ApiBody({ type: UpdateModelDto })
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(400, 404, 409, 413, 415, 422)
  async update(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: UpdateModelDto): Promise<ModelDto> {
    return this.usage.enrichOne(await this.registry.send(REGISTRY_PATTERNS.updateModel, { actor, id, body }));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a model' })
  @ApiParam(ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(404)
  async delete(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<void> {
    await this.registry.send(REGISTRY_PATTERNS.deleteModel, { actor, id });
  }

  @Post(':id/toggle-status')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Switch a model on or off',
    description: 'active ↔ inactive. A model that is uploading or in error cannot be switched (409, with the reason).',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(404, 409)
  async toggleStatus(@CurrentActor() actor: Actor, @Param('id') id: string): Promise<ModelDto> {
    return this.usage.enrichOne(await this.registry.send(REGISTRY_PATTERNS.toggleModelStatus, { actor, id }));
  }
}

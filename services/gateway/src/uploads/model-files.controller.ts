import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ModelDto, type Actor } from '@modelyard/contracts';
import { UPLOADABLE_EXTENSIONS } from '@modelyard/model-formats';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';
import { UsageSummariesService } from '../stats/usage-summaries.service.js';
import { ModelFilesService } from './model-files.service.js';
import { UploadException } from './upload.exception.js';

@ApiTags('AI models')
@ApiBearerAuth()
@ApiProblems(401, 503, 504)
@Controller('api/v1/ai-models')
export class ModelFilesController {
  constructor(
    private readonly files: ModelFilesService,
    private readonly usage: UsageSummariesService,
  ) {}

  @Post(':id/files')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a model file',
    description:
      `Streams one file (${UPLOADABLE_EXTENSIONS.join(' ')}) into object storage; the model is \`uploading\` meanwhile. ` +
      'Extension and first bytes must agree; an ONNX file is parsed and its inputs and outputs recorded in `config.signature`. ' +
      'Pickle formats (.pt .pth .bin) are stored but never executed.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: ModelDto, description: 'The model with the file among its artifacts.' })
  @ApiProblems(404, 409, 413, 415, 422)
  async upload(@CurrentActor() actor: Actor, @Param('id') id: string, @Req() request: FastifyRequest): Promise<ModelDto> {
    if (!request.isMultipart()) throw UploadException.notMultipart();
    const file = await request.file();
    if (!file) throw UploadException.noFile();
    return this.usage.enrichOne(await this.files.upload(actor, id, file));
  }
}

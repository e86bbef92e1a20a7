import { Controller, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModelDto, type Caller } from '@modelyard/contracts';
import { UPLOADABLE_EXTENSIONS } from '@modelyard/model-formats';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
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
  @RequirePermission('models.edit')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a model file',
    description:
      `Streams one file (${UPLOADABLE_EXTENSIONS.join(' ')}) into object storage; the model is \`uploading\` meanwhile. ` +
      'Extension and first bytes must agree; an ONNX file is parsed and its inputs and outputs recorded in `config.signature`. ' +
      'Pickle formats (.pt .pth .bin) are stored but never executed. ' +
      'A body declared (Content-Length) larger than the upload limit allows is refused with 413 before it is read; ' +
      'an upload that receives no byte for MODELYARD_UPLOAD_IDLE_TIMEOUT_MS ends with 408 and stores nothing.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } })
  @ApiCreatedResponse({ type: ModelDto, description: 'The model with the file among its artifacts.' })
  @ApiProblems(404, 408, 409, 413, 415, 422)
  async upload(
    @CurrentCaller() caller: Caller,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ModelDto> {
    if (!request.isMultipart()) throw UploadException.notMultipart();
    const watchdog = this.files.openUpload(request, reply);
    try {
      // A client that sends the headers and then nothing (or a body cut before the file part) ends here too.
      const file = await watchdog.guard(request.file());
      if (!file) throw UploadException.noFile();
      return this.usage.enrichOne(await this.files.upload(caller, id, file, watchdog));
    } finally {
      watchdog.dispose();
    }
  }
}

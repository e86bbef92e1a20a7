import { Body, Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { TestModelDto, TestResultDto, type Actor } from '@modelyard/contracts';
import { CurrentActor } from '../auth/current-actor.decorator.js';
import type { AuthenticatedRequest } from '../auth/permissions.guard.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { LimitsService } from '../limits/limits.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';
import { ModelTestsService } from './model-tests.service.js';

@ApiTags('AI models')
@ApiBearerAuth()
@ApiProblems(401, 503, 504)
@Controller('api/v1/ai-models')
export class ModelTestsController {
  constructor(
    private readonly tests: ModelTestsService,
    private readonly limits: LimitsService,
  ) {}

  @Post(':id/test')
  @RequirePermission('models.use')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Test a model',
    description:
      'Runs the model once on an inference worker and answers its output. Inputs are checked against the model\'s recorded ' +
      'signature (name, element type, shape): a mismatch is a 422 naming the field and what was expected. The call is counted in the model\'s stats. ' +
      'Models served by a provider (OpenAI, Anthropic, an HTTP endpoint) are called there: 424 when it cannot be reached or refuses the stored key, ' +
      '429 when it rate-limits, 502 when it fails or answers something unusable, 504 when it does not answer in time.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiBody({ type: TestModelDto })
  @ApiOkResponse({ type: TestResultDto })
  @ApiProblems(400, 404, 409, 413, 415, 422, 424, 429, 502)
  async test(@CurrentActor() actor: Actor, @Param('id') id: string, @Body() body: TestModelDto, @Req() request: AuthenticatedRequest): Promise<TestResultDto> {
    const result = await this.tests.test(actor, id, body.input_data);
    // Language-model tokens count against the caller's per-minute token limits once known.
    const tokens = (result.usage?.input_tokens ?? 0) + (result.usage?.output_tokens ?? 0);
    if (request.resolved) await this.limits.recordTokens(request.resolved, tokens);
    return result;
  }
}

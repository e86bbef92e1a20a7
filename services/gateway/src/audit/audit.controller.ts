import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditPageDto, AuditQueryDto, AuditVerificationDto, REGISTRY_PATTERNS, type Caller } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

@ApiTags('Audit')
@ApiBearerAuth()
@ApiProblems(401, 503, 504)
@Controller('api/v1/audit-events')
export class AuditController {
  constructor(private readonly registry: RegistryClient) {}

  @Get()
  @RequirePermission('audit.read')
  @ApiOperation({
    summary: 'The audit log',
    description:
      'Every change and sign-in attempt, newest first: time, actor (user, token), action, target, result, client address, request id and what changed. ' +
      'Admins see everything; others, the records about models they manage. Filter by `actor` (username), `action` (repeatable), `target_id`, `from`, `to`.',
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(422)
  list(@CurrentCaller() caller: Caller, @Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return this.registry.send(REGISTRY_PATTERNS.listAuditEvents, { caller, query });
  }

  @Get('verify')
  @RequirePermission('audit.verify')
  @ApiOperation({
    summary: 'Check the audit log\'s hash chain',
    description: 'Walks every record: a removed, edited or inserted record breaks the chain and is reported with its sequence number. Also `npm run audit-verify`.',
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  verify(): Promise<AuditVerificationDto> {
    return this.registry.send(REGISTRY_PATTERNS.verifyAudit, {});
  }
}

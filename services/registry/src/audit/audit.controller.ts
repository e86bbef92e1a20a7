import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuditQueryDto, REGISTRY_PATTERNS, type Caller, type RegistryMessages } from '@modelyard/contracts';
import { AuditService } from './audit.service.js';

type Response<P extends keyof RegistryMessages> = Promise<RegistryMessages[P]['response']>;
/** Named apart from the global Request: decorator metadata would take that class for the payload type. */
type MessageOf<P extends keyof RegistryMessages> = RegistryMessages[P]['request'];

@Controller()
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @MessagePattern(REGISTRY_PATTERNS.listAuditEvents)
  list(@Payload('caller') caller: Caller, @Payload('query') query: AuditQueryDto): Response<typeof REGISTRY_PATTERNS.listAuditEvents> {
    return this.audit.list(caller, query);
  }

  @MessagePattern(REGISTRY_PATTERNS.verifyAudit)
  verify(): Response<typeof REGISTRY_PATTERNS.verifyAudit> {
    return this.audit.verify();
  }

  @MessagePattern(REGISTRY_PATTERNS.appendAudit)
  async append(@Payload() request: MessageOf<typeof REGISTRY_PATTERNS.appendAudit>): Response<typeof REGISTRY_PATTERNS.appendAudit> {
    const [event] = await this.audit.appendAlone(request.actor, [request.entry]);
    return event!;
  }
}

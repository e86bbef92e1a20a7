import { Module } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { ChangeRunner } from './change-runner.service.js';

/** Changes with their outbox events and audit records, for every feature that changes state. */
@Module({
  imports: [OutboxModule],
  providers: [ChangeRunner, AuditService],
  exports: [ChangeRunner, AuditService],
})
export class ChangesModule {}

import { Module } from '@nestjs/common';
import { ChangesModule } from '../changes/changes.module.js';
import { AuditController } from './audit.controller.js';

@Module({ imports: [ChangesModule], controllers: [AuditController] })
export class AuditModule {}

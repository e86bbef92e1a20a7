import { Module } from '@nestjs/common';
import { ChangesModule } from '../changes/changes.module.js';
import { IdentityDataModule } from '../identity/identity-data.module.js';
import { AccessController } from './access.controller.js';
import { ModelAccessService } from './model-access.service.js';

@Module({
  imports: [ChangesModule, IdentityDataModule],
  controllers: [AccessController],
  providers: [ModelAccessService],
  exports: [ModelAccessService],
})
export class AccessModule {}

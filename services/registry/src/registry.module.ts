import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlatformModule, type Platform } from '@modelyard/platform';
import { registryDataSourceOptions } from './data-source.js';
import { RegistryHealthController } from './health/registry-health.controller.js';
import { AccessModule } from './access/access.module.js';
import { AuditModule } from './audit/audit.module.js';
import { IdentityModule } from './identity/identity.module.js';
import { ModelsModule } from './models/models.module.js';

@Module({})
export class RegistryModule {
  static forRoot(platform: Platform): DynamicModule {
    const database = platform.database;
    if (!database) throw new Error('the registry owns the model tables and needs a database');
    return {
      module: RegistryModule,
      imports: [
        PlatformModule.forRoot(platform, 'registry'),
        TypeOrmModule.forRoot(registryDataSourceOptions(database)),
        ModelsModule,
        IdentityModule,
        AccessModule,
        AuditModule,
      ],
      controllers: [RegistryHealthController],
    };
  }
}

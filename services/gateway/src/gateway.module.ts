import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ClientProxy } from '@nestjs/microservices';
import { PlatformModule, type Platform } from '@modelyard/platform';
import { ApiTokens } from './auth/admin-token.js';
import { BearerAuthGuard } from './auth/bearer-auth.guard.js';
import { HealthController } from './health/health.controller.js';
import { ModelsController } from './models/models.controller.js';
import { REGISTRY_TRANSPORT, RegistryClient } from './registry/registry.client.js';

@Module({})
export class GatewayModule {
  static forRoot(platform: Platform, registryTransport: ClientProxy, tokens: ApiTokens): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot(platform, 'gateway')],
      controllers: [ModelsController, HealthController],
      providers: [
        { provide: REGISTRY_TRANSPORT, useValue: registryTransport },
        { provide: ApiTokens, useValue: tokens },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        RegistryClient,
      ],
    };
  }
}

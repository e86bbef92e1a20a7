import { type DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ClientProxy } from '@nestjs/microservices';
import { METRICS_TRANSPORT, MetricsClient, PlatformModule, REGISTRY_TRANSPORT, RegistryClient, type Platform } from '@modelyard/platform';
import { ApiTokens } from './auth/admin-token.js';
import { BearerAuthGuard } from './auth/bearer-auth.guard.js';
import { HealthController } from './health/health.controller.js';
import { SecretsAdminController } from './admin/secrets-admin.controller.js';
import { HubPreviewController } from './huggingface/hub-preview.controller.js';
import { ModelCredentialsService } from './credentials/model-credentials.service.js';
import { ModelsController } from './models/models.controller.js';
import { ModelTestsController } from './invocations/model-tests.controller.js';
import { ModelTestsService } from './invocations/model-tests.service.js';
import { InvocationTargetsService } from './invocations/invocation-targets.service.js';
import { ModelStatsController } from './stats/model-stats.controller.js';
import { UsageSummariesService } from './stats/usage-summaries.service.js';
import { ModelFilesController } from './uploads/model-files.controller.js';
import { ModelFilesService } from './uploads/model-files.service.js';

/** How the gateway reaches the services behind it. */
export interface GatewayTransports {
  registry: ClientProxy;
  metrics: ClientProxy;
}

@Module({})
export class GatewayModule {
  static forRoot(platform: Platform, transports: GatewayTransports, tokens: ApiTokens): DynamicModule {
    return {
      module: GatewayModule,
      imports: [PlatformModule.forRoot(platform, 'gateway')],
      controllers: [ModelsController, ModelFilesController, ModelTestsController, ModelStatsController, SecretsAdminController, HubPreviewController, HealthController],
      providers: [
        { provide: REGISTRY_TRANSPORT, useValue: transports.registry },
        { provide: METRICS_TRANSPORT, useValue: transports.metrics },
        { provide: ApiTokens, useValue: tokens },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        RegistryClient,
        MetricsClient,
        ModelFilesService,
        ModelTestsService,
        InvocationTargetsService,
        ModelCredentialsService,
        UsageSummariesService,
      ],
    };
  }
}

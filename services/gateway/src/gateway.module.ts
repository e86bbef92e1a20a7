import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { ClientProxy } from '@nestjs/microservices';
import { METRICS_TRANSPORT, MetricsClient, PlatformModule, REGISTRY_TRANSPORT, RegistryClient, type Platform } from '@modelyard/platform';
import { ModelLevelsService } from './access/model-levels.service.js';
import { ModelPermissionsController } from './access/model-permissions.controller.js';
import { SecretsAdminController } from './admin/secrets-admin.controller.js';
import { AuditController } from './audit/audit.controller.js';
import { ApiTokens } from './auth/admin-token.js';
import { AuthController } from './auth/auth.controller.js';
import { PermissionsGuard } from './auth/permissions.guard.js';
import { PrincipalResolver } from './auth/principal-resolver.service.js';
import { SessionsService } from './auth/sessions.service.js';
import { ModelCredentialsService } from './credentials/model-credentials.service.js';
import { HealthController } from './health/health.controller.js';
import { HubPreviewController } from './huggingface/hub-preview.controller.js';
import { TeamsController } from './identity/teams.controller.js';
import { TokensController } from './identity/tokens.controller.js';
import { UsersController } from './identity/users.controller.js';
import { InvocationTargetsService } from './invocations/invocation-targets.service.js';
import { ModelTestsController } from './invocations/model-tests.controller.js';
import { ModelTestsService } from './invocations/model-tests.service.js';
import { LimitsService } from './limits/limits.service.js';
import { ModelsController } from './models/models.controller.js';
import { ModelStatsController } from './stats/model-stats.controller.js';
import { UsageSummariesService } from './stats/usage-summaries.service.js';
import { ModelFilesController } from './uploads/model-files.controller.js';
import { ModelFilesService } from './uploads/model-files.service.js';

/** How the gateway reaches the services behind it. */
export interface GatewayTransports {
  registry: ClientProxy;
  metrics: ClientProxy;
}

/**
 * Who calls and what it may do: token resolution, sessions, rate limits, model levels, and the one
 * guard every route passes. Global: every feature's controllers use it.
 */
@Global()
@Module({
  providers: [PrincipalResolver, SessionsService, LimitsService, ModelLevelsService, { provide: APP_GUARD, useClass: PermissionsGuard }],
  exports: [PrincipalResolver, SessionsService, LimitsService, ModelLevelsService],
})
class GatewayAuthModule {}

/** Sign-in, users, teams, API tokens, model permissions and the audit log. */
@Module({ controllers: [AuthController, UsersController, TeamsController, TokensController, ModelPermissionsController, AuditController] })
class GatewayIdentityModule {}

/** The user guide's model API: records, files, test calls, statistics. */
@Module({
  controllers: [ModelsController, ModelFilesController, ModelTestsController, ModelStatsController],
  providers: [ModelFilesService, ModelTestsService, InvocationTargetsService, ModelCredentialsService, UsageSummariesService],
})
class GatewayModelsModule {}

@Module({ controllers: [SecretsAdminController, HubPreviewController, HealthController] })
class GatewayOperationsModule {}

@Module({})
export class GatewayModule {
  static forRoot(platform: Platform, transports: GatewayTransports, tokens: ApiTokens): DynamicModule {
    return {
      module: GatewayModule,
      global: true,
      imports: [PlatformModule.forRoot(platform, 'gateway'), GatewayAuthModule, GatewayIdentityModule, GatewayModelsModule, GatewayOperationsModule],
      providers: [
        { provide: REGISTRY_TRANSPORT, useValue: transports.registry },
        { provide: METRICS_TRANSPORT, useValue: transports.metrics },
        { provide: ApiTokens, useValue: tokens },
        RegistryClient,
        MetricsClient,
      ],
      exports: [RegistryClient, MetricsClient, ApiTokens],
    };
  }
}

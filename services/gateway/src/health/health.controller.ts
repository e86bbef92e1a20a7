import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { REGISTRY_PATTERNS } from '@modelyard/contracts';
import { checkReadiness, PLATFORM, RegistryClient, type Platform, type ReadinessReport } from '@modelyard/platform';
import { Public } from '../auth/public.decorator.js';


@ApiTags('Health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly registry: RegistryClient,
    @Inject(PLATFORM) private readonly platform: Platform,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the gateway process answers.' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics of this process (requests, RPCs, events, CPU, memory).' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'Prometheus text exposition format.' })
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.platform.metrics.scrape();
    await reply.header('content-type', contentType).send(body);
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the registry, its database and every port answer.' })
  @ApiOkResponse({ description: 'Everything answers.' })
  @ApiServiceUnavailableResponse({ description: 'Something does not answer; `checks` says what.' })
  async readyz(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await checkReadiness({
      ...this.platform.readinessChecks,
      registry: async () => {
        const answer = await this.registry.send(REGISTRY_PATTERNS.health, {});
        if (answer.status !== 'ok') throw new Error(`registry not ready: ${JSON.stringify(answer.checks)}`);
      },
    });
    void reply.status(report.status === 'ok' ? 200 : 503);
    return report;
  }
}

import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { METRICS_PATTERNS } from '@modelyard/contracts';
import { checkReadiness, PLATFORM, type Platform, type ReadinessReport } from '@modelyard/platform';

@Controller()
export class MetricsHealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PLATFORM) private readonly platform: Platform,
  ) {}

  /** The metrics service is ready when its own connection pool answers and its ports are reachable. */
  @MessagePattern(METRICS_PATTERNS.health)
  health(): Promise<ReadinessReport> {
    return checkReadiness(this.checks());
  }

  checks(): Record<string, () => Promise<unknown>> {
    const { database: _ownedBelow, ...ports } = this.platform.readinessChecks;
    return { ...ports, database: () => this.dataSource.query('SELECT 1') };
  }
}

import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { REGISTRY_PATTERNS } from '@modelyard/contracts';
import { checkReadiness, PLATFORM, type Platform, type ReadinessReport } from '@modelyard/platform';

@Controller()
export class RegistryHealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(PLATFORM) private readonly platform: Platform,
  ) {}

  /** The registry is ready when its own connection pool answers and its ports are reachable. */
  @MessagePattern(REGISTRY_PATTERNS.health)
  health(): Promise<ReadinessReport> {
    return checkReadiness(this.checks());
  }

  checks(): Record<string, () => Promise<unknown>> {
    const { database: _ownedBelow, ...ports } = this.platform.readinessChecks;
    return { ...ports, database: () => this.dataSource.query('SELECT 1') };
  }
}

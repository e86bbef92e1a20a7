import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';

export class ModelStatsQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start of the range (inclusive). Default: one hour before `to`.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time', description: 'End of the range (exclusive). Default: now.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  to?: Date;
}

export class LatencyPercentilesDto {
  @ApiProperty() p50!: number;
  @ApiProperty() p95!: number;
  @ApiProperty() p99!: number;
}

export class ErrorCountDto {
  @ApiProperty({ example: 'invalid_input' }) class!: string;
  @ApiProperty() count!: number;
}

/** One step of the time series the console charts. */
export class StatsPointDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty() calls!: number;
  @ApiProperty({ type: Number, nullable: true }) success_rate!: number | null;
  @ApiProperty({ type: LatencyPercentilesDto, nullable: true }) latency_ms!: LatencyPercentilesDto | null;
}

export class ModelStatsDto {
  @ApiProperty({ format: 'uuid' }) model_id!: string;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time' }) to!: string;
  @ApiProperty() calls!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Successes / calls; null without calls.' }) success_rate!: number | null;
  @ApiProperty({ type: LatencyPercentilesDto, nullable: true, description: 'From a histogram merged over the range (relative error under 2%); null without calls.' })
  latency_ms!: LatencyPercentilesDto | null;
  @ApiProperty({ description: 'Calls per second over the range.' }) throughput_rps!: number;
  @ApiProperty({ type: [ErrorCountDto] }) errors!: ErrorCountDto[];
  @ApiProperty({ description: 'Length of one step of `series`, in seconds.' }) step_seconds!: number;
  @ApiProperty({ type: [StatsPointDto] }) series!: StatsPointDto[];
}

/** The last hour of one model, as the list shows it. */
export interface ModelUsageSummary {
  model_id: string;
  calls: number;
  success_rate: number | null;
  latency_p50_ms: number | null;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsOptional } from 'class-validator';
import { UserRefDto } from '../identity/user.dto.js';

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
  @ApiProperty({ description: 'Prompt tokens the provider counted in this step; 0 for calls that count none (ONNX).' }) input_tokens!: number;
  @ApiProperty({ description: 'Completion tokens the provider counted in this step.' }) output_tokens!: number;
}

/** Tokens that external providers counted, summed over calls; calls that count none add 0. */
export class TokenCountsDto {
  @ApiProperty({ description: 'Prompt (input) tokens.' }) input!: number;
  @ApiProperty({ description: 'Completion (output) tokens.' }) output!: number;
}

/**
 * One user's calls over the range. Calls recorded with a user id are counted per user id; calls
 * from before users existed (events without one) are counted per recorded name, with `user_id` null.
 */
export class UserUsageDto {
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for calls recorded before users existed, counted by name.' })
  user_id!: string | null;
  @ApiProperty({ description: 'The username (the latest the calls were recorded under), or the recorded name of older calls.', example: 'alice' })
  username!: string;
  @ApiProperty({ deprecated: true, description: 'The same as `username`; kept for clients written before user ids.', example: 'alice' }) actor!: string;
  @ApiProperty() calls!: number;
  @ApiProperty() failures!: number;
  @ApiProperty({ description: 'Successes / calls; a listed user has made at least one call.' }) success_rate!: number;
  @ApiProperty() input_tokens!: number;
  @ApiProperty() output_tokens!: number;
}

/** One API token's calls over the range; calls made with a session (the console) belong to no token. */
export class ApiTokenUsageDto {
  @ApiProperty({ format: 'uuid' }) token_id!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The token\'s name; null where the token no longer exists (its user was deleted).', example: 'ci-pipeline' })
  name!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The first characters of the token, to recognise it.', example: 'myt_3fQ9' })
  prefix!: string | null;
  @ApiProperty({ type: UserRefDto, nullable: true, description: 'Whose token it is; null where the token no longer exists.' }) user!: UserRefDto | null;
  @ApiProperty() calls!: number;
  @ApiProperty() failures!: number;
  @ApiProperty({ description: 'Successes / calls; a listed token has made at least one call.' }) success_rate!: number;
  @ApiProperty() input_tokens!: number;
  @ApiProperty() output_tokens!: number;
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
  @ApiProperty({ type: TokenCountsDto, description: 'Tokens over the range (language models behind external providers).' }) tokens!: TokenCountsDto;
  @ApiProperty({ type: [UserUsageDto], description: 'Calls per user over the range, most calls first; at most 50 users.' }) by_user!: UserUsageDto[];
  @ApiProperty({ type: [ApiTokenUsageDto], description: 'Calls per API token over the range, most calls first; at most 50 tokens.' }) by_token!: ApiTokenUsageDto[];
}

/** Usage per user (or per API token) across all models over [from, to), most calls first. */
export interface UsageByUserDto {
  from: string;
  to: string;
  items: UserUsageDto[];
}
export interface UsageByApiTokenDto {
  from: string;
  to: string;
  items: ApiTokenUsageDto[];
}

/** The last hour of one model, as the list shows it. */
export interface ModelUsageSummary {
  model_id: string;
  calls: number;
  success_rate: number | null;
  latency_p50_ms: number | null;
  input_tokens: number;
  output_tokens: number;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const LIMIT = { minimum: 1, maximum: 100_000_000, nullable: true, type: Number } as const;
const limitMessage = { message: '$property must be a whole number from 1 to 100000000, or null for no limit' };

/**
 * Rate limits and quotas, on a user or an API token (both apply to a token's calls). Counted over a
 * sliding window: no 60-second span ever admits more than a per-minute limit. null: no limit.
 */
export class LimitsDto {
  @ApiPropertyOptional({ ...LIMIT, description: 'Requests per minute (every API request).' })
  @IsOptional()
  @IsInt(limitMessage)
  @Min(1, limitMessage)
  @Max(100_000_000, limitMessage)
  rpm_limit?: number | null;

  @ApiPropertyOptional({ ...LIMIT, description: 'Language-model tokens per minute (input + output, as the provider counts them).' })
  @IsOptional()
  @IsInt(limitMessage)
  @Min(1, limitMessage)
  @Max(100_000_000, limitMessage)
  tpm_limit?: number | null;

  @ApiPropertyOptional({ ...LIMIT, description: 'Model calls (tests and invocations) per calendar day (UTC).' })
  @IsOptional()
  @IsInt(limitMessage)
  @Min(1, limitMessage)
  @Max(100_000_000, limitMessage)
  daily_call_limit?: number | null;
}

export interface Limits {
  rpm_limit: number | null;
  tpm_limit: number | null;
  daily_call_limit: number | null;
}

export const NO_LIMITS: Limits = { rpm_limit: null, tpm_limit: null, daily_call_limit: null };

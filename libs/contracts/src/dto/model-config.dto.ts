import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { ModelSignature } from './model-artifacts.dto.js';
import { IsEnvironmentMap, IsJsonObject } from './validators.util.js';

/** Per-model configuration, as the user guide's "模型配置" describes it. */
export class ModelConfigDto {
  @ApiPropertyOptional({ description: 'Format of the input the model expects (free text, e.g. "text", "image/png", "tensor").', example: 'text', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  input_format?: string | null;

  @ApiPropertyOptional({ description: 'Format of the output the model produces.', example: 'text', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  output_format?: string | null;

  @ApiPropertyOptional({
    description: 'Default inference parameters, merged with those of each request.',
    type: 'object',
    additionalProperties: true,
    example: { temperature: 0.7, max_tokens: 256 },
  })
  @IsOptional()
  @IsJsonObject()
  parameters?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    description: 'Environment variables for the model\'s runtime (names like [A-Za-z_][A-Za-z0-9_]*, string values).',
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { OMP_NUM_THREADS: '4' },
  })
  @IsOptional()
  @IsEnvironmentMap()
  env?: Record<string, string> | null;
}

/** The stored form: every member present. */
export interface ModelConfig {
  input_format: string | null;
  output_format: string | null;
  parameters: Record<string, unknown>;
  env: Record<string, string>;
  /** Inputs and outputs read from the model's ONNX file by the platform; not editable. */
  signature: ModelSignature | null;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type { ModelSignature } from './model-artifacts.dto.js';
import { HasNoControlCharacters, HEADER_NAME, IsEnvironmentMap, IsHeaderMap, IsJsonObject, IsOmittable, RESERVED_HEADERS } from './validators.util.js';

export const HTTP_ENDPOINT_METHODS = ['POST', 'PUT', 'PATCH'] as const;

/** How a custom HTTP endpoint model (`source: "endpoint"`) is called; every member present once stored. */
export interface HttpEndpointConfig {
  method: (typeof HTTP_ENDPOINT_METHODS)[number];
  headers: Record<string, string>;
  /** The header that carries the model's stored secret (its `api_key`), or null to send none. */
  secret_header: string | null;
  /** Written before the secret in that header (e.g. "Bearer "). */
  secret_prefix: string;
  timeout_ms: number;
  /** The JSON body to send, with `{{input}}` / `{{input.path}}` placeholders; null sends `input_data` as it is. */
  request_template: unknown;
  /** Dot path of the output in the answer (e.g. `data.output`, `choices.0.text`); null takes the whole answer. */
  response_path: string | null;
}

export const DEFAULT_HTTP_ENDPOINT_CONFIG: HttpEndpointConfig = {
  method: 'POST',
  headers: {},
  secret_header: 'Authorization',
  secret_prefix: 'Bearer ',
  timeout_ms: 30_000,
  request_template: null,
  response_path: null,
};

export const RESPONSE_PATH = /^[A-Za-z0-9_$-]{1,100}(\.[A-Za-z0-9_$-]{1,100}){0,31}$/;

export class HttpEndpointConfigDto {
  @ApiPropertyOptional({ enum: HTTP_ENDPOINT_METHODS, default: 'POST' })
  @IsOmittable()
  @IsIn(HTTP_ENDPOINT_METHODS, { message: `method must be one of: ${HTTP_ENDPOINT_METHODS.join(', ')}` })
  method?: HttpEndpointConfig['method'];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: `Extra headers, stored in clear: no credentials (${RESERVED_HEADERS.join(', ')} are refused).`,
    example: { 'X-Model-Route': 'small' },
  })
  @IsOmittable()
  @IsHeaderMap()
  headers?: Record<string, string>;

  @ApiPropertyOptional({ type: String, nullable: true, default: 'Authorization', description: 'Header that carries the model\'s secret (`api_key`, stored encrypted); null sends none.', example: 'X-Api-Key' })
  @IsOptional()
  @Matches(HEADER_NAME, { message: 'secret_header must be an HTTP header name' })
  secret_header?: string | null;

  @ApiPropertyOptional({ default: 'Bearer ', description: 'Written before the secret in its header.', maxLength: 64 })
  @IsOmittable()
  @IsString()
  @MaxLength(64)
  @HasNoControlCharacters()
  secret_prefix?: string;

  @ApiPropertyOptional({ default: 30000, minimum: 1, maximum: 300000, description: 'Longest the call may take (MODELYARD_PROVIDER_TIMEOUT_MS caps it).' })
  @IsOmittable()
  @IsInt({ message: 'timeout_ms must be a whole number of milliseconds' })
  @Min(1)
  @Max(300_000)
  timeout_ms?: number;

  @ApiPropertyOptional({
    description: 'JSON body with placeholders: the string "{{input}}" becomes the whole input_data, "{{input.text}}" one of its members (typed), and placeholders inside longer strings are written as text. Null sends input_data as it is.',
    example: { inputs: '{{input.text}}', parameters: { max_new_tokens: 64 } },
    nullable: true,
  })
  @IsOptional()
  request_template?: unknown;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Dot path of the output in the answer; array positions as numbers.', example: 'data.output' })
  @IsOptional()
  @Matches(RESPONSE_PATH, { message: 'response_path must be a dot path such as data.output or choices.0.text' })
  response_path?: string | null;
}

export class StoredHttpEndpointConfigDto implements HttpEndpointConfig {
  @ApiProperty({ enum: HTTP_ENDPOINT_METHODS }) method!: HttpEndpointConfig['method'];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) headers!: Record<string, string>;
  @ApiProperty({ type: String, nullable: true }) secret_header!: string | null;
  @ApiProperty() secret_prefix!: string;
  @ApiProperty() timeout_ms!: number;
  @ApiProperty({ nullable: true }) request_template!: unknown;
  @ApiProperty({ type: String, nullable: true }) response_path!: string | null;
}

/** Per-model configuration, as the user guide's "模型配置" describes it. */
export class ModelConfigDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description: 'Format of the input the model expects (free text, e.g. "text", "image/png", "tensor"); null clears it.',
    example: 'text',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  input_format?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'Format of the output the model produces; null clears it.', example: 'text', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  output_format?: string | null;

  @ApiPropertyOptional({
    description: 'Default inference parameters, merged with those of each request; null empties them.',
    type: 'object',
    nullable: true,
    additionalProperties: true,
    example: { temperature: 0.7, max_tokens: 256 },
  })
  @IsOptional()
  @IsJsonObject()
  parameters?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    description: 'Environment variables for the model\'s runtime (names like [A-Za-z_][A-Za-z0-9_]*, string values); null empties them.',
    type: 'object',
    nullable: true,
    additionalProperties: { type: 'string' },
    example: { OMP_NUM_THREADS: '4' },
  })
  @IsOptional()
  @IsEnvironmentMap()
  env?: Record<string, string> | null;

  @ApiPropertyOptional({ type: HttpEndpointConfigDto, nullable: true, description: 'Custom HTTP endpoint models: how the endpoint is called. Sent members replace the stored ones.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => HttpEndpointConfigDto)
  http?: HttpEndpointConfigDto | null;
}

/** The stored form: every member present. */
export interface ModelConfig {
  input_format: string | null;
  output_format: string | null;
  parameters: Record<string, unknown>;
  env: Record<string, string>;
  /** Inputs and outputs read from the model's ONNX file by the platform; not editable. */
  signature: ModelSignature | null;
  /** Custom HTTP endpoint models only. Absent in records stored before it existed. */
  http?: HttpEndpointConfig | null;
}

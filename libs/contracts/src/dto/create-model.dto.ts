import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  MODEL_FRAMEWORKS,
  MODEL_SOURCES,
  MODEL_TYPES,
  USER_SETTABLE_STATUSES,
  type ModelFramework,
  type ModelSource,
  type ModelType,
  type UserSettableStatus,
} from '../model-enums.constant.js';
import { ModelConfigDto } from './model-config.dto.js';
import { HasNoControlCharacters, IsOmittable } from './validators.util.js';

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

/** Branch, tag or commit names as the Hub accepts them (no `..`, checked by the import). */
export const REVISION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,199}$/;

/** Hugging Face repo ids: `name` or `namespace/name`, as the Hub allows them (".." and ".git" aside). */
export const HF_REPO_ID_PATTERN = /^(?:[A-Za-z0-9][\w.-]{0,95}\/)?[A-Za-z0-9][\w.-]{0,95}$/;
export const isHubRepoId = (id: string): boolean => HF_REPO_ID_PATTERN.test(id) && !id.includes('..') && !id.endsWith('.git');

export const TAG_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._:/+-]{0,63}$/u;

/** Fields shared by create and update; `update-model.dto.ts` makes them all optional. */
export class ModelFieldsDto {
  @ApiProperty({
    description: 'Model name. For Hugging Face imports, the repo id (e.g. "gpt2", "org/model").',
    example: 'GPT-4',
    minLength: 1,
    maxLength: 200,
  })
  @IsString()
  @Length(1, 200)
  @HasNoControlCharacters()
  name!: string;

  @ApiPropertyOptional({ description: 'Version label; (name, version) is unique.', example: '4.0', default: '1.0', maxLength: 64 })
  @IsOmittable()
  @IsString()
  @Length(1, 64)
  @HasNoControlCharacters()
  version?: string;

  @ApiProperty({
    enum: MODEL_TYPES,
    description: 'What the model does. Optional for Hugging Face imports: taken from the repo\'s pipeline tag.',
    example: 'llm',
  })
  // Required, except on a Hugging Face import where the Hub's pipeline tag fills it.
  @ValidateIf((object: { source?: string }, value) => value !== undefined || object.source !== 'huggingface')
  @IsIn(MODEL_TYPES, oneOf(MODEL_TYPES))
  type!: ModelType;

  @ApiPropertyOptional({
    enum: MODEL_FRAMEWORKS,
    description: 'Runtime or provider. Defaults to the provider for openai/anthropic sources, otherwise "custom".',
    example: 'openai',
  })
  @IsOmittable()
  @IsIn(MODEL_FRAMEWORKS, oneOf(MODEL_FRAMEWORKS))
  framework?: ModelFramework;

  @ApiPropertyOptional({ description: 'What the model is for.', maxLength: 10000, nullable: true, example: 'OpenAI GPT-4 model' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  description?: string | null;

  @ApiPropertyOptional({
    description: 'HTTP(S) URL the model is served at (providers and custom endpoints).',
    nullable: true,
    maxLength: 2048,
    example: 'https://api.openai.com/v1/chat/completions',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_valid_protocol: true },
    { message: '$property must be an http:// or https:// URL' },
  )
  endpoint?: string | null;

  @ApiPropertyOptional({
    type: [String],
    description: 'Free labels (at most 50, each 1-64 letters, digits, spaces or . _ : / + -, starting with a letter or digit).',
    example: ['chat', 'production'],
  })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Matches(TAG_PATTERN, {
    each: true,
    message: 'each value in $property must be 1-64 letters, digits, spaces or . _ : / + -, starting with a letter or digit',
  })
  tags?: string[];

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 200,
    description: 'OpenAI and Anthropic models: the provider\'s model id, when it differs from `name` (e.g. name "GPT-4", provider_model "gpt-4o"). Default: the name.',
    example: 'gpt-4o',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  @HasNoControlCharacters()
  provider_model?: string | null;

  @ApiPropertyOptional({ type: ModelConfigDto, description: 'Per-model configuration.' })
  @IsOmittable()
  @ValidateNested()
  @Type(() => ModelConfigDto)
  config?: ModelConfigDto;

  @ApiPropertyOptional({ description: 'Accuracy as a fraction from 0 to 1, as measured by your own evaluation.', minimum: 0, maximum: 1, nullable: true, example: 0.92 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  accuracy?: number | null;

  @ApiPropertyOptional({ description: 'Typical latency in milliseconds, as you measured it.', minimum: 0, nullable: true, example: 120 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(86_400_000)
  latency_ms?: number | null;
}

/** The write-only credential fields of create and edit requests. */
export const API_KEY_DESCRIPTION =
  'Write-only secret, stored encrypted and never returned (records show `has_api_key` and `api_key_last4`): the provider API key ' +
  '(openai, anthropic), the value of the secret header (endpoint, see config.http.secret_header), or a Hugging Face token (huggingface).';

export class CreateModelDto extends ModelFieldsDto {
  @ApiPropertyOptional({ description: API_KEY_DESCRIPTION, writeOnly: true, maxLength: 4096, example: 'sk-…' })
  @IsOmittable()
  @IsString()
  @Length(1, 4096)
  @HasNoControlCharacters()
  api_key?: string;

  @ApiPropertyOptional({
    description: 'OpenAI and Anthropic: check the key and model with the provider before storing (default true). false stores without asking.',
    default: true,
  })
  @IsOmittable()
  @IsBoolean()
  validate?: boolean;

  @ApiPropertyOptional({ enum: MODEL_SOURCES, description: 'Where the model comes from. Fixed once created.', default: 'custom', example: 'openai' })
  @IsOmittable()
  @IsIn(MODEL_SOURCES, oneOf(MODEL_SOURCES))
  source?: ModelSource;

  @ApiPropertyOptional({
    enum: USER_SETTABLE_STATUSES,
    description: 'Initial status (a Hugging Face import is `uploading` until its files are stored, then active).',
    default: 'active',
  })
  @IsOmittable()
  @IsIn(USER_SETTABLE_STATUSES, oneOf(USER_SETTABLE_STATUSES))
  status?: UserSettableStatus;

  @ApiPropertyOptional({ description: 'Hugging Face imports: branch, tag or commit to import.', default: 'main', example: 'main', maxLength: 200 })
  @IsOmittable()
  @IsString()
  @Matches(REVISION_PATTERN, { message: 'revision must be a branch, tag or commit name (letters, digits, . _ - /), 1-200 characters' })
  revision?: string;

  @ApiPropertyOptional({
    type: [String],
    description:
      'Hugging Face imports: glob patterns of the files to fetch (e.g. ["*.onnx", "config.json"]). Default: ONNX weights, configs and tokenizer files.',
    example: ['onnx/*.onnx', '*.json'],
  })
  @IsOmittable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  @HasNoControlCharacters({ each: true })
  include?: string[];
}

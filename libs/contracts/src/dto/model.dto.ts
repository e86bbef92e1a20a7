import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  MODEL_FRAMEWORKS,
  MODEL_SOURCES,
  MODEL_STATUSES,
  MODEL_TYPES,
  type ModelFramework,
  type ModelSource,
  type ModelStatus,
  type ModelType,
} from '../model-enums.constant.js';
import { StoredHttpEndpointConfigDto, type HttpEndpointConfig, type ModelConfig } from './model-config.dto.js';
import { ArtifactDto, HuggingFaceImportDto, ModelSignatureDto, TransferProgressDto } from './model-artifacts.dto.js';

class StoredModelConfigDto implements ModelConfig {
  @ApiProperty({ type: String, nullable: true })
  input_format!: string | null;
  @ApiProperty({ type: String, nullable: true })
  output_format!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  parameters!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  env!: Record<string, string>;
  @ApiProperty({ type: ModelSignatureDto, nullable: true, description: 'Inputs and outputs read from the ONNX file when it was stored (read-only).' })
  signature!: ModelSignatureDto | null;
  @ApiPropertyOptional({ type: StoredHttpEndpointConfigDto, nullable: true, description: 'Custom HTTP endpoint models: how the endpoint is called.' })
  http?: HttpEndpointConfig | null;
}

/** The last hour of a model's calls, from the metrics service. */
export class ModelUsageDto {
  @ApiProperty({ description: 'Calls in the last hour.' })
  calls!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Successes / calls in the last hour; null without calls.' })
  success_rate!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Median latency of the last hour, in milliseconds.' })
  latency_p50_ms!: number | null;
  @ApiProperty({ description: 'Tokens the provider counted for the last hour\'s calls (0 for local models).' })
  input_tokens!: number;
  @ApiProperty()
  output_tokens!: number;
}

/** A model record as the API returns it. */
export class ModelDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'GPT-4' })
  name!: string;
  @ApiProperty({ example: '4.0' })
  version!: string;
  @ApiProperty({ enum: MODEL_TYPES })
  type!: ModelType;
  @ApiProperty({ enum: MODEL_FRAMEWORKS })
  framework!: ModelFramework;
  @ApiProperty({ enum: MODEL_SOURCES })
  source!: ModelSource;
  @ApiProperty({ enum: MODEL_STATUSES, description: 'active and inactive are switched by the user; uploading and error are set by the system.' })
  status!: ModelStatus;
  @ApiProperty({ type: String, nullable: true, description: 'Why the model is in its status (e.g. the error), when there is something to say.' })
  status_message!: string | null;
  @ApiProperty({ type: String, nullable: true })
  description!: string | null;
  @ApiProperty({ type: String, nullable: true })
  endpoint!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'OpenAI and Anthropic models: the provider\'s model id (null: the name).', example: 'gpt-4o' })
  provider_model!: string | null;
  @ApiProperty({ description: 'Whether a secret (API key, endpoint secret header, Hugging Face token) is stored for this model. The secret itself is never returned.' })
  has_api_key!: boolean;
  @ApiProperty({ type: String, nullable: true, description: 'The last four characters of the stored secret (null for none, or for secrets under 12 characters).', example: 'x7Qa' })
  api_key_last4!: string | null;
  @ApiProperty({ type: [String] })
  tags!: string[];
  @ApiProperty({ type: StoredModelConfigDto })
  config!: ModelConfig;
  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 1 })
  accuracy!: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The last hour\'s measured median latency when the model had calls; otherwise the value you recorded. Sorting uses the recorded value.',
  })
  latency_ms!: number | null;
  @ApiPropertyOptional({ type: ModelUsageDto, nullable: true, description: 'The last hour of calls; null when the metrics service could not be asked.' })
  usage?: ModelUsageDto | null;
  @ApiProperty({ type: String, nullable: true, description: 'Licence identifier (from the Hugging Face card for imports).', example: 'mit' })
  license!: string | null;
  @ApiProperty({ type: [ArtifactDto], description: 'Stored files, with sizes and checksums.' })
  artifacts!: ArtifactDto[];
  @ApiProperty({ type: TransferProgressDto, nullable: true, description: 'Progress of the import or upload while the status is `uploading`.' })
  progress!: TransferProgressDto | null;
  @ApiProperty({ type: HuggingFaceImportDto, nullable: true, description: 'For Hugging Face models: what was imported.' })
  import!: HuggingFaceImportDto | null;
  @ApiProperty({ description: 'Name of the token that created the model.', example: 'admin' })
  owner!: string;
  @ApiProperty({ format: 'date-time' })
  created_at!: string;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

export class ModelListDto {
  @ApiProperty({ type: [ModelDto] })
  items!: ModelDto[];
  @ApiProperty({ description: 'Number of models matching the filters, over all pages.' })
  total!: number;
  @ApiProperty()
  page!: number;
  @ApiProperty()
  page_size!: number;
}

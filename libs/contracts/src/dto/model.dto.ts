import { ApiProperty } from '@nestjs/swagger';
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
import type { ModelConfig } from './model-config.dto.js';

class StoredModelConfigDto implements ModelConfig {
  @ApiProperty({ type: String, nullable: true })
  input_format!: string | null;
  @ApiProperty({ type: String, nullable: true })
  output_format!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true })
  parameters!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  env!: Record<string, string>;
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
  @ApiProperty({ type: [String] })
  tags!: string[];
  @ApiProperty({ type: StoredModelConfigDto })
  config!: ModelConfig;
  @ApiProperty({ type: Number, nullable: true, minimum: 0, maximum: 1 })
  accuracy!: number | null;
  @ApiProperty({ type: Number, nullable: true })
  latency_ms!: number | null;
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

import { ApiHideProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Equals, IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import { API_KEY_DESCRIPTION, ModelFieldsDto } from './create-model.dto.js';
import { HasNoControlCharacters, IsOmittable } from './validators.util.js';

/**
 * A partial edit: send only what changes. Fields may not be null unless nullable; `config`
 * members you send replace the stored ones and the others stay.
 */
// skipNullProperties: false — a null `name` must fail validation, not reach a NOT NULL column.
export class UpdateModelDto extends PartialType(ModelFieldsDto, { skipNullProperties: false }) {
  // Declared only to explain the refusal better than "unknown field".
  @ApiHideProperty()
  @Equals(undefined, { message: 'status cannot be edited; use POST /api/v1/ai-models/{id}/toggle-status' })
  status?: never;

  @ApiHideProperty()
  @Equals(undefined, { message: 'source is fixed when a model is created; register a new model instead' })
  source?: never;

  @ApiPropertyOptional({ type: String, nullable: true, description: `${API_KEY_DESCRIPTION} A new value replaces the stored one; null removes it.`, writeOnly: true, maxLength: 4096 })
  @IsOptional()
  @IsString()
  @Length(1, 4096)
  @HasNoControlCharacters()
  api_key?: string | null;

  @ApiPropertyOptional({ description: 'OpenAI and Anthropic: check a new key (or model) with the provider before storing it (default true).', default: true })
  @IsOmittable()
  @IsBoolean()
  validate?: boolean;
}

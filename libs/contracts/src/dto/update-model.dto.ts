import { ApiHideProperty, PartialType } from '@nestjs/swagger';
import { Equals } from 'class-validator';
import { ModelFieldsDto } from './create-model.dto.js';

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
}

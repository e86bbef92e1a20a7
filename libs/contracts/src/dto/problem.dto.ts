import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorDto {
  @ApiProperty({ description: 'Dotted path of the field in the body or query.', example: 'type' })
  field!: string;
  @ApiProperty({ example: 'must be one of: llm, vision, audio, multimodal, embedding, custom' })
  detail!: string;
}

/** RFC 9457 problem details, the body of every error answer (`application/problem+json`). */
export class ProblemDto {
  @ApiProperty({ example: 'urn:modelyard:problem:validation-failed' })
  type!: string;
  @ApiProperty({ example: 'Unprocessable Content' })
  title!: string;
  @ApiProperty({ example: 422 })
  status!: number;
  @ApiProperty({ example: 'The request is invalid: type must be one of: llm, vision, audio, multimodal, embedding, custom.' })
  detail!: string;
  @ApiProperty({ description: 'Stable machine-readable code.', example: 'validation_failed' })
  code!: string;
  @ApiPropertyOptional({ example: '/api/v1/ai-models' })
  instance?: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'One entry per invalid field (validation errors only).' })
  errors?: FieldErrorDto[];
  @ApiPropertyOptional({ description: 'On 5xx answers: the id the failure was logged under.' })
  error_id?: string;
}

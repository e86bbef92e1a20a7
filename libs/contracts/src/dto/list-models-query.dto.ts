import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import {
  MODEL_FRAMEWORKS,
  MODEL_SORTS,
  MODEL_SOURCES,
  MODEL_STATUSES,
  MODEL_TYPES,
  type ModelFramework,
  type ModelSort,
  type ModelSource,
  type ModelStatus,
  type ModelType,
} from '../model-enums.constant.js';

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

export const MAX_PAGE_SIZE = 200;

export class ListModelsQueryDto {
  @ApiPropertyOptional({ enum: MODEL_TYPES })
  @IsOptional()
  @IsIn(MODEL_TYPES, oneOf(MODEL_TYPES))
  type?: ModelType;

  @ApiPropertyOptional({ enum: MODEL_STATUSES })
  @IsOptional()
  @IsIn(MODEL_STATUSES, oneOf(MODEL_STATUSES))
  status?: ModelStatus;

  @ApiPropertyOptional({ enum: MODEL_SOURCES })
  @IsOptional()
  @IsIn(MODEL_SOURCES, oneOf(MODEL_SOURCES))
  source?: ModelSource;

  @ApiPropertyOptional({ enum: MODEL_FRAMEWORKS })
  @IsOptional()
  @IsIn(MODEL_FRAMEWORKS, oneOf(MODEL_FRAMEWORKS))
  framework?: ModelFramework;

  @ApiPropertyOptional({
    type: [String],
    description: 'Repeatable (`tag=a&tag=b`): models carrying every given tag.',
    isArray: true,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value : [value]))
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  tag?: string[];

  @ApiPropertyOptional({ description: 'Case-insensitive text to find in the name or the description.', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;

  @ApiPropertyOptional({
    enum: MODEL_SORTS,
    default: '-created_at',
    description: 'Sort field; a leading "-" sorts descending. Ties are broken by id.',
  })
  @IsOptional()
  @IsIn(MODEL_SORTS, oneOf(MODEL_SORTS))
  sort: ModelSort = '-created_at';

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number of at least 1' })
  @Min(1, { message: '$property must be a whole number of at least 1' })
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: `$property must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  @Min(1, { message: `$property must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  @Max(MAX_PAGE_SIZE, { message: `$property must be a whole number from 1 to ${MAX_PAGE_SIZE}` })
  page_size: number = 20;
}

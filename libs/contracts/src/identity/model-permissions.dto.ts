import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsString, Matches, ValidateNested } from 'class-validator';
import { IsOmittable } from '../dto/validators.util.js';
import { MODEL_ACCESS_LEVELS, MODEL_VISIBILITIES, type ModelAccessLevel, type ModelVisibility } from './access.constant.js';
import { USERNAME_PATTERN, UserRefDto } from './user.dto.js';

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

export class ModelGrantDto {
  @ApiPropertyOptional({ description: 'A username; give either user or team.', example: 'mei' })
  @IsOmittable()
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'user must be a username' })
  user?: string;

  @ApiPropertyOptional({ description: 'A team name; give either user or team.', example: 'nlp' })
  @IsOmittable()
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'team must be a team name' })
  team?: string;

  @ApiProperty({ enum: MODEL_ACCESS_LEVELS, description: 'read < use (test, invoke) < edit < manage (delete, permissions).' })
  @IsIn(MODEL_ACCESS_LEVELS, oneOf(MODEL_ACCESS_LEVELS))
  level!: ModelAccessLevel;
}

export class ModelPermissionsDto {
  @ApiProperty({ enum: MODEL_VISIBILITIES, description: 'private: owner and grants only; internal: every signed-in user may read and use it.' })
  visibility!: ModelVisibility;
  @ApiProperty({ type: UserRefDto, nullable: true, description: 'The owner (its creator) has manage.' })
  owner!: UserRefDto | null;
  @ApiProperty({ type: [ModelGrantDto] })
  grants!: ModelGrantDto[];
}

/** Replaces what is sent: `grants` replaces every grant; `visibility` the visibility. */
export class UpdateModelPermissionsDto {
  @ApiPropertyOptional({ enum: MODEL_VISIBILITIES })
  @IsOmittable()
  @IsIn(MODEL_VISIBILITIES, oneOf(MODEL_VISIBILITIES))
  visibility?: ModelVisibility;

  @ApiPropertyOptional({ type: [ModelGrantDto] })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ModelGrantDto)
  grants?: ModelGrantDto[];
}

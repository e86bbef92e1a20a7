import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { HasNoControlCharacters, IsOmittable } from '../dto/validators.util.js';
import { TEAM_NAME_PATTERN, UserRefDto } from './user.dto.js';

export class TeamDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'nlp' }) name!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: [UserRefDto] }) members!: UserRefDto[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class TeamListDto {
  @ApiProperty({ type: [TeamDto] }) items!: TeamDto[];
  @ApiProperty() total!: number;
}

export class CreateTeamDto {
  @ApiProperty({ example: 'nlp', description: 'Letters, digits and . _ - (1–64); unique regardless of case.' })
  @IsString()
  @Matches(TEAM_NAME_PATTERN, { message: 'name must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  name!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @HasNoControlCharacters()
  description?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'Usernames of the members (replaces the memberships).' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  members?: string[];
}

export class UpdateTeamDto extends PartialType(CreateTeamDto, { skipNullProperties: false }) {}

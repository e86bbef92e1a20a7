import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsDate, IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { HasNoControlCharacters, IsOmittable } from '../dto/validators.util.js';
import { TOKEN_SCOPES, type TokenScope } from './access.constant.js';
import { LimitsDto } from './limits.dto.js';
import { USERNAME_PATTERN, UserRefDto } from './user.dto.js';

export class TokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ci-pipeline' }) name!: string;
  @ApiProperty({ description: 'The first characters of the token, to recognise it.', example: 'myt_3fQ9' }) prefix!: string;
  @ApiProperty({ example: 'x7Qa' }) last4!: string;
  @ApiProperty({ type: UserRefDto, description: 'The user whose rights the token carries (never more).' }) user!: UserRefDto;
  @ApiProperty({ enum: TOKEN_SCOPES, isArray: true }) scopes!: TokenScope[];
  @ApiProperty({ type: [String], nullable: true, description: 'The only models the token may see; null: every model its user may.' }) model_ids!: string[] | null;
  @ApiProperty({ type: Number, nullable: true }) rpm_limit!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tpm_limit!: number | null;
  @ApiProperty({ type: Number, nullable: true }) daily_call_limit!: number | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'Recorded at most once a minute.' }) last_used_at!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) expires_at!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) revoked_at!: string | null;
}

/** What names a token where only its id is known (usage statistics). */
export interface TokenRefDto {
  id: string;
  name: string;
  prefix: string;
  user: UserRefDto;
}

export class CreatedTokenDto extends TokenDto {
  @ApiProperty({ description: 'The token itself, shown this once: only its hash is stored.' }) token!: string;
}

export class TokenListDto {
  @ApiProperty({ type: [TokenDto] }) items!: TokenDto[];
  @ApiProperty() total!: number;
}

export class CreateTokenDto extends LimitsDto {
  @ApiProperty({ example: 'ci-pipeline', maxLength: 100 })
  @IsString()
  @Length(1, 100)
  @HasNoControlCharacters()
  name!: string;

  @ApiPropertyOptional({ type: String, format: 'date-time', nullable: true, description: 'After this the token is refused. Default: never.' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: Date | null;

  @ApiPropertyOptional({ enum: TOKEN_SCOPES, isArray: true, description: 'Default: every scope the user\'s role allows. More than the role allows is refused (403).' })
  @IsOmittable()
  @IsArray()
  @ArrayUnique()
  @IsIn(TOKEN_SCOPES, { each: true, message: `each value in scopes must be one of: ${TOKEN_SCOPES.join(', ')}` })
  scopes?: TokenScope[];

  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Limit the token to these models (ids); each must be one its user may read.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsUUID('all', { each: true, message: 'each value in model_ids must be a model id (UUID)' })
  model_ids?: string[] | null;

  @ApiPropertyOptional({ description: 'Admins: the username the token is for (default: yourself).' })
  @IsOmittable()
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'user must be a username' })
  user?: string;
}

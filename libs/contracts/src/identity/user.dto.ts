import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { HasNoControlCharacters, IsOmittable } from '../dto/validators.util.js';
import { ROLES, type Role } from './access.constant.js';
import { LimitsDto } from './limits.dto.js';

/** Letters, digits and . _ - ; starts with a letter or digit; compared without regard to case. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Passwords are checked for length only (NIST SP 800-63B): long phrases beat composition rules. */
export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;
/** Team names follow the same rule as usernames. */
export const TEAM_NAME_PATTERN = USERNAME_PATTERN;

const oneOf = (values: readonly string[]) => ({ message: `$property must be one of: ${values.join(', ')}` });

export class UserRefDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() username!: string;
}

export class TeamRefDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
}

/** A user as the API returns it: never the password or its hash. */
export class UserDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'mei' }) username!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Mei Chen' }) display_name!: string | null;
  @ApiProperty({ enum: ROLES }) role!: Role;
  @ApiProperty({ description: 'A disabled user cannot sign in, and its sessions and tokens are refused.' }) disabled!: boolean;
  @ApiProperty({ description: 'The built-in admin, which the bootstrap admin token stands for; it cannot be deleted.' }) builtin!: boolean;
  @ApiProperty({ description: 'Whether the user can sign in with a password (one is set).' }) has_password!: boolean;
  @ApiProperty({ type: [TeamRefDto] }) teams!: TeamRefDto[];
  @ApiProperty({ type: Number, nullable: true }) rpm_limit!: number | null;
  @ApiProperty({ type: Number, nullable: true }) tpm_limit!: number | null;
  @ApiProperty({ type: Number, nullable: true }) daily_call_limit!: number | null;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class UserListDto {
  @ApiProperty({ type: [UserDto] }) items!: UserDto[];
  @ApiProperty() total!: number;
}

export class CreateUserDto extends LimitsDto {
  @ApiProperty({ example: 'mei', description: 'Letters, digits and . _ - (1–64); unique regardless of case.' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  username!: string;

  @ApiProperty({ writeOnly: true, minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, description: 'Stored as a scrypt hash, never returned.' })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, { message: `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters` })
  password!: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, oneOf(ROLES))
  role!: Role;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @HasNoControlCharacters()
  display_name?: string | null;

  @ApiPropertyOptional({ default: false })
  @IsOmittable()
  @IsBoolean()
  disabled?: boolean;

  @ApiPropertyOptional({ type: [String], description: 'Names of the teams the user belongs to (replaces the memberships).' })
  @IsOmittable()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  teams?: string[];
}

/** A partial edit. A new password ends the user's sessions; disabling refuses its sessions and tokens at once. */
export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['username'] as const), { skipNullProperties: false }) {}

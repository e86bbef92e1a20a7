import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDate, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/**
 * What an audit record says happened. Stored and filtered on (`?action=`): add names freely, never
 * rename one.
 */
export const AUDIT_ACTIONS = [
  'model.create',
  'model.update',
  'model.delete',
  'model.toggle',
  'model.file.upload',
  'model.import',
  'model.error',
  'permission.change',
  'token.create',
  'token.revoke',
  'user.create',
  'user.update',
  'user.delete',
  'team.create',
  'team.update',
  'team.delete',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'secrets.rotate',
  'settings.change',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_RESULTS = ['success', 'failure'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export const AUDIT_TARGET_TYPES = ['model', 'user', 'team', 'token', 'session', 'secrets', 'settings'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export class AuditActorDto {
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) user_id!: string | null;
  @ApiProperty({ description: 'The username (or "system" for the platform itself; the name tried, for failed sign-ins).' }) username!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) token_id!: string | null;
}

export class AuditEventDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'Position in the hash chain (1, 2, 3…).' }) seq!: number;
  @ApiProperty({ format: 'date-time' }) occurred_at!: string;
  @ApiProperty({ enum: AUDIT_ACTIONS }) action!: AuditAction;
  @ApiProperty({ enum: AUDIT_RESULTS }) result!: AuditResult;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiProperty({ enum: AUDIT_TARGET_TYPES, nullable: true }) target_type!: AuditTargetType | null;
  @ApiProperty({ type: String, nullable: true }) target_id!: string | null;
  @ApiProperty({ type: String, nullable: true }) client_ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) request_id!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed (model.update: the fields, before and after); never a secret or password.' })
  details!: Record<string, unknown>;
  @ApiProperty({ description: 'SHA-256 over the previous record\'s hash and this record.' }) hash!: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items!: AuditEventDto[];
  @ApiProperty() total!: number;
  @ApiProperty() page!: number;
  @ApiProperty() page_size!: number;
}

export class AuditVerificationDto {
  @ApiProperty({ description: 'Whether every record is intact and none is missing.' }) ok!: boolean;
  @ApiProperty() checked!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'The first record found altered, or after a gap.' }) first_bad_seq!: number | null;
  @ApiProperty({ type: String, nullable: true }) problem!: string | null;
}

const many = ({ value }: { value: unknown }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);

export class AuditQueryDto {
  @ApiPropertyOptional({ description: 'Username of the actor.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  actor?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, isArray: true, description: 'Repeatable: any of these actions.' })
  @IsOptional()
  @Transform(many)
  @IsArray()
  @ArrayMaxSize(30)
  @IsIn(AUDIT_ACTIONS, { each: true, message: `each value in action must be one of: ${AUDIT_ACTIONS.join(', ')}` })
  action?: AuditAction[];

  @ApiPropertyOptional({ description: 'The id (or username, team name) the event is about.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  target_id?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'from must be an ISO 8601 date-time' })
  from?: Date;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'to must be an ISO 8601 date-time' })
  to?: Date;

  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number of at least 1' })
  @Min(1, { message: '$property must be a whole number of at least 1' })
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: '$property must be a whole number from 1 to 200' })
  @Min(1, { message: '$property must be a whole number from 1 to 200' })
  @Max(200, { message: '$property must be a whole number from 1 to 200' })
  page_size: number = 50;
}

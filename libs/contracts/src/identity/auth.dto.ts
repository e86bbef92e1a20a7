import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, MaxLength } from 'class-validator';
import { TOKEN_SCOPES, type TokenScope } from './access.constant.js';
import { PASSWORD_MAX_LENGTH, UserDto } from './user.dto.js';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty({ writeOnly: true })
  @IsString()
  @MaxLength(PASSWORD_MAX_LENGTH)
  password!: string;
}

export class LoginResultDto {
  @ApiProperty({ description: 'A bearer token for this session (`Authorization: Bearer <token>`). Shown once; only its hash is kept.' })
  token!: string;
  @ApiProperty({ format: 'date-time' })
  expires_at!: string;
  @ApiProperty({ type: UserDto })
  user!: UserDto;
}

/** Who the caller is, and through what. */
export class WhoAmIDto {
  @ApiProperty({ type: UserDto }) user!: UserDto;
  @ApiProperty({ enum: ['session', 'token', 'bootstrap'] }) via!: 'session' | 'token' | 'bootstrap';
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) token_id!: string | null;
  @ApiProperty({ enum: TOKEN_SCOPES, isArray: true, nullable: true, description: "The token's scopes; null: the user's own rights." }) scopes!: TokenScope[] | null;
  @ApiProperty({ type: [String], nullable: true, description: "The models a token is limited to; null: none." }) model_ids!: string[] | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When a session ends.' }) expires_at!: string | null;
}

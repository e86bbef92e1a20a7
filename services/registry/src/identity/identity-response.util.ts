import type { TeamDto, TeamRefDto, TokenDto, UserDto, UserRefDto } from '@modelyard/contracts';
import type { ApiTokenEntity } from './entities/api-token.entity.js';
import type { TeamEntity } from './entities/team.entity.js';
import type { UserEntity } from './entities/user.entity.js';

export function toUserDto(user: UserEntity, teams: TeamRefDto[], hasPassword: boolean): UserDto {
  return {
    id: user.id,
    username: user.username,
    display_name: user.displayName,
    role: user.role,
    disabled: user.disabled,
    builtin: user.builtin,
    has_password: hasPassword,
    teams,
    rpm_limit: user.rpmLimit,
    tpm_limit: user.tpmLimit,
    daily_call_limit: user.dailyCallLimit,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}

export function toTeamDto(team: TeamEntity, members: UserRefDto[]): TeamDto {
  return {
    id: team.id,
    name: team.name,
    description: team.description,
    members,
    created_at: team.createdAt.toISOString(),
    updated_at: team.updatedAt.toISOString(),
  };
}

export function toTokenDto(token: ApiTokenEntity, user: UserRefDto): TokenDto {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    last4: token.last4,
    user,
    scopes: token.scopes,
    model_ids: token.modelIds,
    rpm_limit: token.rpmLimit,
    tpm_limit: token.tpmLimit,
    daily_call_limit: token.dailyCallLimit,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    expires_at: token.expiresAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
  };
}

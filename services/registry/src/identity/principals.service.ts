import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { NO_LIMITS, ROLE_SCOPES, type Limits, type Principal, type ResolvedPrincipal } from '@modelyard/contracts';
import { ApiTokenEntity } from './entities/api-token.entity.js';
import type { UserEntity } from './entities/user.entity.js';
import { IdentityRepository } from './identity.repository.js';

const limitsOf = (record: { rpmLimit: number | null; tpmLimit: number | null; dailyCallLimit: number | null }): Limits => ({
  rpm_limit: record.rpmLimit,
  tpm_limit: record.tpmLimit,
  daily_call_limit: record.dailyCallLimit,
});

/**
 * What a session, an API token or the bootstrap token stands for: the user, its role and teams,
 * and for a token its scopes (never beyond what the user's role allows today), model list and
 * limits. Asked by the gateway, which caches answers for MODELYARD_AUTH_CACHE_TTL_MS.
 */
@Injectable()
export class PrincipalsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly identities: IdentityRepository,
  ) {}

  async ofUser(userId: string, via: 'session' | 'bootstrap' = 'session'): Promise<ResolvedPrincipal | null> {
    const user = await this.identities.findUserById(userId);
    if (!user || user.disabled) return null;
    return this.resolved(user, via, null);
  }

  async ofBuiltinAdmin(): Promise<ResolvedPrincipal | null> {
    const admin = await this.identities.findBuiltinAdmin();
    if (!admin || admin.disabled) return null;
    return this.resolved(admin, 'bootstrap', null);
  }

  /** null for an unknown, revoked or expired token, or one whose user is disabled. */
  async ofToken(tokenHash: string): Promise<ResolvedPrincipal | null> {
    const token = await this.dataSource
      .getRepository(ApiTokenEntity)
      .createQueryBuilder('token')
      .innerJoinAndSelect('token.user', 'user')
      .where('token.tokenHash = :tokenHash', { tokenHash })
      .getOne();
    if (!token?.user || token.revokedAt !== null || token.user.disabled) return null;
    if (token.expiresAt !== null && token.expiresAt.getTime() <= Date.now()) return null;
    return this.resolved(token.user, 'token', token);
  }

  /** Within a transaction, pass its manager: the embedded database has a single connection. */
  async resolved(user: UserEntity, via: Principal['via'], token: ApiTokenEntity | null, manager?: EntityManager): Promise<ResolvedPrincipal> {
    const allowed = ROLE_SCOPES[user.role];
    const principal: Principal = {
      user_id: user.id,
      username: user.username,
      role: user.role,
      team_ids: await this.identities.teamIdsOf(user.id, manager),
      via,
      token_id: token?.id ?? null,
      // A role lowered after the token was made lowers the token with it.
      scopes: token ? token.scopes.filter((scope) => allowed.includes(scope)) : null,
      model_ids: token?.modelIds ?? null,
    };
    return {
      principal,
      // The bootstrap token is the way back in: it is never rate-limited.
      limits: { user: via === 'bootstrap' ? NO_LIMITS : limitsOf(user), token: token ? limitsOf(token) : null },
      expires_at: token?.expiresAt?.toISOString() ?? null,
    };
  }
}

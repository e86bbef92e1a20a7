import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ROLE_SCOPES, SYSTEM_SCOPE, type AccessScope, type Caller, type CreatedTokenDto, type CreateTokenDto, type TokenDto, type TokenListDto, type TokenRefDto } from '@modelyard/contracts';
import { ModelAccessService } from '../access/model-access.service.js';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { ApiTokenEntity } from './entities/api-token.entity.js';
import type { UserEntity } from './entities/user.entity.js';
import { IdentityException } from './identity.exception.js';
import { IdentityRepository } from './identity.repository.js';
import { toTokenDto } from './identity-response.util.js';

/** How often at most a token's last use is written: a busy token must not cost a write per request. */
const TOUCH_INTERVAL = "interval '1 minute'";

/**
 * API tokens: made at the gateway (only their hash reaches the registry), listed by their owner
 * (admins: all), revoked by owner or admin. A token never has more rights than its user: scopes
 * beyond the user's role, or beyond the token used to make it, are refused; its model list may only
 * name models the user may read.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeRunner,
    private readonly identities: IdentityRepository,
    private readonly access: ModelAccessService,
  ) {}

  async list(caller: Caller, all: boolean): Promise<TokenListDto> {
    const qb = this.dataSource.getRepository(ApiTokenEntity).createQueryBuilder('token').innerJoinAndSelect('token.user', 'user').orderBy('token.createdAt', 'DESC');
    if (!(all && caller.principal.role === 'admin')) qb.where('token.userId = :userId', { userId: caller.principal.user_id });
    const tokens = await qb.getMany();
    return { items: tokens.map((token) => toTokenDto(token, { id: token.user!.id, username: token.user!.username })), total: tokens.length };
  }

  async create(caller: Caller, body: CreateTokenDto, made: { token_hash: string; prefix: string; last4: string }): Promise<Omit<CreatedTokenDto, 'token'>> {
    const owner = await this.ownerOf(caller, body.user);
    const allowed = ROLE_SCOPES[owner.role].filter((scope) => caller.principal.scopes === null || caller.principal.scopes.includes(scope));
    const scopes = body.scopes ?? allowed;
    const beyond = scopes.filter((scope) => !allowed.includes(scope));
    if (beyond.length) throw IdentityException.scopeAboveRole(beyond, owner.role);
    if (body.expires_at && body.expires_at.getTime() <= Date.now()) throw IdentityException.invalidField('expires_at', 'must be in the future');
    const modelIds = body.model_ids ?? caller.principal.model_ids;
    if (modelIds) await this.checkModels(caller, owner, modelIds);
    return this.changes.run(caller.actor, async (manager) => {
      const token = await manager.save(
        manager.create(ApiTokenEntity, {
          userId: owner.id,
          name: body.name,
          tokenHash: made.token_hash,
          prefix: made.prefix,
          last4: made.last4,
          scopes,
          modelIds: modelIds ?? null,
          rpmLimit: body.rpm_limit ?? null,
          tpmLimit: body.tpm_limit ?? null,
          dailyCallLimit: body.daily_call_limit ?? null,
          expiresAt: body.expires_at ?? null,
          lastUsedAt: null,
          revokedAt: null,
        }),
      );
      const dto = toTokenDto(token, { id: owner.id, username: owner.username });
      const { id: _id, created_at: _created, last_used_at: _used, revoked_at: _revoked, ...details } = dto;
      return { result: dto, audit: [{ action: 'token.create', result: 'success', target_type: 'token', target_id: token.id, details }] };
    });
  }

  /** Revokes one of the caller's tokens (admins: anyone's); someone else's is not found. Revoking twice is harmless. */
  revoke(caller: Caller, id: string): Promise<TokenDto> {
    return this.changes.run(caller.actor, async (manager) => {
      const token = await manager
        .getRepository(ApiTokenEntity)
        .createQueryBuilder('token')
        .innerJoinAndSelect('token.user', 'user')
        .setLock('pessimistic_write', undefined, ['token'])
        .where('token.id = :id', { id })
        .getOne();
      if (!token || (token.userId !== caller.principal.user_id && caller.principal.role !== 'admin')) throw IdentityException.tokenNotFound(id);
      const user = { id: token.user!.id, username: token.user!.username };
      if (token.revokedAt !== null) return { result: toTokenDto(token, user) };
      token.revokedAt = new Date();
      await manager.update(ApiTokenEntity, { id }, { revokedAt: token.revokedAt });
      return {
        result: toTokenDto(token, user),
        audit: [{ action: 'token.revoke', result: 'success', target_type: 'token', target_id: id, details: { name: token.name, prefix: token.prefix, user: user.username } }],
      };
    });
  }

  /** Names and owners of tokens by id, revoked ones included; ids of tokens that no longer exist are left out. */
  async refs(ids: readonly string[]): Promise<TokenRefDto[]> {
    if (ids.length === 0) return [];
    const tokens = await this.dataSource
      .getRepository(ApiTokenEntity)
      .createQueryBuilder('token')
      .innerJoinAndSelect('token.user', 'user')
      .where('token.id IN (:...ids)', { ids })
      .getMany();
    return tokens.map((token) => ({ id: token.id, name: token.name, prefix: token.prefix, user: { id: token.user!.id, username: token.user!.username } }));
  }

  /** Records the last use of tokens, at most once a minute each (not an audited change). */
  async touch(ids: readonly string[], at: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE "api_tokens" SET "last_used_at" = $2 WHERE "id" = ANY($1::uuid[]) AND ("last_used_at" IS NULL OR "last_used_at" < $2::timestamptz - ${TOUCH_INTERVAL})`,
      [ids, at],
    );
  }

  /** The user a new token is for: the caller, or (admins only) the user named. */
  private async ownerOf(caller: Caller, username: string | undefined): Promise<UserEntity> {
    if (username === undefined || username.toLowerCase() === caller.principal.username.toLowerCase()) {
      const me = await this.identities.findUserById(caller.principal.user_id);
      if (!me) throw IdentityException.userNotFound(caller.principal.user_id);
      return me;
    }
    if (caller.principal.role !== 'admin') throw IdentityException.forbidden('Only admins can make tokens for other users.');
    const { found } = await this.identities.usersByNames([username]);
    if (!found[0]) throw IdentityException.unknownNames('user', 'user', [username]);
    return found[0];
  }

  /** A token may only name models its user may read, and, made with a token, models that token may see. */
  private async checkModels(caller: Caller, owner: UserEntity, ids: readonly string[]): Promise<void> {
    const ownerScope: AccessScope =
      owner.role === 'admin' ? SYSTEM_SCOPE : { all: false, user_id: owner.id, role: owner.role, team_ids: await this.identities.teamIdsOf(owner.id), model_ids: null };
    const readable = new Set(await this.access.readable(ownerScope, ids));
    const unknown = ids.filter((id) => !readable.has(id) || (caller.principal.model_ids !== null && !caller.principal.model_ids.includes(id)));
    if (unknown.length) throw IdentityException.invalidField('model_ids', `names models that do not exist or that the token's user may not read: ${unknown.join(', ')}`);
  }
}

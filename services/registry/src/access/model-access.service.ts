import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  atLeastLevel,
  LEVEL_RANK,
  modelLevelOf,
  type AccessScope,
  type Caller,
  type ModelAccessLevel,
  type ModelAccessRecord,
  type ModelGrantDto,
  type ModelPermissionsDto,
  type UpdateModelPermissionsDto,
} from '@modelyard/contracts';
import { DomainException } from '@modelyard/platform';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { IdentityException } from '../identity/identity.exception.js';
import { IdentityRepository } from '../identity/identity.repository.js';
import { ModelEntity } from '../models/entities/model.entity.js';
import { ModelException } from '../models/model.exception.js';
import { ModelGrantEntity } from './entities/model-grant.entity.js';
import { readableModelsSql } from './access-scope.util.js';

/**
 * Who may do what with a model: its owner (manage), its grants to users and teams, and internal
 * visibility (every signed-in user may read and use it), capped by each caller's role. A caller
 * below `read` is told the model does not exist (404); one below the level needed, 403.
 */
@Injectable()
export class ModelAccessService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeRunner,
    private readonly identities: IdentityRepository,
  ) {}

  async recordOf(modelId: string, manager?: EntityManager): Promise<ModelAccessRecord | null> {
    const m = manager ?? this.dataSource.manager;
    const model = await m.findOne(ModelEntity, { where: { id: modelId }, select: { id: true, ownerId: true, visibility: true } });
    if (!model) return null;
    const grants = await m.find(ModelGrantEntity, { where: { modelId } });
    return { owner_id: model.ownerId, visibility: model.visibility, grants: grants.map((g) => ({ user_id: g.userId, team_id: g.teamId, level: g.level })) };
  }

  /** The scope's level on the model; null when it may not read it, or the model does not exist. */
  async levelOf(scope: AccessScope, modelId: string, manager?: EntityManager): Promise<ModelAccessLevel | null> {
    if (scope.all && scope.model_ids === null) return (await (manager ?? this.dataSource.manager).existsBy(ModelEntity, { id: modelId })) ? 'manage' : null;
    const record = await this.recordOf(modelId, manager);
    return record && modelLevelOf(scope, modelId, record);
  }

  /** Throws 404 when the scope may not read the model (or it does not exist), 403 when it may not do `needed`. */
  async require(scope: AccessScope, modelId: string, needed: ModelAccessLevel, manager?: EntityManager): Promise<ModelAccessLevel> {
    const level = await this.levelOf(scope, modelId, manager);
    if (level === null) throw ModelException.notFound(modelId);
    if (!atLeastLevel(level, needed)) throw forbidden(level, needed);
    return level;
  }

  /** Of `ids`, those the scope may read. */
  async readable(scope: AccessScope, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const condition = readableModelsSql(scope, 'model');
    const rows = await this.dataSource
      .getRepository(ModelEntity)
      .createQueryBuilder('model')
      .select('model.id', 'id')
      .where('model.id IN (:...ids)', { ids })
      .andWhere(condition.sql, condition.params)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }

  async permissions(caller: Caller, modelId: string): Promise<ModelPermissionsDto> {
    await this.require(caller.scope, modelId, 'manage');
    return this.describe(this.dataSource.manager, modelId);
  }

  /**
   * Replaces the visibility and/or the grants. A caller may not grant a level above its own (403);
   * grantees must exist (422); one grant per user or team.
   */
  setPermissions(caller: Caller, modelId: string, body: UpdateModelPermissionsDto): Promise<ModelPermissionsDto> {
    return this.changes.run(caller.actor, async (manager) => {
      // The model row is locked: two permission changes of one model apply one after the other.
      const model = await manager.getRepository(ModelEntity).createQueryBuilder('model').setLock('pessimistic_write').where('model.id = :id', { id: modelId }).getOne();
      if (!model) throw ModelException.notFound(modelId);
      const own = await this.require(caller.scope, modelId, 'manage', manager);
      const before = await this.describe(manager, modelId);
      if (body.visibility !== undefined) model.visibility = body.visibility;
      await manager.save(model);
      if (body.grants !== undefined) {
        const rows = await this.grantRows(manager, modelId, body.grants, own);
        await manager.delete(ModelGrantEntity, { modelId });
        if (rows.length) await manager.insert(ModelGrantEntity, rows);
      }
      const after = await this.describe(manager, modelId);
      const details: Record<string, unknown> = { name: model.name };
      if (before.visibility !== after.visibility) details.visibility = { from: before.visibility, to: after.visibility };
      if (JSON.stringify(before.grants) !== JSON.stringify(after.grants)) details.grants = { from: before.grants, to: after.grants };
      if (Object.keys(details).length === 1) return { result: after };
      return { result: after, audit: [{ action: 'permission.change', result: 'success', target_type: 'model', target_id: modelId, details }] };
    });
  }

  private async grantRows(
    manager: EntityManager,
    modelId: string,
    grants: readonly ModelGrantDto[],
    own: ModelAccessLevel,
  ): Promise<Array<Pick<ModelGrantEntity, 'modelId' | 'userId' | 'teamId' | 'level'>>> {
    grants.forEach((grant, index) => {
      if ((grant.user === undefined) === (grant.team === undefined)) {
        throw DomainException.validation([{ field: `grants.${index}`, detail: 'must name either a user or a team' }]);
      }
      if (LEVEL_RANK[grant.level] > LEVEL_RANK[own]) {
        throw new DomainException(403, 'grant_above_own_level', `You cannot grant "${grant.level}": your own level on this model is "${own}".`, [
          { field: `grants.${index}.level`, detail: `above your own level (${own})` },
        ]);
      }
    });
    const users = await this.identities.usersByNames(grants.flatMap((g) => (g.user ? [g.user] : [])), manager);
    const teams = await this.identities.teamsByNames(grants.flatMap((g) => (g.team ? [g.team] : [])), manager);
    if (users.missing.length) throw IdentityException.unknownNames('grants', 'user', users.missing);
    if (teams.missing.length) throw IdentityException.unknownNames('grants', 'team', teams.missing);
    const userIds = new Map(users.found.map((u) => [u.username.toLowerCase(), u.id]));
    const teamIds = new Map(teams.found.map((t) => [t.name.toLowerCase(), t.id]));
    const seen = new Set<string>();
    return grants.map((grant, index) => {
      const key = grant.user ? `user:${grant.user.toLowerCase()}` : `team:${grant.team!.toLowerCase()}`;
      if (seen.has(key)) throw DomainException.validation([{ field: `grants.${index}`, detail: `${grant.user ? `user ${grant.user}` : `team ${grant.team}`} is granted twice` }]);
      seen.add(key);
      return {
        modelId,
        userId: grant.user ? userIds.get(grant.user.toLowerCase())! : null,
        teamId: grant.team ? teamIds.get(grant.team.toLowerCase())! : null,
        level: grant.level,
      };
    });
  }

  private async describe(manager: EntityManager, modelId: string): Promise<ModelPermissionsDto> {
    const [model] = await manager.query<Array<{ visibility: ModelPermissionsDto['visibility']; owner_id: string | null; owner_name: string | null }>>(
      `SELECT m."visibility", m."owner_id", u."username" AS owner_name FROM "models" m LEFT JOIN "users" u ON u."id" = m."owner_id" WHERE m."id" = $1`,
      [modelId],
    );
    const grants = await manager.query<Array<{ username: string | null; team: string | null; level: ModelPermissionsDto['grants'][number]['level'] }>>(
      `SELECT u."username", t."name" AS team, g."level" FROM "model_grants" g
       LEFT JOIN "users" u ON u."id" = g."user_id" LEFT JOIN "teams" t ON t."id" = g."team_id"
       WHERE g."model_id" = $1 ORDER BY (g."team_id" IS NOT NULL), lower(coalesce(u."username", t."name"))`,
      [modelId],
    );
    return {
      visibility: model!.visibility,
      owner: model!.owner_id && model!.owner_name ? { id: model!.owner_id, username: model!.owner_name } : null,
      grants: grants.map((g) => (g.username !== null ? { user: g.username, level: g.level } : { team: g.team!, level: g.level })),
    };
  }
}

export const forbidden = (level: ModelAccessLevel, needed: ModelAccessLevel) =>
  new DomainException(403, 'model_access_denied', `This needs "${needed}" on the model; you have "${level}".`);

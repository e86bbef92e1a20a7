import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Caller, CreateTeamDto, TeamDto, TeamListDto, UpdateTeamDto } from '@modelyard/contracts';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { TeamEntity } from './entities/team.entity.js';
import { IdentityException } from './identity.exception.js';
import { IdentityRepository } from './identity.repository.js';
import { toTeamDto } from './identity-response.util.js';

/** Teams: groups of users that model permissions can be granted to. */
@Injectable()
export class TeamsService {
  constructor(
    private readonly changes: ChangeRunner,
    private readonly identities: IdentityRepository,
  ) {}

  async list(manager?: EntityManager): Promise<TeamListDto> {
    const teams = await (manager ?? this.identities.manager()).getRepository(TeamEntity).createQueryBuilder('team').orderBy('lower(team.name)', 'ASC').getMany();
    return { items: await this.dtos(teams, manager), total: teams.length };
  }

  async get(id: string): Promise<TeamDto> {
    const team = await this.identities.manager().findOneBy(TeamEntity, { id });
    if (!team) throw IdentityException.teamNotFound(id);
    return (await this.dtos([team]))[0]!;
  }

  create(caller: Caller, body: CreateTeamDto): Promise<TeamDto> {
    return this.changes.run(
      caller.actor,
      async (manager) => {
        const memberIds = await this.userIdsByName(manager, body.members ?? []);
        const team = await manager.save(manager.create(TeamEntity, { name: body.name, description: body.description ?? null }));
        await this.identities.setMembersOfTeam(manager, team.id, memberIds);
        const dto = (await this.dtos([team], manager))[0]!;
        return {
          result: dto,
          audit: [{ action: 'team.create', result: 'success', target_type: 'team', target_id: team.id, details: { name: dto.name, members: dto.members.map((m) => m.username) } }],
        };
      },
      () => IdentityException.teamNameTaken(body.name),
    );
  }

  update(caller: Caller, id: string, body: UpdateTeamDto): Promise<TeamDto> {
    return this.changes.run(
      caller.actor,
      async (manager) => {
        const team = await manager.getRepository(TeamEntity).createQueryBuilder('team').setLock('pessimistic_write').where('team.id = :id', { id }).getOne();
        if (!team) throw IdentityException.teamNotFound(id);
        const before = (await this.dtos([team], manager))[0]!;
        if (body.name != null) team.name = body.name;
        if (body.description !== undefined) team.description = body.description;
        await manager.save(team);
        if (body.members != null) await this.identities.setMembersOfTeam(manager, team.id, await this.userIdsByName(manager, body.members));
        const after = (await this.dtos([team], manager))[0]!;
        const changed: Record<string, { from: unknown; to: unknown }> = {};
        if (before.name !== after.name) changed.name = { from: before.name, to: after.name };
        if (before.description !== after.description) changed.description = { from: before.description, to: after.description };
        const members = (dto: TeamDto) => dto.members.map((m) => m.username);
        if (JSON.stringify(members(before)) !== JSON.stringify(members(after))) changed.members = { from: members(before), to: members(after) };
        if (Object.keys(changed).length === 0) return { result: after };
        return { result: after, audit: [{ action: 'team.update', result: 'success', target_type: 'team', target_id: team.id, details: { name: after.name, changed } }] };
      },
      () => IdentityException.teamNameTaken(body.name ?? ''),
    );
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.changes.run(caller.actor, async (manager) => {
      const team = await manager.findOneBy(TeamEntity, { id });
      if (!team) throw IdentityException.teamNotFound(id);
      // Memberships and the team's model grants go with it.
      await manager.delete(TeamEntity, { id });
      return { result: undefined, audit: [{ action: 'team.delete', result: 'success', target_type: 'team', target_id: id, details: { name: team.name } }] };
    });
  }

  private async dtos(teams: readonly TeamEntity[], manager?: EntityManager): Promise<TeamDto[]> {
    const members = await this.identities.membersOfTeams(teams.map((team) => team.id), manager);
    return teams.map((team) => toTeamDto(team, members.get(team.id) ?? []));
  }

  private async userIdsByName(manager: EntityManager, names: readonly string[]): Promise<string[]> {
    const { found, missing } = await this.identities.usersByNames(names, manager);
    if (missing.length) throw IdentityException.unknownNames('members', 'user', missing);
    return found.map((user) => user.id);
  }
}

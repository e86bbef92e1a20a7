import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { TeamRefDto, UserDto, UserRefDto } from '@modelyard/contracts';
import { TeamEntity } from './entities/team.entity.js';
import { UserEntity } from './entities/user.entity.js';
import { toUserDto } from './identity-response.util.js';

/** The identity queries the services share: users and teams by name, memberships, whole user records. */
@Injectable()
export class IdentityRepository {
  constructor(private readonly dataSource: DataSource) {}

  manager(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  allUsers(): Promise<UserEntity[]> {
    return this.dataSource.getRepository(UserEntity).createQueryBuilder('user').orderBy('lower(user.username)', 'ASC').getMany();
  }

  findUserById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return this.manager(manager).findOneBy(UserEntity, { id });
  }

  /** The user with its password hash (select: false elsewhere), found without regard to case. */
  findUserForSignIn(username: string): Promise<UserEntity | null> {
    return this.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('lower(user.username) = lower(:username)', { username })
      .getOne();
  }

  findBuiltinAdmin(manager?: EntityManager): Promise<UserEntity | null> {
    return this.manager(manager).findOneBy(UserEntity, { builtin: true });
  }

  /** Users by username (any case); the names not found are returned apart, as sent. */
  async usersByNames(names: readonly string[], manager?: EntityManager): Promise<{ found: UserEntity[]; missing: string[] }> {
    if (names.length === 0) return { found: [], missing: [] };
    const lowered = [...new Set(names.map((name) => name.toLowerCase()))];
    const found = await this.manager(manager)
      .getRepository(UserEntity)
      .createQueryBuilder('user')
      .where('lower(user.username) IN (:...names)', { names: lowered })
      .getMany();
    const have = new Set(found.map((user) => user.username.toLowerCase()));
    return { found, missing: names.filter((name) => !have.has(name.toLowerCase())) };
  }

  async teamsByNames(names: readonly string[], manager?: EntityManager): Promise<{ found: TeamEntity[]; missing: string[] }> {
    if (names.length === 0) return { found: [], missing: [] };
    const lowered = [...new Set(names.map((name) => name.toLowerCase()))];
    const found = await this.manager(manager)
      .getRepository(TeamEntity)
      .createQueryBuilder('team')
      .where('lower(team.name) IN (:...names)', { names: lowered })
      .getMany();
    const have = new Set(found.map((team) => team.name.toLowerCase()));
    return { found, missing: names.filter((name) => !have.has(name.toLowerCase())) };
  }

  async teamIdsOf(userId: string, manager?: EntityManager): Promise<string[]> {
    const rows = await this.manager(manager).query<Array<{ team_id: string }>>(`SELECT "team_id" FROM "team_members" WHERE "user_id" = $1 ORDER BY "team_id"`, [userId]);
    return rows.map((row) => row.team_id);
  }

  /** Each user's teams, by user id. */
  async teamsOfUsers(userIds: readonly string[], manager?: EntityManager): Promise<Map<string, TeamRefDto[]>> {
    const teams = new Map<string, TeamRefDto[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return teams;
    const rows = await this.manager(manager).query<Array<{ user_id: string; id: string; name: string }>>(
      `SELECT tm."user_id", t."id", t."name" FROM "team_members" tm JOIN "teams" t ON t."id" = tm."team_id"
       WHERE tm."user_id" = ANY($1::uuid[]) ORDER BY lower(t."name")`,
      [userIds],
    );
    for (const row of rows) teams.get(row.user_id)?.push({ id: row.id, name: row.name });
    return teams;
  }

  /** Each team's members, by team id. */
  async membersOfTeams(teamIds: readonly string[], manager?: EntityManager): Promise<Map<string, UserRefDto[]>> {
    const members = new Map<string, UserRefDto[]>(teamIds.map((id) => [id, []]));
    if (teamIds.length === 0) return members;
    const rows = await this.manager(manager).query<Array<{ team_id: string; id: string; username: string }>>(
      `SELECT tm."team_id", u."id", u."username" FROM "team_members" tm JOIN "users" u ON u."id" = tm."user_id"
       WHERE tm."team_id" = ANY($1::uuid[]) ORDER BY lower(u."username")`,
      [teamIds],
    );
    for (const row of rows) members.get(row.team_id)?.push({ id: row.id, username: row.username });
    return members;
  }

  /** Users as the API shows them (with teams and whether they have a password). */
  async userDtos(users: readonly UserEntity[], manager?: EntityManager): Promise<UserDto[]> {
    const ids = users.map((user) => user.id);
    const teams = await this.teamsOfUsers(ids, manager);
    const withPassword = ids.length
      ? new Set(
          (await this.manager(manager).query<Array<{ id: string }>>(`SELECT "id" FROM "users" WHERE "id" = ANY($1::uuid[]) AND "password_hash" IS NOT NULL`, [ids])).map(
            (row) => row.id,
          ),
        )
      : new Set<string>();
    return users.map((user) => toUserDto(user, teams.get(user.id) ?? [], withPassword.has(user.id)));
  }

  async userDto(user: UserEntity, manager?: EntityManager): Promise<UserDto> {
    return (await this.userDtos([user], manager))[0]!;
  }

  /** Replaces a user's team memberships. */
  async setTeamsOfUser(manager: EntityManager, userId: string, teamIds: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM "team_members" WHERE "user_id" = $1`, [userId]);
    if (teamIds.length) await manager.query(`INSERT INTO "team_members" ("team_id", "user_id") SELECT unnest($1::uuid[]), $2`, [teamIds, userId]);
  }

  /** Replaces a team's members. */
  async setMembersOfTeam(manager: EntityManager, teamId: string, userIds: readonly string[]): Promise<void> {
    await manager.query(`DELETE FROM "team_members" WHERE "team_id" = $1`, [teamId]);
    if (userIds.length) await manager.query(`INSERT INTO "team_members" ("team_id", "user_id") SELECT $1, unnest($2::uuid[])`, [teamId, userIds]);
  }
}

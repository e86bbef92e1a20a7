import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Caller, CreateUserDto, UpdateUserDto, UserDto, UserListDto } from '@modelyard/contracts';
import { APP_CONFIG, type AppConfig } from '@modelyard/platform';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { UserEntity } from './entities/user.entity.js';
import { IdentityException } from './identity.exception.js';
import { IdentityRepository } from './identity.repository.js';
import { hashPassword } from './password-hash.util.js';

type Diff = Record<string, { from: unknown; to: unknown } | { changed: true }>;

/** Users: created, edited and deleted by admins; never the last enabled admin removed. */
@Injectable()
export class UsersService {
  constructor(
    private readonly changes: ChangeRunner,
    private readonly identities: IdentityRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(): Promise<UserListDto> {
    const users = await this.identities.allUsers();
    return { items: await this.identities.userDtos(users), total: users.length };
  }

  async get(id: string): Promise<UserDto> {
    const user = await this.identities.findUserById(id);
    if (!user) throw IdentityException.userNotFound(id);
    return this.identities.userDto(user);
  }

  async create(caller: Caller, body: CreateUserDto): Promise<UserDto> {
    const passwordHash = await hashPassword(body.password, this.config.auth.passwordScryptLogN);
    return this.changes.run(
      caller.actor,
      async (manager) => {
        const teamIds = await this.teamIdsByName(manager, body.teams ?? []);
        const user = await manager.save(
          manager.create(UserEntity, {
            username: body.username,
            displayName: body.display_name ?? null,
            role: body.role,
            passwordHash,
            disabled: body.disabled ?? false,
            builtin: false,
            rpmLimit: body.rpm_limit ?? null,
            tpmLimit: body.tpm_limit ?? null,
            dailyCallLimit: body.daily_call_limit ?? null,
          }),
        );
        await this.identities.setTeamsOfUser(manager, user.id, teamIds);
        const dto = await this.identities.userDto(user, manager);
        const details = { username: dto.username, role: dto.role, disabled: dto.disabled, teams: dto.teams.map((team) => team.name) };
        return { result: dto, audit: [{ action: 'user.create', result: 'success', target_type: 'user', target_id: user.id, details }] };
      },
      () => IdentityException.usernameTaken(body.username),
    );
  }

  /** Returns whether the user's sessions must end (a new password, or disabled). */
  async update(caller: Caller, id: string, body: UpdateUserDto): Promise<{ user: UserDto; sessions_ended: boolean }> {
    const passwordHash = body.password ? await hashPassword(body.password, this.config.auth.passwordScryptLogN) : undefined;
    return this.changes.run(caller.actor, async (manager) => {
      const user = await this.lockUser(manager, id);
      const before = await this.identities.userDto(user, manager);
      const demoted = body.role !== undefined && body.role !== 'admin';
      if (user.role === 'admin' && !user.disabled && (demoted || body.disabled === true)) {
        await this.refuseLastAdmin(manager, user.id, demoted ? 'demote' : 'disable');
      }
      if (body.role !== undefined) user.role = body.role;
      if (body.display_name !== undefined) user.displayName = body.display_name;
      if (body.disabled !== undefined) user.disabled = body.disabled;
      if (body.rpm_limit !== undefined) user.rpmLimit = body.rpm_limit;
      if (body.tpm_limit !== undefined) user.tpmLimit = body.tpm_limit;
      if (body.daily_call_limit !== undefined) user.dailyCallLimit = body.daily_call_limit;
      if (passwordHash) user.passwordHash = passwordHash;
      await manager.save(user);
      if (body.teams !== undefined) await this.identities.setTeamsOfUser(manager, user.id, await this.teamIdsByName(manager, body.teams));
      const after = await this.identities.userDto(user, manager);
      const diff = diffUsers(before, after);
      if (passwordHash) diff.password = { changed: true };
      const sessionsEnded = Boolean(passwordHash) || (body.disabled === true && !before.disabled);
      if (Object.keys(diff).length === 0) return { result: { user: after, sessions_ended: false } };
      return {
        result: { user: after, sessions_ended: sessionsEnded },
        audit: [{ action: 'user.update', result: 'success', target_type: 'user', target_id: user.id, details: { username: user.username, changed: diff } }],
      };
    });
  }

  async delete(caller: Caller, id: string): Promise<void> {
    await this.changes.run(caller.actor, async (manager) => {
      const user = await this.lockUser(manager, id);
      if (user.builtin) throw IdentityException.builtinAdmin();
      if (user.role === 'admin' && !user.disabled) await this.refuseLastAdmin(manager, user.id, 'delete');
      // Tokens, memberships and grants go with the user; its models stay, without an owner (admins manage them).
      await manager.delete(UserEntity, { id: user.id });
      return { result: undefined, audit: [{ action: 'user.delete', result: 'success', target_type: 'user', target_id: user.id, details: { username: user.username, role: user.role } }] };
    });
  }

  private async lockUser(manager: EntityManager, id: string): Promise<UserEntity> {
    const user = await manager.getRepository(UserEntity).createQueryBuilder('user').setLock('pessimistic_write').where('user.id = :id', { id }).getOne();
    if (!user) throw IdentityException.userNotFound(id);
    return user;
  }

  /**
   * Refuses a change that would leave no enabled admin. The enabled admins are locked first, so
   * two admins demoting each other at once cannot both succeed.
   */
  private async refuseLastAdmin(manager: EntityManager, userId: string, what: string): Promise<void> {
    const admins = await manager.query<Array<{ id: string }>>(`SELECT "id" FROM "users" WHERE "role" = 'admin' AND NOT "disabled" ORDER BY "id" FOR UPDATE`);
    if (!admins.some((admin) => admin.id !== userId)) throw IdentityException.lastAdmin(what);
  }

  private async teamIdsByName(manager: EntityManager, names: readonly string[]): Promise<string[]> {
    const { found, missing } = await this.identities.teamsByNames(names, manager);
    if (missing.length) throw IdentityException.unknownNames('teams', 'team', missing);
    return found.map((team) => team.id);
  }
}

/** What changed between two records of a user, field by field (teams by name). */
function diffUsers(before: UserDto, after: UserDto): Diff {
  const diff: Diff = {};
  for (const field of ['role', 'display_name', 'disabled', 'rpm_limit', 'tpm_limit', 'daily_call_limit'] as const) {
    if (before[field] !== after[field]) diff[field] = { from: before[field], to: after[field] };
  }
  const names = (dto: UserDto) => dto.teams.map((team) => team.name).sort();
  if (JSON.stringify(names(before)) !== JSON.stringify(names(after))) diff.teams = { from: names(before), to: names(after) };
  return diff;
}

import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Actor, ResolvedPrincipal, UserDto } from '@modelyard/contracts';
import { APP_CONFIG, LOGGER, type AppConfig, type Logger } from '@modelyard/platform';
import { ChangeRunner } from '../changes/change-runner.service.js';
import { UserEntity } from './entities/user.entity.js';
import { IdentityException } from './identity.exception.js';
import { IdentityRepository } from './identity.repository.js';
import { decoyHash, hashPassword, needsRehash, verifyPassword } from './password-hash.util.js';
import { PrincipalsService } from './principals.service.js';

/**
 * Sign-in with a username and password. Every attempt becomes an audit record (`auth.login` or
 * `auth.login_failed`, with the reason only there); the caller learns only "wrong username or
 * password", in the same time whether the user exists or not. Sessions are the gateway's.
 */
@Injectable()
export class SignInService implements OnApplicationBootstrap {
  constructor(
    private readonly changes: ChangeRunner,
    private readonly identities: IdentityRepository,
    private readonly principals: PrincipalsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** MODELYARD_ADMIN_PASSWORD sets the built-in admin's password (unless it is already that one). */
  async onApplicationBootstrap(): Promise<void> {
    const password = this.config.auth.adminPassword;
    if (!password) return;
    const admin = await this.identities.findBuiltinAdmin();
    if (!admin) return;
    const current = (await this.identities.findUserForSignIn(admin.username))?.passwordHash;
    if (current && (await verifyPassword(password, current))) return;
    await this.identities.manager().update(UserEntity, { id: admin.id }, { passwordHash: await hashPassword(password, this.config.auth.passwordScryptLogN) });
    this.logger.info({ username: admin.username }, 'set the built-in admin\'s password from MODELYARD_ADMIN_PASSWORD');
  }

  async signIn(username: string, password: string, actor: Actor): Promise<{ user: UserDto; resolved: ResolvedPrincipal }> {
    const user = await this.identities.findUserForSignIn(username);
    const stored = user?.passwordHash ?? null;
    const matches = await verifyPassword(password, stored ?? (await decoyHash(this.config.auth.passwordScryptLogN)));
    const reason = !user ? 'unknown_user' : !stored ? 'no_password' : !matches ? 'wrong_password' : user.disabled ? 'disabled' : null;
    const attempt: Actor = { ...actor, name: (user?.username ?? username).slice(0, 200), user_id: user?.id ?? null, token_id: null };
    if (reason !== null || !user) {
      return this.changes.run(attempt, async () => ({
        result: undefined as never,
        audit: [{ action: 'auth.login_failed', result: 'failure', target_type: 'session', target_id: user?.id ?? null, details: { username: username.slice(0, 200), reason } }],
        refusal: IdentityException.invalidCredentials(),
      }));
    }
    if (stored && needsRehash(stored, this.config.auth.passwordScryptLogN)) {
      await this.identities.manager().update(UserEntity, { id: user.id }, { passwordHash: await hashPassword(password, this.config.auth.passwordScryptLogN) });
    }
    return this.changes.run(attempt, async (manager) => ({
      result: { user: await this.identities.userDto(user, manager), resolved: await this.principals.resolved(user, 'session', null, manager) },
      audit: [{ action: 'auth.login', result: 'success', target_type: 'session', target_id: user.id, details: { username: user.username } }],
    }));
  }
}

import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { REGISTRY_PATTERNS, type Actor, type LoginResultDto } from '@modelyard/contracts';
import {
  APP_CONFIG,
  DomainException,
  LOGGER,
  RATE_LIMIT_STORE,
  RegistryClient,
  SESSION_STORE,
  type AppConfig,
  type LimitRule,
  type Logger,
  type RateLimitStore,
  type SessionStore,
} from '@modelyard/platform';
import { rateLimited } from '../limits/limits.service.js';
import { PrincipalResolver, SESSION_TOKEN_PREFIX, sha256Hex } from './principal-resolver.service.js';

/** An address may fail this many times more than one username: a shared NAT must not lock a whole office out at once. */
const ADDRESS_FACTOR = 4;

/**
 * Sign-in and sign-out. The registry checks the password (and audits every attempt); the session is
 * the gateway's: a random token, of which the session store keeps only the hash, valid for
 * MODELYARD_SESSION_TTL_MS. Repeated failures of one username or from one address are refused with
 * 429 before the password is even checked; those refusals are audited too.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly registry: RegistryClient,
    private readonly resolver: PrincipalResolver,
    @Inject(SESSION_STORE) private readonly sessions: SessionStore,
    @Inject(RATE_LIMIT_STORE) private readonly limits: RateLimitStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async signIn(username: string, password: string, client: Pick<Actor, 'client_ip' | 'request_id'>): Promise<LoginResultDto> {
    const rules = this.failureRules(username, client.client_ip);
    const room = await this.limits.check(rules);
    if (!room.allowed) {
      await this.audit({ name: username.slice(0, 200), user_id: null, token_id: null, ...client }, { reason: 'throttled', username: username.slice(0, 200) });
      throw rateLimited('Too many failed sign-ins for this username or from this address.', room.retryAfterMs);
    }
    const actor: Actor = { name: username.slice(0, 200), user_id: null, token_id: null, ...client };
    let signedIn;
    try {
      signedIn = await this.registry.send(REGISTRY_PATTERNS.signIn, { username, password, actor });
    } catch (error) {
      if (error instanceof DomainException && error.status === 401) await this.limits.record(rules, 1);
      throw error;
    }
    await this.limits.reset([rules[0]!.key]);
    const token = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const expiresAt = new Date(now + this.config.auth.sessionTtlMs).toISOString();
    await this.sessions.create({ id: sha256Hex(token), user_id: signedIn.user.id, created_at: new Date(now).toISOString(), expires_at: expiresAt, client_ip: client.client_ip });
    return { token, expires_at: expiresAt, user: signedIn.user };
  }

  async signOut(sessionId: string | null, actor: Actor): Promise<void> {
    if (sessionId === null) {
      throw new DomainException(409, 'not_a_session', 'Only a signed-in session can sign out; revoke an API token with DELETE /api/v1/tokens/{id}.');
    }
    await this.sessions.delete(sessionId);
    await this.audit(actor, { session: 'ended' }, 'auth.logout', 'success');
  }

  /** A user's sessions end (new password, disabled, deleted): at once, on every gateway. */
  async endSessionsOf(userId: string): Promise<void> {
    const ended = await this.sessions.deleteForUser(userId);
    this.resolver.forgetUser(userId);
    if (ended) this.logger.info({ user_id: userId, sessions: ended }, 'sessions ended');
  }

  /** A user changed without ending its sessions (role, teams, limits): its next request asks again. */
  forget(userId: string): void {
    this.resolver.forgetUser(userId);
  }

  private failureRules(username: string, ip: string | null): LimitRule[] {
    const { signInMaxFailures: limit, signInFailureWindowMs: windowMs } = this.config.auth;
    return [
      { key: `signin:user:${username.toLowerCase().slice(0, 200)}`, limit, windowMs, kind: 'sliding' },
      ...(ip ? [{ key: `signin:ip:${ip}`, limit: limit * ADDRESS_FACTOR, windowMs, kind: 'sliding' as const }] : []),
    ];
  }

  private async audit(actor: Actor, details: Record<string, unknown>, action: 'auth.login_failed' | 'auth.logout' = 'auth.login_failed', result: 'success' | 'failure' = 'failure'): Promise<void> {
    await this.registry
      .send(REGISTRY_PATTERNS.appendAudit, { actor, entry: { action, result, target_type: 'session', target_id: actor.user_id, details } })
      .catch((error: unknown) => this.logger.error({ err: error, action }, 'could not write an audit record'));
  }
}

import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { REGISTRY_PATTERNS, type ResolvedPrincipal } from '@modelyard/contracts';
import { APP_CONFIG, LOGGER, RegistryClient, SESSION_STORE, type AppConfig, type Logger, type SessionStore } from '@modelyard/platform';
import { ApiTokens } from './admin-token.js';

/** Bearer tokens of signed-in sessions start with this; API tokens with API_TOKEN_PREFIX. */
export const SESSION_TOKEN_PREFIX = 'mys_';
export const API_TOKEN_PREFIX = 'myt_';
/** How often the last use of API tokens is written (the registry keeps at most one write a minute per token). */
const TOUCH_FLUSH_MS = 15_000;

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** A bearer token resolved: who it stands for, and, for a session, its id (the token's hash) and end. */
export interface Resolution {
  resolved: ResolvedPrincipal;
  session: { id: string; expires_at: string } | null;
}

/**
 * Turns a bearer token into the principal it stands for: the bootstrap admin token (the built-in
 * admin), a session (the session store, then its user), or an API token (the registry, by hash).
 * Answers are reused for MODELYARD_AUTH_CACHE_TTL_MS, so a revoked token, a disabled user or a new
 * role applies on every gateway within that time; changes made through this gateway at once.
 */
@Injectable()
export class PrincipalResolver implements OnModuleDestroy {
  private readonly cache: LRUCache<string, { value: ResolvedPrincipal | null }> | undefined;
  private readonly loading = new Map<string, Promise<ResolvedPrincipal | null>>();
  private readonly used = new Set<string>();
  private readonly flushTimer: NodeJS.Timeout;

  constructor(
    private readonly registry: RegistryClient,
    private readonly bootstrap: ApiTokens,
    @Inject(SESSION_STORE) private readonly sessions: SessionStore,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const ttl = config.auth.cacheTtlMs;
    this.cache = ttl > 0 ? new LRUCache({ max: 50_000, ttl }) : undefined;
    this.flushTimer = setInterval(() => void this.flushUse(), TOUCH_FLUSH_MS);
    this.flushTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushUse();
  }

  /** null: not a token Modelyard knows, or one that no longer works (revoked, expired, disabled user, ended session). */
  async resolve(bearer: string): Promise<Resolution | null> {
    if (this.bootstrap.authenticate(bearer)) {
      const resolved = await this.cached('bootstrap', () => this.registry.send(REGISTRY_PATTERNS.principalOfBuiltinAdmin, {}));
      return resolved && { resolved, session: null };
    }
    const hash = sha256Hex(bearer);
    if (bearer.startsWith(SESSION_TOKEN_PREFIX)) {
      // Never cached: a sign-out must end the session on every gateway at once.
      const session = await this.sessions.get(hash);
      if (!session) return null;
      const resolved = await this.cached(`user:${session.user_id}`, () => this.registry.send(REGISTRY_PATTERNS.principalOfUser, { user_id: session.user_id }));
      return resolved && { resolved, session: { id: session.id, expires_at: session.expires_at } };
    }
    if (!bearer.startsWith(API_TOKEN_PREFIX)) return null;
    const resolved = await this.cached(`token:${hash}`, () => this.registry.send(REGISTRY_PATTERNS.resolveToken, { token_hash: hash }));
    if (resolved?.principal.token_id) this.used.add(resolved.principal.token_id);
    return resolved && { resolved, session: null };
  }

  /** A user changed through this gateway (role, teams, disabled, deleted): its next request asks again. */
  forgetUser(userId: string): void {
    this.cache?.delete(`user:${userId}`);
    // Tokens are cached by hash; which belong to the user is not known here: drop them all (rare, and cheap to refill).
    for (const key of [...(this.cache?.keys() ?? [])]) if (key.startsWith('token:') || key === 'bootstrap') this.cache?.delete(key);
  }

  forgetToken(): void {
    for (const key of [...(this.cache?.keys() ?? [])]) if (key.startsWith('token:')) this.cache?.delete(key);
  }

  private async cached(key: string, load: () => Promise<ResolvedPrincipal | null>): Promise<ResolvedPrincipal | null> {
    const hit = this.cache?.get(key);
    if (hit) return hit.value;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = load().finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
      pending.then((value) => this.cache?.set(key, { value }), () => undefined);
    }
    return pending;
  }

  private async flushUse(): Promise<void> {
    if (this.used.size === 0) return;
    const tokenIds = [...this.used];
    this.used.clear();
    await this.registry.send(REGISTRY_PATTERNS.touchTokens, { token_ids: tokenIds, at: new Date().toISOString() }).catch((error: unknown) => {
      this.logger.warn({ err: error, tokens: tokenIds.length }, 'could not record when API tokens were last used');
    });
  }
}

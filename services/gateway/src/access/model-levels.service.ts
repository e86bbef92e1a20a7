import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { REGISTRY_PATTERNS, type AccessScope, type ModelAccessLevel } from '@modelyard/contracts';
import { APP_CONFIG, RegistryClient, type AppConfig } from '@modelyard/platform';

/**
 * A caller's level on a model, asked of the registry and reused for MODELYARD_AUTH_CACHE_TTL_MS
 * (a busy caller calling a busy model asks once a second, not per request). Permission changes and
 * deletions through this gateway apply at once; others within that time.
 */
@Injectable()
export class ModelLevelsService {
  private readonly cache: LRUCache<string, { level: ModelAccessLevel | null }> | undefined;

  constructor(
    private readonly registry: RegistryClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const ttl = config.auth.cacheTtlMs;
    this.cache = ttl > 0 ? new LRUCache({ max: 50_000, ttl }) : undefined;
  }

  async levelOf(scope: AccessScope, modelId: string): Promise<ModelAccessLevel | null> {
    const key = `${JSON.stringify(scope)}|${modelId.toLowerCase()}`;
    const hit = this.cache?.get(key);
    if (hit) return hit.level;
    const { level } = await this.registry.send(REGISTRY_PATTERNS.modelAccess, { scope, model_id: modelId });
    this.cache?.set(key, { level });
    return level;
  }

  /** Who may do what changed (permissions, a deleted model, a user's teams or role): ask again. */
  forgetAll(): void {
    this.cache?.clear();
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { REGISTRY_PATTERNS, type RegistryMessages } from '@modelyard/contracts';
import { APP_CONFIG, RegistryClient, type AppConfig } from '@modelyard/platform';

type InvocationTarget = RegistryMessages[typeof REGISTRY_PATTERNS.getInvocationTarget]['response'];

/** Models whose records one gateway keeps at most. */
const MAX_CACHED = 10_000;

/**
 * The records test calls need (model + sealed secret), kept for MODELYARD_MODEL_CACHE_TTL_MS so a
 * busy model is not read from the registry on every call (the largest part of a call's added time).
 * Only active models are kept: any other status is asked again, so a model that has just become
 * active is seen at once. Changes made through this gateway (edit, toggle, delete, upload) drop the
 * record at once; changes made elsewhere (another gateway, a worker marking a model in error) show
 * within the TTL.
 */
@Injectable()
export class InvocationTargetsService {
  private readonly cache: LRUCache<string, InvocationTarget> | undefined;
  /** Bumped by every forget: a lookup that overlapped one may hold the old record and is not kept. */
  private generation = 0;
  /** Lookups in flight, so calls arriving together (or when a record expires under load) share one. */
  private readonly loading = new Map<string, Promise<InvocationTarget>>();

  constructor(
    private readonly registry: RegistryClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    const ttl = config.gateway.modelCacheTtlMs;
    this.cache = ttl > 0 ? new LRUCache({ max: MAX_CACHED, ttl }) : undefined;
  }

  async get(id: string): Promise<InvocationTarget> {
    const cached = this.cache?.get(id);
    if (cached) return cached;
    if (!this.cache) return this.registry.send(REGISTRY_PATTERNS.getInvocationTarget, { id });
    // Keyed by generation too: a call after a forget does not join a lookup that started before it.
    const key = `${this.generation}:${id}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = this.load(id).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    return pending;
  }

  private async load(id: string): Promise<InvocationTarget> {
    const generation = this.generation;
    const target = await this.registry.send(REGISTRY_PATTERNS.getInvocationTarget, { id });
    if (target.model.status === 'active' && generation === this.generation) this.cache?.set(target.model.id, target);
    return target;
  }

  /** The model changed through this gateway: the next call reads it again. */
  forget(id: string): void {
    this.generation++;
    this.cache?.delete(id.toLowerCase());
  }
}

import { describe, expect, it } from '@jest/globals';
import { METRICS_PATTERNS, REGISTRY_PATTERNS, type ApiTokenUsageDto, type ModelStatsDto, type TokenRefDto } from '@modelyard/contracts';
import type { MetricsClient, RegistryClient } from '@modelyard/platform';
import { callerFor } from '@modelyard/testing';
import { ModelStatsController } from './model-stats.controller.js';

const MODEL = '7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11';
const ALICE = { id: '10000000-0000-4000-8000-00000000000a', username: 'alice' };
const KNOWN = 'a1000000-0000-4000-8000-0000000000a1';
const GONE = 'b1000000-0000-4000-8000-0000000000b1';
const CALLER = callerFor({ user_id: ALICE.id, username: ALICE.username, role: 'user' });

const usageOf = (tokenId: string, calls: number): ApiTokenUsageDto => ({
  token_id: tokenId,
  name: null,
  prefix: null,
  user: null,
  calls,
  failures: 0,
  success_rate: 1,
  input_tokens: 0,
  output_tokens: 0,
});

/** The controller over clients that answer from fixed data, recording what they were sent. */
function newTestController(byToken: ApiTokenUsageDto[] | undefined, refs: TokenRefDto[]) {
  const sent: Array<[string, unknown]> = [];
  const registry = {
    send: async (pattern: string, request: unknown) => {
      sent.push([pattern, request]);
      return pattern === REGISTRY_PATTERNS.getModel ? { id: MODEL } : refs;
    },
  };
  const metrics = {
    send: async (pattern: string, request: unknown) => {
      sent.push([pattern, request]);
      return { model_id: MODEL, calls: 3, by_user: [], ...(byToken && { by_token: byToken }) } as Partial<ModelStatsDto>;
    },
  };
  const sut = new ModelStatsController(registry as unknown as RegistryClient, metrics as unknown as MetricsClient);
  return { sut, mocks: { sent } };
}

describe('ModelStatsController', () => {
  it("names each token of by_token from the registry, in the metrics service's order; a token that is gone keeps nulls", async () => {
    const { sut, mocks } = newTestController([usageOf(GONE, 2), usageOf(KNOWN, 1)], [{ id: KNOWN, name: 'ci-pipeline', prefix: 'myt_3fQ9', user: ALICE }]);

    const stats = await sut.stats(CALLER, MODEL, { from: new Date('2026-11-27T08:00:00Z'), to: new Date('2026-11-27T09:00:00Z') });

    expect(stats.by_token).toEqual([usageOf(GONE, 2), { ...usageOf(KNOWN, 1), name: 'ci-pipeline', prefix: 'myt_3fQ9', user: ALICE }]);
    expect(mocks.sent).toEqual([
      [REGISTRY_PATTERNS.getModel, { id: MODEL, scope: CALLER.scope }],
      [METRICS_PATTERNS.modelStats, { model_id: MODEL, from: '2026-11-27T08:00:00.000Z', to: '2026-11-27T09:00:00.000Z' }],
      [REGISTRY_PATTERNS.tokenRefs, { ids: [GONE, KNOWN] }],
    ]);
  });

  it('asks the registry nothing when no token made calls, and answers an empty by_token from a metrics service that sends none', async () => {
    for (const byToken of [[], undefined]) {
      const { sut, mocks } = newTestController(byToken, []);

      const stats = await sut.stats(CALLER, MODEL, {});

      expect(stats.by_token).toEqual([]);
      expect(mocks.sent.map(([pattern]) => pattern)).toEqual([REGISTRY_PATTERNS.getModel, METRICS_PATTERNS.modelStats]);
    }
  });
});

import { describe, expect, it } from '@jest/globals';
import type { Limits, ResolvedPrincipal } from '@modelyard/contracts';
import { InProcessRateLimitStore } from '@modelyard/platform';
import { LimitsService } from './limits.service.js';

const NONE: Limits = { rpm_limit: null, tpm_limit: null, daily_call_limit: null };

function resolved(user: Partial<Limits>, token: Partial<Limits> | null): ResolvedPrincipal {
  return {
    principal: { user_id: 'u-1', username: 'mei', role: 'user', team_ids: [], via: token ? 'token' : 'session', token_id: token ? 't-1' : null, scopes: null, model_ids: null },
    limits: { user: { ...NONE, ...user }, token: token && { ...NONE, ...token } },
    expires_at: null,
  };
}

function service(start = Date.UTC(2026, 11, 6, 12, 0, 0)) {
  const clock = { now: start };
  return { limits: new LimitsService(new InProcessRateLimitStore({ now: () => clock.now })), clock };
}

describe('LimitsService', () => {
  it('admits everything, reporting nothing, without limits', async () => {
    const { limits } = service();
    for (let i = 0; i < 50; i++) expect(await limits.admit(resolved({}, {}), { call: true })).toEqual({ report: null, refusal: null });
  });

  it('refuses over the tighter of the token\'s and the user\'s per-minute limit, over a sliding minute', async () => {
    const { limits, clock } = service();
    const caller = resolved({ rpm_limit: 5 }, { rpm_limit: 3 });
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push(await limits.admit(caller, { call: false }));
    expect(outcomes.map((o) => o.refusal === null)).toEqual([true, true, true, false]);
    expect(outcomes[2]!.report).toEqual({ limit: 3, remaining: 0, resetSeconds: 60 });
    expect(outcomes[3]!.refusal).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 60 });
    expect(outcomes[3]!.refusal!.detail).toContain('3 (token)');
    // The first request leaves the window a minute after it was made; not before.
    clock.now += 59_999;
    expect((await limits.admit(caller, { call: false })).refusal).not.toBeNull();
    clock.now += 1;
    expect((await limits.admit(caller, { call: false })).refusal).toBeNull();
  });

  it('counts the user\'s limit over all of its tokens and sessions', async () => {
    const { limits } = service();
    const viaToken = resolved({ rpm_limit: 2 }, { rpm_limit: 100 });
    const viaSession = resolved({ rpm_limit: 2 }, null);
    expect((await limits.admit(viaToken, { call: false })).refusal).toBeNull();
    expect((await limits.admit(viaSession, { call: false })).refusal).toBeNull();
    expect((await limits.admit(viaToken, { call: false })).refusal).not.toBeNull();
  });

  it('counts calls per UTC day, only for model calls, until midnight', async () => {
    const { limits, clock } = service(Date.UTC(2026, 11, 6, 23, 59, 0));
    const caller = resolved({}, { daily_call_limit: 2 });
    expect((await limits.admit(caller, { call: false })).refusal).toBeNull();
    expect((await limits.admit(caller, { call: true })).refusal).toBeNull();
    expect((await limits.admit(caller, { call: true })).refusal).toBeNull();
    const refused = await limits.admit(caller, { call: true });
    expect(refused.refusal).toMatchObject({ status: 429, retryAfterSeconds: 60 });
    expect(refused.refusal!.detail).toContain('Daily call quota');
    clock.now = Date.UTC(2026, 11, 7, 0, 0, 0);
    expect((await limits.admit(caller, { call: true })).refusal).toBeNull();
  });

  it('refuses a call while the last minute\'s language-model tokens reach the limit, counted after each call', async () => {
    const { limits, clock } = service();
    const caller = resolved({ tpm_limit: 1_000 }, null);
    expect((await limits.admit(caller, { call: true })).refusal).toBeNull();
    await limits.recordTokens(caller, 999);
    expect((await limits.admit(caller, { call: true })).refusal).toBeNull();
    await limits.recordTokens(caller, 1);
    const refused = await limits.admit(caller, { call: true });
    expect(refused.refusal!.detail).toContain('token limit');
    // Requests that call no model are not held back by tokens.
    expect((await limits.admit(caller, { call: false })).refusal).toBeNull();
    clock.now += 60_000;
    expect((await limits.admit(caller, { call: true })).refusal).toBeNull();
  });
});

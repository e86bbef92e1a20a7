import { describe, expect, it } from '@jest/globals';
import { accessScopeOf, hasScope, modelLevelOf, type AccessScope, type ModelAccessRecord, type Principal } from './principal.js';

const ME = 'user-me';
const OTHER = 'user-other';
const TEAM = 'team-nlp';
const MODEL = 'model-1';

const principal = (role: Principal['role'], extra: Partial<Principal> = {}): Principal => ({
  user_id: ME,
  username: 'me',
  role,
  team_ids: [],
  via: 'session',
  token_id: null,
  scopes: null,
  model_ids: null,
  ...extra,
});
const scopeOf = (role: Principal['role'], extra: Partial<Principal> = {}): AccessScope => accessScopeOf(principal(role, extra));
const record = (extra: Partial<ModelAccessRecord> = {}): ModelAccessRecord => ({ owner_id: OTHER, visibility: 'private', grants: [], ...extra });

describe('modelLevelOf', () => {
  it('gives nothing of a private model of someone else', () => {
    for (const role of ['maintainer', 'user', 'viewer'] as const) expect(modelLevelOf(scopeOf(role), MODEL, record())).toBeNull();
  });

  it('gives admins manage of every model, and owners manage of theirs', () => {
    expect(modelLevelOf(scopeOf('admin'), MODEL, record())).toBe('manage');
    expect(modelLevelOf(scopeOf('maintainer'), MODEL, record({ owner_id: ME }))).toBe('manage');
  });

  it('gives the strongest of the grants to the user and to its teams', () => {
    const grants = [
      { user_id: ME, team_id: null, level: 'read' as const },
      { user_id: null, team_id: TEAM, level: 'edit' as const },
      { user_id: OTHER, team_id: null, level: 'manage' as const },
    ];
    expect(modelLevelOf(scopeOf('maintainer'), MODEL, record({ grants }))).toBe('read');
    expect(modelLevelOf(scopeOf('maintainer', { team_ids: [TEAM] }), MODEL, record({ grants }))).toBe('edit');
  });

  it('lets every signed-in user read and use an internal model, not more', () => {
    expect(modelLevelOf(scopeOf('maintainer'), MODEL, record({ visibility: 'internal' }))).toBe('use');
    expect(modelLevelOf(scopeOf('viewer'), MODEL, record({ visibility: 'internal' }))).toBe('read');
  });

  it('caps every level by the role: a viewer granted edit only reads, a user owning a model only uses it', () => {
    expect(modelLevelOf(scopeOf('viewer'), MODEL, record({ grants: [{ user_id: ME, team_id: null, level: 'edit' }] }))).toBe('read');
    expect(modelLevelOf(scopeOf('user'), MODEL, record({ owner_id: ME }))).toBe('use');
  });

  it('hides the models a token is not limited to, even from admins and owners', () => {
    expect(modelLevelOf(scopeOf('admin', { model_ids: ['model-2'] }), MODEL, record())).toBeNull();
    expect(modelLevelOf(scopeOf('maintainer', { model_ids: ['model-2'] }), MODEL, record({ owner_id: ME }))).toBeNull();
    expect(modelLevelOf(scopeOf('maintainer', { model_ids: [MODEL] }), MODEL, record({ owner_id: ME }))).toBe('manage');
  });
});

describe('hasScope', () => {
  it('gives sessions every scope, and tokens only theirs', () => {
    expect(hasScope(principal('viewer'), 'admin')).toBe(true);
    expect(hasScope(principal('admin', { via: 'token', scopes: ['read'] }), 'write')).toBe(false);
    expect(hasScope(principal('admin', { via: 'token', scopes: ['read', 'write'] }), 'write')).toBe(true);
  });
});

import type { Role, TokenScope, WhoAmI } from '../api/identity-types';

/*
 * What the console shows or hides. The API decides (libs/contracts/src/identity/permissions.constant.ts,
 * each route's `x-permission` in /api/docs-json); this is its table for the routes the console calls,
 * so that a menu or a button is not offered to someone the API would refuse. Where the answer depends
 * on the model (its owner and grants), the console cannot know in advance and shows the API's 403/404.
 */

const ROLE_RANK: Record<Role, number> = { admin: 3, maintainer: 2, user: 1, viewer: 0 };

interface Rule {
  /** The token scope the route needs; null: any signed-in caller. */
  scope: TokenScope | null;
  /** The weakest role allowed. */
  role: Role;
}

const RULES = {
  'models.create': { scope: 'write', role: 'maintainer' },
  'models.edit': { scope: 'write', role: 'maintainer' },
  'models.delete': { scope: 'write', role: 'maintainer' },
  'models.use': { scope: 'invoke', role: 'user' },
  'models.permissions.read': { scope: 'read', role: 'maintainer' },
  'users.manage': { scope: 'admin', role: 'admin' },
  'tokens.own': { scope: 'admin', role: 'viewer' },
  // The API lets any role read the audit events of models it manages; only maintainers and admins
  // can manage a model, so the menu is theirs.
  'audit.read': { scope: 'read', role: 'maintainer' },
  'audit.verify': { scope: 'admin', role: 'admin' },
} as const satisfies Record<string, Rule>;

export type ConsolePermission = keyof typeof RULES;

/** Whether the signed-in caller may do `permission`: its role, and a token's scopes where it signed in with one. */
export function allows(me: Pick<WhoAmI, 'user' | 'scopes'>, permission: ConsolePermission): boolean {
  const rule: Rule = RULES[permission];
  if (ROLE_RANK[me.user.role] < ROLE_RANK[rule.role]) return false;
  return rule.scope === null || me.scopes === null || me.scopes.includes(rule.scope);
}

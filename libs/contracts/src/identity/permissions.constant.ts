import type { ModelAccessLevel, Role, TokenScope } from './access.constant.js';

/**
 * What calling a route takes. `scope`: the token scope it needs (null: any authenticated caller);
 * `role`: the weakest role allowed; `model`: the level needed on the model named by the route's
 * `:id` (a caller below `read` gets 404: the model does not exist for it; below the level, 403);
 * `call`: the route calls a model, so it counts against the daily call quota.
 */
export interface PermissionRule {
  scope: TokenScope | null;
  role: Role;
  model?: ModelAccessLevel;
  call?: true;
  summary: string;
}

/**
 * Every permission a route may require, by name. Every route declares one (or is public): a test
 * walks the OpenAPI document and fails on any operation without.
 */
export const PERMISSIONS = {
  'models.list': { scope: 'read', role: 'viewer', summary: 'List the models the caller may read' },
  'models.read': { scope: 'read', role: 'viewer', model: 'read', summary: 'Read a model and its statistics' },
  'models.create': { scope: 'write', role: 'maintainer', summary: 'Register a model' },
  'models.edit': { scope: 'write', role: 'maintainer', model: 'edit', summary: 'Edit, switch, or upload files to a model' },
  'models.delete': { scope: 'write', role: 'maintainer', model: 'manage', summary: 'Delete a model' },
  'models.use': { scope: 'invoke', role: 'user', model: 'use', call: true, summary: 'Test or invoke a model' },
  'models.permissions.read': { scope: 'read', role: 'maintainer', model: 'manage', summary: 'Read who may use a model' },
  'models.permissions.write': { scope: 'write', role: 'maintainer', model: 'manage', summary: 'Change who may use a model' },
  'hub.preview': { scope: 'read', role: 'maintainer', summary: 'Look up a Hugging Face repo before importing it' },
  'users.manage': { scope: 'admin', role: 'admin', summary: 'Create, read, change and delete users and teams' },
  'tokens.own': { scope: 'admin', role: 'viewer', summary: 'Create, list and revoke one\'s own API tokens (admins: anyone\'s)' },
  'audit.read': { scope: 'read', role: 'viewer', summary: 'Read audit events (admins: all; others: those on models they manage)' },
  'audit.verify': { scope: 'admin', role: 'admin', summary: 'Check the audit log\'s hash chain' },
  'secrets.rotate': { scope: 'admin', role: 'admin', summary: 'Re-seal stored secrets with the current master key' },
  'session': { scope: null, role: 'viewer', summary: 'Anything an authenticated caller may do about itself (who am I, sign out)' },
} as const satisfies Record<string, PermissionRule>;

export type Permission = keyof typeof PERMISSIONS;
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

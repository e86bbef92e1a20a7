import { accessScopeOf, type Caller, type Principal } from '@modelyard/contracts';

/** A caller as the gateway would send it for `user` (a session unless `principal` says otherwise). */
export function callerFor(user: Pick<Principal, 'user_id' | 'username' | 'role'>, principal: Partial<Principal> = {}): Caller {
  const full: Principal = { team_ids: [], via: 'session', token_id: null, scopes: null, model_ids: null, ...user, ...principal };
  return {
    principal: full,
    scope: accessScopeOf(full),
    actor: { name: full.username, user_id: full.user_id, token_id: full.token_id, client_ip: '127.0.0.1', request_id: 'test-request' },
  };
}

/** The built-in admin (the bootstrap token's user) of a registry database, as a caller. */
export async function builtinAdminCaller(database: { query(sql: string): Promise<unknown> }): Promise<Caller> {
  const [admin] = (await database.query(`SELECT "id", "username" FROM "users" WHERE "builtin"`)) as Array<{ id: string; username: string }>;
  if (!admin) throw new Error('no built-in admin: did the registry migrations run?');
  return callerFor({ user_id: admin.id, username: admin.username, role: 'admin' }, { via: 'bootstrap' });
}

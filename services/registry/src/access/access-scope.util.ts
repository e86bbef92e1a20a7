import { ROLE_LEVEL_CAP, type AccessScope } from '@modelyard/contracts';

/** A WHERE fragment for TypeORM's query builder, with its named parameters. */
export interface SqlCondition {
  sql: string;
  params: Record<string, unknown>;
}

/** The user's own grants or its teams': `g` is a model_grants row. */
function grantedTo(scope: Extract<AccessScope, { all: false }>, prefix: string): SqlCondition {
  const params: Record<string, unknown> = { [`${prefix}User`]: scope.user_id };
  let sql = `g.user_id = :${prefix}User`;
  if (scope.team_ids.length > 0) {
    params[`${prefix}Teams`] = scope.team_ids;
    sql = `(${sql} OR g.team_id IN (:...${prefix}Teams))`;
  }
  return { sql, params };
}

/** A token's model list, when it has one. */
function tokenModels(scope: AccessScope, alias: string, prefix: string): SqlCondition | null {
  if (scope.model_ids === null) return null;
  if (scope.model_ids.length === 0) return { sql: 'FALSE', params: {} };
  return { sql: `${alias}.id IN (:...${prefix}Models)`, params: { [`${prefix}Models`]: scope.model_ids } };
}

const and = (conditions: Array<SqlCondition | null>): SqlCondition => {
  const present = conditions.filter((condition): condition is SqlCondition => condition !== null);
  if (present.length === 0) return { sql: 'TRUE', params: {} };
  return { sql: present.map((condition) => `(${condition.sql})`).join(' AND '), params: Object.assign({}, ...present.map((c) => c.params)) };
};

/**
 * How the grant part of the rule is asked. `row`: for each candidate row, an index probe of its
 * grants (OFFSET 0 keeps PostgreSQL from turning the EXISTS into a hashed set of every model the
 * user is granted, which a page of 20 rows would otherwise build in full on every call: 15,000
 * grants at 100k models cost 5–10 ms per page). `set`: the granted model ids as one set, which the
 * planner may hash; cheaper where most rows are visited anyway, as in a count.
 */
export type ReadableForm = 'row' | 'set';

/**
 * The models a scope may read, as a condition on the models table (under `alias`): the same rule as
 * modelLevelOf — internal visibility, ownership, a grant to the user or one of its teams — so that
 * lists, counts and searches never show a model whose page would be a 404.
 */
export function readableModelsSql(scope: AccessScope, alias: string, prefix = 'access', form: ReadableForm = 'row'): SqlCondition {
  if (scope.all) return and([tokenModels(scope, alias, prefix)]);
  const params: Record<string, unknown> = { [`${prefix}User`]: scope.user_id };
  const grantees = [`g.user_id = :${prefix}User`];
  if (scope.team_ids.length > 0) {
    params[`${prefix}Teams`] = scope.team_ids;
    grantees.push(`g.team_id IN (:...${prefix}Teams)`);
  }
  // One lookup per kind of grantee: each is index-only on (model_id, user_id) or (model_id, team_id).
  const granted =
    form === 'set'
      ? `${alias}.id IN (${grantees.map((grantee) => `SELECT g.model_id FROM model_grants g WHERE ${grantee}`).join(' UNION ALL ')})`
      : grantees.map((grantee) => `EXISTS (SELECT 1 FROM model_grants g WHERE g.model_id = ${alias}.id AND ${grantee} OFFSET 0)`).join(' OR ');
  return and([
    { sql: `${alias}.visibility = 'internal' OR ${alias}.owner_id = :${prefix}User OR ${granted}`, params },
    tokenModels(scope, alias, prefix),
  ]);
}

/** The models a scope manages (owner, or a `manage` grant), as a condition on `m`: for the audit log. */
export function managedModelsSql(scope: AccessScope, prefix = 'managed'): SqlCondition {
  if (scope.all) return and([tokenModels(scope, 'm', prefix)]);
  // A role capped below manage manages nothing, whatever it owns or was granted.
  if (ROLE_LEVEL_CAP[scope.role] !== 'manage') return { sql: 'FALSE', params: {} };
  const grant = grantedTo(scope, prefix);
  return and([
    {
      sql: `m.owner_id = :${prefix}User OR EXISTS (SELECT 1 FROM model_grants g WHERE g.model_id = m.id AND g.level = 'manage' AND ${grant.sql})`,
      params: grant.params,
    },
    tokenModels(scope, 'm', prefix),
  ]);
}

// What a list answer must be, from a plain SQL statement of the access rule (internal, owned, or
// granted to the user or one of its teams; admins everything) written apart from the product's
// query: same total, same ids in the same order. The benchmark refuses to measure a faster query
// that answers differently.
const SORTS = { created_at: 'created_at', updated_at: 'updated_at', name: 'name', latency_ms: 'latency_ms', accuracy: 'accuracy' };
const NULLABLE = new Set(['latency_ms', 'accuracy']);

/** Statements on PGlite's socket stay together only inside a transaction (see seed.mjs). */
export async function inTransaction(db, work) {
  await db.query('BEGIN');
  try {
    return await work();
  } finally {
    await db.query('COMMIT');
  }
}

/** The reference answer of a list query string for `username` (null: an admin). */
export async function referenceAnswer(db, queryString, username) {
  const q = new URLSearchParams(queryString);
  const params = [];
  const p = (value) => (params.push(value), `$${params.length}`);
  const where = [];
  if (username) {
    const me = `(SELECT id FROM users WHERE username = ${p(username)})`;
    where.push(`(m.visibility = 'internal' OR m.owner_id = ${me} OR m.id IN (
      SELECT g.model_id FROM model_grants g WHERE g.user_id = ${me} OR g.team_id IN (SELECT team_id FROM team_members WHERE user_id = ${me})))`);
  }
  for (const field of ['type', 'status', 'source', 'framework']) if (q.has(field)) where.push(`m.${field} = ${p(q.get(field))}`);
  if (q.has('q')) {
    const like = p(`%${q.get('q').replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`(m.name ILIKE ${like} OR m.description ILIKE ${like})`);
  }
  const sort = q.get('sort') ?? '-created_at';
  const field = sort.replace(/^-/, '');
  const direction = sort.startsWith('-') ? 'DESC' : 'ASC';
  const pageSize = Number(q.get('page_size') ?? 20);
  const page = Number(q.get('page') ?? 1);
  const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
  return inTransaction(db, async () => {
    const total = (await db.query(`SELECT count(*)::int AS n FROM models m ${clause}`, params)).rows[0].n;
    const { rows } = await db.query(
      `SELECT m.id FROM models m ${clause}
       ORDER BY m.${SORTS[field]} ${direction}${NULLABLE.has(field) ? ' NULLS LAST' : ''}, m.id ${direction}
       LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`,
      params,
    );
    return { total, ids: rows.map((r) => r.id) };
  });
}

/** Asks Modelyard and the reference; throws on any difference. */
export async function checkAnswers(db, base, token, queryString, username) {
  const response = await fetch(`${base}/api/v1/ai-models/?${queryString}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.json();
  if (!response.ok) throw new Error(`GET ?${queryString}: HTTP ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  const expected = await referenceAnswer(db, queryString, username);
  const ids = body.items.map((m) => m.id);
  if (body.total !== expected.total || JSON.stringify(ids) !== JSON.stringify(expected.ids)) {
    throw new Error(`?${queryString} as ${username ?? 'admin'}: total ${body.total}, expected ${expected.total}; ids ${ids.slice(0, 3)}…, expected ${expected.ids.slice(0, 3)}…`);
  }
  return { total: body.total, items: ids.length };
}

// The access-list benchmark's deterministic organisation: ~50 users in 8 teams, and N models with
// owners, private/internal visibility and grants to users and teams; a pure function of N.
//
// Shape (why these numbers): a team of about 50 people where maintainers register models for their
// team. A quarter of the models are `internal` (everyone may read them); the rest are private, most
// shared with the owner's team, some with a second team, a few with individual users. The measured
// caller (`bench-maint`, a maintainer in two teams who owns its share of models) can read about
// 40% of the catalogue; the admin everything.
//
// Names carry two search terms the rest of the text never contains: `zephyr` in ~1% of them and
// `quokka` in ~0.1%, so `q=zephyr` (Modelyard: name or description) and `name ILIKE '%zephyr%'`
// (MLflow: name) find the same models.
import { randomUUID } from 'node:crypto';

export const TEAMS = ['search', 'ml-platform', 'nlp', 'vision', 'speech', 'recsys', 'infra', 'research'];
export const CALLER = 'bench-maint';
export const ADMIN_USER = 'bench-admin';
const TYPES = ['llm', 'vision', 'audio', 'multimodal', 'embedding', 'custom'];
const FRAMEWORKS = ['pytorch', 'tensorflow', 'onnx', 'tensorrt', 'openvino', 'custom'];
const SOURCES = ['huggingface', 'upload', 'endpoint', 'custom'];
const STATUSES = ['active', 'inactive', 'uploading', 'error'];
const STATUS_WEIGHTS = [50, 35, 8, 7];
const FAMILIES = ['llama', 'mistral', 'qwen', 'phi', 'gemma', 'bert', 'clip', 'whisper', 'yolo', 'resnet', 'vit', 'e5', 'bge', 't5'];
const TAGS = ['production', 'staging', 'experimental', 'chat', 'rag', 'vision', 'speech', 'quantized', 'fp16', 'int8', 'gpu', 'cpu', 'edge'];
const WORDS = 'fine tuned on internal support tickets evaluated against the quarterly benchmark suite distilled from a larger teacher model served behind the shared inference pool with batching and quantized weights for lower latency'.split(' ');
export const SEARCH_TERMS = { common: 'zephyr', rare: 'quokka' };

function rng(seed) {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (r, list) => list[Math.floor(r() * list.length)];
const weighted = (r, list, weights) => {
  let x = r() * weights.reduce((s, w) => s + w, 0);
  for (let k = 0; k < list.length; k++) if ((x -= weights[k]) < 0) return list[k];
  return list.at(-1);
};

/** 50 users: 2 admins, 18 maintainers (model owners), 25 users, 5 viewers; each in one or two teams. */
export function people() {
  const users = [];
  for (let k = 0; k < 50; k++) {
    const role = k < 2 ? 'admin' : k < 20 ? 'maintainer' : k < 45 ? 'user' : 'viewer';
    const username = k === 0 ? ADMIN_USER : k === 2 ? CALLER : `bench-${role}-${String(k).padStart(2, '0')}`;
    const teams = [TEAMS[k % TEAMS.length]];
    if (k % 5 === 2) teams.push(TEAMS[(k + 3) % TEAMS.length]); // a fifth of them (the caller too) in a second team
    users.push({ id: randomUUID(), username, role, teams });
  }
  return { users, teams: TEAMS.map((name) => ({ id: randomUUID(), name })) };
}

/** Model i of n: its fields, owner (a maintainer), visibility and grants (by username / team name). */
export function model(i, n, maintainers) {
  const r = rng(0xacce5500 + i);
  const type = pick(r, TYPES);
  const family = pick(r, FAMILIES);
  const term = r() < 0.01 ? `-${SEARCH_TERMS.common}` : '';
  const rare = r() < 0.001 ? `-${SEARCH_TERMS.rare}` : '';
  const owner = maintainers[Math.floor(r() * maintainers.length)];
  const internal = r() < 0.25;
  const grants = [];
  if (!internal) {
    if (r() < 0.6) grants.push({ team: owner.teams[0], level: r() < 0.7 ? 'use' : 'edit' });
    if (r() < 0.15) grants.push({ team: pick(r, TEAMS), level: 'read' });
    const users = r() < 0.1 ? 1 + Math.floor(r() * 2) : 0;
    for (let u = 0; u < users; u++) grants.push({ user: `bench-user-${String(20 + Math.floor(r() * 25)).padStart(2, '0')}`, level: 'use' });
  }
  const tags = [...new Set(Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(r, TAGS)))];
  const words = Array.from({ length: 10 + Math.floor(r() * 16) }, () => pick(r, WORDS));
  return {
    name: `${family}-${type}${term}${rare}-${String(i).padStart(6, '0')}`,
    version: '1.0',
    type,
    framework: pick(r, FRAMEWORKS),
    source: pick(r, SOURCES),
    status: weighted(r, STATUSES, STATUS_WEIGHTS),
    description: `${family} ${type} model: ${words.join(' ')}.`,
    tags,
    accuracy: r() < 0.7 ? Math.round(r() * 10000) / 10000 : null,
    latency_ms: r() < 0.6 ? Math.round(5 + r() * 2000) : null,
    owner,
    visibility: internal ? 'internal' : 'private',
    grants: dedupeGrants(grants),
    // One model every 5 minutes, the newest now-ish; edited within the week after.
    createdOffsetMs: (n - i) * 5 * 60_000,
    updatedAfterMs: Math.floor(r() * 7 * 86_400_000),
  };
}

/** One grant per grantee (the table's unique constraints). */
function dedupeGrants(grants) {
  const seen = new Map();
  for (const g of grants) seen.set(g.team ? `t:${g.team}` : `u:${g.user}`, g);
  return [...seen.values()];
}

/** Whether `user` may read model `m` (the product's rule, restated here to check its answers). */
export function mayRead(user, m) {
  if (user.role === 'admin') return true;
  return m.visibility === 'internal' || m.owner.username === user.username || m.grants.some((g) => (g.user ? g.user === user.username : user.teams.includes(g.team)));
}

/**
 * Writes the organisation and n models into a registry database (`client`: a connected pg client
 * on its schema), in one transaction: PGlite's socket server keeps a connection's messages
 * together only inside one (see seed.mjs). No ANALYZE: what a fresh bulk load leaves for the
 * product's own statistics refresh (or autovacuum) to find is part of what is measured.
 */
export async function seedOrganisation(client, n, { chunk = 5000 } = {}) {
  const { users, teams } = people();
  const maintainers = users.filter((u) => u.role === 'maintainer');
  const userByName = new Map(users.map((u) => [u.username, u]));
  const teamByName = new Map(teams.map((t) => [t.name, t]));
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO users (id, username, display_name, role) SELECT * FROM unnest($1::uuid[], $2::text[], $2::text[], $3::text[])`,
    [users.map((u) => u.id), users.map((u) => u.username), users.map((u) => u.role)],
  );
  await client.query(`INSERT INTO teams (id, name) SELECT * FROM unnest($1::uuid[], $2::text[])`, [teams.map((t) => t.id), teams.map((t) => t.name)]);
  const members = users.flatMap((u) => u.teams.map((t) => [teamByName.get(t).id, u.id]));
  await client.query(`INSERT INTO team_members (team_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`, [members.map((m) => m[0]), members.map((m) => m[1])]);
  const { rows: [{ now }] } = await client.query('SELECT now() AS now');
  const stats = { models: n, readable: 0, grants: 0, internal: 0 };
  const caller = userByName.get(CALLER);
  const config = JSON.stringify({ input_format: null, output_format: null, parameters: {}, env: {} });
  for (let start = 0; start < n; start += chunk) {
    const rows = [];
    for (let i = start; i < Math.min(n, start + chunk); i++) rows.push({ id: randomUUID(), ...model(i, n, maintainers) });
    const col = (f) => rows.map(f);
    await client.query(
      `INSERT INTO models (id, name, version, type, framework, source, status, description, tags, config, accuracy, latency_ms,
                           owner, owner_id, visibility, created_at, updated_at)
       SELECT id, name, version, type, framework, source, status, description, tags::text[], $10::jsonb, accuracy, latency_ms,
              owner, owner_id, visibility, created_at, updated_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
                   $11::float8[], $12::float8[], $13::text[], $14::uuid[], $15::text[], $16::timestamptz[], $17::timestamptz[])
            AS t(id, name, version, type, framework, source, status, description, tags, accuracy, latency_ms, owner, owner_id, visibility, created_at, updated_at)`,
      [
        col((m) => m.id), col((m) => m.name), col((m) => m.version), col((m) => m.type), col((m) => m.framework), col((m) => m.source),
        col((m) => m.status), col((m) => m.description), col((m) => `{${m.tags.join(',')}}`), config,
        col((m) => m.accuracy), col((m) => m.latency_ms), col((m) => m.owner.username), col((m) => m.owner.id), col((m) => m.visibility),
        col((m) => new Date(now.getTime() - m.createdOffsetMs)), col((m) => new Date(now.getTime() - m.createdOffsetMs + m.updatedAfterMs)),
      ],
    );
    const grants = rows.flatMap((m) => m.grants.map((g) => [m.id, g.user ? userByName.get(g.user).id : null, g.team ? teamByName.get(g.team).id : null, g.level]));
    if (grants.length) {
      await client.query(`INSERT INTO model_grants (model_id, user_id, team_id, level) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[])`, [
        grants.map((g) => g[0]), grants.map((g) => g[1]), grants.map((g) => g[2]), grants.map((g) => g[3]),
      ]);
    }
    stats.grants += grants.length;
    stats.internal += rows.filter((m) => m.visibility === 'internal').length;
    stats.readable += rows.filter((m) => mayRead(caller, m)).length;
  }
  await client.query('COMMIT');
  return { users, teams, stats };
}

/** The models of `rows` MLflow gets: the same names and descriptions, type/status/source/framework and tags as tags. */
export function* mlflowRecords(n) {
  const { users } = people();
  const maintainers = users.filter((u) => u.role === 'maintainer');
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const m = model(i, n, maintainers);
    const created = now - m.createdOffsetMs;
    yield {
      name: m.name,
      description: m.description,
      created,
      updated: created + m.updatedAfterMs,
      tags: { type: m.type, status: m.status, source: m.source, framework: m.framework, ...Object.fromEntries(m.tags.map((t) => [`tag.${t}`, 'true'])) },
    };
  }
}

// The access-list benchmark's markdown: medians over rounds, ratios taken within each round (the
// two targets measured back to back) and then their median, and the verdict against the targets.
import { median } from './harness.mjs';

const GOAL_RATIO = 10;
const GOAL_OVERHEAD_MS = 0.5;
const f = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const range = (xs, digits) => {
  const finite = xs.filter(Number.isFinite);
  return finite.length > 1 ? ` (${f(Math.min(...finite), digits)}–${f(Math.max(...finite), digits)})` : '';
};

function cell(rows, key, digits) {
  return f(median(rows.map((r) => r[key])), digits);
}

/** Per-round ratio of `target`'s req/s to MLflow's. */
function ratios(rows, target) {
  const rounds = [...new Set(rows.map((r) => r.round))];
  return rounds.map((round) => {
    const mine = rows.find((r) => r.round === round && r.target === target);
    const theirs = rows.find((r) => r.round === round && r.target === 'mlflow');
    return mine && theirs ? mine.rps / theirs.rps : NaN;
  });
}

export function report(results) {
  const lines = [];
  const m = results.machine;
  lines.push(`# Access-filtered lists beside MLflow (bench/access-list.mjs)`, '');
  lines.push(`${m.date}; ${m.cpus}; ${m.memory_gib} GiB; Node ${m.node}; kernel ${m.kernel}; load ${m.load_at_start.join('/')} at start${m.load_at_end ? `, ${m.load_at_end.join('/')} at end` : ''}.`);
  lines.push(`Rounds ${results.args.ROUNDS} × ${results.args.SECONDS} s per measurement; page size ${results.args.PAGE}. Medians over rounds; ×MLflow is the median of per-round ratios (min–max).`, '');
  const verdict = [];
  for (const run of results.runs) {
    const s = run.seed;
    lines.push(`## ${run.mode}, ${run.size.toLocaleString('en')} models (MLflow ${run.mlflow})`, '');
    lines.push(`Seeded in ${f(s.seconds, 1)} s: ${s.internal} internal, ${s.grants} grants, ${s.readable} readable by the non-admin; planner statistics ${Number.isFinite(s.statsSeconds) ? `${f(s.statsSeconds, 1)} s after the load` : 'NOT gathered within the timeout'}.`, '');
    lines.push('| query | c | MLflow req/s | p50 ms | p95 ms | admin req/s | p50 | p95 | admin ×MLflow | user req/s | p50 | p95 | **user ×MLflow** | CPU ms/req MLflow / admin / user |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    const queries = [...new Set(run.measurements.map((x) => x.query))];
    const conns = [...new Set(run.measurements.map((x) => x.connections))];
    for (const query of queries) {
      for (const c of conns) {
        const rows = run.measurements.filter((x) => x.query === query && x.connections === c);
        const of = (t) => rows.filter((x) => x.target === t);
        const [ml, admin, user] = [of('mlflow'), of('modelyard-admin'), of('modelyard-user')];
        const ra = ratios(rows, 'modelyard-admin');
        const ru = ratios(rows, 'modelyard-user');
        const total = (t) => run.checks.find((x) => x.query === query && x.who === t)?.total;
        lines.push(
          `| ${query} (total ${total('admin')} / ${total('user')}) | ${c} | ${cell(ml, 'rps')} | ${cell(ml, 'p50', 2)} | ${cell(ml, 'p95', 2)} | ${cell(admin, 'rps')} | ${cell(admin, 'p50', 2)} | ${cell(admin, 'p95', 2)} | ${f(median(ra), 1)}${range(ra, 1)} | ${cell(user, 'rps')} | ${cell(user, 'p50', 2)} | ${cell(user, 'p95', 2)} | **${f(median(ru), 1)}**${range(ru, 1)} | ${cell(ml, 'cpuMsPerRequest', 2)} / ${cell(admin, 'cpuMsPerRequest', 2)} / ${cell(user, 'cpuMsPerRequest', 2)} |`,
        );
        const worst = Math.min(median(ra), median(ru));
        verdict.push({ run, query, c, worst, met: worst >= GOAL_RATIO });
      }
    }
    const failed = run.measurements.reduce((sum, x) => sum + x.failed, 0) + run.overhead.reduce((sum, x) => sum + x.failed, 0);
    lines.push('', failed ? `**${failed} requests failed.**` : 'No request failed.', '');
    if (run.overhead.length) {
      const by = (t) => run.overhead.filter((x) => x.token === t);
      const diff = (t) => [...new Set(run.overhead.map((x) => x.round))].map((round) => {
        const a = run.overhead.find((x) => x.round === round && x.token === t);
        const b = run.overhead.find((x) => x.round === round && x.token === 'bootstrap');
        return a && b ? a.p50 - b.p50 : NaN;
      });
      lines.push('Authorisation + rate-limit overhead, first page, c=1:', '');
      lines.push('| token | p50 ms | p95 ms | req/s | p50 − bootstrap token p50, ms (per-round median, min–max) |', '|---|---|---|---|---|');
      for (const [t, label] of [['bootstrap', 'bootstrap admin (no limits)'], ['admin', 'admin user API token, rpm limit'], ['user', 'non-admin API token, rpm limit (+ permission filter)']]) {
        const d = t === 'bootstrap' ? null : diff(t);
        lines.push(`| ${label} | ${cell(by(t), 'p50', 3)} | ${cell(by(t), 'p95', 3)} | ${cell(by(t), 'rps')} | ${d ? `**${f(median(d), 3)}**${range(d, 3)}` : '—'} |`);
        if (d) verdict.push({ run, query: `overhead (${t} token)`, c: 1, overhead: median(d), met: median(d) <= GOAL_OVERHEAD_MS });
      }
      lines.push('');
    }
  }
  lines.push('## Against the goals', '');
  const ratioRows = verdict.filter((v) => v.overhead === undefined);
  const missed = ratioRows.filter((v) => !v.met);
  lines.push(`- ≥ ${GOAL_RATIO}× MLflow's req/s (the worse of admin and user): met by ${ratioRows.length - missed.length} of ${ratioRows.length} query × concurrency × mode × size.`);
  for (const v of missed) lines.push(`  - missed: ${v.run.mode} ${v.run.size} ${v.query} c=${v.c}: ${f(v.worst, 1)}×`);
  for (const v of verdict.filter((x) => x.overhead !== undefined)) {
    lines.push(`- overhead ≤ ${GOAL_OVERHEAD_MS} ms p50, ${v.run.mode} ${v.run.size}, ${v.query}: ${f(v.overhead, 3)} ms — ${v.met ? 'met' : 'NOT met'}`);
  }
  return `${lines.join('\n')}\n`;
}

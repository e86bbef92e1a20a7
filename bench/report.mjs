// Prints the benchmark's markdown tables from the summaries run.mjs wrote.
//   node bench/report.mjs bench/out/distributed/summary.json [bench/out/standalone/summary.json ...]
// In each summary the first target is Modelyard, the others baselines; ratios are Modelyard's
// median / the baseline's median, and the targets are checked against the fastest baseline.
import { readFileSync } from 'node:fs';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;

const summaries = process.argv.slice(2).map((f) => JSON.parse(readFileSync(f, 'utf8')));
const fmt = (n) => (n === null || Number.isNaN(n) ? '—' : Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n.toFixed(1));
const cell = (s) => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '—');
const { settings } = summaries[0];

const out = [];
out.push(
  `### Throughput: autocannon -c ${settings.connections} -d ${settings.duration_s}`,
  '',
  '| Mode | Server | req/s | p50 ms | p99 ms | server CPU ms/req | of which kernel | PostgreSQL CPU ms/req | req/s ratio |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const s of summaries) {
  const names = Object.keys(s.targets);
  const main = s.targets[names[0]];
  for (const name of names) {
    const t = s.targets[name];
    const ratio = name === names[0] ? '—' : `**${(main.max.rps.median / t.max.rps.median).toFixed(2)}**`;
    out.push(`| ${s.mode} | ${name} | ${cell(t.max.rps)} | ${cell(t.max.p50)} | ${cell(t.max.p99)} | ${cell(t.max.cpu_ms_per_req)} | ${cell(t.max.sys_ms_per_req)} | ${s.mode === 'standalone' ? 'in the process' : cell(t.max.db_cpu_ms_per_req)} | ${ratio} |`);
  }
}
out.push(
  '',
  `### Latency at ${settings.rate} req/s`,
  '',
  `paced: open-loop, evenly spaced, latency from each request's due time (the figure to judge by). ` +
    `autocannon: \`-R ${settings.rate} -c ${settings.rate_connections}\` (bursty, skewed p99; see README).`,
  '',
  '| Mode | Server | paced: req/s | p50 ms | p90 ms | p99 ms | autocannon -R: req/s | p50 ms | p99 ms |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const s of summaries) {
  for (const [name, t] of Object.entries(s.targets)) {
    out.push(
      `| ${s.mode} | ${name} | ${cell(t.paced.rps)} | ${cell(t.paced.p50)} | ${cell(t.paced.p90)} | ${cell(t.paced.p99)} | ${cell(t.rate.rps)} | ${cell(t.rate.p50)} | ${cell(t.rate.p99)} |`,
    );
  }
}
out.push(
  '',
  `Median of ${settings.runs} runs of ${settings.duration_s} s each, (min–max) in brackets. Server CPU: user + system time of the ` +
    'server processes (gateway + registry, standalone, or the baseline) per request, from /proc; PostgreSQL CPU: that of the ' +
    "database's backends (standalone: PGlite runs inside the server process).",
  '',
);
for (const s of summaries) {
  const names = Object.keys(s.targets);
  const main = s.targets[names[0]];
  // Judged against the fastest baseline (the strictest comparison).
  const reference = names.slice(1).sort((a, b) => s.targets[b].max.rps.median - s.targets[a].max.rps.median)[0];
  const ratio = main.max.rps.median / s.targets[reference].max.rps.median;
  const p99 = main.paced.p99.median;
  const sustained = main.paced.rps.median >= s.settings.rate * 0.97;
  out.push(
    `- ${s.mode}: throughput ${(ratio * 100).toFixed(1)}% of ${reference} (target ≥ ${TARGET_RATIO * 100}%: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
      `p99 at ${s.settings.rate} req/s ${fmt(p99)} ms paced (target ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS && sustained ? 'met' : 'NOT met'}` +
      `${sustained ? '' : `, rate not sustained: ${fmt(main.paced.rps.median)} req/s`}), ${fmt(main.rate.p99.median)} ms by autocannon -R.`,
  );
  for (const [name, t] of Object.entries(s.targets)) {
    if (t.failures) out.push(`- ${s.mode} ${name}: ${t.failures} failed requests (non-2xx, errors or timeouts)!`);
  }
}
process.stdout.write(`${out.join('\n')}\n`);

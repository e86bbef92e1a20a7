// Prints the benchmark's markdown table from the summaries run.mjs wrote.
//   node bench/report.mjs bench/out/distributed/summary.json [bench/out/standalone/summary.json ...]
// The first target of each summary is Modelyard; the ratio is Modelyard's median / the baseline's.
import { readFileSync } from 'node:fs';

const TARGET_RATIO = 0.5;
const TARGET_P99_MS = 50;

const fmt = (n, digits = 0) => (Number.isInteger(n) && digits === 0 ? String(n) : n.toFixed(digits));
const cell = (s, digits = 0) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

const lines = [];
const verdicts = [];
lines.push(
  '| Mode | Server | max req/s, -c 10 | p50 ms | p99 ms | req/s ratio | @200 req/s: achieved | p50 ms | p99 ms |',
  '|---|---|---|---|---|---|---|---|---|',
);
for (const file of process.argv.slice(2)) {
  const s = JSON.parse(readFileSync(file, 'utf8'));
  const names = Object.keys(s.targets);
  const main = s.targets[names[0]];
  for (const name of names) {
    const t = s.targets[name];
    const ratio = name === names[0] ? '—' : `${(main.max.rps.median / t.max.rps.median).toFixed(2)} (Modelyard / this)`;
    lines.push(
      `| ${s.mode} | ${name} | ${cell(t.max.rps)} | ${cell(t.max.p50)} | ${cell(t.max.p99)} | ${ratio} | ${cell(t.rate.rps)} | ${cell(t.rate.p50)} | ${cell(t.rate.p99)} |`,
    );
    if (t.failures) verdicts.push(`- ${s.mode} ${name}: ${t.failures} failed requests (non-2xx, errors or timeouts)!`);
  }
  const baseline = s.targets[names[1]];
  const ratio = main.max.rps.median / baseline.max.rps.median;
  const p99 = main.rate.p99.median;
  const reached = main.rate.rps.median >= s.settings.rate * 0.97;
  verdicts.push(
    `- ${s.mode}: throughput ${(ratio * 100).toFixed(0)}% of ${names[1]} (target ≥ ${TARGET_RATIO * 100}%: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
      `p99 at ${s.settings.rate} req/s ${p99} ms (target ≤ ${TARGET_P99_MS} ms: ${p99 <= TARGET_P99_MS && reached ? 'met' : 'NOT met'}${reached ? '' : `, rate not sustained: ${main.rate.rps.median.toFixed(0)} req/s`}).`,
  );
}
process.stdout.write(
  `${lines.join('\n')}\n\nMedian of ${JSON.parse(readFileSync(process.argv[2], 'utf8')).settings.runs} runs, (min–max) in brackets.\n\n${verdicts.join('\n')}\n`,
);

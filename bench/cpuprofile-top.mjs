// Summarises V8 .cpuprofile files (node --cpu-prof): self time by package/area and the top functions.
//   node bench/cpuprofile-top.mjs <file.cpuprofile> [top=25] [function whose callers to show...] [--wall]
import { readFileSync } from 'node:fs';

const [file, topArg, ...callersOf] = process.argv.slice(2).filter((a) => a !== '--wall');
const TOP = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

// Self time per node. By default each sample counts as one sampling interval: V8 samples a running
// (or idle-waiting) thread at a fixed interval, so counts approximate CPU time. Weighting by the
// time deltas instead (--wall) charges the time a thread spent preempted to the function it was
// in - on a saturated 2-core machine that makes syscalls that wake another process (a socket
// write to PostgreSQL) look far more expensive than they are.
const WALL = process.argv.includes('--wall');
const interval = (profile.endTime - profile.startTime) / profile.samples.length; // µs, mean
const self = new Map();
profile.samples.forEach((id, k) => self.set(id, (self.get(id) ?? 0) + (WALL ? (profile.timeDeltas[k] ?? 0) : interval)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

function area(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native/V8 builtins)';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const svc = url.match(/\/(services|libs)\/([^/]+)\//);
  if (svc) return `modelyard ${svc[1]}/${svc[2]}`;
  return url;
}

const areas = new Map();
const fns = new Map();
for (const [id, us] of self) {
  const { callFrame: f } = byId.get(id);
  const a = area(f.url, f.functionName);
  areas.set(a, (areas.get(a) ?? 0) + us);
  const key = `${f.functionName || '(anonymous)'}  ${f.url ? `${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(services|libs)\//, '$1/')}:${f.lineNumber + 1}` : ''}`;
  fns.set(key, (fns.get(key) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const busy = total - (areas.get('(idle)') ?? 0);
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s not idle (${pct(busy)})`);
console.log('\nself time by area:');
for (const [a, us] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${pct(us)}  ${a}`);
console.log(`\ntop ${TOP} functions by self time:`);
for (const [k, us] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`  ${pct(us)}  ${k}`);

// Who calls the named functions (self time by the 6 frames above them).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const where = (f) => `${f.functionName || '(anonymous)'}@${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
for (const name of callersOf) {
  const chains = new Map();
  for (const [id, us] of self) {
    if (byId.get(id).callFrame.functionName !== name) continue;
    const chain = [];
    for (let cur = parent.get(id); cur && chain.length < 6; cur = parent.get(cur)) chain.push(where(byId.get(cur).callFrame));
    const key = chain.join(' < ');
    chains.set(key, (chains.get(key) ?? 0) + us);
  }
  console.log(`\ncallers of ${name}:`);
  for (const [k, us] of [...chains].sort((x, y) => y[1] - x[1]).slice(0, 6)) console.log(`  ${pct(us)}  ${k}`);
}

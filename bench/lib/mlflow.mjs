// MLflow for the access-list benchmark: a throw-away venv with MLflow from PyPI, a SQLite registry
// loaded with the benchmark's models, and `mlflow server` (its defaults: uvicorn, 4 workers).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, answersOk, freePort, log, sleep } from './harness.mjs';
import { mlflowRecords } from './access-catalogue.mjs';

export const MLFLOW_VERSION = '3.17.*';

/** The venv at `venv` with MLflow installed (created, or reused when it already has that MLflow); returns its mlflow version. */
export function ensureMlflow(venv) {
  const python = join(venv, 'bin/python');
  const installed = () => {
    try {
      return execFileSync(python, ['-c', 'import mlflow; print(mlflow.__version__)'], { encoding: 'utf8' }).trim();
    } catch {
      return null;
    }
  };
  let version = installed();
  if (!version || !version.startsWith(MLFLOW_VERSION.replace('.*', '.'))) {
    log(`installing mlflow==${MLFLOW_VERSION} into ${venv} (about a minute)`);
    if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '-q', `mlflow==${MLFLOW_VERSION}`], { stdio: 'inherit' });
    version = installed();
  }
  return version;
}

/** A SQLite MLflow registry at `file` holding the benchmark's n models; returns its URI. */
export function loadMlflow(venv, file, n) {
  const uri = `sqlite:///${file}`;
  let jsonl = '';
  for (const record of mlflowRecords(n)) jsonl += `${JSON.stringify(record)}\n`;
  const loaded = Number(execFileSync(join(venv, 'bin/python'), [join(ROOT, 'bench/mlflow-load.py'), uri], { input: jsonl, encoding: 'utf8', maxBuffer: 1 << 20 }).trim());
  if (loaded !== n) throw new Error(`MLflow: loaded ${loaded} models, expected ${n}`);
  return uri;
}

/** Every process of the tree under `pid` (the server forks its workers). */
export function processTree(pid) {
  const all = [pid];
  for (let k = 0; k < all.length; k++) {
    try {
      for (const task of execFileSync('ls', [`/proc/${all[k]}/task`], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
        const children = readFileSync(`/proc/${all[k]}/task/${task}/children`, 'utf8').trim();
        if (children) all.push(...children.split(' ').map(Number));
      }
    } catch {
      // gone
    }
  }
  return all;
}

/**
 * `mlflow server` on the registry `uri`, in its own process group (stopped, workers and all, by the
 * harness's clean-up, or by the returned stop()); ready when /health answers.
 */
export async function startMlflow(harness, venv, uri, { out, name = 'mlflow' }) {
  const port = await freePort();
  const child = spawn(join(venv, 'bin/mlflow'), ['server', '--backend-store-uri', uri, '--host', '127.0.0.1', '--port', String(port)], {
    cwd: out,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: `${join(venv, 'bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', MLFLOW_TRACKING_URI: uri },
  });
  let output = '';
  child.stdout.on('data', (c) => (output = (output + c).slice(-200_000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-200_000)));
  let exited = false;
  const exit = new Promise((r) => child.once('exit', () => ((exited = true), r())));
  const stop = async () => {
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 15_000);
      await exit;
      clearTimeout(timer);
    }
    writeFileSync(join(out, 'logs', `${name}.log`), output);
  };
  harness.cleanups.push(stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  while (!(await answersOk(`${url}/health`))) {
    if (exited) throw new Error(`mlflow exited during start-up:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`mlflow not ready after 180 s:\n${output.slice(-4000)}`);
    await sleep(250);
  }
  return { url, pid: child.pid, pids: () => processTree(child.pid), stop };
}

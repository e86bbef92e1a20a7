import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answersOk, ApiClient, createScratchDatabase, freePort, startServiceProcess, requireTestDatabaseUrl } from '@modelyard/testing';
import { REPO_ROOT, TEST_SECRET_KEY } from './support/system.js';

const entry = (service: string) => join(REPO_ROOT, `services/${service}/dist/main.js`);

/** Runs an entry point to completion and returns what it printed. */
function runToExit(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('`npm start` (the standalone process)', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-start-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is ready within 10 s, prints its URL and a one-time token, and stops cleanly on Ctrl-C', async () => {
    const port = await freePort();
    const started = Date.now();
    const modelyard = await startServiceProcess({
      name: 'standalone',
      entry: entry('standalone'),
      env: { PORT: String(port), MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'warn' },
      ready: () => answersOk(`http://127.0.0.1:${port}/readyz`),
      timeoutMs: 10_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    const output = modelyard.output();
    expect(output).toContain(`Modelyard is running at http://localhost:${port}`);
    const token = /Bearer (my_[A-Za-z0-9_-]+)/.exec(output)?.[1];
    expect(token).toBeDefined();
    expect((await new ApiClient(`http://127.0.0.1:${port}`, token).get('/api/v1/ai-models/')).status).toBe(200);

    modelyard.child.kill('SIGINT');
    expect(await modelyard.exited).toBe(0);
    expect(modelyard.output()).toContain('SIGINT received, shutting down');
  }, 30_000);

  it('refuses a bad configuration with one line naming the variable, exit code 78', async () => {
    const { code, output } = await runToExit(entry('standalone'), { PORT: 'eighty', MODELYARD_DATA_DIR: dataDir });
    expect(code).toBe(78);
    expect(output.trim()).toBe('modelyard standalone: invalid configuration: PORT must be a TCP port number (0-65535) (got "eighty")');
  });
});

describe('services as their own processes', () => {
  it.each(['ingest', 'inference', 'metrics'])('%s boots, answers its health probes and metrics, and drains on SIGTERM', async (service) => {
    const healthPort = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), `modelyard-${service}-`));
    // The metrics service owns tables, so it needs a database of its own.
    const database = service === 'metrics' ? await createScratchDatabase(requireTestDatabaseUrl()) : undefined;
    try {
      const worker = await startServiceProcess({
        name: service,
        entry: entry(service),
        env: {
          MODELYARD_HEALTH_PORT: String(healthPort),
          MODELYARD_HOST: '127.0.0.1',
          MODELYARD_DATA_DIR: dataDir,
          MODELYARD_LOG_LEVEL: 'warn',
          // Unused by the metrics service (it handles no secrets), required by the workers.
          MODELYARD_SECRET_KEY: TEST_SECRET_KEY,
          ...(database && { MODELYARD_DATABASE_URL: database.url }),
        },
        ready: () => answersOk(`http://127.0.0.1:${healthPort}/healthz`),
      });
      const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ok', checks: { event_bus: { status: 'ok' }, job_queue: { status: 'ok' }, blob_store: { status: 'ok' } } });
      const metrics = await fetch(`http://127.0.0.1:${healthPort}/metrics`);
      expect(await metrics.text()).toContain('modelyard_process_resident_memory_bytes');
      expect(await worker.stop()).toBe(0);
    } finally {
      await database?.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it('the metrics service refuses to start without a database URL', async () => {
    const { code, output } = await runToExit(entry('metrics'), {});
    expect(code).toBe(78);
    expect(output).toContain('MODELYARD_DATABASE_URL must be set when the metrics service runs as its own process');
  });

  it('the registry refuses to start without a database URL', async () => {
    const { code, output } = await runToExit(entry('registry'), {});
    expect(code).toBe(78);
    expect(output).toContain('MODELYARD_DATABASE_URL must be set when the registry runs as its own process');
  });

  it.each(['ingest', 'inference'])('the %s worker refuses to start without the shared master key', async (service) => {
    const { code, output } = await runToExit(entry(service), {});
    expect(code).toBe(78);
    expect(output).toContain('MODELYARD_SECRET_KEY must be set when services run as their own processes');
  });

  it('the gateway refuses to start without an admin token', async () => {
    const { code, output } = await runToExit(entry('gateway'), {});
    expect(code).toBe(78);
    expect(output).toContain('MODELYARD_ADMIN_TOKEN must be set when the gateway runs as its own process');
  });
});

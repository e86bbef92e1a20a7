import { ConfigError, loadConfig } from '../config/config.js';
import { startHealthServer } from '../health/health-server.js';
import { createLogger } from '../logging/logger.js';
import { createPlatform, type Platform } from '../platform.js';

/** How long a stop may take before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 15_000;

/**
 * The lifecycle of every Modelyard process: start, then stop cleanly on SIGINT/SIGTERM.
 * `start` returns the function that stops what it started, or null for a one-shot command.
 * A configuration error ends the process with its one-line message and exit code 78 (EX_CONFIG).
 */
export async function runProcess(name: string, start: () => Promise<(() => Promise<void>) | null>): Promise<void> {
  let stop: (() => Promise<void>) | null;
  try {
    stop = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`modelyard ${name}: ${error.message}\n`);
      process.exit(78);
    }
    process.stderr.write(`modelyard ${name}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  }
  if (!stop) return;
  const shutdown = stop;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`modelyard ${name}: ${signal} received, shutting down\n`);
    setTimeout(() => {
      process.stderr.write(`modelyard ${name}: shutdown took longer than ${SHUTDOWN_GRACE_MS} ms, exiting\n`);
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`modelyard ${name}: error during shutdown: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * A queue/consumer worker as its own process: config, logger and ports, the worker, and its
 * health endpoints on MODELYARD_HEALTH_PORT (or the service's default port).
 */
export function runWorkerProcess(
  service: string,
  defaultHealthPort: number,
  start: (platform: Platform) => Promise<{ close(): Promise<void> }>,
  options: { withDatabase?: boolean; withSecrets?: boolean } = {},
): Promise<void> {
  return runProcess(service, async () => {
    const config = loadConfig();
    const logger = createLogger(config).child({ service });
    const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: options.withDatabase ?? false, withSecrets: options.withSecrets ?? true });
    const worker = await start(platform);
    const health = await startHealthServer({
      host: config.http.host,
      port: config.health.port ?? defaultHealthPort,
      checks: platform.readinessChecks,
      logger,
      metrics: platform.metrics,
    });
    return async () => {
      await health.close();
      await worker.close();
      await platform.close();
    };
  });
}

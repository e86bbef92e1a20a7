import { bootstrapAdminToken, startGateway } from '@modelyard/gateway';
import { startInference } from '@modelyard/inference';
import { startIngest } from '@modelyard/ingest';
import { runMetricsMigrations, startMetrics } from '@modelyard/metrics';
import {
  createLogger,
  createPlatform,
  InProcessRpcClient,
  InProcessRpcServer,
  loadConfig,
  type Platform,
} from '@modelyard/platform';
import { runRegistryMigrations, startRegistry } from '@modelyard/registry';

export interface StandaloneOptions {
  /** Environment to read the configuration from (defaults to the process's). */
  env?: Record<string, string | undefined>;
  /** Keep the database in memory instead of the data folder (tests). */
  inMemoryDatabase?: boolean;
}

export interface Standalone {
  platform: Platform;
  port: number;
  url: string;
  /** Only on the very first start without MODELYARD_ADMIN_TOKEN. */
  generatedAdminToken: string | undefined;
  close(): Promise<void>;
}

/**
 * All five services in one process: the same modules as the distributed deployment, wired to
 * embedded adapters (PGlite, local disk, in-process bus, queue and RPC).
 */
export async function startStandalone(options: StandaloneOptions = {}): Promise<Standalone> {
  const config = loadConfig(options.env);
  const { tokens, generatedToken } = await bootstrapAdminToken(config, 'standalone');
  const logger = createLogger(config);
  const platform = await createPlatform(config, logger, {
    mode: 'standalone',
    withDatabase: true,
    ...(options.inMemoryDatabase !== undefined && { inMemoryDatabase: options.inMemoryDatabase }),
  });
  const stops: Array<() => Promise<void>> = [() => platform.close()];
  const stop = async () => {
    for (const close of stops.splice(0).reverse()) await close();
  };
  try {
    const applied = [...(await runRegistryMigrations(platform.database!)), ...(await runMetricsMigrations(platform.database!))];
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database schema is up to date');

    const registryRpc = new InProcessRpcServer();
    const metricsRpc = new InProcessRpcServer();
    const registry = await startRegistry(platform, { strategy: registryRpc });
    stops.push(() => registry.close());
    const metrics = await startMetrics(platform, { strategy: metricsRpc });
    stops.push(() => metrics.close());
    const registryTransport = new InProcessRpcClient(registryRpc);
    for (const start of [startIngest, startInference]) {
      const worker = await start(platform, { registryTransport });
      stops.push(() => worker.close());
    }
    const gateway = await startGateway(platform, {
      transports: { registry: registryTransport, metrics: new InProcessRpcClient(metricsRpc) },
      tokens,
    });
    stops.push(() => gateway.close());

    const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
    return {
      platform,
      port: gateway.port,
      url: `http://${host}:${gateway.port}`,
      generatedAdminToken: generatedToken,
      close: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

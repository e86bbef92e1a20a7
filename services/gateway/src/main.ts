import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { createLogger, createPlatform, loadConfig, runProcess } from '@modelyard/platform';
import { bootstrapAdminToken } from './auth/admin-token.js';
import { startGateway } from './gateway.app.js';

/** The gateway as its own process: HTTP in front, the registry and metrics services reached over TCP. */
await runProcess('gateway', async () => {
  const config = loadConfig();
  const { tokens } = await bootstrapAdminToken(config, 'distributed');
  const logger = createLogger(config).child({ service: 'gateway' });
  const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: false });
  const transports = {
    registry: ClientProxyFactory.create({ transport: Transport.TCP, options: { host: config.registry.host, port: config.registry.port } }),
    metrics: ClientProxyFactory.create({ transport: Transport.TCP, options: { host: config.metricsRpc.host, port: config.metricsRpc.port } }),
  };
  const gateway = await startGateway(platform, { transports, tokens });
  logger.info({ port: gateway.port }, `gateway listening on http://${config.http.host}:${gateway.port}`);
  return async () => {
    await gateway.close();
    transports.registry.close();
    transports.metrics.close();
    await platform.close();
  };
});

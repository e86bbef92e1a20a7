import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { createLogger, createPlatform, loadConfig, runProcess } from '@modelyard/platform';
import { bootstrapAdminToken } from './auth/admin-token.js';
import { startGateway } from './gateway.app.js';

/** The gateway as its own process: HTTP in front, the registry reached over TCP. */
await runProcess('gateway', async () => {
  const config = loadConfig();
  const { tokens } = await bootstrapAdminToken(config, 'distributed');
  const logger = createLogger(config).child({ service: 'gateway' });
  const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: false });
  const registryTransport = ClientProxyFactory.create({
    transport: Transport.TCP,
    options: { host: config.registry.host, port: config.registry.port },
  });
  const gateway = await startGateway(platform, { registryTransport, tokens });
  logger.info({ port: gateway.port }, `gateway listening on http://${config.http.host}:${gateway.port}`);
  return async () => {
    await gateway.close();
    registryTransport.close();
    await platform.close();
  };
});

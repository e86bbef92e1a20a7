import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { runWorkerProcess } from '@modelyard/platform';
import { startIngest } from './ingest.app.js';

/** The ingest worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8082). */
await runWorkerProcess('ingest', 8082, async (platform) => {
  const { host, port } = platform.config.registry;
  const registryTransport = ClientProxyFactory.create({ transport: Transport.TCP, options: { host, port } });
  const ingest = await startIngest(platform, { registryTransport });
  return {
    close: async () => {
      await ingest.close();
      registryTransport.close();
    },
  };
});

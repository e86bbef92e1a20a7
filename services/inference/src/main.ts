import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { runWorkerProcess } from '@modelyard/platform';
import { startInference } from './inference.app.js';

/** The inference worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8083). */
await runWorkerProcess('inference', 8083, async (platform) => {
  const { host, port } = platform.config.registry;
  const registryTransport = ClientProxyFactory.create({ transport: Transport.TCP, options: { host, port } });
  const inference = await startInference(platform, { registryTransport });
  return {
    close: async () => {
      await inference.close();
      registryTransport.close();
    },
  };
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { checkReadiness } from './readiness.js';

/**
 * Liveness, readiness and Prometheus metrics for a process without an HTTP API (registry over TCP, queue workers),
 * so an orchestrator can probe it. Plain node:http: a framework would be all overhead here.
 */
export async function startHealthServer(options: {
  host: string;
  port: number;
  checks: Record<string, () => Promise<unknown>>;
  logger: Logger;
  metrics: Metrics;
}): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/$/, '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return reply(405, { status: 'method not allowed' });
    if (path === '/healthz') return reply(200, { status: 'ok' });
    if (path === '/readyz') {
      void checkReadiness(options.checks).then((report) => reply(report.status === 'ok' ? 200 : 503, report));
      return;
    }
    if (path === '/metrics') {
      void options.metrics.scrape().then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body));
      return;
    }
    reply(404, { status: 'not found' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'health endpoints listening');
  return {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

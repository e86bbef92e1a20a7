import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';

/**
 * Where `npm run build` leaves the web console (web/dist). The same four levels up from
 * services/gateway/src/console (tests) and services/gateway/dist/console (the built gateway, also
 * in the Docker image, which ships web/dist beside services/).
 */
export const CONSOLE_DIST_DIR = resolve(import.meta.dirname, '../../../../web/dist');

/** Everything under /api belongs to the API: an unknown path there stays a problem+json 404. */
const isApiPath = (path: string) => path === '/api' || path.startsWith('/api/');

export type ConsoleServing = { served: true; root: string } | { served: false; root: string; reason: string };

/**
 * Serves the built console at `/`: its files as they are, and index.html for any other GET that is
 * not an API path, so that a client-side route (/models/…) survives a reload or a shared link.
 * Plain Fastify routes, outside Nest: the console's files are public, the API's bearer guard does
 * not apply to them, and Nest's own routes (static paths) always win over the catch-all.
 */
export async function registerConsole(fastify: FastifyInstance, root: string = CONSOLE_DIST_DIR): Promise<ConsoleServing> {
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) {
    return { served: false, root, reason: `${indexFile} not found; build the console with \`npm run build\`` };
  }
  const indexHtml = await readFile(indexFile);
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per file, found at start-up: the catch-all below then only sees paths that are not files.
    wildcard: false,
    index: false,
    // Swagger UI registers @fastify/static too; only one of them may decorate the reply.
    decorateReply: false,
    setHeaders: (reply, path) => {
      // Vite puts a content hash in every asset name: they never change under the same name.
      if (path.includes(`${join(root, 'assets')}/`)) reply.header('cache-control', 'public, max-age=31536000, immutable');
    },
  });
  const sendIndex = (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!;
    // An API path, or a missing file (a name with an extension), is a real 404, not the console.
    if (isApiPath(path) || extname(path) !== '') {
      return reply.callNotFound();
    }
    // index.html names the current asset hashes: never cache it, or a new release loads old assets.
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
  };
  fastify.get('/', sendIndex);
  fastify.get('/*', sendIndex);
  return { served: true, root };
}

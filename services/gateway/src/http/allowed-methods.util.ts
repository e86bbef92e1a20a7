import type { FastifyInstance } from 'fastify';
import { CommonErrorCode, DomainException, sendProblem } from '@modelyard/platform';

/** The order methods are listed in an Allow header. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The route that takes every path no other route has (the web console's, for its client-side routes). */
const CATCH_ALL = '/*';

const segmentsOf = (path: string): string[] => path.split('/').filter((segment) => segment !== '');

/**
 * Which methods each path answers, learnt from the routes as they are added. Understands the route
 * syntax the gateway uses: literal segments, `:param` segments (one non-empty segment each) and a
 * trailing `*` (the rest of the path). A bare `/*` catch-all says nothing about what a path
 * supports (the console's answers any GET, yet every unknown /api path is a 404), so it is left out.
 */
export class RouteTable {
  private readonly routes: Array<{ method: string; pattern: string[] }> = [];

  add(method: string, url: string): void {
    if (url === CATCH_ALL) return;
    this.routes.push({ method: method.toUpperCase(), pattern: segmentsOf(url) });
  }

  /** The methods some route answers for `path` (no query string), in METHOD_ORDER; HEAD wherever GET is. */
  allowedMethods(path: string): string[] {
    const segments = segmentsOf(path);
    const methods = new Set<string>();
    for (const route of this.routes) if (matches(route.pattern, segments)) methods.add(route.method);
    if (methods.has('GET')) methods.add('HEAD');
    const rank = (method: string) => (METHOD_ORDER.includes(method) ? METHOD_ORDER.indexOf(method) : METHOD_ORDER.length);
    return [...methods].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}

function matches(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    if (expected === '*' && i === pattern.length - 1) return true;
    const actual = segments[i];
    if (actual === undefined) return false;
    if (!expected.includes(':') && expected !== actual) return false;
  }
  return pattern.length === segments.length;
}

/**
 * A path that exists with other methods answers 405 with an Allow header (RFC 9110 §15.5.6), not
 * Fastify's 404: TRACE on any route, PUT on a model, DELETE on the collection. Paths no route has
 * stay 404 problems. Must be registered before the routes are, so that it sees them all.
 */
export function answerMethodNotAllowed(fastify: FastifyInstance): RouteTable {
  const table = new RouteTable();
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) table.add(method, route.url);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    // Only requests no route of their own took: unmatched ones, and those left to a catch-all.
    if (!request.is404 && request.routeOptions.url !== CATCH_ALL) return done();
    const path = request.url.split('?')[0]!;
    const allowed = table.allowedMethods(path);
    if (allowed.length === 0 || allowed.includes(request.method)) return done();
    void reply.header('allow', allowed.join(', '));
    sendProblem(
      reply,
      request,
      new DomainException(405, CommonErrorCode.MethodNotAllowed, `${request.method} is not supported on ${path}; it answers ${allowed.join(', ')}.`).toProblem(),
    );
  });
  return table;
}

import { randomUUID } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProblemDto, TensorValueDto } from '@modelyard/contracts';
import {
  createValidationPipe,
  HttpProblemFilter,
  PinoNestLogger,
  type Platform,
} from '@modelyard/platform';
import type { ApiTokens } from './auth/admin-token.js';
import { GatewayModule, type GatewayTransports } from './gateway.module.js';
import type { AuthenticatedRequest } from './auth/permissions.guard.js';
import multipart from '@fastify/multipart';
import { registerConsole } from './console/console-static.util.js';
import { multipartLimits } from './uploads/upload-limits.constant.js';
import { answerMethodNotAllowed } from './http/allowed-methods.util.js';
import { clientErrorHandler, frameworkErrors } from './http/framework-errors.util.js';
import { checkRequestInput, utf8JsonParser } from './http/request-input.util.js';
import { explainMultipartError } from './uploads/upload.exception.js';
import { documentGatewayProblems } from './openapi/gateway-problems.util.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request id: the caller's X-Request-Id when it is a sane token, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
}

export interface GatewayApp {
  app: NestFastifyApplication;
  /** The port it listens on (useful when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

export interface GatewayOptions {
  transports: GatewayTransports;
  tokens: ApiTokens;
}

/** Builds the HTTP gateway (API, OpenAPI document, Swagger UI, health) and starts listening. */
export async function startGateway(platform: Platform, options: GatewayOptions): Promise<GatewayApp> {
  const { config } = platform;
  const logger = platform.logger.child({ service: 'gateway' });
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // The client address of the audit log and the sign-in throttle: X-Forwarded-For only behind a proxy.
    trustProxy: config.http.trustProxy,
    // A caller's X-Request-Id (when sane) ties our records to its own; otherwise a fresh UUID.
    genReqId: (request: IncomingMessage) => requestIdOf(request.headers['x-request-id']),
    // Requests refused before any route, by Fastify or by Node's parser, answer problems too.
    frameworkErrors,
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(platform, options.transports, options.tokens),
    adapter,
    { logger: new PinoNestLogger(logger), abortOnError: false },
  );
  // Model files stream through (never buffered); one file per request, up to the upload limit, and
  // bounded overhead beside it, so a body declared larger than both is refused before it is read.
  await app.register(multipart, { limits: multipartLimits(config.ingest.uploadLimitBytes) });
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text/plain body is refused with 415 instead of failing validation as a string.
  fastify.removeContentTypeParser('text/plain');
  // In place of the JSON parser Nest would register: the same, refusing bytes that are not UTF-8.
  app.useBodyParser('application/json', { bodyLimit: config.http.bodyLimitBytes }, utf8JsonParser(fastify));
  // Before any route is added: it learns them all as they are.
  answerMethodNotAllowed(fastify);
  // Every route, before guards, pipes and handlers: refuse what no route can store or even walk
  // safely (NUL, unpaired surrogates, bodies nested too deep for recursive code).
  fastify.addHook('preValidation', (request, _reply, done) => done(checkRequestInput(request) ?? undefined));
  const consoleServing = await registerConsole(fastify);
  if (!consoleServing.served) logger.warn(`web console not served: ${consoleServing.reason}`);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', String(request.id));
    done(null, payload);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route template, not the URL: one series per route, however many model ids there are.
    const route = request.routeOptions.url ?? 'unmatched';
    platform.metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    logger.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        request_id: request.id,
        user: (request as AuthenticatedRequest).caller?.principal.username,
        token_id: (request as AuthenticatedRequest).caller?.principal.token_id ?? undefined,
      },
      'request',
    );
    done();
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpProblemFilter(logger, config.http.bodyLimitBytes, [explainMultipartError]));
  app.enableShutdownHooks([]);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Modelyard API')
      .setDescription(
        'Register, test, switch and watch AI models. Every /api/v1 route needs `Authorization: Bearer <token>`. ' +
          'Errors are RFC 9457 problem details (application/problem+json).',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
    // TensorValueDto is named only by $ref (in the test result's oneOf): listed, or the reference dangles.
    { extraModels: [ProblemDto, TensorValueDto] },
  );
  documentGatewayProblems(document);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });

  await app.listen({ port: config.http.port, host: config.http.host });
  const port = (fastify.server.address() as AddressInfo).port;
  return { app, port, close: () => app.close() };
}

import { describe, expect, it } from '@jest/globals';
import { type ArgumentsHost, HttpException, NotFoundException } from '@nestjs/common';
import { pino } from 'pino';
import { HttpProblemFilter, toProblem } from './http-problem.filter.js';
import { DomainException, PROBLEM_LIMITS, type ProblemDetails } from './problem.js';

function capturingLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

describe('toProblem', () => {
  it('renders a domain exception as it was raised', () => {
    const { logger } = capturingLogger();
    const problem = toProblem(new DomainException(409, 'model_duplicate', 'A model named "x" already exists.'), logger, 1024);
    expect(problem).toEqual({
      type: 'urn:modelyard:problem:model-duplicate',
      title: 'Conflict',
      status: 409,
      code: 'model_duplicate',
      detail: 'A model named "x" already exists.',
    });
  });

  it("explains Fastify's body errors, which Nest wraps as the cause of an HttpException", () => {
    const { logger } = capturingLogger();
    const tooLarge = Object.assign(new Error('Request body is too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    const problem = toProblem(new HttpException('Request body is too large', 413, { cause: tooLarge }), logger, 1048576);
    expect(problem).toMatchObject({ status: 413, code: 'payload_too_large', detail: 'The request body is larger than the limit of 1048576 bytes.' });
  });

  it('keeps the status and message of other client errors', () => {
    const { logger } = capturingLogger();
    expect(toProblem(new NotFoundException('Cannot GET /nowhere'), logger, 0)).toMatchObject({
      status: 404,
      code: 'not_found',
      detail: 'Cannot GET /nowhere',
    });
  });

  it('hides an unexpected error behind an error id, and logs it under that id', () => {
    const { logger, lines } = capturingLogger();
    const problem = toProblem(new Error('connection to 10.0.0.5 refused, password=hunter2'), logger, 0);
    expect(problem.status).toBe(500);
    expect(problem.detail).not.toContain('hunter2');
    expect(problem.detail).toContain(problem.error_id!);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error_id: problem.error_id, msg: 'unhandled error' });
  });
});

/** Runs the filter on one exception and gives what it sent. */
function filterAnswer(filter: HttpProblemFilter, exception: unknown, url = '/api/v1/ai-models'): { status: number; headers: Record<string, string>; body: ProblemDetails } {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown as ProblemDetails };
  const reply = {
    header: (name: string, value: string) => ((sent.headers[name] = value), reply),
    status: (status: number) => ((sent.status = status), reply),
    send: (body: ProblemDetails) => ((sent.body = body), reply),
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ url }) }) } as unknown as ArgumentsHost;
  filter.catch(exception, host);
  return sent;
}

describe('HttpProblemFilter', () => {
  it('lets a feature translate the errors of its libraries before the 500 fallback', () => {
    const { logger, lines } = capturingLogger();
    const parserError = new Error('Unexpected end of multipart data');
    const filter = new HttpProblemFilter(logger, 0, [
      () => undefined,
      (error) => (error === parserError ? new DomainException(400, 'malformed_multipart', 'The body is not well-formed multipart.') : undefined),
    ]);
    expect(filterAnswer(filter, parserError)).toMatchObject({ status: 400, body: { code: 'malformed_multipart', instance: '/api/v1/ai-models' } });
    expect(filterAnswer(filter, new Error('something else')).status).toBe(500);
    expect(lines).toHaveLength(1);
  });

  it('bounds what it sends, the request URL included', () => {
    const { logger } = capturingLogger();
    const url = `/api/v1/ai-models?q=${'x'.repeat(20_000)}`;
    const { body } = filterAnswer(new HttpProblemFilter(logger, 0), new NotFoundException(`Cannot GET ${url}`), url);
    expect(body.detail.length).toBeLessThanOrEqual(PROBLEM_LIMITS.detailChars);
    expect(body.instance!.length).toBeLessThanOrEqual(PROBLEM_LIMITS.instanceChars);
  });
});

import { describe, expect, it } from '@jest/globals';
import { HttpException, NotFoundException } from '@nestjs/common';
import { pino } from 'pino';
import { toProblem } from './http-problem.filter.js';
import { DomainException } from './problem.js';

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

import { isUtf8 } from 'node:buffer';
import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { CommonErrorCode, DomainException, type FieldError } from '@modelyard/platform';

/**
 * The deepest a request body may nest objects and arrays inside each other; the body itself is
 * level 1. Real bodies need about a dozen: a test call's rank-8 tensor sits at level 12
 * (body › input_data › inputs › name › 8 arrays), and config.parameters rarely nests more than a
 * few levels. A deeper body, which fits easily in the 1 MiB limit (10,000 levels are 20 kB), would
 * exhaust the stack of the recursive code behind this check (class-transformer, class-validator,
 * JSON.stringify, the database driver).
 */
export const MAX_BODY_DEPTH = 64;

/** Bad strings reported in one answer: enough to fix a request, bounded for a body full of them. */
const MAX_REPORTED = 20;

/** The NUL character, and UTF-16 surrogates not part of a pair (JSON's "\ud800" escape gives one). */
const FORBIDDEN = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const FORBIDDEN_ALL = new RegExp(FORBIDDEN.source, 'g');

interface Frame {
  value: object;
  /** 1 for the body itself. */
  depth: number;
  parent: Frame | null;
  /** The key or index under the parent; the root has none. */
  key: string | null;
}

/** `config.env.KEY`, `tags.1`: the dotted path of `key` under `frame`, forbidden characters written as \u escapes so it can be echoed. */
function pathOf(frame: Frame | null, key: string | null): string {
  const keys = key === null ? [] : [key];
  for (let f = frame; f && f.key !== null; f = f.parent) keys.push(f.key);
  const path = keys.reverse().join('.');
  return path.replace(FORBIDDEN_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function whatIsWrong(text: string): string | null {
  const found = FORBIDDEN.exec(text);
  if (!found) return null;
  return found[0] === '\u0000'
    ? 'must not contain the NUL character (\\u0000)'
    : `must be valid Unicode text: it holds an unpaired surrogate (\\u${found[0].charCodeAt(0).toString(16)})`;
}

/**
 * What is wrong with a parsed JSON value, query string or path parameters that no route can store
 * or use: strings or object keys holding NUL or unpaired surrogates (PostgreSQL refuses the first
 * and cannot encode the second), and objects and arrays nested deeper than `maxDepth`. Walks with
 * an explicit stack, never recursion, so the depth it guards against cannot hurt it. A depth error
 * is reported alone, as soon as it is seen. A bad string at the top is named `body`.
 */
export function findInputProblems(root: unknown, maxDepth = MAX_BODY_DEPTH): { errors: FieldError[]; tooDeep: boolean } {
  const errors: FieldError[] = [];
  const checkString = (text: string, parent: Frame | null, key: string | null, isKey: boolean) => {
    const wrong = whatIsWrong(text);
    if (wrong) errors.push({ field: pathOf(parent, key) || 'body', detail: isKey ? `(a field name) ${wrong}` : wrong });
  };
  const stack: Frame[] = [];
  if (typeof root === 'string') checkString(root, null, null, false);
  else if (typeof root === 'object' && root !== null) stack.push({ value: root, depth: 1, parent: null, key: null });
  while (stack.length > 0 && errors.length < MAX_REPORTED) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) {
      const field = pathOf(frame.parent, frame.key) || 'body';
      return { errors: [{ field, detail: `nests deeper than ${maxDepth} levels of objects and arrays, the most accepted` }], tooDeep: true };
    }
    const { value } = frame;
    // Indexes become strings only where needed: a tensor is mostly numbers.
    const list = Array.isArray(value) ? (value as unknown[]) : null;
    const keys = list ? null : Object.keys(value);
    const count = list ? list.length : keys!.length;
    const nested: Array<[string, object]> = [];
    for (let i = 0; i < count && errors.length < MAX_REPORTED; i++) {
      const key = keys ? keys[i]! : null;
      const child = list ? list[i] : (value as Record<string, unknown>)[key!];
      if (key !== null) checkString(key, frame, key, true);
      if (typeof child === 'string') checkString(child, frame, key ?? String(i), false);
      else if (typeof child === 'object' && child !== null) nested.push([key ?? String(i), child]);
    }
    // Last first onto the stack, so that nested fields come out in the order of the body.
    for (let i = nested.length - 1; i >= 0; i--) stack.push({ value: nested[i]![1], depth: frame.depth + 1, parent: frame, key: nested[i]![0] });
  }
  return { errors, tooDeep: false };
}

/**
 * The problem to answer for a request whose body, query string or path parameters hold what
 * findInputProblems refuses, or null when they are fine. Query and path fields are named bare
 * (`q`, `id`), as the validation pipe names them.
 */
export function checkRequestInput(request: { body?: unknown; query?: unknown; params?: unknown }): DomainException | null {
  const body = findInputProblems(request.body);
  if (body.tooDeep) {
    return DomainException.validation(
      body.errors,
      `The request body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels, the most Modelyard accepts.`,
    );
  }
  const errors = [...findInputProblems(request.params).errors, ...findInputProblems(request.query).errors, ...body.errors];
  if (errors.length === 0) return null;
  return DomainException.validation(errors.slice(0, MAX_REPORTED));
}

/**
 * The JSON body parser: Fastify's own (prototype poisoning refused), after a check that the bytes
 * are UTF-8, as JSON must be (RFC 8259 §8.1). Decoding invalid bytes would not fail: each becomes
 * U+FFFD, and a name sent in Latin-1 would be stored quietly mangled.
 */
export function utf8JsonParser(fastify: FastifyInstance): FastifyBodyParser<Buffer> {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    if (!isUtf8(body)) {
      done(new DomainException(400, CommonErrorCode.MalformedRequest, 'The request body is not valid UTF-8; JSON must be sent in UTF-8.'), undefined);
      return;
    }
    parseJson(request, body.toString('utf8'), done);
  };
}

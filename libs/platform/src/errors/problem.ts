/** One invalid field of a request: `field` is a dotted path into the body or query. */
export interface FieldError {
  field: string;
  detail: string;
}

/** RFC 9457 problem details, with Modelyard's extension members. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Stable machine-readable code; `type` is derived from it. */
  code: string;
  instance?: string;
  errors?: FieldError[];
  /** Present on 5xx answers: the id under which the failure was logged. */
  error_id?: string;
  /** Seconds to wait before trying again (also sent as the Retry-After header). */
  retry_after?: number;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Codes any service may raise; a feature adds its own codes in its own `*.exception.ts`. */
export enum CommonErrorCode {
  ValidationFailed = 'validation_failed',
  MalformedRequest = 'malformed_request',
  Unauthorized = 'unauthorized',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  ServiceUnavailable = 'service_unavailable',
  UpstreamTimeout = 'upstream_timeout',
  Internal = 'internal_error',
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export const problemTypeOf = (code: string): string => `urn:modelyard:problem:${code.replaceAll('_', '-')}`;
export const problemTitleOf = (status: number): string => TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');

/**
 * The most one problem carries. A detail or a field path can echo what the client sent (a name, a
 * path into a deep body) and `errors` can be as long as the input, so without bounds one bad
 * request can earn an answer of megabytes (a test call of a model with 100,000 inputs once drew a
 * 12 MB problem). Every problem passes through boundProblem() before it is sent or carried.
 */
export const PROBLEM_LIMITS = {
  detailChars: 2_000,
  errors: 50,
  fieldChars: 300,
  errorDetailChars: 500,
  instanceChars: 2_000,
} as const;

/** `text` cut to at most `max` UTF-16 units, ending in "…" when cut, never splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** The problem within PROBLEM_LIMITS: long texts cut, `errors` shortened, and the detail saying how many were left out. */
export function boundProblem(problem: ProblemDetails): ProblemDetails {
  const errors = problem.errors;
  const omitted = errors ? Math.max(0, errors.length - PROBLEM_LIMITS.errors) : 0;
  const note = omitted > 0 ? ` (${omitted} more field errors not listed)` : '';
  const bounded: ProblemDetails = { ...problem, detail: truncateText(problem.detail, PROBLEM_LIMITS.detailChars - note.length) + note };
  if (errors) {
    bounded.errors = errors.slice(0, PROBLEM_LIMITS.errors).map((error) => ({
      field: truncateText(error.field, PROBLEM_LIMITS.fieldChars),
      detail: truncateText(error.detail, PROBLEM_LIMITS.errorDetailChars),
    }));
  }
  if (problem.instance !== undefined) bounded.instance = truncateText(problem.instance, PROBLEM_LIMITS.instanceChars);
  return bounded;
}

/**
 * An expected failure with a status and a code. Thrown by services, carried across the RPC
 * transport as a plain ProblemDetails object, and rendered by the HTTP filter.
 */
export class DomainException extends Error {
  override readonly name = 'DomainException';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }

  toProblem(): ProblemDetails {
    return boundProblem({
      type: problemTypeOf(this.code),
      title: problemTitleOf(this.status),
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...(this.errors?.length ? { errors: this.errors } : {}),
      ...(this.retryAfterSeconds !== undefined ? { retry_after: this.retryAfterSeconds } : {}),
    });
  }

  static fromProblem(problem: ProblemDetails): DomainException {
    return new DomainException(problem.status, problem.code, problem.detail, problem.errors, problem.retry_after);
  }

  static validation(errors: FieldError[], detail?: string): DomainException {
    return new DomainException(
      422,
      CommonErrorCode.ValidationFailed,
      detail ?? `The request is invalid: ${errors.map((e) => `${e.field} ${e.detail}`).join('; ')}.`,
      errors,
    );
  }
}

export function isProblemDetails(value: unknown): value is ProblemDetails {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === 'number' && typeof v.code === 'string' && typeof v.detail === 'string';
}

import { UPLOADABLE_EXTENSIONS } from '@modelyard/model-formats';
import { DomainException } from '@modelyard/platform';

export enum UploadErrorCode {
  NotMultipart = 'upload_not_multipart',
  NoFile = 'upload_no_file',
  UnsupportedExtension = 'upload_unsupported_extension',
  InvalidFileName = 'upload_invalid_file_name',
  InvalidFile = 'upload_invalid_file',
  TooLarge = 'upload_too_large',
  MalformedMultipart = 'malformed_multipart',
  TooManyParts = 'upload_too_many_parts',
  IdleTimeout = 'upload_idle_timeout',
  ClientGone = 'upload_client_gone',
}

/**
 * What the multipart parser (@fastify/busboy under @fastify/multipart) throws for a body that is not
 * well-formed multipart: plain Errors, told apart only by their messages, and @fastify/multipart's
 * own codes for requests it refuses on principle. A missing boundary throws when the parser starts;
 * a body cut short or garbled fails the part being read, in the controller or mid-stream.
 */
const MULTIPART_PARSE_ERRORS: ReadonlyArray<[RegExp, string]> = [
  [/^Multipart: Boundary not found$/, 'the Content-Type header names no boundary'],
  [/^Unexpected end of multipart data$/, 'it ends before a part is complete, or without its closing boundary'],
  [/terminated early due to unexpected end of multipart data$/, 'it ends in the middle of a part'],
];
const MULTIPART_REFUSAL_CODES: ReadonlyMap<string, string> = new Map([
  ['FST_PROTO_VIOLATION', 'a field is named after an object prototype property'],
  ['FST_INVALID_JSON_FIELD_ERROR', 'a field declared as JSON is not valid JSON'],
  ['FST_MP_PREMATURE_CLOSE', 'the request was closed before the body was complete'],
]);
const MULTIPART_LIMIT_CODES = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT']);

export const UploadException = {
  notMultipart: () =>
    new DomainException(415, UploadErrorCode.NotMultipart, 'Send the file as multipart/form-data, in a field named "file".'),
  noFile: () => new DomainException(422, UploadErrorCode.NoFile, 'The request holds no file: send it in a multipart field named "file".', [
    { field: 'file', detail: 'required' },
  ]),
  unsupportedExtension: (name: string) =>
    new DomainException(
      422,
      UploadErrorCode.UnsupportedExtension,
      `"${name}" is not a supported model file; the extension must be one of ${UPLOADABLE_EXTENSIONS.join(' ')}.`,
      [{ field: 'file', detail: `extension must be one of ${UPLOADABLE_EXTENSIONS.join(' ')}` }],
    ),
  invalidFileName: (reason: string) =>
    new DomainException(422, UploadErrorCode.InvalidFileName, `The file name is not acceptable: ${reason}.`, [{ field: 'file', detail: reason }]),
  invalidFile: (reason: string) =>
    new DomainException(422, UploadErrorCode.InvalidFile, `The file does not hold what its extension says: ${reason}`, [{ field: 'file', detail: reason }]),
  tooLarge: (limit: number) =>
    new DomainException(413, UploadErrorCode.TooLarge, `The file is larger than the upload limit of ${limit} bytes (MODELYARD_UPLOAD_LIMIT).`),
  malformedMultipart: (reason: string) =>
    new DomainException(
      400,
      UploadErrorCode.MalformedMultipart,
      `The body is not well-formed multipart/form-data (${reason}); send the file in a multipart field named "file", as \`curl -F file=@model.onnx\` does.`,
    ),
  tooManyParts: () =>
    new DomainException(413, UploadErrorCode.TooManyParts, 'The request holds more parts than an upload may: send one file, in a field named "file".'),
  idleTimeout: (idleMs: number) =>
    new DomainException(
      408,
      UploadErrorCode.IdleTimeout,
      `No byte of the upload arrived for ${idleMs} ms (MODELYARD_UPLOAD_IDLE_TIMEOUT_MS): the upload was abandoned, nothing was stored, and the model is back to its status before.`,
    ),
  /** Nobody reads this answer (the client is gone); it names the request's end in the log. */
  clientGone: () =>
    new DomainException(400, UploadErrorCode.ClientGone, 'The connection closed before the upload was complete: nothing was stored.'),
};

/**
 * The upload problem a multipart parsing error means, or undefined for any other error. Registered
 * with the gateway's problem filter, so it applies wherever the parser's error surfaces: when the
 * controller asks for the file, or while the file streams into storage (the upload service then
 * restores the model's status first).
 */
export function explainMultipartError(error: unknown): DomainException | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (MULTIPART_LIMIT_CODES.has(code)) return UploadException.tooManyParts();
    const refusal = MULTIPART_REFUSAL_CODES.get(code);
    return refusal === undefined ? undefined : UploadException.malformedMultipart(refusal);
  }
  if (typeof message !== 'string') return undefined;
  const reason = MULTIPART_PARSE_ERRORS.find(([pattern]) => pattern.test(message))?.[1];
  return reason === undefined ? undefined : UploadException.malformedMultipart(reason);
}

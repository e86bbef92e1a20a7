/**
 * What an upload's multipart body may hold besides the file, as limits for @fastify/multipart
 * (registered in gateway.app.ts). The upload takes one file part; a few small fields are tolerated
 * (a form may send them) but never read.
 */
const FILES = 1;
const FIELDS = 5;
/** Per field value; a longer one is cut, not refused (busboy's rule), so it cannot grow the body's legitimate size. */
const FIELD_SIZE_BYTES = 1024;
/**
 * Per part's header block. Room for Content-Disposition with the longest file name accepted
 * (1,000 characters, percent-encoded UTF-8 in `filename*`: up to 12 KB) and a Content-Type.
 */
const PART_HEADER_BYTES = 16 * 1024;
const PART_HEADER_PAIRS = 16;
/** RFC 2046 caps a boundary at 70 characters. */
const MAX_BOUNDARY_LENGTH = 70;

export const multipartLimits = (fileSizeBytes: number) => ({
  fileSize: fileSizeBytes,
  files: FILES,
  fields: FIELDS,
  parts: FILES + FIELDS,
  fieldSize: FIELD_SIZE_BYTES,
  headerSize: PART_HEADER_BYTES,
  headerPairs: PART_HEADER_PAIRS,
});

/**
 * The most a well-formed upload's body can hold beyond the file's own bytes under those limits:
 * for each part its delimiter line (CRLF "--" boundary CRLF), its header block and the blank line
 * that ends it, plus every field's value, plus the closing delimiter ("--" boundary "--" CRLF). A
 * body that declares more than the upload limit plus this (Content-Length) cannot hold an
 * acceptable file, so it is refused with 413 before a byte of it is read.
 */
export const MULTIPART_OVERHEAD_BYTES =
  (FILES + FIELDS) * (2 + 2 + MAX_BOUNDARY_LENGTH + 2 + PART_HEADER_BYTES + 2) + FIELDS * FIELD_SIZE_BYTES + (2 + 2 + MAX_BOUNDARY_LENGTH + 2 + 2);

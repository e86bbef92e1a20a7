/** Longer paths are refused: object keys are capped at 1024 bytes, and the key adds a prefix. */
export const MAX_REPO_FILE_PATH_LENGTH = 1000;

/** C0 controls, DEL and C1 controls: invisible in logs, and some break file systems or HTTP headers. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Why a file path from a Hugging Face listing (or an upload's file name) cannot be used to build a
 * storage key or a cache path, or null when it can. The listing is remote input: a path that
 * climbs out (`..`), is absolute, or is ambiguous (`a//b`, `./a`, `a\b`) could write outside the
 * model's prefix or name two files alike.
 */
export function checkRepoFilePath(path: string): string | null {
  if (path.length === 0) return 'The path is empty.';
  if (path.length > MAX_REPO_FILE_PATH_LENGTH) return `The path is longer than ${MAX_REPO_FILE_PATH_LENGTH} characters.`;
  if (CONTROL_CHARACTERS.test(path)) return 'The path contains a control character.';
  if (path.includes('\\')) return 'The path contains a backslash.';
  if (path.startsWith('/')) return 'The path is absolute.';
  if (/^[A-Za-z]:/.test(path)) return 'The path starts with a drive letter.';
  for (const segment of path.split('/')) {
    if (segment === '') return 'The path has an empty segment (a doubled or trailing slash).';
    if (segment === '.' || segment === '..') return `The path has a "${segment}" segment.`;
  }
  return null;
}

/** Longer paths are refused: object keys are capped at 1024 bytes, and the key adds a prefix. */
export const MAX_REPO_FILE_PATH_LENGTH = 1000;

/** C0 controls, DEL and C1 controls: invisible in logs, and some break file systems or HTTP headers. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Bidirectional controls (embeddings, overrides, isolates, marks) make a name display differently
 * from what it is: with a right-to-left override, the pickle `abc\u202Exnno.pt` shows as
 * "abctp.onnx" (the trick of CVE-2021-42574, "Trojan Source").
 */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Other characters that show as nothing: Unicode format characters (zero-width space and joiners,
 * word joiner, BOM, soft hyphen, …), line and paragraph separators, and the blank "filler" letters
 * that Unicode does not class as format characters. Two names differing only by them look alike.
 */
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0\u2800]/u;

/**
 * Why a file path from a Hugging Face listing (or an upload's file name) cannot be used to build a
 * storage key or a cache path, or null when it can. The listing is remote input: a path that
 * climbs out (`..`), is absolute, or is ambiguous (`a//b`, `./a`, `a\b`) could write outside the
 * model's prefix or name two files alike; one that displays as something else (bidirectional
 * controls, invisible characters, names blank or padded with whitespace) misleads whoever reads
 * the model's file list.
 */
export function checkRepoFilePath(path: string): string | null {
  if (path.length === 0) return 'The path is empty.';
  if (path.length > MAX_REPO_FILE_PATH_LENGTH) return `The path is longer than ${MAX_REPO_FILE_PATH_LENGTH} characters.`;
  if (CONTROL_CHARACTERS.test(path)) return 'The path contains a control character.';
  const bidi = BIDI_CONTROLS.exec(path);
  if (bidi) return `The path contains a bidirectional control character (${codePointOf(bidi[0])}), which makes it display differently from what it is.`;
  const invisible = INVISIBLE_CHARACTERS.exec(path);
  if (invisible) return `The path contains an invisible character (${codePointOf(invisible[0])}).`;
  if (path.includes('\\')) return 'The path contains a backslash.';
  if (path.startsWith('/')) return 'The path is absolute.';
  if (/^[A-Za-z]:/.test(path)) return 'The path starts with a drive letter.';
  for (const segment of path.split('/')) {
    if (segment === '') return 'The path has an empty segment (a doubled or trailing slash).';
    if (segment === '.' || segment === '..') return `The path has a "${segment}" segment.`;
    // Names that differ only by a leading or trailing space look the same in every listing.
    if (segment.trim() === '') return 'The path has a name made only of whitespace.';
    if (segment.trim() !== segment) return 'The path has a name that starts or ends with whitespace.';
  }
  return null;
}

const codePointOf = (character: string): string => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

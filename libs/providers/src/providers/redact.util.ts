export const REDACTED = '[redacted]';

/** Below this many characters an encoded fragment could match ordinary text: it is not searched for. */
const MIN_VARIANT_LENGTH = 8;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The secret's base64 spellings as they appear inside a longer base64 text, at each of the three
 * byte alignments (a provider that echoes `Basic base64(user:key)` or a base64 blob of the request
 * puts the key at any offset). Only the characters every alignment fixes are kept: the first and last
 * characters of each also depend on the neighbouring bytes.
 */
function base64Spellings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const spellings: string[] = [];
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').replace(/=+$/, '');
    const start = Math.ceil((offset * 4) / 3);
    // The last character is whole only when the secret ends on a 3-byte boundary.
    const end = (offset + bytes.length) % 3 === 0 ? encoded.length : encoded.length - 1;
    const core = encoded.slice(start, end);
    if (core.length >= MIN_VARIANT_LENGTH) spellings.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return spellings;
}

/**
 * Every spelling of a secret that a provider's answer is likely to quote: as is, JSON-escaped,
 * URL-encoded, hex and base64 (at any alignment, standard and URL-safe). Matched without regard to
 * case, since providers upper- or lower-case what they quote.
 */
function secretPattern(secret: string): RegExp {
  const spellings = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  if (secret.length >= MIN_VARIANT_LENGTH / 2) spellings.add(Buffer.from(secret, 'utf8').toString('hex'));
  for (const spelling of base64Spellings(secret)) spellings.add(spelling);
  // Longest first, so that a spelling containing another is replaced whole.
  const alternatives = [...spellings].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?:Bearer\\s+)?(?:${alternatives.join('|')})`, 'gi');
}

const patterns = new Map<string, RegExp>();

function cachedPattern(secret: string): RegExp {
  let pattern = patterns.get(secret);
  if (!pattern) {
    // A worker serves few keys at a time; the cache only spares rebuilding the pattern per message.
    if (patterns.size >= 256) patterns.clear();
    pattern = secretPattern(secret);
    patterns.set(secret, pattern);
  }
  return pattern;
}

/**
 * Replaces every spelling of the secret in `text` (see secretPattern), with any `Bearer ` before it,
 * by '[redacted]'. Redact whole texts before cutting them: a cut through the secret leaves a prefix
 * no search finds.
 */
export function redactSecret(text: string, secret: string | null): string {
  if (secret === null || secret === '') return text;
  return text.replace(cachedPattern(secret), REDACTED);
}

/**
 * A JSON value with the secret redacted from every string in it, object keys included. Walks
 * iteratively: provider answers can nest deeper than the stack allows.
 */
export function redactSecretDeep<T>(value: T, secret: string | null): T {
  if (secret === null || secret === '') return value;
  // Shallow copies with redacted keys; their members are redacted as the walk reaches them.
  const shallowCopy = (item: object): Record<string, unknown> | unknown[] =>
    Array.isArray(item) ? [...(item as unknown[])] : Object.fromEntries(Object.entries(item).map(([key, member]) => [redactSecret(key, secret), member]));
  const root: Record<string, unknown> = { value };
  const stack: Array<Record<string, unknown> | unknown[]> = [root];
  while (stack.length > 0) {
    const container = stack.pop() as Record<string, unknown>;
    for (const key of Object.keys(container)) {
      const member = container[key];
      if (typeof member === 'string') {
        container[key] = redactSecret(member, secret);
      } else if (typeof member === 'object' && member !== null) {
        const copy = shallowCopy(member);
        container[key] = copy;
        stack.push(copy);
      }
    }
  }
  return root.value as T;
}

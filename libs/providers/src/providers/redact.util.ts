export const REDACTED = '[redacted]';

/**
 * Replaces every occurrence of the secret (and of 'Bearer ' + secret) in `text` by '[redacted]'.
 * Also the secret's JSON-escaped and URL-encoded spellings, the forms a provider that echoes a
 * request back is likely to use.
 */
export function redactSecret(text: string, secret: string | null): string {
  if (secret === null || secret === '') return text;
  const spellings = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)]);
  let redacted = text;
  for (const spelling of spellings) {
    redacted = redacted.split(`Bearer ${spelling}`).join(REDACTED).split(spelling).join(REDACTED);
  }
  return redacted;
}

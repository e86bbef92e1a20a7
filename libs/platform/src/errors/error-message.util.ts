/**
 * The message of anything thrown. Duck-typed rather than `instanceof Error`: errors from native
 * bindings and other realms (a Jest VM context) carry a message without being this realm's Error.
 */
export function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' ? error.message : String(error);
}

/**
 * An import that cannot succeed by trying again (repo missing, access refused, checksum wrong,
 * nothing to import): the model goes to `error` with the message, and the job is not retried.
 */
export class ImportFailure extends Error {
  override readonly name = 'ImportFailure';
}

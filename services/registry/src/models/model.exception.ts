import { DomainException } from '@modelyard/platform';

export enum ModelErrorCode {
  NotFound = 'model_not_found',
  Duplicate = 'model_duplicate',
  StatusLocked = 'model_status_locked',
  TransferInProgress = 'model_transfer_in_progress',
  NoTransfer = 'model_no_transfer',
  InvalidImport = 'model_invalid_import',
  InvalidField = 'model_invalid_field',
  SecretRequired = 'model_secret_required',
  SecretOriginChange = 'model_secret_origin_change',
}

const describeOrigin = (origin: string | null): string => {
  if (origin === null) return 'no endpoint';
  if (origin.endsWith(':default')) return `the configured ${origin.startsWith('openai') ? 'OpenAI' : 'Anthropic'} base URL`;
  return origin;
};

export const ModelException = {
  transferInProgress: (file: string | null) =>
    new DomainException(
      409,
      ModelErrorCode.TransferInProgress,
      `The model is already uploading${file ? ` (${file})` : ''}; wait for that transfer to end before sending another file.`,
    ),
  noTransfer: (id: string) =>
    new DomainException(409, ModelErrorCode.NoTransfer, `Model "${id}" has no upload or import in progress.`),
  invalidImport: (field: string, message: string) =>
    new DomainException(422, ModelErrorCode.InvalidImport, message, [{ field, detail: message }]),
  /** A field that does not fit the model's source (e.g. provider_model on an uploaded model). */
  invalidField: (field: string, message: string) =>
    new DomainException(422, ModelErrorCode.InvalidField, message, [{ field, detail: message }]),
  secretRequired: (source: string) =>
    new DomainException(
      409,
      ModelErrorCode.SecretRequired,
      `An ${source === 'openai' ? 'OpenAI' : 'Anthropic'} model needs an API key before it can be switched on; add one with PATCH /api/v1/ai-models/{id} {"api_key": "…"}.`,
    ),
  /** A stored secret goes only to the origin it was stored for: moving it elsewhere needs it sent again. */
  secretOriginChange: (from: string | null, to: string | null) => {
    const detail =
      `The model's stored api_key was given for ${describeOrigin(from)}; this change would send it to ${describeOrigin(to)}. ` +
      'Send api_key again in the same request (or api_key: null to remove it): a stored key is only ever sent to the origin it was stored for.';
    return new DomainException(422, ModelErrorCode.SecretOriginChange, detail, [{ field: 'api_key', detail: 'required when the endpoint moves to another origin (scheme, host or port)' }]);
  },
  notFound: (id: string) =>
    new DomainException(404, ModelErrorCode.NotFound, `No model has the id "${id}".`),
  duplicate: (name: string, version: string) =>
    new DomainException(
      409,
      ModelErrorCode.Duplicate,
      `A model named "${name}" with version "${version}" already exists; choose another version or edit that model.`,
    ),
  statusLocked: (status: 'uploading' | 'error', statusMessage: string | null) =>
    new DomainException(
      409,
      ModelErrorCode.StatusLocked,
      status === 'uploading'
        ? 'The model is still uploading; it can be switched on or off once its files have arrived.'
        : `The model is in error${statusMessage ? ` (${statusMessage})` : ''}; fix the cause and re-import or re-upload it before switching it on or off.`,
    ),
};

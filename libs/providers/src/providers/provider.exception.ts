export type ProviderErrorClass = 'provider_error' | 'timeout' | 'invalid_input';

export interface ProviderErrorOptions {
  errorClass: ProviderErrorClass;
  retryAfterSeconds?: number | null;
  /** The provider's HTTP status, when it answered. */
  providerStatus?: number | null;
  /** The request field at fault (api_key, provider_model, endpoint, input_data.…). */
  field?: string | null;
}

/**
 * A failed provider call, in the terms Modelyard answers with: `status` is Modelyard's HTTP status,
 * `code` a stable machine-readable reason. The message has already been redacted and never carries
 * request headers; there is deliberately no `cause`, since the SDK errors underneath hold the
 * provider's raw answer, which may quote the key.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: ProviderErrorOptions,
  ) {
    super(message);
  }

  get errorClass(): ProviderErrorClass {
    return this.options.errorClass;
  }

  get retryAfterSeconds(): number | null {
    return this.options.retryAfterSeconds ?? null;
  }

  get providerStatus(): number | null {
    return this.options.providerStatus ?? null;
  }

  get field(): string | null {
    return this.options.field ?? null;
  }
}

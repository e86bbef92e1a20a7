import { Inject, Injectable } from '@nestjs/common';
import {
  isSourceIn,
  PROVIDER_SOURCES,
  REGISTRY_PATTERNS,
  REMOTE_SOURCES,
  secretOriginOf,
  type CreateModelDto,
  type ModelDto,
  type ModelSource,
  type SecretChange,
  type StoredCreateModel,
  type StoredUpdateModel,
  type UpdateModelDto,
} from '@modelyard/contracts';
import {
  callTargetOf,
  checkEndpoint,
  createGuardedFetch,
  EndpointRefusedError,
  ProviderError,
  providerProblem,
  validateProvider,
  withKey,
  type EgressPolicy,
  type ProviderDeps,
} from '@modelyard/providers';
import { APP_CONFIG, DomainException, RegistryClient, SecretCipher, secretHint, type AppConfig } from '@modelyard/platform';

/** Validation at registration waits at most this long for the provider. */
const VALIDATION_TIMEOUT_MS = 10_000;


/** The Hub client refuses other tokens (in words that could quote them): refuse them here first. */
function checkHubToken(token: string): void {
  if (/^hf_\w+$/.test(token)) return;
  const detail = 'api_key of a Hugging Face model must be a Hugging Face access token (hf_…)';
  throw new DomainException(422, 'validation_failed', detail, [{ field: 'api_key', detail }]);
}

/**
 * The write-only side of a model's secret. A key arrives in clear only here: the endpoint is checked
 * against SSRF, the key checked with its provider (unless `validate: false`), then sealed, and only
 * the sealed form goes on to the registry. Provider refusals become problem details that never
 * quote the key.
 */
@Injectable()
export class ModelCredentialsService {
  private readonly policy: EgressPolicy;
  private readonly deps: ProviderDeps;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly secrets: SecretCipher,
    private readonly registry: RegistryClient,
  ) {
    this.policy = { allowedHosts: config.providers.allowedEndpointHosts };
    this.deps = {
      fetch: createGuardedFetch(this.policy),
      defaults: { openaiBaseUrl: config.providers.openaiBaseUrl, anthropicBaseUrl: config.providers.anthropicBaseUrl },
      timeoutMs: Math.min(VALIDATION_TIMEOUT_MS, config.providers.timeoutMs),
    };
  }

  async prepareCreate(body: CreateModelDto): Promise<{ stored: StoredCreateModel; secret?: SecretChange }> {
    const { api_key: apiKey, validate, ...stored } = body;
    const source = body.source ?? 'custom';
    if (source === 'huggingface' && apiKey !== undefined) checkHubToken(apiKey);
    if (isSourceIn(REMOTE_SOURCES, source) && body.endpoint) await this.checkEndpoint(body.endpoint);
    if (apiKey && isSourceIn(PROVIDER_SOURCES, source) && validate !== false) {
      await this.validate({
        source,
        endpoint: body.endpoint ?? null,
        model: body.provider_model ?? body.name,
        type: body.type,
        parameters: (body.config?.parameters ?? {}) as Record<string, unknown>,
        apiKey,
      });
    }
    return { stored, ...(apiKey !== undefined && { secret: this.seal(apiKey) }) };
  }

  /** An edit that touches the key, the endpoint or the provider's model id is checked like a creation. */
  async prepareUpdate(id: string, body: UpdateModelDto): Promise<{ stored: StoredUpdateModel; secret?: SecretChange }> {
    const { api_key: apiKey, validate, ...stored } = body;
    const secret = apiKey === undefined ? {} : { secret: apiKey === null ? null : this.seal(apiKey) };
    // Removing a key, or an edit that touches none of these, needs no check.
    if (apiKey == null && body.endpoint == null && body.provider_model === undefined) return { stored, ...secret };
    const { model, sealed_secret: sealed, secret_origin: storedOrigin } = await this.registry.send(REGISTRY_PATTERNS.getInvocationTarget, { id });
    if (model.source === 'huggingface' && apiKey) checkHubToken(apiKey);
    if (isSourceIn(REMOTE_SOURCES, model.source) && body.endpoint) await this.checkEndpoint(body.endpoint);
    // The stored key is only ever sent to the origin it was stored for. An edit that moves the model
    // elsewhere without a new key is refused by the registry (422 on api_key); it is not checked here,
    // since checking would send the stored key to the new origin.
    const origin = secretOriginOf(model.source, body.endpoint !== undefined ? body.endpoint : model.endpoint);
    const storedKeyMayGo = apiKey === undefined && sealed !== null && origin === storedOrigin;
    const key = apiKey ?? (storedKeyMayGo ? this.secrets.open(sealed) : null);
    if (key && isSourceIn(PROVIDER_SOURCES, model.source) && validate !== false) {
      const edited: ModelDto = {
        ...model,
        endpoint: body.endpoint !== undefined ? body.endpoint : model.endpoint,
        provider_model: body.provider_model !== undefined ? body.provider_model : model.provider_model,
        name: body.name ?? model.name,
      };
      const target = callTargetOf(edited);
      await this.validate({ source: model.source, endpoint: target.endpoint, model: target.model, type: edited.type, parameters: target.parameters, apiKey: key });
    }
    return { stored, ...secret };
  }

  private seal(apiKey: string): SecretChange {
    return { sealed: this.secrets.seal(apiKey), last4: secretHint(apiKey) };
  }

  private async checkEndpoint(endpoint: string): Promise<void> {
    try {
      await checkEndpoint(endpoint, this.policy);
    } catch (error) {
      if (!(error instanceof EndpointRefusedError)) throw error;
      // A name this machine cannot resolve now (offline, private DNS) says nothing about where it
      // points: it is stored, and the guard decides at each call, where it also checks the connection.
      if (error.reason === 'unresolvable') return;
      throw new DomainException(422, 'endpoint_refused', error.message, [{ field: 'endpoint', detail: error.message }]);
    }
  }

  private async validate(model: {
    source: ModelSource;
    endpoint: string | null;
    model: string;
    type: ModelDto['type'] | undefined;
    parameters: Record<string, unknown>;
    apiKey: string;
  }): Promise<void> {
    const kind = model.source === 'openai' ? 'openai' : 'anthropic';
    try {
      await validateProvider(
        withKey({ kind, endpoint: model.endpoint, model: model.model, type: model.type ?? 'llm', parameters: model.parameters, http: null }, model.apiKey),
        this.deps,
      );
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      const problem = providerProblem(error);
      throw new DomainException(problem.status, problem.code, problem.detail, problem.errors, problem.retry_after_seconds);
    }
  }
}

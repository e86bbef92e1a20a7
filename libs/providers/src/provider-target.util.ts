import { isSourceIn, REMOTE_SOURCES, type JobPayload, type JobProblem, type ModelDto } from '@modelyard/contracts';
import { ProviderError, type ProviderTarget } from './providers/index.js';

/** What a call needs to know of a model, without its secret: the `target` of a provider-call job. */
export type ProviderCallTarget = JobPayload<'inference.provider-call'>['target'];

/** Whether the model is served by a provider or an endpoint (and so called through libs/providers). */
export const isProviderModel = (model: Pick<ModelDto, 'source'>): boolean => isSourceIn(REMOTE_SOURCES, model.source);

export function callTargetOf(model: ModelDto): ProviderCallTarget {
  if (!isProviderModel(model)) throw new Error(`model ${model.id} (source ${model.source}) is not served by a provider`);
  return {
    // The remote sources name the provider kinds.
    kind: model.source as ProviderCallTarget['kind'],
    endpoint: model.endpoint,
    model: model.provider_model ?? model.name,
    type: model.type,
    parameters: model.config.parameters,
    http: model.source === 'endpoint' ? (model.config.http ?? null) : null,
  };
}

export const withKey = (target: ProviderCallTarget, apiKey: string | null): ProviderTarget => ({ ...target, apiKey });

/** A provider's refusal as the problem a worker reports and the gateway answers. */
export function providerProblem(error: ProviderError): JobProblem {
  const { field, retryAfterSeconds } = error.options;
  return {
    status: error.status,
    code: error.code,
    detail: error.message,
    ...(field ? { errors: [{ field, detail: error.message }] } : {}),
    ...(retryAfterSeconds != null ? { retry_after_seconds: retryAfterSeconds } : {}),
  };
}

import type { ModelDto } from '@modelyard/contracts';
import { CommonErrorCode, DomainException } from '@modelyard/platform';

export enum InvocationErrorCode {
  ModelNotActive = 'model_not_active',
  ModelNotRunnable = 'model_not_runnable',
  InferenceFailed = 'inference_failed',
}

export const InvocationException = {
  notActive: (model: ModelDto) =>
    new DomainException(
      409,
      InvocationErrorCode.ModelNotActive,
      `The model is ${model.status}${model.status_message ? ` (${model.status_message})` : ''}; only an active model can be tested.` +
        (model.status === 'inactive' ? ' Switch it on with POST /api/v1/ai-models/{id}/toggle-status.' : ''),
    ),
  notRunnable: (model: ModelDto) =>
    new DomainException(
      422,
      InvocationErrorCode.ModelNotRunnable,
      model.source === 'openai' || model.source === 'anthropic' || model.source === 'endpoint'
        ? `Models served by ${model.source} cannot be tested yet: provider calls are not part of this version.`
        : 'The model has no ONNX file to run: upload one (POST /api/v1/ai-models/{id}/files) or import an ONNX repo. ' +
          'Pickle formats (.pt .pth .bin) are stored but never executed.',
    ),
  timeout: (ms: number) =>
    new DomainException(504, CommonErrorCode.UpstreamTimeout, `No inference worker finished the call within ${ms} ms; the call may still complete and be counted.`),
  failed: (reason: string) =>
    new DomainException(503, InvocationErrorCode.InferenceFailed, `The inference workers could not run the call after retries: ${reason}`),
};

import type { CreateModelDto } from './dto/create-model.dto.js';
import type { ListModelsQueryDto } from './dto/list-models-query.dto.js';
import type { ModelDto, ModelListDto } from './dto/model.dto.js';
import type { UpdateModelDto } from './dto/update-model.dto.js';
import type { ArtifactDto, ImportedMetadata, ModelSignature, TransferProgressDto } from './dto/model-artifacts.dto.js';
import type { ModelStatsDto, ModelUsageSummary, UsageByApiTokenDto, UsageByUserDto } from './dto/model-stats.dto.js';
import type { METRICS_PATTERNS } from './messaging.constant.js';
import type { REGISTRY_PATTERNS } from './messaging.constant.js';

import type { Actor, Caller, IdentityMessages } from './identity/identity-messages.js';
import type { AccessScope, ModelAccessRecord } from './identity/principal.js';

/**
 * A change of a model's secret as the gateway sends it: sealed there (the clear value never leaves
 * the process that received it), with the hint a record may show. null removes the secret.
 */
export type SecretChange = { sealed: string; last4: string | null } | null;

/** The write-only fields stay at the gateway: the registry receives the sealed secret instead. */
export type StoredCreateModel = Omit<CreateModelDto, 'api_key' | 'validate'>;
export type StoredUpdateModel = Omit<UpdateModelDto, 'api_key' | 'validate'>;

export interface SecretRotationDto {
  /** The id of the master key everything is now sealed with. */
  key_id: string;
  rotated: number;
  already_current: number;
  /** Secrets no configured key opens (their model ids), left as they are. */
  failed: Array<{ model_id: string; reason: string }>;
}

/**
 * Request and response of each gateway → registry message pattern. Requests made for a user carry
 * its access scope (or the whole Caller): the registry's queries of models take it, so a model the
 * caller may not read is not found. Messages from the platform's own workers carry an Actor only.
 */
export interface RegistryMessages extends IdentityMessages {
  [REGISTRY_PATTERNS.listModels]: { request: { query: ListModelsQueryDto; scope: AccessScope }; response: ModelListDto };
  [REGISTRY_PATTERNS.getModel]: { request: { id: string; scope: AccessScope }; response: ModelDto };
  /** `secret` absent: none given. The model of a provider without a secret is stored inactive. */
  [REGISTRY_PATTERNS.createModel]: { request: { caller: Caller; body: StoredCreateModel; secret?: SecretChange }; response: ModelDto };
  /** `secret` absent: unchanged; null: removed. */
  [REGISTRY_PATTERNS.updateModel]: { request: { caller: Caller; id: string; body: StoredUpdateModel; secret?: SecretChange }; response: ModelDto };
  /** For the gateway (test calls, its access checks) and the workers: never answered to a user. */
  [REGISTRY_PATTERNS.getInvocationTarget]: {
    request: { id: string };
    response: { model: ModelDto; sealed_secret: string | null; secret_origin: string | null; access: ModelAccessRecord };
  };
  [REGISTRY_PATTERNS.rotateSecrets]: { request: { actor: Actor }; response: SecretRotationDto };
  [REGISTRY_PATTERNS.deleteModel]: { request: { caller: Caller; id: string }; response: { deleted: true } };
  [REGISTRY_PATTERNS.toggleModelStatus]: { request: { caller: Caller; id: string }; response: ModelDto };
  /** Marks the model `uploading` (409 if it already is); the status before is restored when the transfer ends. */
  [REGISTRY_PATTERNS.beginUpload]: { request: { caller: Caller; id: string; file: string }; response: ModelDto };
  [REGISTRY_PATTERNS.reportProgress]: { request: { id: string; progress: Omit<TransferProgressDto, 'updated_at'> }; response: { ok: true } };
  /**
   * Records stored files and ends the transfer: the status before it (a Hugging Face import: active),
   * the signature of an ONNX file, and for imports the metadata for the fields the user left empty.
   */
  [REGISTRY_PATTERNS.completeArtifacts]: {
    request: {
      actor: Actor;
      id: string;
      artifacts: ArtifactDto[];
      /** Replace all stored artifacts (an import) or add to them, replacing same-path ones (an upload). */
      replace: boolean;
      signature?: ModelSignature | null;
      metadata?: ImportedMetadata;
      commit?: string;
    };
    response: ModelDto;
  };
  /** Ends a transfer that failed. `error`: the model goes to `error` with the message; `restore`: back to its status before. */
  [REGISTRY_PATTERNS.markFailed]: { request: { actor: Actor; id: string; message: string; outcome: 'error' | 'restore' }; response: ModelDto };
  [REGISTRY_PATTERNS.health]: { request: Record<string, never>; response: { status: 'ok' | 'unavailable'; checks: Record<string, unknown> } };
}

/** Request and response of each gateway → metrics message pattern. */
export interface MetricsMessages {
  [METRICS_PATTERNS.modelStats]: { request: { model_id: string; from: string; to: string }; response: ModelStatsDto };
  /** The last hour of each of the given models that had calls in it. */
  [METRICS_PATTERNS.modelSummaries]: { request: { model_ids: string[] }; response: ModelUsageSummary[] };
  /**
   * Usage per user across all models over [from, to) (default: the last hour): the 50 users with
   * the most calls, or, given `user_ids` (at most 1,000), those of them that made calls.
   * `by_token` of a model and the items of `usageByToken` come without name, prefix and user (null):
   * the gateway adds them from the registry (`tokenRefs`).
   */
  [METRICS_PATTERNS.usageByUser]: { request: { from?: string; to?: string; user_ids?: string[] }; response: UsageByUserDto };
  /** The same per API token; `token_ids` picks tokens. */
  [METRICS_PATTERNS.usageByToken]: { request: { from?: string; to?: string; token_ids?: string[] }; response: UsageByApiTokenDto };
  [METRICS_PATTERNS.health]: { request: Record<string, never>; response: { status: 'ok' | 'unavailable'; checks: Record<string, unknown> } };
}

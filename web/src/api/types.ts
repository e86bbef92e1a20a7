/*
 * The API's shapes as the console reads them (libs/contracts/src/dto). Written out here rather than
 * imported: the contracts carry Nest and class-validator decorators that must not reach the browser.
 * Fields marked "(issue 5)" arrive with the external-provider work and may be absent on older servers.
 */

export const MODEL_TYPES = ['llm', 'vision', 'audio', 'multimodal', 'embedding', 'custom'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];
export const MODEL_FRAMEWORKS = ['pytorch', 'tensorflow', 'onnx', 'tensorrt', 'openvino', 'openai', 'anthropic', 'custom'] as const;
export type ModelFramework = (typeof MODEL_FRAMEWORKS)[number];
export const MODEL_SOURCES = ['huggingface', 'openai', 'anthropic', 'upload', 'endpoint', 'custom'] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];
export const MODEL_STATUSES = ['active', 'inactive', 'uploading', 'error'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];
export const SORT_FIELDS = ['name', 'created_at', 'updated_at', 'latency_ms', 'accuracy'] as const;
export type SortField = (typeof SORT_FIELDS)[number];
export type ModelSort = SortField | `-${SortField}`;

export const PROVIDER_SOURCES = ['openai', 'anthropic'] as const;
export type ProviderSource = (typeof PROVIDER_SOURCES)[number];
export const isProviderSource = (source: string): source is ProviderSource => (PROVIDER_SOURCES as readonly string[]).includes(source);

export interface TensorSpec {
  name: string;
  element_type: string;
  shape: Array<number | string | null>;
}

export interface ModelConfig {
  input_format: string | null;
  output_format: string | null;
  parameters: Record<string, unknown>;
  env: Record<string, string>;
  signature: { inputs: TensorSpec[]; outputs: TensorSpec[] } | null;
}

export interface Artifact {
  path: string;
  key: string;
  size: number;
  sha256: string;
  format: string;
  primary: boolean;
  stored_at: string;
}

export interface TransferProgress {
  bytes_done: number;
  bytes_total: number | null;
  files_done: number;
  files_total: number | null;
  current_file: string | null;
  updated_at: string;
}

export interface ModelUsage {
  calls: number;
  success_rate: number | null;
  latency_p50_ms: number | null;
}

export interface Model {
  id: string;
  name: string;
  version: string;
  type: ModelType;
  framework: ModelFramework;
  source: ModelSource;
  status: ModelStatus;
  status_message: string | null;
  description: string | null;
  endpoint: string | null;
  tags: string[];
  config: ModelConfig;
  accuracy: number | null;
  latency_ms: number | null;
  usage?: ModelUsage | null;
  license: string | null;
  artifacts: Artifact[];
  progress: TransferProgress | null;
  import: { repo: string; revision: string; include: string[] | null; commit: string | null } | null;
  owner: string;
  created_at: string;
  updated_at: string;
  /** (issue 5) The provider's own model id, for openai/anthropic models. */
  provider_model?: string | null;
  /** (issue 5) Whether a key is stored; the key itself is never returned. */
  has_api_key?: boolean;
  /** (issue 5) The key's last four characters, to tell keys apart. */
  api_key_last4?: string | null;
}

export interface ModelList {
  items: Model[];
  total: number;
  page: number;
  page_size: number;
}

export interface ListQuery {
  type?: ModelType;
  status?: ModelStatus;
  source?: ModelSource;
  framework?: ModelFramework;
  tag?: string[];
  q?: string;
  sort?: ModelSort;
  page?: number;
  page_size?: number;
}

export interface ModelFields {
  name: string;
  version?: string;
  type?: ModelType;
  framework?: ModelFramework;
  description?: string | null;
  endpoint?: string | null;
  tags?: string[];
  accuracy?: number | null;
  latency_ms?: number | null;
  config?: Partial<Pick<ModelConfig, 'input_format' | 'output_format' | 'parameters' | 'env'>>;
}

export interface CreateModelBody extends ModelFields {
  source?: ModelSource;
  revision?: string;
  include?: string[];
  /** (issue 5) openai/anthropic only: validated with the provider, stored encrypted, never returned. */
  api_key?: string;
  provider_model?: string;
}

export type UpdateModelBody = Partial<ModelFields> & { api_key?: string; provider_model?: string | null };

export interface TensorValue {
  element_type: string;
  shape: number[];
  data: unknown;
}

export interface TestResult {
  /** ONNX: tensors by output name; chat: the answer text; embeddings: vectors; endpoints: their JSON. */
  output: Record<string, TensorValue> | string | unknown[] | Record<string, unknown> | null;
  latency_ms: number;
  model_id: string;
  worker: string;
  call_id: string;
  /** Token counts of a provider call; null for local models. */
  usage: { input_tokens: number | null; output_tokens: number | null } | null;
  /** Chat models: why the answer ended. */
  finish_reason: string | null;
}

export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface StatsPoint {
  start: string;
  calls: number;
  success_rate: number | null;
  latency_ms: LatencyPercentiles | null;
}

export interface ModelStats {
  model_id: string;
  from: string;
  to: string;
  calls: number;
  success_rate: number | null;
  latency_ms: LatencyPercentiles | null;
  throughput_rps: number;
  errors: Array<{ class: string; count: number }>;
  step_seconds: number;
  series: StatsPoint[];
  /** Tokens the provider counted over the range (0 for local models). */
  tokens: { input: number; output: number };
  /** Calls per user, most calls first (at most 50). */
  by_user: UsageBreakdown[];
  /** Calls per API token, most calls first (at most 50); calls made signed in belong to no token. */
  by_token: TokenUsage[];
}

/** What one user's (or token's) calls add up to over a range. */
export interface UsageBreakdown {
  user_id: string | null;
  username: string;
  calls: number;
  failures: number;
  success_rate: number;
  input_tokens: number;
  output_tokens: number;
}

export interface TokenUsage extends Omit<UsageBreakdown, 'user_id' | 'username'> {
  token_id: string;
  name: string | null;
  prefix: string | null;
  user: { id: string; username: string } | null;
}

/** What the Hub says about a repo (GET /api/v1/huggingface/models/{repo}). */
export interface HubModelPreview {
  id: string;
  sha: string | null;
  pipeline_tag: string | null;
  library_name: string | null;
  tags: string[];
  license: string | null;
  gated: boolean | string;
  files: Array<{ path: string; size: number | null }>;
}

export interface FieldError {
  field: string;
  detail: string;
}

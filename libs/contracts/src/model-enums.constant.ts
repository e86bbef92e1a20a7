/**
 * The vocabularies of a model record, as the user guide names them. These strings are stored in the
 * database and sent on the wire: add values freely, never rename or remove one.
 */
export const MODEL_TYPES = ['llm', 'vision', 'audio', 'multimodal', 'embedding', 'custom'] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

export const MODEL_FRAMEWORKS = [
  'pytorch',
  'tensorflow',
  'onnx',
  'tensorrt',
  'openvino',
  'openai',
  'anthropic',
  'custom',
] as const;
export type ModelFramework = (typeof MODEL_FRAMEWORKS)[number];

export const MODEL_SOURCES = ['huggingface', 'openai', 'anthropic', 'upload', 'endpoint', 'custom'] as const;
export type ModelSource = (typeof MODEL_SOURCES)[number];

/** Sources whose models run elsewhere and are called over the network: a provider's API or an HTTP endpoint. */
export const REMOTE_SOURCES = ['openai', 'anthropic', 'endpoint'] as const satisfies readonly ModelSource[];
/** Sources served by a provider's API: their models need an API key (checked with the provider) to run. */
export const PROVIDER_SOURCES = ['openai', 'anthropic'] as const satisfies readonly ModelSource[];
/** Sources whose models may hold a secret: provider keys, endpoint header values, Hugging Face tokens. */
export const SECRET_SOURCES = [...REMOTE_SOURCES, 'huggingface'] as const satisfies readonly ModelSource[];
/** Whether `source` is one of `sources` (a typed `includes` for the narrow lists above). */
export const isSourceIn = (sources: readonly ModelSource[], source: ModelSource): boolean => sources.includes(source);

export const MODEL_STATUSES = ['active', 'inactive', 'uploading', 'error'] as const;
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** Statuses a user may choose; `uploading` and `error` are set by the system only. */
export const USER_SETTABLE_STATUSES = ['active', 'inactive'] as const satisfies readonly ModelStatus[];
export type UserSettableStatus = (typeof USER_SETTABLE_STATUSES)[number];

export const MODEL_SORT_FIELDS = ['name', 'created_at', 'updated_at', 'latency_ms', 'accuracy'] as const;
export type ModelSortField = (typeof MODEL_SORT_FIELDS)[number];
export const MODEL_SORTS = [...MODEL_SORT_FIELDS, ...MODEL_SORT_FIELDS.map((f) => `-${f}` as const)] as const;
export type ModelSort = ModelSortField | `-${ModelSortField}`;

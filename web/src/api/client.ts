import axios, { type AxiosInstance, type AxiosProgressEvent } from 'axios';
import { createIdentityApi, type IdentityApi } from './identity-client';
import type {
  CreateModelBody,
  FieldError,
  HubModelPreview,
  ListQuery,
  Model,
  ModelList,
  ModelStats,
  TestResult,
  UpdateModelBody,
} from './types';

/**
 * The one HTTP client of the console: every call to the API goes through here, so the bearer
 * token, the base path and the reading of RFC 9457 problem details live in one place.
 */

export const API_BASE = '/api/v1';

/** An API failure as the console shows it: the problem details, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly code: string | undefined;
  readonly errors: FieldError[];
  readonly errorId: string | undefined;
  /** A 429's wait, in seconds (the problem's `retry_after`, else the Retry-After header). */
  readonly retryAfter: number | undefined;

  constructor(init: { status: number; title: string; detail: string; code?: string; errors?: FieldError[]; errorId?: string; retryAfter?: number }) {
    super(init.detail || init.title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.code = init.code;
    this.errors = init.errors ?? [];
    this.errorId = init.errorId;
    this.retryAfter = init.retryAfter;
  }

  /** No answer at all: the server is down, the connection dropped, or the request timed out. */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads a problem+json body; anything else (a proxy's HTML page, an empty body) becomes a plain problem of that status. */
export function problemFrom(status: number, statusText: string, body: unknown, retryAfterHeader?: unknown): ApiError {
  const headerSeconds = typeof retryAfterHeader === 'string' && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : undefined;
  let data = body;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      data = undefined;
    }
  }
  if (isObject(data)) {
    const errors = Array.isArray(data['errors'])
      ? data['errors'].filter(isObject).map((e) => ({ field: String(e['field'] ?? ''), detail: String(e['detail'] ?? '') }))
      : [];
    const title = typeof data['title'] === 'string' ? data['title'] : statusText || `HTTP ${status}`;
    return new ApiError({
      status: typeof data['status'] === 'number' ? data['status'] : status,
      title,
      detail: typeof data['detail'] === 'string' ? data['detail'] : title,
      code: typeof data['code'] === 'string' ? data['code'] : undefined,
      errors,
      errorId: typeof data['error_id'] === 'string' ? data['error_id'] : undefined,
      retryAfter: typeof data['retry_after'] === 'number' ? data['retry_after'] : headerSeconds,
    });
  }
  const title = statusText || `HTTP ${status}`;
  return new ApiError({ status, title, detail: title, retryAfter: headerSeconds });
}

export interface HttpClientOptions {
  baseURL?: string;
  getToken: () => string | null;
  /** Called on every 401 (a missing, wrong or revoked token): the console goes back to sign-in. */
  onUnauthorized?: (error: ApiError) => void;
  timeoutMs?: number;
}

export function createHttpClient(options: HttpClientOptions): AxiosInstance {
  const http = axios.create({
    baseURL: options.baseURL ?? API_BASE,
    timeout: options.timeoutMs ?? 120_000,
    headers: { Accept: 'application/json, application/problem+json' },
    // The API reads repeated keys (`tag=a&tag=b`), not `tag[]=a`.
    paramsSerializer: { indexes: null },
  });
  http.interceptors.request.use((config) => {
    const token = options.getToken();
    // A call that names its own token (sign-in checking a typed one) keeps it.
    if (token && !config.headers.has('Authorization')) config.headers.set('Authorization', `Bearer ${token}`);
    return config;
  });
  http.interceptors.response.use(undefined, (error: unknown) => {
    if (!axios.isAxiosError(error)) throw error;
    if (!error.response) {
      throw new ApiError({ status: 0, title: 'Network error', detail: error.message || 'The server could not be reached.', code: error.code });
    }
    const problem = problemFrom(error.response.status, error.response.statusText, error.response.data, error.response.headers['retry-after']);
    if (problem.status === 401) options.onUnauthorized?.(problem);
    throw problem;
  });
  return http;
}

export type UploadProgress = (percent: number) => void;

/** Every API call the console makes. Components get it from ApiProvider, so tests can hand in their own. */
export interface ModelyardApi extends IdentityApi {
  listModels(query: ListQuery, signal?: AbortSignal): Promise<ModelList>;
  getModel(id: string, signal?: AbortSignal): Promise<Model>;
  createModel(body: CreateModelBody): Promise<Model>;
  updateModel(id: string, body: UpdateModelBody): Promise<Model>;
  deleteModel(id: string): Promise<void>;
  toggleStatus(id: string): Promise<Model>;
  uploadFile(id: string, file: File, onProgress?: UploadProgress): Promise<Model>;
  testModel(id: string, inputData: Record<string, unknown>): Promise<TestResult>;
  getStats(id: string, range: { from: string; to: string }, signal?: AbortSignal): Promise<ModelStats>;
  previewHubModel(repo: string, signal?: AbortSignal): Promise<HubModelPreview>;
}

const modelPath = (id: string) => `/ai-models/${encodeURIComponent(id)}`;

export function createModelyardApi(http: AxiosInstance): ModelyardApi {
  return {
    ...createIdentityApi(http),
    listModels: async (query, signal) => (await http.get<ModelList>('/ai-models', { params: query, signal })).data,
    getModel: async (id, signal) => (await http.get<Model>(modelPath(id), { signal })).data,
    createModel: async (body) => (await http.post<Model>('/ai-models', body)).data,
    updateModel: async (id, body) => (await http.patch<Model>(modelPath(id), body)).data,
    deleteModel: async (id) => void (await http.delete(modelPath(id))),
    toggleStatus: async (id) => (await http.post<Model>(`${modelPath(id)}/toggle-status`)).data,
    uploadFile: async (id, file, onProgress) => {
      const form = new FormData();
      form.append('file', file, file.name);
      const progress = (event: AxiosProgressEvent) => {
        if (onProgress && event.total) onProgress(Math.min(100, Math.round((event.loaded / event.total) * 100)));
      };
      return (await http.post<Model>(`${modelPath(id)}/files`, form, { onUploadProgress: progress, timeout: 0 })).data;
    },
    testModel: async (id, inputData) => (await http.post<TestResult>(`${modelPath(id)}/test`, { input_data: inputData })).data,
    getStats: async (id, range, signal) => (await http.get<ModelStats>(`${modelPath(id)}/stats`, { params: range, signal })).data,
    // Repo ids contain a slash ("org/model"): each part is encoded, the slash kept, as the Hub's own URLs do.
    previewHubModel: async (repo, signal) =>
      (await http.get<HubModelPreview>(`/huggingface/models/${repo.split('/').map(encodeURIComponent).join('/')}`, { signal })).data,
  };
}

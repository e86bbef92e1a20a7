import type { ModelDto, ModelVisibility, Role, TokenScope, UserDto } from '@modelyard/contracts';
import { linearOnnxModel, newModelBody, type ApiClient, type ApiResponse } from '@modelyard/testing';
import { createUser, signIn, tokenClient, TEST_SCRYPT_ENV } from './identity.js';

/** What the access suites start Modelyard with: quick sign-ins, nothing else changed. */
export const ACCESS_ENV = { ...TEST_SCRYPT_ENV };

/** y = 1·x₀ + 2·x₁: the smallest model a test call can run. */
export const TINY_ONNX = linearOnnxModel({ weights: [[1], [2]], bias: [0] });
/** A valid test body for TINY_ONNX, and what it answers for it. */
export const TINY_INPUT = { input_data: { inputs: { x: [[1, 1]] } } };

export function onnxForm(content: Buffer = TINY_ONNX, name = 'tiny.onnx'): FormData {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(content)]), name);
  return form;
}

/** Uploads TINY_ONNX to a model with `api` (its caller must be allowed to). */
export async function uploadOnnx(api: ApiClient, id: string): Promise<ModelDto> {
  const uploaded = await api.request<ModelDto>('POST', `/api/v1/ai-models/${id}/files`, undefined, { body: onnxForm() });
  if (uploaded.status !== 201) throw new Error(`uploading to ${id}: ${uploaded.status} ${uploaded.text}`);
  return uploaded.body;
}

/** Registers a model with `api` (its caller owns it); fails the test if that is refused. */
export async function createModel(api: ApiClient, overrides: Record<string, unknown> = {}): Promise<ModelDto> {
  const created = await api.post<ModelDto>('/api/v1/ai-models', newModelBody({ type: 'embedding', ...overrides }));
  if (created.status !== 201) throw new Error(`creating a model: ${created.status} ${created.text}`);
  return created.body;
}

export interface GrantSpec {
  user?: string;
  team?: string;
  level: 'read' | 'use' | 'edit' | 'manage';
}

/** Sets a model's visibility and grants with `api` (a manager of the model); fails the test if refused. */
export async function setPermissions(api: ApiClient, id: string, body: { visibility?: ModelVisibility; grants?: GrantSpec[] }): Promise<void> {
  const answer = await api.put(`/api/v1/ai-models/${id}/permissions`, body);
  if (answer.status !== 200) throw new Error(`setting the permissions of ${id}: ${answer.status} ${answer.text}`);
}

export type CallerKind = 'anonymous' | 'viewer' | 'user' | 'maintainer' | 'admin' | 'read token';

/** One kind of caller of the role × route matrix. */
export interface MatrixCaller {
  kind: CallerKind;
  /** null: no token at all. */
  role: Role | null;
  /** The token's scopes; null for a session (its user's own rights). */
  scopes: TokenScope[] | null;
  /** The user behind the token (null: anonymous). */
  user: UserDto | null;
  api: ApiClient;
  /** A client of the same kind for a call that ends it (sign-out): a new session; a token is kept. */
  fresh(): Promise<ApiClient>;
}

/**
 * The callers of the matrix: nobody, a signed-in user of each role (the admin a created one, not
 * the bootstrap token), and an admin's API token that carries only the `read` scope (so whatever
 * it is refused, it is refused for the scope alone).
 */
export async function matrixCallers(bootstrap: ApiClient): Promise<MatrixCaller[]> {
  const session = async (role: Role): Promise<MatrixCaller> => {
    const user = await createUser(bootstrap, role);
    return { kind: role, role, scopes: null, user, api: await signIn(bootstrap, user.username), fresh: () => signIn(bootstrap, user.username) };
  };
  const sessions = [await session('viewer'), await session('user'), await session('maintainer'), await session('admin')];
  const admin = sessions[3]!;
  const { api: readToken } = await tokenClient(admin.api, { name: 'read only', scopes: ['read'] });
  const anonymous = bootstrap.withToken(undefined);
  return [
    { kind: 'anonymous', role: null, scopes: null, user: null, api: anonymous, fresh: async () => anonymous },
    ...sessions,
    { kind: 'read token', role: 'admin', scopes: ['read'], user: admin.user, api: readToken, fresh: async () => readToken },
  ];
}

/** Answers the status with what the problem said, for a failure message that explains itself. */
export const described = (answer: ApiResponse): string =>
  `${answer.status}${answer.status >= 400 ? ` ${(answer.body as { detail?: string } | undefined)?.detail ?? answer.text.slice(0, 200)}` : ''}`;

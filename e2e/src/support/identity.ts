import type { CreatedTokenDto, CreateTokenDto, LoginResultDto, Role, UserDto } from '@modelyard/contracts';
import type { ApiClient } from '@modelyard/testing';

/** The cost of password hashes in test systems: the same algorithm, quicker sign-ins. */
export const TEST_SCRYPT_ENV = { MODELYARD_PASSWORD_SCRYPT_LOG_N: '14' };
export const TEST_PASSWORD = 'correct horse battery staple';

let users = 0;
/** A username no other test of this process uses. */
export const uniqueUsername = (base: string): string => `${base}-${process.pid}-${++users}`;

/** Creates a user with the admin's client; fails the test if that is refused. */
export async function createUser(admin: ApiClient, role: Role, extra: Record<string, unknown> = {}): Promise<UserDto> {
  const created = await admin.post<UserDto>('/api/v1/users', { username: uniqueUsername(role), password: TEST_PASSWORD, role, ...extra });
  if (created.status !== 201) throw new Error(`creating a ${role}: ${created.status} ${created.text}`);
  return created.body;
}

/** Signs in and answers a client carrying the session token. */
export async function signIn(api: ApiClient, username: string, password = TEST_PASSWORD): Promise<ApiClient> {
  const login = await api.withToken(undefined).post<LoginResultDto>('/api/v1/auth/login', { username, password });
  if (login.status !== 200) throw new Error(`signing in as ${username}: ${login.status} ${login.text}`);
  return api.withToken(login.body.token);
}

/** A new user of `role`, signed in. */
export async function userClient(admin: ApiClient, role: Role, extra: Record<string, unknown> = {}): Promise<{ user: UserDto; api: ApiClient }> {
  const user = await createUser(admin, role, extra);
  return { user, api: await signIn(admin, user.username) };
}

/** An API token made with `api` (its user's), and a client carrying it. */
export async function tokenClient(api: ApiClient, body: Partial<Record<keyof CreateTokenDto, unknown>> = {}): Promise<{ token: CreatedTokenDto; api: ApiClient }> {
  const created = await api.post<CreatedTokenDto>('/api/v1/tokens', { name: 'test token', ...body });
  if (created.status !== 201) throw new Error(`creating a token: ${created.status} ${created.text}`);
  return { token: created.body, api: api.withToken(created.body.token) };
}

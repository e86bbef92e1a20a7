import type { AxiosInstance } from 'axios';
import type {
  ApiToken,
  AuditPage,
  AuditQuery,
  AuditVerification,
  CreatedToken,
  CreateTokenBody,
  ItemList,
  LoginResult,
  ModelPermissions,
  Team,
  TeamBody,
  User,
  UserBody,
  WhoAmI,
} from './identity-types';

/** Sign-in, users, teams, tokens, model permissions and the audit log: the API calls of identity and access. */
export interface IdentityApi {
  /** Public: answers a session token. A wrong username or password is a 401 `invalid_credentials`. */
  login(username: string, password: string): Promise<LoginResult>;
  /** Ends the current session (sessions only: an API token is revoked on the tokens page). */
  logout(): Promise<void>;
  /** Who the current token (or `token`, to check one before keeping it) stands for. */
  whoAmI(token?: string, signal?: AbortSignal): Promise<WhoAmI>;

  listUsers(signal?: AbortSignal): Promise<ItemList<User>>;
  createUser(body: UserBody): Promise<User>;
  updateUser(id: string, body: UserBody): Promise<User>;
  deleteUser(id: string): Promise<void>;
  listTeams(signal?: AbortSignal): Promise<ItemList<Team>>;
  createTeam(body: TeamBody): Promise<Team>;
  updateTeam(id: string, body: TeamBody): Promise<Team>;
  deleteTeam(id: string): Promise<void>;

  /** Mine; an admin's lists everyone's unless `mine`. */
  listTokens(query: { mine?: boolean }, signal?: AbortSignal): Promise<ItemList<ApiToken>>;
  createToken(body: CreateTokenBody): Promise<CreatedToken>;
  revokeToken(id: string): Promise<void>;

  getPermissions(modelId: string, signal?: AbortSignal): Promise<ModelPermissions>;
  updatePermissions(modelId: string, body: Pick<ModelPermissions, 'visibility' | 'grants'>): Promise<ModelPermissions>;

  listAuditEvents(query: AuditQuery, signal?: AbortSignal): Promise<AuditPage>;
  verifyAuditLog(): Promise<AuditVerification>;
}

const at = (base: string, id: string) => `${base}/${encodeURIComponent(id)}`;

export function createIdentityApi(http: AxiosInstance): IdentityApi {
  return {
    login: async (username, password) => (await http.post<LoginResult>('/auth/login', { username, password })).data,
    logout: async () => void (await http.post('/auth/logout')),
    whoAmI: async (token, signal) =>
      (await http.get<WhoAmI>('/auth/me', { signal, headers: token ? { Authorization: `Bearer ${token}` } : undefined })).data,

    listUsers: async (signal) => (await http.get<ItemList<User>>('/users', { signal })).data,
    createUser: async (body) => (await http.post<User>('/users', body)).data,
    updateUser: async (id, body) => (await http.patch<User>(at('/users', id), body)).data,
    deleteUser: async (id) => void (await http.delete(at('/users', id))),
    listTeams: async (signal) => (await http.get<ItemList<Team>>('/teams', { signal })).data,
    createTeam: async (body) => (await http.post<Team>('/teams', body)).data,
    updateTeam: async (id, body) => (await http.patch<Team>(at('/teams', id), body)).data,
    deleteTeam: async (id) => void (await http.delete(at('/teams', id))),

    listTokens: async ({ mine }, signal) => (await http.get<ItemList<ApiToken>>('/tokens', { params: mine ? { mine: true } : {}, signal })).data,
    createToken: async (body) => (await http.post<CreatedToken>('/tokens', body)).data,
    revokeToken: async (id) => void (await http.delete(at('/tokens', id))),

    getPermissions: async (modelId, signal) => (await http.get<ModelPermissions>(`${at('/ai-models', modelId)}/permissions`, { signal })).data,
    updatePermissions: async (modelId, body) => (await http.put<ModelPermissions>(`${at('/ai-models', modelId)}/permissions`, body)).data,

    listAuditEvents: async (query, signal) => (await http.get<AuditPage>('/audit-events', { params: query, signal })).data,
    verifyAuditLog: async () => (await http.get<AuditVerification>('/audit-events/verify')).data,
  };
}

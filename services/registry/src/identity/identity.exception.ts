import { DomainException } from '@modelyard/platform';

export enum IdentityErrorCode {
  InvalidCredentials = 'invalid_credentials',
  UserNotFound = 'user_not_found',
  TeamNotFound = 'team_not_found',
  TokenNotFound = 'token_not_found',
  UsernameTaken = 'username_taken',
  TeamNameTaken = 'team_name_taken',
  LastAdmin = 'last_admin',
  BuiltinAdmin = 'builtin_admin',
  UnknownGrantee = 'unknown_grantee',
  ScopeAboveRole = 'scope_above_role',
  Forbidden = 'forbidden',
  InvalidField = 'identity_invalid_field',
}

export const IdentityException = {
  /** One message for an unknown user, a wrong password and a disabled user: nothing to learn from it. */
  invalidCredentials: () => new DomainException(401, IdentityErrorCode.InvalidCredentials, 'Wrong username or password.'),
  userNotFound: (id: string) => new DomainException(404, IdentityErrorCode.UserNotFound, `No user has the id "${id.slice(0, 100)}".`),
  teamNotFound: (id: string) => new DomainException(404, IdentityErrorCode.TeamNotFound, `No team has the id "${id.slice(0, 100)}".`),
  tokenNotFound: (id: string) => new DomainException(404, IdentityErrorCode.TokenNotFound, `No API token of yours has the id "${id.slice(0, 100)}".`),
  usernameTaken: (username: string) =>
    new DomainException(409, IdentityErrorCode.UsernameTaken, `The username "${username}" is taken (usernames are compared without regard to case).`, [
      { field: 'username', detail: 'is taken' },
    ]),
  teamNameTaken: (name: string) =>
    new DomainException(409, IdentityErrorCode.TeamNameTaken, `A team named "${name}" exists (names are compared without regard to case).`, [{ field: 'name', detail: 'is taken' }]),
  lastAdmin: (what: string) =>
    new DomainException(409, IdentityErrorCode.LastAdmin, `This would ${what} the last enabled admin; make another user admin first.`),
  builtinAdmin: () =>
    new DomainException(409, IdentityErrorCode.BuiltinAdmin, 'The built-in admin cannot be deleted: the bootstrap admin token stands for it. Disable it instead (while another admin remains).'),
  unknownNames: (field: string, kind: 'user' | 'team', names: string[]) =>
    new DomainException(422, IdentityErrorCode.UnknownGrantee, `No ${kind} is named ${names.map((name) => `"${name}"`).join(', ')}.`, [
      { field, detail: `unknown ${kind}${names.length > 1 ? 's' : ''}: ${names.join(', ')}` },
    ]),
  scopeAboveRole: (scopes: string[], role: string) =>
    new DomainException(
      403,
      IdentityErrorCode.ScopeAboveRole,
      `A token never has more rights than its user: scope ${scopes.join(', ')} is beyond what the role "${role}" (or the token you are using) allows.`,
      [{ field: 'scopes', detail: `not allowed: ${scopes.join(', ')}` }],
    ),
  forbidden: (detail: string) => new DomainException(403, IdentityErrorCode.Forbidden, detail),
  invalidField: (field: string, detail: string) => new DomainException(422, IdentityErrorCode.InvalidField, `${field} ${detail}.`, [{ field, detail }]),
};

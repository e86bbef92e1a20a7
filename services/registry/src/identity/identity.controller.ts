import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  CreateTeamDto,
  CreateTokenDto,
  CreateUserDto,
  REGISTRY_PATTERNS,
  UpdateTeamDto,
  UpdateUserDto,
  type Caller,
  type RegistryMessages,
} from '@modelyard/contracts';
import { IdentityException } from './identity.exception.js';
import { PrincipalsService } from './principals.service.js';
import { SignInService } from './sign-in.service.js';
import { TeamsService } from './teams.service.js';
import { TokensService } from './tokens.service.js';
import { UsersService } from './users.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Most tokens one `tokenRefs` request may name: the statistics ask for 50 at a time. */
export const MAX_TOKEN_REFS = 1_000;
/** A malformed id names nothing: 404 like any unknown id, never a database error. */
const validId = (id: unknown, notFound: (id: string) => Error): string => {
  if (typeof id === 'string' && UUID.test(id)) return id.toLowerCase();
  throw notFound(String(id));
};

type Response<P extends keyof RegistryMessages> = Promise<RegistryMessages[P]['response']>;
/** Named apart from the global Request: decorator metadata would take that class for the payload type. */
type MessageOf<P extends keyof RegistryMessages> = RegistryMessages[P]['request'];

/** Identity's message handlers: sign-in, principals, users, teams, tokens. */
@Controller()
export class IdentityController {
  constructor(
    private readonly signIns: SignInService,
    private readonly principals: PrincipalsService,
    private readonly users: UsersService,
    private readonly teams: TeamsService,
    private readonly tokens: TokensService,
  ) {}

  @MessagePattern(REGISTRY_PATTERNS.signIn)
  signIn(@Payload() request: MessageOf<typeof REGISTRY_PATTERNS.signIn>): Response<typeof REGISTRY_PATTERNS.signIn> {
    return this.signIns.signIn(String(request.username), String(request.password), request.actor);
  }

  @MessagePattern(REGISTRY_PATTERNS.resolveToken)
  // Whole payloads, not members: a member typed string or boolean would be validated as a body (and refused).
  resolveToken(@Payload() request: MessageOf<typeof REGISTRY_PATTERNS.resolveToken>): Response<typeof REGISTRY_PATTERNS.resolveToken> {
    return this.principals.ofToken(String(request.token_hash));
  }

  @MessagePattern(REGISTRY_PATTERNS.principalOfUser)
  principalOfUser(@Payload('user_id') userId: unknown): Response<typeof REGISTRY_PATTERNS.principalOfUser> {
    return typeof userId === 'string' && UUID.test(userId) ? this.principals.ofUser(userId) : Promise.resolve(null);
  }

  @MessagePattern(REGISTRY_PATTERNS.principalOfBuiltinAdmin)
  async principalOfBuiltinAdmin(): Response<typeof REGISTRY_PATTERNS.principalOfBuiltinAdmin> {
    return this.principals.ofBuiltinAdmin();
  }

  @MessagePattern(REGISTRY_PATTERNS.touchTokens)
  async touchTokens(@Payload() request: MessageOf<typeof REGISTRY_PATTERNS.touchTokens>): Response<typeof REGISTRY_PATTERNS.touchTokens> {
    await this.tokens.touch(request.token_ids.filter((id) => UUID.test(id)), new Date(request.at));
    return { ok: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.listUsers)
  listUsers(): Response<typeof REGISTRY_PATTERNS.listUsers> {
    return this.users.list();
  }

  @MessagePattern(REGISTRY_PATTERNS.getUser)
  getUser(@Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.getUser> {
    return this.users.get(validId(id, IdentityException.userNotFound));
  }

  @MessagePattern(REGISTRY_PATTERNS.createUser)
  createUser(@Payload('caller') caller: Caller, @Payload('body') body: CreateUserDto): Response<typeof REGISTRY_PATTERNS.createUser> {
    return this.users.create(caller, body);
  }

  @MessagePattern(REGISTRY_PATTERNS.updateUser)
  updateUser(@Payload('caller') caller: Caller, @Payload('id') id: unknown, @Payload('body') body: UpdateUserDto): Response<typeof REGISTRY_PATTERNS.updateUser> {
    return this.users.update(caller, validId(id, IdentityException.userNotFound), body);
  }

  @MessagePattern(REGISTRY_PATTERNS.deleteUser)
  async deleteUser(@Payload('caller') caller: Caller, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.deleteUser> {
    await this.users.delete(caller, validId(id, IdentityException.userNotFound));
    return { deleted: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.listTeams)
  listTeams(): Response<typeof REGISTRY_PATTERNS.listTeams> {
    return this.teams.list();
  }

  @MessagePattern(REGISTRY_PATTERNS.getTeam)
  getTeam(@Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.getTeam> {
    return this.teams.get(validId(id, IdentityException.teamNotFound));
  }

  @MessagePattern(REGISTRY_PATTERNS.createTeam)
  createTeam(@Payload('caller') caller: Caller, @Payload('body') body: CreateTeamDto): Response<typeof REGISTRY_PATTERNS.createTeam> {
    return this.teams.create(caller, body);
  }

  @MessagePattern(REGISTRY_PATTERNS.updateTeam)
  updateTeam(@Payload('caller') caller: Caller, @Payload('id') id: unknown, @Payload('body') body: UpdateTeamDto): Response<typeof REGISTRY_PATTERNS.updateTeam> {
    return this.teams.update(caller, validId(id, IdentityException.teamNotFound), body);
  }

  @MessagePattern(REGISTRY_PATTERNS.deleteTeam)
  async deleteTeam(@Payload('caller') caller: Caller, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.deleteTeam> {
    await this.teams.delete(caller, validId(id, IdentityException.teamNotFound));
    return { deleted: true };
  }

  @MessagePattern(REGISTRY_PATTERNS.listTokens)
  listTokens(@Payload() request: MessageOf<typeof REGISTRY_PATTERNS.listTokens>): Response<typeof REGISTRY_PATTERNS.listTokens> {
    return this.tokens.list(request.caller, request.all === true);
  }

  @MessagePattern(REGISTRY_PATTERNS.createToken)
  createToken(
    @Payload('caller') caller: Caller,
    @Payload('body') body: CreateTokenDto,
    @Payload() made: MessageOf<typeof REGISTRY_PATTERNS.createToken>,
  ): Response<typeof REGISTRY_PATTERNS.createToken> {
    return this.tokens.create(caller, body, { token_hash: made.token_hash, prefix: made.prefix, last4: made.last4 });
  }

  /** Malformed ids name no token and are left out, like unknown ones. */
  @MessagePattern(REGISTRY_PATTERNS.tokenRefs)
  tokenRefs(@Payload('ids') ids: unknown): Response<typeof REGISTRY_PATTERNS.tokenRefs> {
    if (!Array.isArray(ids)) throw IdentityException.invalidField('ids', 'must be an array of token ids');
    if (ids.length > MAX_TOKEN_REFS) throw IdentityException.invalidField('ids', `must name at most ${MAX_TOKEN_REFS} tokens`);
    const valid = ids.filter((id): id is string => typeof id === 'string' && UUID.test(id)).map((id) => id.toLowerCase());
    return this.tokens.refs([...new Set(valid)]);
  }

  @MessagePattern(REGISTRY_PATTERNS.revokeToken)
  revokeToken(@Payload('caller') caller: Caller, @Payload('id') id: unknown): Response<typeof REGISTRY_PATTERNS.revokeToken> {
    return this.tokens.revoke(caller, validId(id, IdentityException.tokenNotFound));
  }
}

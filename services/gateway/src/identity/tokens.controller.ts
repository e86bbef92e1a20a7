import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CreatedTokenDto, CreateTokenDto, REGISTRY_PATTERNS, TokenListDto, type Caller } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { API_TOKEN_PREFIX, PrincipalResolver, sha256Hex } from '../auth/principal-resolver.service.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

/**
 * API tokens. A token is 256 random bits, made here and shown once; the registry keeps its SHA-256
 * (and a prefix and the last four characters to recognise it). Revoked, it is refused on every
 * gateway within MODELYARD_AUTH_CACHE_TTL_MS (at most 1.5 s).
 */
@ApiTags('API tokens')
@ApiBearerAuth()
@RequirePermission('tokens.own')
@ApiProblems(401, 503, 504)
@Controller('api/v1/tokens')
export class TokensController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly resolver: PrincipalResolver,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List API tokens', description: 'Your tokens; admins see everyone\'s (`mine=true` for only their own). Never the tokens themselves.' })
  @ApiQuery({ name: 'mine', required: false, type: Boolean })
  @ApiOkResponse({ type: TokenListDto })
  @ApiProblems(422)
  list(@CurrentCaller() caller: Caller, @Query('mine') mine?: string): Promise<TokenListDto> {
    return this.registry.send(REGISTRY_PATTERNS.listTokens, { caller, all: mine !== 'true' });
  }

  @Post()
  @ApiOperation({
    summary: 'Create an API token',
    description:
      'Answers the token once (`token`). Scopes default to what your role allows, and more is refused (403): a token never has more rights than its user. ' +
      '`model_ids` limits it to models its user may read; rpm/tpm/daily limits apply on top of the user\'s own.',
  })
  @ApiBody({ type: CreateTokenDto })
  @ApiCreatedResponse({ type: CreatedTokenDto })
  @ApiProblems(400, 413, 415, 422)
  async create(@CurrentCaller() caller: Caller, @Body() body: CreateTokenDto): Promise<CreatedTokenDto> {
    const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const created = await this.registry.send(REGISTRY_PATTERNS.createToken, {
      caller,
      body,
      token_hash: sha256Hex(token),
      prefix: token.slice(0, API_TOKEN_PREFIX.length + 4),
      last4: token.slice(-4),
    });
    return { ...created, token };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API token', description: 'Yours (admins: anyone\'s); refused with 401 everywhere within 1.5 s. Someone else\'s token is a 404.' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiProblems(404)
  async revoke(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.registry.send(REGISTRY_PATTERNS.revokeToken, { caller, id });
    this.resolver.forgetToken();
  }
}

import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { LoginDto, LoginResultDto, REGISTRY_PATTERNS, WhoAmIDto, type Caller } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { ApiProblems } from '../openapi/api-problems.decorator.js';
import { CurrentCaller } from './current-actor.decorator.js';
import type { AuthenticatedRequest } from './permissions.guard.js';
import { Public } from './public.decorator.js';
import { RequirePermission } from './require-permission.decorator.js';
import { SessionsService } from './sessions.service.js';

@ApiTags('Sign-in')
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly registry: RegistryClient,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with a username and password',
    description:
      'Answers a session token to send as `Authorization: Bearer <token>` until `expires_at` or sign-out. Wrong credentials: 401, the same for an unknown user ' +
      'and a wrong password. Repeated failures for one username or from one address: 429 with Retry-After. Every attempt is audited.',
  })
  @ApiBody({ type: LoginDto })
  @ApiOkResponse({ type: LoginResultDto })
  @ApiProblems(400, 401, 422, 429, 503, 504)
  login(@Body() body: LoginDto, @Req() request: AuthenticatedRequest): Promise<LoginResultDto> {
    return this.sessions.signIn(body.username, body.password, { client_ip: request.ip ?? null, request_id: String(request.id) });
  }

  @Post('logout')
  @RequirePermission('session')
  @ApiBearerAuth()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: ends this session on every gateway at once' })
  @ApiNoContentResponse({ description: 'Signed out.' })
  @ApiProblems(401, 409, 503, 504)
  logout(@CurrentCaller() caller: Caller, @Req() request: AuthenticatedRequest): Promise<void> {
    return this.sessions.signOut(request.session?.id ?? null, caller.actor);
  }

  @Get('me')
  @RequirePermission('session')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Who am I: the user behind the token, and what the token may do' })
  @ApiOkResponse({ type: WhoAmIDto })
  @ApiProblems(401, 503, 504)
  async me(@CurrentCaller() caller: Caller, @Req() request: AuthenticatedRequest): Promise<WhoAmIDto> {
    const { principal } = caller;
    const user = await this.registry.send(REGISTRY_PATTERNS.getUser, { caller, id: principal.user_id });
    return {
      user,
      via: principal.via,
      token_id: principal.token_id,
      scopes: principal.scopes,
      model_ids: principal.model_ids,
      expires_at: request.session?.expires_at ?? request.resolved?.expires_at ?? null,
    };
  }
}

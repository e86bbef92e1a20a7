import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CreateUserDto, REGISTRY_PATTERNS, UpdateUserDto, UserDto, UserListDto, type Caller } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { ModelLevelsService } from '../access/model-levels.service.js';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { SessionsService } from '../auth/sessions.service.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

const ID = { name: 'id', format: 'uuid', description: 'User id.' } as const;

/** Users, managed by admins. Passwords are write-only; a user's changes apply on every gateway within a second. */
@ApiTags('Users and teams')
@ApiBearerAuth()
@RequirePermission('users.manage')
@ApiProblems(401, 503, 504)
@Controller('api/v1/users')
export class UsersController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly sessions: SessionsService,
    private readonly levels: ModelLevelsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List users' })
  @ApiOkResponse({ type: UserListDto })
  list(@CurrentCaller() caller: Caller): Promise<UserListDto> {
    return this.registry.send(REGISTRY_PATTERNS.listUsers, { caller });
  }

  @Post()
  @ApiOperation({ summary: 'Create a user', description: 'The password is stored as a scrypt hash and never returned. Usernames are unique regardless of case (409).' })
  @ApiBody({ type: CreateUserDto })
  @ApiCreatedResponse({ type: UserDto })
  @ApiProblems(400, 409, 413, 415, 422)
  create(@CurrentCaller() caller: Caller, @Body() body: CreateUserDto): Promise<UserDto> {
    return this.registry.send(REGISTRY_PATTERNS.createUser, { caller, body });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a user' })
  @ApiParam(ID)
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(404)
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<UserDto> {
    return this.registry.send(REGISTRY_PATTERNS.getUser, { caller, id });
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Edit a user',
    description: 'Role, display name, password, teams, limits, disabled. A new password or disabling ends the user\'s sessions at once. Demoting or disabling the last enabled admin: 409.',
  })
  @ApiParam(ID)
  @ApiBody({ type: UpdateUserDto })
  @ApiOkResponse({ type: UserDto })
  @ApiProblems(400, 404, 409, 413, 415, 422)
  async update(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: UpdateUserDto): Promise<UserDto> {
    const { user, sessions_ended: ended } = await this.registry.send(REGISTRY_PATTERNS.updateUser, { caller, id, body });
    if (ended) await this.sessions.endSessionsOf(user.id);
    else this.sessions.forget(user.id);
    this.levels.forgetAll();
    return user;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a user', description: 'Its tokens, sessions, memberships and grants go with it; its models stay (admins manage them). The built-in admin and the last enabled admin cannot be deleted (409).' })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(404, 409)
  async delete(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    await this.registry.send(REGISTRY_PATTERNS.deleteUser, { caller, id });
    await this.sessions.endSessionsOf(id);
    this.levels.forgetAll();
  }
}

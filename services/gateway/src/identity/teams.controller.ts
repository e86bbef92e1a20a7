import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CreateTeamDto, REGISTRY_PATTERNS, TeamDto, TeamListDto, UpdateTeamDto, type Caller } from '@modelyard/contracts';
import { RegistryClient } from '@modelyard/platform';
import { ModelLevelsService } from '../access/model-levels.service.js';
import { CurrentCaller } from '../auth/current-actor.decorator.js';
import { PrincipalResolver } from '../auth/principal-resolver.service.js';
import { RequirePermission } from '../auth/require-permission.decorator.js';
import { ApiProblems } from '../openapi/api-problems.decorator.js';

const ID = { name: 'id', format: 'uuid', description: 'Team id.' } as const;

/** Teams, managed by admins: model permissions can be granted to a whole team. */
@ApiTags('Users and teams')
@ApiBearerAuth()
@RequirePermission('users.manage')
@ApiProblems(401, 503, 504)
@Controller('api/v1/teams')
export class TeamsController {
  constructor(
    private readonly registry: RegistryClient,
    private readonly resolver: PrincipalResolver,
    private readonly levels: ModelLevelsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List teams with their members' })
  @ApiOkResponse({ type: TeamListDto })
  list(@CurrentCaller() caller: Caller): Promise<TeamListDto> {
    return this.registry.send(REGISTRY_PATTERNS.listTeams, { caller });
  }

  @Post()
  @ApiOperation({ summary: 'Create a team' })
  @ApiBody({ type: CreateTeamDto })
  @ApiCreatedResponse({ type: TeamDto })
  @ApiProblems(400, 409, 413, 415, 422)
  async create(@CurrentCaller() caller: Caller, @Body() body: CreateTeamDto): Promise<TeamDto> {
    const team = await this.registry.send(REGISTRY_PATTERNS.createTeam, { caller, body });
    this.changed(team.members.map((member) => member.id));
    return team;
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a team' })
  @ApiParam(ID)
  @ApiOkResponse({ type: TeamDto })
  @ApiProblems(404)
  get(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<TeamDto> {
    return this.registry.send(REGISTRY_PATTERNS.getTeam, { caller, id });
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Edit a team', description: '`members` (usernames) replaces the members.' })
  @ApiParam(ID)
  @ApiBody({ type: UpdateTeamDto })
  @ApiOkResponse({ type: TeamDto })
  @ApiProblems(400, 404, 409, 413, 415, 422)
  async update(@CurrentCaller() caller: Caller, @Param('id') id: string, @Body() body: UpdateTeamDto): Promise<TeamDto> {
    const before = await this.registry.send(REGISTRY_PATTERNS.getTeam, { caller, id });
    const team = await this.registry.send(REGISTRY_PATTERNS.updateTeam, { caller, id, body });
    this.changed([...before.members, ...team.members].map((member) => member.id));
    return team;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a team', description: 'Its memberships and model grants go with it.' })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiProblems(404)
  async delete(@CurrentCaller() caller: Caller, @Param('id') id: string): Promise<void> {
    const before = await this.registry.send(REGISTRY_PATTERNS.getTeam, { caller, id });
    await this.registry.send(REGISTRY_PATTERNS.deleteTeam, { caller, id });
    this.changed(before.members.map((member) => member.id));
  }

  /** Memberships changed: these users' teams (and so what they may see) are asked again. */
  private changed(userIds: readonly string[]): void {
    for (const userId of new Set(userIds)) this.resolver.forgetUser(userId);
    this.levels.forgetAll();
  }
}

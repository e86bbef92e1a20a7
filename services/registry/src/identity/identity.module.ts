import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module.js';
import { ChangesModule } from '../changes/changes.module.js';
import { IdentityController } from './identity.controller.js';
import { IdentityDataModule } from './identity-data.module.js';
import { PrincipalsService } from './principals.service.js';
import { SignInService } from './sign-in.service.js';
import { TeamsService } from './teams.service.js';
import { TokensService } from './tokens.service.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [ChangesModule, IdentityDataModule, AccessModule],
  controllers: [IdentityController],
  providers: [PrincipalsService, SignInService, UsersService, TeamsService, TokensService],
})
export class IdentityModule {}

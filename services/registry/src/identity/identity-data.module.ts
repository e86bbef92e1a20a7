import { Module } from '@nestjs/common';
import { IdentityRepository } from './identity.repository.js';

/** The identity queries, for the features that look users and teams up (identity, access). */
@Module({ providers: [IdentityRepository], exports: [IdentityRepository] })
export class IdentityDataModule {}

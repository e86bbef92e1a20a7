import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessModule } from '../access/access.module.js';
import { ChangesModule } from '../changes/changes.module.js';
import { OutboxModule } from '../outbox/outbox.module.js';
import { ModelEntity } from './entities/model.entity.js';
import { ModelQueriesService } from './model-queries.service.js';
import { ModelTransfersService } from './model-transfers.service.js';
import { ModelsController } from './models.controller.js';
import { ModelsRepository } from './models.repository.js';
import { ModelsService } from './models.service.js';
import { PlannerStatisticsService } from './planner-statistics.service.js';
import { UploadSweepService } from './upload-sweep.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity]), OutboxModule, ChangesModule, AccessModule],
  controllers: [ModelsController],
  providers: [ModelsService, ModelQueriesService, ModelTransfersService, ModelsRepository, UploadSweepService, PlannerStatisticsService],
})
export class ModelsModule {}

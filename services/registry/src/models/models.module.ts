import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OutboxModule } from '../outbox/outbox.module.js';
import { ModelEntity } from './entities/model.entity.js';
import { ModelsController } from './models.controller.js';
import { ModelsRepository } from './models.repository.js';
import { ModelsService } from './models.service.js';
import { UploadSweepService } from './upload-sweep.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([ModelEntity]), OutboxModule],
  controllers: [ModelsController],
  providers: [ModelsService, ModelsRepository, UploadSweepService],
})
export class ModelsModule {}

import { Module } from '@nestjs/common';
import { CUDA_PROBE, createCudaProbe } from './execution-provider.util.js';
import { ModelFileCache } from './model-file-cache.service.js';
import { SessionPool } from './session-pool.service.js';

/**
 * The inference worker's runtime: the local model file cache and the onnxruntime session pool.
 * Needs PlatformModule (BLOB_STORE, APP_CONFIG, LOGGER, METRICS) imported by the application.
 * Start-up fails here when MODELYARD_INFERENCE_DEVICE=cuda and CUDA is not usable.
 */
@Module({
  providers: [ModelFileCache, SessionPool, { provide: CUDA_PROBE, useValue: createCudaProbe() }],
  exports: [ModelFileCache, SessionPool],
})
export class RuntimeModule {}

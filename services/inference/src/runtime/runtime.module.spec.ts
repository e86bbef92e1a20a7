import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Tensor } from 'onnxruntime-node';
import { pino } from 'pino';
import { PlatformModule, createPlatform, loadConfig, type Platform } from '@modelyard/platform';
import { addOnnxModel } from '@modelyard/testing';
import { RuntimeModule } from './runtime.module.js';
import { SessionPool } from './session-pool.service.js';

let root: string;
let platform: Platform;
let app: INestApplicationContext | undefined;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'runtime-module-'));
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await platform?.close();
  await rm(root, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<INestApplicationContext> {
  const config = loadConfig({ MODELYARD_DATA_DIR: root, ...env });
  platform = await createPlatform(config, pino({ level: 'silent' }), { mode: 'standalone', withDatabase: false });
  @Module({ imports: [PlatformModule.forRoot(platform, 'inference'), RuntimeModule] })
  class TestModule {}
  app = await NestFactory.createApplicationContext(TestModule, { logger: false });
  await app.init();
  return app;
}

describe('RuntimeModule', () => {
  it('wires the session pool to the platform: a stored model runs from <data dir>/cache', async () => {
    const ctx = await start({ MODELYARD_INFERENCE_DEVICE: 'cpu' });
    const info = await platform.blobStore.put('models/m1/model.onnx', Readable.from([addOnnxModel()]));

    const result = await ctx.get(SessionPool).withSession(info, async (session, provider) => {
      const { sum } = await session.run({ a: new Tensor('int64', [1n, 2n], [2]), b: new Tensor('int64', [40n, 40n], [2]) });
      return { sum: Array.from(sum!.data as BigInt64Array), provider };
    });

    expect(result).toEqual({ sum: [41n, 42n], provider: 'cpu' });
    expect(await readdir(path.join(root, 'cache', 'sha256'))).toEqual([info.sha256]);
  });
});

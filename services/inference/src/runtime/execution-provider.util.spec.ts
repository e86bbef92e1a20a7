import { describe, expect, it, jest } from '@jest/globals';
import { InferenceSession } from 'onnxruntime-node';
import {
  chooseExecutionProviders,
  createCudaProbe,
  cudaProbeModel,
  type CudaAvailability,
  type CudaProbeSteps,
} from './execution-provider.util.js';
import { ExecutionProviderUnavailableError } from './runtime.exception.js';

const usable = (): Promise<CudaAvailability> => Promise.resolve({ available: true });
const unusable = (): Promise<CudaAvailability> => Promise.resolve({ available: false, reason: 'no NVIDIA GPU is visible' });

describe('chooseExecutionProviders', () => {
  it('device cpu: the CPU provider, without probing for CUDA', async () => {
    const probe = jest.fn(usable);
    await expect(chooseExecutionProviders({ device: 'cpu' }, probe)).resolves.toEqual({ provider: 'cpu', executionProviders: ['cpu'] });
    expect(probe).not.toHaveBeenCalled();
  });

  it('device cuda with CUDA usable: CUDA on device 0, CPU behind it for unsupported nodes', async () => {
    await expect(chooseExecutionProviders({ device: 'cuda' }, usable)).resolves.toEqual({
      provider: 'cuda',
      executionProviders: [{ name: 'cuda', deviceId: 0 }, 'cpu'],
    });
  });

  it('device cuda without CUDA: fails, saying why', async () => {
    const choice = chooseExecutionProviders({ device: 'cuda' }, unusable);
    await expect(choice).rejects.toBeInstanceOf(ExecutionProviderUnavailableError);
    await expect(choice).rejects.toThrow('MODELYARD_INFERENCE_DEVICE is cuda, but no NVIDIA GPU is visible');
  });

  it('device auto with CUDA usable: CUDA', async () => {
    const choice = await chooseExecutionProviders({ device: 'auto' }, usable);
    expect(choice.provider).toBe('cuda');
    expect(choice.fallbackReason).toBeUndefined();
  });

  it('device auto without CUDA: the CPU, with the reason', async () => {
    await expect(chooseExecutionProviders({ device: 'auto' }, unusable)).resolves.toEqual({
      provider: 'cpu',
      executionProviders: ['cpu'],
      fallbackReason: 'no NVIDIA GPU is visible',
    });
  });
});

describe('createCudaProbe', () => {
  function steps(overrides: Partial<CudaProbeSteps> = {}) {
    return {
      providerCompiledIn: jest.fn(() => true),
      gpuVisible: jest.fn(() => Promise.resolve(true)),
      missingProviderLibraries: jest.fn(() => Promise.resolve([] as string[])),
      trySession: jest.fn(() => Promise.resolve()),
      ...overrides,
    };
  }

  it('finds CUDA usable when every check passes, a real session included', async () => {
    const s = steps();
    await expect(createCudaProbe(s)()).resolves.toEqual({ available: true });
    expect(s.trySession).toHaveBeenCalledTimes(1);
  });

  it('stops at a build without the CUDA provider', async () => {
    const s = steps({ providerCompiledIn: () => false });
    await expect(createCudaProbe(s)()).resolves.toEqual({ available: false, reason: 'this onnxruntime-node build has no CUDA execution provider' });
    expect(s.gpuVisible).not.toHaveBeenCalled();
  });

  it('stops when no GPU is visible, before touching onnxruntime', async () => {
    const s = steps({ gpuVisible: () => Promise.resolve(false) });
    const result = await createCudaProbe(s)();
    expect(result).toEqual({ available: false, reason: expect.stringContaining('no NVIDIA GPU is visible') });
    expect(s.missingProviderLibraries).not.toHaveBeenCalled();
    expect(s.trySession).not.toHaveBeenCalled();
  });

  it('names the missing provider libraries and how to install them', async () => {
    const s = steps({ missingProviderLibraries: () => Promise.resolve(['libonnxruntime_providers_cuda.so']) });
    const result = await createCudaProbe(s)();
    expect(result).toEqual({
      available: false,
      reason: expect.stringMatching(/libonnxruntime_providers_cuda\.so missing.*ONNXRUNTIME_NODE_INSTALL=cuda12/),
    });
    expect(s.trySession).not.toHaveBeenCalled();
  });

  it("reports onnxruntime's error when a CUDA session cannot start", async () => {
    const s = steps({ trySession: () => Promise.reject(new Error('CUDA failure 35: CUDA driver version is insufficient')) });
    await expect(createCudaProbe(s)()).resolves.toEqual({
      available: false,
      reason: 'onnxruntime could not start a CUDA session: CUDA failure 35: CUDA driver version is insufficient',
    });
  });
});

describe('cudaProbeModel', () => {
  // On a GPU machine a broken probe model would read as "CUDA unusable": check that the CPU provider loads it.
  it('is a model onnxruntime loads', async () => {
    const session = await InferenceSession.create(cudaProbeModel(), { executionProviders: ['cpu'] });
    try {
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['y']);
    } finally {
      await session.release();
    }
  });
});

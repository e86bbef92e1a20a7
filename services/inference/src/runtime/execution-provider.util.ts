import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import onnxProto from 'onnx-proto';
import { InferenceSession, listSupportedBackends } from 'onnxruntime-node';
import { messageOf, type AppConfig } from '@modelyard/platform';
import { ExecutionProviderUnavailableError } from './runtime.exception.js';

export type ExecutionProvider = 'cpu' | 'cuda';

export type CudaAvailability = { available: true } | { available: false; reason: string };

/** Says whether onnxruntime can run sessions on CUDA here, and if not, why. Injected so the choice is testable without a GPU. */
export type CudaProbe = () => Promise<CudaAvailability>;

export const CUDA_PROBE = Symbol('CudaProbe');

export interface ExecutionProviderChoice {
  provider: ExecutionProvider;
  /** For InferenceSession.SessionOptions.executionProviders. */
  executionProviders: InferenceSession.ExecutionProviderConfig[];
  /** Why device `auto` settled for the CPU; absent otherwise. */
  fallbackReason?: string;
}

/*
 * onnxruntime-node 1.30 reads only `name` and `deviceId` from a CUDA provider object (its
 * session_options_helper.cc hands nothing else to OrtCUDAProviderOptionsV2), so a `gpuMemLimit` or
 * `arenaExtendStrategy` here would be silently ignored: the GPU memory limit is applied by the
 * session pool's budget instead. The CPU provider stays listed for the nodes CUDA has no kernel for.
 */
const CUDA_PROVIDERS: InferenceSession.ExecutionProviderConfig[] = [{ name: 'cuda', deviceId: 0 }, 'cpu'];
const CPU_PROVIDERS: InferenceSession.ExecutionProviderConfig[] = ['cpu'];

/** device cpu → CPU; cuda → CUDA or a start-up failure; auto → CUDA when the probe finds it usable, else CPU with the reason. */
export async function chooseExecutionProviders(
  config: Pick<AppConfig['inference'], 'device'>,
  probe: CudaProbe,
): Promise<ExecutionProviderChoice> {
  if (config.device === 'cpu') return { provider: 'cpu', executionProviders: CPU_PROVIDERS };
  const cuda = await probe();
  if (cuda.available) return { provider: 'cuda', executionProviders: CUDA_PROVIDERS };
  if (config.device === 'cuda') {
    throw new ExecutionProviderUnavailableError(`MODELYARD_INFERENCE_DEVICE is cuda, but ${cuda.reason}`);
  }
  return { provider: 'cpu', executionProviders: CPU_PROVIDERS, fallbackReason: cuda.reason };
}

/** The checks behind the CUDA probe, cheapest first; each is replaceable in tests. */
export interface CudaProbeSteps {
  /** Whether this onnxruntime-node build has the CUDA provider compiled in (linux/x64 builds do). */
  providerCompiledIn(): boolean;
  /** Whether an NVIDIA GPU is visible: its device node, or nvidia-smi listing one. */
  gpuVisible(): Promise<boolean>;
  /** onnxruntime's CUDA provider libraries that are not on disk (npm install downloads them unless told to skip). */
  missingProviderLibraries(): Promise<string[]>;
  /** Creates and releases a one-node session on CUDA; rejects with onnxruntime's error. */
  trySession(): Promise<void>;
}

export function createCudaProbe(steps: CudaProbeSteps = DEFAULT_CUDA_PROBE_STEPS): CudaProbe {
  return async () => {
    if (!steps.providerCompiledIn()) return { available: false, reason: 'this onnxruntime-node build has no CUDA execution provider' };
    if (!(await steps.gpuVisible())) {
      return { available: false, reason: 'no NVIDIA GPU is visible (no /dev/nvidia0, and nvidia-smi lists none)' };
    }
    const missing = await steps.missingProviderLibraries();
    if (missing.length > 0) {
      return {
        available: false,
        reason: `onnxruntime-node's CUDA provider libraries are not installed (${missing.join(', ')} missing; reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12)`,
      };
    }
    try {
      await steps.trySession();
    } catch (error: unknown) {
      return { available: false, reason: `onnxruntime could not start a CUDA session: ${messageOf(error)}` };
    }
    return { available: true };
  };
}

const require = createRequire(import.meta.url);
const execFileAsync = promisify(execFile);
const NVIDIA_SMI_TIMEOUT_MS = 5_000;

export const DEFAULT_CUDA_PROBE_STEPS: CudaProbeSteps = {
  providerCompiledIn: () => listSupportedBackends().some((backend) => backend.name === 'cuda'),

  async gpuVisible() {
    if (await exists('/dev/nvidia0')) return true;
    try {
      // Also covers WSL2 and containers that expose the GPU without /dev/nvidia0.
      const { stdout } = await execFileAsync('nvidia-smi', ['-L'], { timeout: NVIDIA_SMI_TIMEOUT_MS });
      return /\bGPU \d+:/.test(stdout);
    } catch {
      return false;
    }
  },

  async missingProviderLibraries() {
    // Only linux/x64 has the downloadable CUDA provider; elsewhere trySession gives the verdict.
    if (process.platform !== 'linux' || process.arch !== 'x64') return [];
    const binDir = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', 'linux', 'x64');
    const libraries = ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'];
    const present = await Promise.all(libraries.map((name) => exists(path.join(binDir, name))));
    return libraries.filter((_, i) => !present[i]);
  },

  async trySession() {
    const session = await InferenceSession.create(cudaProbeModel(), { executionProviders: [{ name: 'cuda', deviceId: 0 }] });
    await session.release();
  },
};

/** The model trySession loads: one Identity node on float[1], just enough for onnxruntime to initialise a provider. */
export function cudaProbeModel(): Uint8Array {
  const { onnx } = onnxProto;
  const tensor = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'cuda-probe', node: [{ opType: 'Identity', input: ['x'], output: ['y'] }], input: [tensor('x')], output: [tensor('y')] },
  });
  return onnx.ModelProto.encode(model).finish();
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}


/** A downloaded model file is not the one the registry recorded: wrong size or wrong sha256. Nothing was cached. */
export class ArtifactIntegrityError extends Error {
  override readonly name = 'ArtifactIntegrityError';

  private constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }

  /** `actualSize` undefined: the download was cut off at the first byte past the expected size. */
  static size(key: string, expectedSize: number, actualSize: number | undefined): ArtifactIntegrityError {
    const found = actualSize === undefined ? 'longer than' : `${actualSize} bytes, not`;
    return new ArtifactIntegrityError(key, `model file ${key} in storage is ${found} the recorded ${expectedSize} bytes`);
  }

  static sha256(key: string, expected: string, actual: string): ArtifactIntegrityError {
    return new ArtifactIntegrityError(key, `model file ${key} in storage has sha256 ${actual}, not the recorded ${expected}`);
  }
}

/** onnxruntime could not create a session from a model file; the message is onnxruntime's. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';

  constructor(
    readonly key: string,
    readonly provider: 'cpu' | 'cuda',
    readonly ortMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`onnxruntime could not load ${key}: ${ortMessage}`, options);
  }
}

/** MODELYARD_INFERENCE_DEVICE=cuda, but CUDA cannot be used here: the worker must not start. */
export class ExecutionProviderUnavailableError extends Error {
  override readonly name = 'ExecutionProviderUnavailableError';
}

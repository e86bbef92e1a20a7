export * from './model-formats.exception.js';
export * from './onnx-signature.util.js';
export * from './artifact-format.util.js';
export * from './repo-path.util.js';
export * from './safetensors-header.util.js';
export * from './tensor-input.util.js';
export * from './artifact-store.util.js';

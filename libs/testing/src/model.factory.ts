import { randomUUID } from 'node:crypto';
import type { CreateModelDto } from '@modelyard/contracts';

/** The user guide's own example body, exactly as written there. */
export const GUIDE_GPT4_BODY = {
  name: 'GPT-4',
  version: '4.0',
  type: 'llm',
  framework: 'openai',
  source: 'openai',
  description: 'OpenAI GPT-4 model',
  endpoint: 'https://api.openai.com/v1/chat/completions',
} as const;

/** A valid create body with a unique name; override what the test is about. */
export function newModelBody(overrides: Partial<CreateModelDto> & Record<string, unknown> = {}): CreateModelDto {
  return {
    name: `model-${randomUUID().slice(0, 8)}`,
    version: '1.0',
    type: 'llm',
    framework: 'onnx',
    source: 'upload',
    description: 'a test model',
    tags: ['test'],
    ...overrides,
  } as CreateModelDto;
}

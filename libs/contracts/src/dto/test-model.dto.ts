import { ApiProperty } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';
import { IsJsonObject } from './validators.util.js';

/** The user guide's test body: `{"input_data": {...}}`. */
export class TestModelDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The input. For an ONNX model: `{"inputs": {"<input name>": <nested array of numbers>}}`, one entry per model input, ' +
      'shaped as the model records (see `config.signature`). For a language model: `{"prompt": "…", "max_tokens": 100}`.',
    example: { inputs: { x: [[1, 2, 3, 4]] } },
  })
  @IsDefined({ message: 'input_data is required' })
  @IsJsonObject()
  input_data!: Record<string, unknown>;
}

/** A tensor in a response: element type, shape and the values as a nested array. */
export class TensorValueDto {
  @ApiProperty({ example: 'float32' })
  element_type!: string;
  @ApiProperty({ type: [Number], example: [1, 3] })
  shape!: number[];
  @ApiProperty({ description: 'Nested arrays following `shape` (64-bit integers as strings when they exceed 2^53).', example: [[0.1, 0.2, 0.7]] })
  data!: unknown;
}

/** Tokens the provider counted for one call. */
export class TokenUsageDto {
  @ApiProperty({ type: Number, nullable: true }) input_tokens!: number | null;
  @ApiProperty({ type: Number, nullable: true }) output_tokens!: number | null;
}

export class TestResultDto {
  @ApiProperty({
    description:
      'ONNX models: one tensor per output name ({element_type, shape, data}). Chat models: the answer text. Embedding models: one vector per input. ' +
      'Endpoint models: the value at config.http.response_path of the answer (or the whole answer).',
    oneOf: [{ type: 'object', additionalProperties: { $ref: '#/components/schemas/TensorValueDto' } }, { type: 'string' }, { type: 'array', items: {} }, { type: 'object' }],
  })
  output!: Record<string, TensorValueDto> | unknown;
  @ApiProperty({ type: TokenUsageDto, nullable: true, description: 'Provider models: tokens counted by the provider; null for ONNX models.' })
  usage!: TokenUsageDto | null;
  @ApiProperty({ type: String, nullable: true, description: 'Chat models: why the answer ended (stop, length, end_turn, max_tokens, …).' })
  finish_reason!: string | null;
  @ApiProperty({ description: 'Time the worker took to run the model (input conversion included), in milliseconds.' })
  latency_ms!: number;
  @ApiProperty({ format: 'uuid' })
  model_id!: string;
  @ApiProperty({ description: 'The worker that ran the call.', example: 'inference@host-1234' })
  worker!: string;
  @ApiProperty({ format: 'uuid', description: 'Id of this call, as usage statistics record it.' })
  call_id!: string;
}

/** The answer for an ONNX model: one tensor per output name. */
export type OnnxTestResultDto = TestResultDto & { output: Record<string, TensorValueDto> };

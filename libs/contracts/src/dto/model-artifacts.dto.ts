import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Element types of ONNX tensors, by the names onnxruntime uses for them. */
export const TENSOR_ELEMENT_TYPES = [
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int8',
  'uint8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'bool',
  'string',
] as const;
export type TensorElementType = (typeof TENSOR_ELEMENT_TYPES)[number];

/** One input or output of a model: its name, element type and shape (a string names a symbolic dimension, null an unknown one). */
export class TensorSpecDto {
  @ApiProperty({ example: 'x' })
  name!: string;
  @ApiProperty({ enum: TENSOR_ELEMENT_TYPES, example: 'float32' })
  element_type!: TensorElementType;
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'integer' }, { type: 'string' }], nullable: true },
    example: ['batch', 3],
    description: 'Dimensions: a number is fixed, a string is a symbolic dimension (any size), null is unknown.',
  })
  shape!: Array<number | string | null>;
}
export type TensorSpec = TensorSpecDto;

/** How many inputs and outputs a model declares, when its signature lists only the first of them. */
export class SignatureTruncationDto {
  @ApiProperty({ description: 'Inputs the model declares.', example: 100000 })
  input_count!: number;
  @ApiProperty({ description: 'Outputs the model declares.', example: 1 })
  output_count!: number;
}

/** What an ONNX model takes and gives, read from the file when it is stored. */
export class ModelSignatureDto {
  @ApiProperty({ type: [TensorSpecDto], description: 'The inputs, in the order the model declares them (at most 1,024; see `truncated`).' })
  inputs!: TensorSpecDto[];
  @ApiProperty({ type: [TensorSpecDto], description: 'The outputs, in the order the model declares them (at most 1,024; see `truncated`).' })
  outputs!: TensorSpecDto[];
  @ApiPropertyOptional({
    type: SignatureTruncationDto,
    description:
      'Present only when the model declares more inputs or outputs than are recorded (over 1,024 of either, or more than 256 kB of names ' +
      'and shapes together): how many it declares. `inputs` and `outputs` then hold the first ones. A model whose inputs are not all ' +
      'recorded cannot be test-called (422).',
  })
  truncated?: SignatureTruncationDto;
}
export type ModelSignature = ModelSignatureDto;

/** What a stored file is, decided from its extension and checked against its first bytes. */
export const ARTIFACT_FORMATS = ['onnx', 'safetensors', 'pytorch', 'tensorflow', 'keras', 'config', 'tokenizer', 'other'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

/** A file of a model, stored in object storage. */
export class ArtifactDto {
  @ApiProperty({ description: 'Path of the file within the model (as in the Hugging Face repo, or the uploaded file name).', example: 'onnx/model.onnx' })
  path!: string;
  @ApiProperty({ description: 'Object storage key.', example: 'models/4f0c…/onnx/model.onnx' })
  key!: string;
  @ApiProperty({ description: 'Size in bytes.' })
  size!: number;
  @ApiProperty({ description: 'Lower-case hex SHA-256 of the content, verified when it was stored.' })
  sha256!: string;
  @ApiProperty({ enum: ARTIFACT_FORMATS })
  format!: ArtifactFormat;
  @ApiProperty({ description: 'The ONNX file that tests run and whose inputs and outputs `config.signature` describes.' })
  primary!: boolean;
  @ApiProperty({ format: 'date-time' })
  stored_at!: string;
}

/** How far an import or upload has got, while the model is `uploading`. */
export class TransferProgressDto {
  @ApiProperty()
  bytes_done!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Null while the total is not known yet.' })
  bytes_total!: number | null;
  @ApiProperty()
  files_done!: number;
  @ApiProperty({ type: Number, nullable: true })
  files_total!: number | null;
  @ApiProperty({ type: String, nullable: true })
  current_file!: string | null;
  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

/** What was asked of a Hugging Face import, and what it was pinned to. */
export class HuggingFaceImportDto {
  @ApiProperty({ example: 'org/model' })
  repo!: string;
  @ApiProperty({ description: 'The revision asked for (branch, tag or commit).', example: 'main' })
  revision!: string;
  @ApiPropertyOptional({ type: [String], nullable: true, description: 'File patterns that chose what to fetch; null: the default choice.' })
  include!: string[] | null;
  @ApiProperty({ type: String, nullable: true, description: 'The commit sha the import resolved to, once known.' })
  commit!: string | null;
}

/** Metadata an import fills into the fields the user left empty. */
export interface ImportedMetadata {
  type?: string;
  framework?: string;
  tags?: string[];
  license?: string | null;
  description?: string | null;
}

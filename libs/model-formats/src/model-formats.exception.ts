/** The bytes are not a model file this library can read: not ONNX, truncated, malformed, or using a feature it does not support. */
export class InvalidModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidModelFileError';
  }
}

/** One problem with a request field, in the shape of `JobProblem.errors`. */
export interface InputFieldError {
  field: string;
  message: string;
}

/** `input_data` does not fit the model's signature; `errors` names the fields at fault, `omitted` counts those left out of a long list. */
export class InputValidationError extends Error {
  readonly errors: InputFieldError[];
  readonly omitted: number;

  constructor(errors: InputFieldError[], omitted = 0) {
    const more = omitted > 0 ? `; and ${omitted} more problems` : '';
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; ') + more);
    this.name = 'InputValidationError';
    this.errors = errors;
    this.omitted = omitted;
  }
}

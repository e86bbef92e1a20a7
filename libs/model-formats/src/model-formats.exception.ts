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

/** `input_data` does not fit the model's signature; `errors` names every field at fault. */
export class InputValidationError extends Error {
  readonly errors: InputFieldError[];

  constructor(errors: InputFieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'InputValidationError';
    this.errors = errors;
  }
}

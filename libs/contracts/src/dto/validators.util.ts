import { ValidateIf, ValidateBy, type ValidationOptions, buildMessage } from 'class-validator';

/**
 * Like @IsOptional, but only for an absent field: an explicit `null` still has to pass the other
 * validators. For fields that may be left out of a PATCH but can never be null.
 */
export const IsOmittable = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function HasNoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoControlCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !CONTROL_CHARACTERS.test(value),
        defaultMessage: buildMessage((each) => `${each}$property must not contain control characters`, options),
      },
    },
    options,
  );
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function IsJsonObject(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isJsonObject',
      validator: {
        validate: (value: unknown) => isPlainObject(value),
        defaultMessage: buildMessage((each) => `${each}$property must be a JSON object`, options),
      },
    },
    options,
  );
}

/** An object of environment variables: POSIX-style names, string values. */
export function IsEnvironmentMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEnvironmentMap',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= 100 &&
          Object.entries(value).every(
            ([k, v]) => /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(k) && typeof v === 'string' && v.length <= 4096,
          ),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be an object of at most 100 variables whose names match [A-Za-z_][A-Za-z0-9_]* and whose values are strings of at most 4096 characters`,
          options,
        ),
      },
    },
    options,
  );
}

/** Header names as HTTP defines tokens. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;

/**
 * Headers that carry credentials or that the HTTP client owns. Credentials belong in the model's
 * sealed secret (`api_key` + `config.http.secret_header`), never in its clear configuration.
 */
export const RESERVED_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key', 'host', 'content-length', 'transfer-encoding', 'connection'];

/** An object of extra HTTP headers: token names, single-line values, none of the reserved ones. */
export function IsHeaderMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHeaderMap',
      validator: {
        validate: (value: unknown) =>
          isPlainObject(value) &&
          Object.keys(value).length <= 50 &&
          Object.entries(value).every(
            ([k, v]) => HEADER_NAME.test(k) && !RESERVED_HEADERS.includes(k.toLowerCase()) && typeof v === 'string' && v.length <= 4096 && !CONTROL_CHARACTERS.test(v),
          ),
        defaultMessage: buildMessage(
          (each) =>
            `${each}$property must be an object of at most 50 headers with token names and single-line string values; ` +
            `${RESERVED_HEADERS.join(', ')} are not allowed (send a credential as api_key and name its header in secret_header)`,
          options,
        ),
      },
    },
    options,
  );
}

import { describe, expect, it } from '@jest/globals';
import 'reflect-metadata';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import * as contracts from '../index.js';

type Condition = (object: Record<string, unknown>, value: unknown) => boolean;

/** Request DTOs: every exported class with validation rules, but query DTOs (a query string carries no null). */
const requestDtos = Object.entries(contracts).filter(
  (entry): entry is [string, new () => object] =>
    typeof entry[1] === 'function' && entry[0].endsWith('Dto') && !entry[0].endsWith('QueryDto') && getMetadataStorage().getTargetValidationMetadatas(entry[1], '', true, false).length > 0,
);

/** Fields of `dto` whose validation a `null` skips: @IsOptional's condition, unlike @IsOmittable's, lets null through unchecked. */
function fieldsAcceptingNull(dto: new () => object): string[] {
  const conditions = getMetadataStorage()
    .getTargetValidationMetadatas(dto, '', true, false)
    .filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION);
  const fields = new Set(conditions.map((m) => m.propertyName));
  return [...fields].filter((field) =>
    conditions.filter((m) => m.propertyName === field).some((m) => !(m.constraints[0] as Condition)({ [field]: null }, null)),
  );
}

describe('request DTOs and null', () => {
  it('finds the request DTOs', () => {
    expect(requestDtos.map(([name]) => name)).toEqual(expect.arrayContaining(['CreateModelDto', 'UpdateModelDto', 'HttpEndpointConfigDto', 'CreateTokenDto', 'CreateUserDto', 'ModelGrantDto']));
  });

  // A null that skips validation reaches the services as if it were a value: a NOT NULL column
  // (users.disabled), a string method (user.toLowerCase()), a secret to seal, or a stored
  // configuration no call can use, each a 500 or worse. Such a field must be one the API
  // documents as nullable, and handles as such; every other one refuses null with a 422.
  it.each(requestDtos)('%s lets null through only where the API documents the field as nullable', (_name, dto) => {
    const undocumented = fieldsAcceptingNull(dto).filter((field) => {
      const swagger = Reflect.getMetadata('swagger/apiModelProperties', dto.prototype, field) as { nullable?: boolean } | undefined;
      return swagger?.nullable !== true;
    });
    expect(undocumented).toEqual([]);
  });
});

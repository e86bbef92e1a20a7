import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';
import { DomainException, type FieldError } from './problem.js';

/** Field names a DTO class declares, for telling a client which fields it may send. */
function declaredFields(target: object | undefined): string[] {
  if (!target) return [];
  const metadata = getMetadataStorage().getTargetValidationMetadatas(target.constructor, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))].sort();
}

/** Turns class-validator's nested errors into flat `{ field, detail }` pairs. */
export function toFieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const constraints = error.constraints ?? {};
    if ('whitelistValidation' in constraints) {
      const allowed = declaredFields(error.target);
      out.push({
        field,
        detail: `is not a known field${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`,
      });
    } else {
      for (const message of Object.values(constraints)) {
        // class-validator starts each message with the property name; we carry it in `field`.
        out.push({ field, detail: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message });
      }
    }
    if (error.children?.length) out.push(...toFieldErrors(error.children, field));
  }
  return out;
}

class ProblemValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // A body typed by a DTO must be a JSON object: `[]`, `"text"` or no body at all are refused
    // here with a clear message rather than as a puzzling list of field errors.
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object && !isObject) {
      throw DomainException.validation(
        [{ field: 'body', detail: value === undefined ? 'is missing' : 'must be a JSON object' }],
        value === undefined ? 'The request needs a JSON object body.' : 'The request body must be a JSON object.',
      );
    }
    return super.transform(value, metadata);
  }
}

/**
 * The one validation pipe of every Nest app (HTTP and RPC): unknown fields are refused, values
 * are converted to the DTO's types, and failures become a 422 problem naming each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ProblemValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: true, value: false },
    exceptionFactory: (errors) => DomainException.validation(toFieldErrors(errors)),
  });
}

import { describe, expect, it } from '@jest/globals';
import { AccessController } from './access/access.controller.js';
import { AuditController } from './audit/audit.controller.js';
import { IdentityController } from './identity/identity.controller.js';
import { ModelsController } from './models/models.controller.js';

/** Nest's key for the parameter decorators of a handler (@Payload among them). */
const ROUTE_ARGS_METADATA = '__routeArguments__';
/** Types the validation pipe would check as a body, refusing a string or a boolean member outright. */
const REFUSED_TYPES: unknown[] = [String, Boolean, Number, globalThis.Request, globalThis.Response];

describe('registry message handlers', () => {
  it('take no payload member typed as a primitive or a global class (the validation pipe would refuse every message)', () => {
    const offenders: string[] = [];
    for (const controller of [ModelsController, IdentityController, AccessController, AuditController]) {
      for (const method of Object.getOwnPropertyNames(controller.prototype)) {
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<string, { index: number; data?: unknown }>;
        const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, method) ?? []) as unknown[];
        for (const arg of Object.values(args)) {
          if (REFUSED_TYPES.includes(types[arg.index])) offenders.push(`${controller.name}.${method} parameter ${arg.index} (${String(arg.data ?? 'payload')})`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});

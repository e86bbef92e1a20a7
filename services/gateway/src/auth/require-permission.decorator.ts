import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiForbiddenResponse } from '@nestjs/swagger';
import { PERMISSIONS, type Permission } from '@modelyard/contracts';

export const REQUIRED_PERMISSION = 'modelyard:permission';

/**
 * What a route requires (see PERMISSIONS in contracts): the PermissionsGuard enforces it, and the
 * OpenAPI document carries it as `x-permission`, which a test walks to find any route without one.
 */
export function RequirePermission(permission: Permission): MethodDecorator & ClassDecorator {
  const rule = PERMISSIONS[permission];
  const who = [
    `role ${rule.role} or above`,
    ...(rule.scope ? [`token scope \`${rule.scope}\``] : []),
    ...('model' in rule ? [`\`${rule.model}\` on the model (a model you may not read is a 404)`] : []),
  ].join(', ');
  return applyDecorators(
    SetMetadata(REQUIRED_PERMISSION, permission),
    ApiExtension('x-permission', { name: permission, ...rule }),
    ApiForbiddenResponse({ description: `Needs ${who}.` }),
  );
}

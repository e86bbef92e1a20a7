import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'modelyard:public';

/** Marks a route that needs no token (health probes). Every other route is guarded. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export { checkEndpoint, type EgressPolicy, type ResolvedAddress } from './egress-guard.util.js';
export { EndpointRefusedError, type RefusedReason } from './egress.exception.js';
export { createGuardedFetch } from './guarded-fetch.util.js';

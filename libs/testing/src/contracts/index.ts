export { describeBlobStoreContract, type BlobStoreContractContext } from './blob-store.contract.js';
export { describeEventBusContract, type EventBusContractContext } from './event-bus.contract.js';
export { describeJobQueueContract, type JobQueueContractContext } from './job-queue.contract.js';
export { describeSessionStoreContract, type SessionStoreContractContext } from './session-store.contract.js';
export { describeRateLimitStoreContract, type RateLimitStoreContractContext } from './rate-limit-store.contract.js';
export { deferred, sleep, track, waitFor, type Deferred, type WaitForOptions } from '../wait-for.util.js';

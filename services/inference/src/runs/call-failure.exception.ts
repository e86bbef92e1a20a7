import type { JobProblem, UsageErrorClass } from '@modelyard/contracts';

/**
 * A call that failed for a reason retrying cannot fix (the input, the model, the provider's
 * refusal): answered as a problem and counted under its class, never thrown to the queue.
 */
export class CallFailure extends Error {
  constructor(
    readonly errorClass: UsageErrorClass,
    readonly problem: JobProblem,
  ) {
    super(problem.detail);
  }
}

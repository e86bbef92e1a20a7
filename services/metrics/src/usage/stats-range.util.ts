/** Steps the series may use, shortest first: what a chart of a minute up to 90 days needs. */
export const STEP_SECONDS = [60, 300, 900, 3_600, 21_600, 86_400] as const;
/** Most points in one series. */
export const MAX_SERIES_POINTS = 120;
/** Longest range the stats API answers: 90 days of minutes is ~130,000 rows per model. */
export const MAX_RANGE_MS = 90 * 86_400_000;

/**
 * The shortest step that covers [from, to) in at most MAX_SERIES_POINTS steps. Steps start at
 * `from` (step i covers [from + i·step, from + (i+1)·step)), so the count is ⌈range / step⌉.
 */
export function chooseStepSeconds(rangeMs: number): number {
  for (const step of STEP_SECONDS) {
    if (Math.ceil(rangeMs / (step * 1_000)) <= MAX_SERIES_POINTS) return step;
  }
  throw new RangeError(`a range of ${rangeMs} ms needs more than ${MAX_SERIES_POINTS} points even at a day per step`);
}

/** Number of steps of `stepSeconds` that cover [from, to). */
export function stepCount(rangeMs: number, stepSeconds: number): number {
  return Math.ceil(rangeMs / (stepSeconds * 1_000));
}

/** Successes over calls; null without calls, since "no calls" is not "all failed". */
export function successRate(successes: number, calls: number): number | null {
  return calls > 0 ? successes / calls : null;
}

/** The minute an instant falls in, as epoch milliseconds: the grain of the stored aggregates. */
export function minuteOf(epochMs: number): number {
  return Math.floor(epochMs / 60_000) * 60_000;
}

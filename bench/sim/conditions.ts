/**
 * How fast each worker runs over a run: a slowdown that may change while an attempt runs (a slow
 * episode starts or ends), so an attempt's run time is its work integrated over its worker's
 * speed, not its work × the slowdown when it started. Times are ms since the run began; work is
 * run time at normal speed.
 */
export interface WorkerConditions {
  /** The worker's slowdown at `at` (1: normal). */
  slowdown(worker: number, at: number): number;
  /** When `workMs` of work started at `from` on the worker is done (Infinity for infinite work). */
  finishAt(worker: number, from: number, workMs: number): number;
  /** Work the worker does between `from` and `to`. */
  workDone(worker: number, from: number, to: number): number;
  /** The first moment in [`from`, `to`) the worker runs slowed; undefined when it runs at speed throughout. */
  slowFrom(worker: number, from: number, to: number): number | undefined;
}

/** Each worker at one slowdown all run. */
export function steady(slowdown: (worker: number) => number): WorkerConditions {
  return {
    slowdown: (worker) => slowdown(worker),
    finishAt: (worker, from, workMs) => from + workMs * slowdown(worker),
    workDone: (worker, from, to) => (to - from) / slowdown(worker),
    slowFrom: (worker, from, to) => (slowdown(worker) > 1 && from < to ? from : undefined),
  };
}

/** Each worker slowed `factor`× during episodes of `episodeMs` starting at its `starts` (sorted). */
export function episodic(starts: readonly number[][], episodeMs: number, factor: number): WorkerConditions {
  /** The episode in force at `at` ([start, end)), else the next one's start (Infinity when none is left). */
  const segment = (worker: number, at: number): { slow: boolean; until: number } => {
    const list = starts[worker] ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    const current = lo > 0 ? list[lo - 1]! : undefined;
    if (current !== undefined && at < current + episodeMs) return { slow: true, until: current + episodeMs };
    return { slow: false, until: list[lo] ?? Number.POSITIVE_INFINITY };
  };
  return {
    slowdown: (worker, at) => (segment(worker, at).slow ? factor : 1),
    finishAt(worker, from, workMs) {
      let at = from;
      let left = workMs;
      while (Number.isFinite(left)) {
        const { slow, until } = segment(worker, at);
        const rate = slow ? 1 / factor : 1;
        if (left <= (until - at) * rate) return at + left / rate;
        left -= (until - at) * rate;
        at = until;
      }
      return Number.POSITIVE_INFINITY;
    },
    workDone(worker, from, to) {
      let at = from;
      let done = 0;
      while (at < to) {
        const { slow, until } = segment(worker, at);
        const end = Math.min(until, to);
        done += (end - at) / (slow ? factor : 1);
        at = end;
      }
      return done;
    },
    slowFrom(worker, from, to) {
      const { slow, until } = segment(worker, from);
      if (slow) return from < to ? from : undefined;
      return until < to ? until : undefined;
    },
  };
}

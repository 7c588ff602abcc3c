import type { Job } from '../../src/jobs/model/index.ts';

/** Issue #25's diamond: `d` depends on `b` and `c`, which depend on `a`. */
export const DIAMOND: readonly { name: string; dependsOn: string[] }[] = [
  { name: 'a', dependsOn: [] },
  { name: 'b', dependsOn: ['a'] },
  { name: 'c', dependsOn: ['a'] },
  { name: 'd', dependsOn: ['b', 'c'] },
];

const msOf = (iso: string | undefined, what: string): number => {
  if (iso === undefined) throw new Error(`no ${what}`);
  return Date.parse(iso);
};

/** When a job's first attempt was claimed: its start, as a dependent's latency counts it. */
export const firstStartMs = (job: Job): number => msOf(job.attemptLog[0]?.startedAt, `attempt of job ${job.id}`);

/** Where a join's start after its children went, in ms (docs/workflows.md, "Who advances a workflow"). */
export interface JoinTiming {
  /** The last child's `finishedAt` → the join's first attempt's `startedAt`. */
  latencyMs: number;
  /** The last child's finish → the join's job made (its `createdAt`): the child's settle and the advance up to the start. */
  advanceMs: number;
  /** The join's job made → claimed: its send, the start transaction, the wait in the queue and the claim. */
  pickupMs: number;
  lastChildFinishedAt: string;
}

export function joinTiming(children: readonly Job[], join: Job): JoinTiming {
  if (children.length === 0) throw new Error(`join ${join.id} has no children`);
  const last = children.reduce((latest, child) => Math.max(latest, msOf(child.finishedAt, `finish of ${child.id}`)), 0);
  const created = Date.parse(join.createdAt);
  const started = firstStartMs(join);
  return {
    latencyMs: started - last,
    advanceMs: created - last,
    pickupMs: started - created,
    lastChildFinishedAt: new Date(last).toISOString(),
  };
}

/**
 * A dependent step after its last parent's finish: its job made (the advance alone, as a join's
 * `advanceMs`) and its first start (the advance, then its wait in the queue and the claim).
 */
export interface DependentStart {
  step: string;
  parents: number;
  advanceMs: number;
  waitMs: number;
}

/** Every step of one workflow with parents, from its steps' jobs by step name. */
export function dependentStarts(
  steps: readonly { name: string; dependsOn: readonly string[] }[],
  jobOf: (step: string) => Job,
): DependentStart[] {
  return steps
    .filter((step) => step.dependsOn.length > 0)
    .map((step) => {
      const lastParent = Math.max(
        ...step.dependsOn.map((parent) => msOf(jobOf(parent).finishedAt, `finish of step ${parent}`)),
      );
      const job = jobOf(step.name);
      return {
        step: step.name,
        parents: step.dependsOn.length,
        advanceMs: Date.parse(job.createdAt) - lastParent,
        waitMs: firstStartMs(job) - lastParent,
      };
    });
}

/**
 * How many of `jobs` were waiting at `atMs`: made by then, not yet started. A job made then waits
 * behind them all (one tenant's jobs, one queue): with the start rate, that is its queue wait.
 */
export function waitingAt(jobs: readonly Job[], atMs: number): number {
  return jobs.filter((job) => Date.parse(job.createdAt) <= atMs && firstStartMs(job) > atMs).length;
}

/** Jobs a second from the first submit to the last finish. */
export function jobsPerSecond(jobs: number, submittedAtMs: number, finishedAtMs: readonly number[]): number {
  const last = finishedAtMs.reduce((latest, ms) => Math.max(latest, ms), submittedAtMs);
  if (last <= submittedAtMs) throw new Error('no finish after the submit');
  return (jobs * 1000) / (last - submittedAtMs);
}

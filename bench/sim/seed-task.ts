import { type SeedResult, seedResult } from './metrics.ts';
import { POLICIES, type Policy } from './policies.ts';
import { Simulation } from './simulation.ts';
import { allWorkloads } from './workloads.ts';

/** One seed of one workload@load: what a suite worker process runs. */
export interface SeedTask {
  workload: string;
  ratePerSecond: number;
  seed: number;
  jobs: number;
  warmUpJobs: number;
  policies: string[];
  /** Tailguard's speculation budget, when not the detector's default. */
  budget?: number;
  /**
   * The slowdowns are injected into the handler, as bench:tail's real runs do (demo/worker), not
   * the host's: the workers' host pace probe reads them healthy.
   */
  handlerSlowdowns?: boolean;
}

/** The twin's name among the policies: the healthy-fleet run (see RunOptions.twin). */
export const TWIN = 'twin';

export function suitePolicies(names: readonly string[] | undefined, budget: number | undefined): Policy[] {
  return POLICIES.filter((p) => !names || names.includes(p.name)).map((p) =>
    p.detector && budget !== undefined ? { ...p, detector: { ...p.detector, budgetFraction: budget } } : p,
  );
}

/**
 * Runs every policy on the seed's jobs, Tailguard first: its twin then gets as many more workers
 * as Tailguard added. The twin runs with no policy (`off`) on the healthy fleet.
 */
export async function runSeed(task: SeedTask): Promise<Record<string, SeedResult>> {
  const named = allWorkloads().find((w) => w.name === task.workload);
  if (!named) throw new Error(`unknown workload ${task.workload}`);
  const workload = task.handlerSlowdowns ? { ...named, hostSlowdowns: false } : named;
  const policies = suitePolicies(task.policies, task.budget).sort(
    (a, b) => Number(b.name === 'tailguard') - Number(a.name === 'tailguard'),
  );
  const { ratePerSecond, jobs, warmUpJobs, seed } = task;
  const run = (policy: Policy, twin?: { addedWorkers: number }) =>
    new Simulation({ workload, policy, ratePerSecond, jobs, warmUpJobs, seed, ...(twin ? { twin } : {}) }).run();
  const results: Record<string, SeedResult> = {};
  for (const policy of policies) results[policy.name] = seedResult(seed, await run(policy));
  const off = POLICIES.find((p) => p.name === 'off')!;
  results[TWIN] = seedResult(seed, await run(off, { addedWorkers: results.tailguard?.addedWorkers ?? 0 }));
  return results;
}

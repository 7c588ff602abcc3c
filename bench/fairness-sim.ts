#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:fairness:sim`: the fairness experiment on a virtual clock, without the stack.
 * Busy tenants of Zipf-distributed sizes (and, beside it, the local bench's one-tenant flood) share
 * one lane with quiet tenants that send one job a second; three ways to hand the lane's jobs to
 * the workers are compared over several seeds: no fairness, a model of SQS fair queues, and
 * Tailguard's per-tenant windows (bench/sim/tenant-dispatch.ts says what each model assumes).
 */
import { Command, Option } from 'commander';
import { cdfPoints, latencyCdfSpec, renderPng } from './lib/chart.ts';
import { progressBar } from './lib/progress.ts';
import { markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { runFairness } from './sim/fair-simulation.ts';
import { type AcrossSeeds, acrossSeeds, type FairRunMetrics, fairRunMetrics } from './sim/fairness-metrics.ts';
import {
  FifoDispatch,
  type Schedule,
  SqsFairDispatch,
  type TenantDispatch,
  WindowDispatch,
} from './sim/tenant-dispatch.ts';
import { quietTenant, type TenantWorkload } from './sim/tenant-workload.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const list = (value: string) => value.split(',').map(Number);
const opts = new Command()
  .name('bench:fairness:sim')
  .description(
    'Simulated fair shares: Zipf tenants and a flood beside quiet tenants, three dispatch policies, several seeds',
  )
  .addOption(new Option('--seeds <n>', 'runs per scenario and policy (seeds 1..n)').argParser(Number).default(10))
  .addOption(new Option('--tenants <n>', 'busy tenants of Zipf sizes').argParser(Number).default(100))
  .addOption(new Option('--exponent <s>', 'Zipf exponent: tenant k sends ∝ 1/k^s').argParser(Number).default(1.1))
  .addOption(new Option('--jobs <n>', 'jobs of the Zipf tenants together').argParser(Number).default(30_000))
  .addOption(new Option('--spread-s <s>', 'the Zipf tenants send over this long').argParser(Number).default(60))
  .addOption(new Option('--flood <n>', 'jobs of the one-tenant flood scenario').argParser(Number).default(10_000))
  .addOption(
    new Option('--flood-spread-s <s>', 'the flood goes in over this long (the batch route’s pace)')
      .argParser(Number)
      .default(12),
  )
  .addOption(new Option('--slots <n>', 'worker slots on the lane').argParser(Number).default(16))
  .addOption(new Option('--job-ms <ms>', 'every job’s run time').argParser(Number).default(100))
  .addOption(
    new Option('--window-per-weight <list>', 'windows policy: W for weight 1, one policy each (first = main)')
      .argParser(list)
      .default([8, 2, 4, 16, 32]),
  )
  .addOption(
    new Option('--release-ms <ms>', 'windows policy: a start → the next held job in the lane')
      .argParser(Number)
      .default(30),
  )
  .addOption(
    new Option('--noisy-share <f>', 'SQS model: a group holding more of the in-flight messages is noisy')
      .argParser(Number)
      .default(0.1),
  )
  .parse()
  .opts<{
    seeds: number;
    tenants: number;
    exponent: number;
    jobs: number;
    spreadS: number;
    flood: number;
    floodSpreadS: number;
    slots: number;
    jobMs: number;
    windowPerWeight: number[];
    releaseMs: number;
    noisyShare: number;
  }>();

const QUIET = { quietTenants: 2, quietIntervalMs: 1000 };
const scenarios: Record<string, TenantWorkload> = {
  zipf: { tenants: opts.tenants, exponent: opts.exponent, jobs: opts.jobs, spreadMs: opts.spreadS * 1000, ...QUIET },
  // The local bench's experiment: one tenant's flood beside the quiet ones.
  flood: { tenants: 1, exponent: 1, jobs: opts.flood, spreadMs: opts.floodSpreadS * 1000, ...QUIET },
};
const policies: Record<string, (schedule: Schedule) => TenantDispatch> = {
  fifo: () => new FifoDispatch(),
  'sqs-fair': () => new SqsFairDispatch(opts.noisyShare),
  ...Object.fromEntries(
    opts.windowPerWeight.map((w) => [
      `windows W=${w}`,
      (schedule: Schedule) =>
        new WindowDispatch(schedule, { windowPerWeight: w, releaseMs: opts.releaseMs, weightOf: () => 1 }),
    ]),
  ),
};
const mainPolicies = ['fifo', 'sqs-fair', `windows W=${opts.windowPerWeight[0]}`];

const bar = progressBar('simulated runs |{bar}| {value}/{total}');
bar.start(Object.keys(scenarios).length * Object.keys(policies).length * opts.seeds, 0);
const results: Record<
  string,
  Record<string, { runs: FairRunMetrics[]; seeds: Record<keyof FairRunMetrics, AcrossSeeds> }>
> = {};
/** The quiet tenants' waits of the Zipf scenario, every seed together, for the picture. */
const quietWaits: Record<string, number[]> = {};
for (const [scenario, workload] of Object.entries(scenarios)) {
  results[scenario] = {};
  for (const [policy, dispatch] of Object.entries(policies)) {
    const runs: FairRunMetrics[] = [];
    for (let seed = 1; seed <= opts.seeds; seed++) {
      const run = await runFairness({ workload, slots: opts.slots, jobMs: opts.jobMs, seed, dispatch });
      runs.push(fairRunMetrics(run, workload));
      if (scenario === 'zipf' && mainPolicies.includes(policy)) {
        const quiet = Array.from({ length: workload.quietTenants }, (_, i) => run.waits.get(quietTenant(i)) ?? []);
        quietWaits[policy] = [...(quietWaits[policy] ?? []), ...quiet.flat()];
      }
      bar.increment();
    }
    results[scenario][policy] = { runs, seeds: acrossSeeds(runs) };
  }
}
bar.stop();

const output = {
  command: `npm run bench:fairness:sim -- --seeds ${opts.seeds} --tenants ${opts.tenants} --exponent ${opts.exponent} --jobs ${opts.jobs} --spread-s ${opts.spreadS} --flood ${opts.flood} --flood-spread-s ${opts.floodSpreadS} --slots ${opts.slots} --job-ms ${opts.jobMs} --window-per-weight ${opts.windowPerWeight.join(',')} --release-ms ${opts.releaseMs} --noisy-share ${opts.noisyShare}`,
  capacityJobsPerSecond: (opts.slots * 1000) / opts.jobMs,
  scenarios,
  policies: Object.keys(policies),
  results: Object.fromEntries(
    Object.entries(results).map(([scenario, byPolicy]) => [
      scenario,
      Object.fromEntries(Object.entries(byPolicy).map(([policy, r]) => [policy, r.seeds])),
    ]),
  ),
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}fairness-sim.json`, `${JSON.stringify(output, null, 2)}\n`);
await renderPng(
  latencyCdfSpec(
    `Quiet tenants' wait beside ${opts.tenants} Zipf tenants (simulated, ${opts.seeds} seeds)`,
    // The log axis has no zero: a job started at its submit shows at 1 ms.
    cdfPoints(
      Object.fromEntries(
        Object.entries(quietWaits).map(([policy, waits]) => [policy, waits.map((w) => Math.max(1, w))]),
      ),
    ),
  ),
  `${resultsDir}fairness-sim-quiet-wait-cdf.png`,
);
writeBenchmarkSection('fairness-sim', report());
console.log(JSON.stringify(output.results, null, 2));

function report(): string {
  const cell = (a: AcrossSeeds) => (a.min === a.max ? `${a.mean}` : `${a.mean} [${a.ci95[0]}–${a.ci95[1]}]`);
  const table = (scenario: string) =>
    markdownTable(
      [
        'policy',
        'quiet p50 ms',
        'quiet p99 ms',
        'small tenants p99 ms',
        'all jobs p99 ms',
        'biggest tenant jobs/s',
        'biggest done at s',
        'Jain index',
      ],
      Object.entries(results[scenario]!).map(([policy, { seeds: s }]) => [
        policy,
        cell(s.quietWaitP50Ms),
        cell(s.quietWaitP99Ms),
        scenario === 'zipf' ? cell(s.smallWaitP99Ms) : '—',
        cell(s.allWaitP99Ms),
        cell(s.biggestJobsPerSecond),
        cell(s.biggestCompletionS),
        scenario === 'zipf' ? cell(s.jainIndex) : '—',
      ]),
    );
  return `### Fair shares in the simulator: ${opts.tenants} Zipf tenants, three dispatch policies

Command: \`${output.command}\` (no stack: a virtual clock, bench/sim/fair-simulation.ts).

One lane, ${opts.slots} worker slots, every job ${opts.jobMs} ms (capacity ${output.capacityJobsPerSecond} jobs/s). **Zipf**: ${opts.tenants} tenants
send ${opts.jobs.toLocaleString('en')} jobs over ${opts.spreadS} s (tenant k ∝ 1/k^${opts.exponent}, each a Poisson stream: ${Math.round(opts.jobs / opts.spreadS)} jobs/s offered, so a
backlog builds) while \`quiet-1\` and \`quiet-2\` send one job a second each until the busy tenants' last job started.
**Flood**: the local bench's experiment — one tenant's ${opts.flood.toLocaleString('en')} jobs in over ${opts.floodSpreadS} s beside the same quiet tenants.
Wait = submit → start. Each cell: mean over seeds 1–${opts.seeds} [its 95 % bootstrap interval across seeds]; min and max per seed in the JSON.

- **fifo** — no fairness: one queue, arrival order (what \`main\` does today; MiniStack does not reorder either).
- **sqs-fair** — a model of SQS fair queues (MessageGroupId = tenant): a group holding more than
  ${opts.noisyShare * 100} % of the in-flight messages (and more than one) is noisy, and a receive returns the oldest
  message of a group that is not noisy, else the oldest of all. Assumed from AWS's description, and
  idealized (one exact view of in-flight; the real service is distributed and approximate, which is
  why the published measurement saw the quiet p95 improve only 1.3×): an upper bound for SQS.
- **windows W=k** — Tailguard's design: each tenant has W = weight × k places in the lane (weights 1
  here); a job is sent only into a free place, otherwise held in the tenant's FIFO backlog; a start
  gives the place to the tenant's next held job, which reaches the queue ${opts.releaseMs} ms later.

Zipf (small tenants = the smaller half; Jain's index = fairness of each second's starts among the
tenants waiting all through that second, 1 = equal shares):

${table('zipf')}

Flood (the reference for the local bench's "after" row):

${table('flood')}

What it shows: without fairness the quiet and small tenants wait behind the whole backlog. The
SQS model serves quiet tenants almost at once, since they never hold 10 % of the in-flight
messages, but among the busy tenants it only demotes the ones over the threshold, so its shares
stay skewed. Windows bound every quiet job's wait by the lane's depth (at most W per backlogged
tenant) and share starts equally among backlogged tenants; W trades that depth against keeping a
lone tenant's slots full: W must cover starts per second × release latency (here
${output.capacityJobsPerSecond} × ${opts.releaseMs / 1000} s = ${(output.capacityJobsPerSecond * opts.releaseMs) / 1000}), which W=2 does not — see its flood throughput.

![Quiet tenants' wait CDF per policy, simulated](bench/results/fairness-sim-quiet-wait-cdf.png)

Raw figures: \`bench/results/fairness-sim.json\`.`;
}

#!/usr/bin/env node
/**
 * `npm run bench:tail:breakdown`: what Tailguard's jobs past the tail suite's target are made of,
 * on one workload@load of the suite (the same seeds, jobs and rate): a first attempt started on a
 * slowed worker, slowed midway, a long wait, or a big job — and how many would still be past it
 * had each attempt been raced the instant it fell behind (bench/sim/tail-breakdown.ts).
 */
import { Command, Option } from 'commander';
import { DEFAULT_DETECTOR_SETTINGS } from '../src/jobs/speculation/index.ts';
import { progressBar } from './lib/progress.ts';
import { markdownTable } from './lib/report.ts';
import { floorLimit, seedResult } from './sim/metrics.ts';
import { suitePolicies } from './sim/seed-task.ts';
import { type FinishedJob, Simulation } from './sim/simulation.ts';
import { breakdown, sumBreakdowns, type TailBreakdown } from './sim/tail-breakdown.ts';
import { allWorkloads, rowRate } from './sim/workloads.ts';

const opts = new Command()
  .name('bench:tail:breakdown')
  .description("What Tailguard's jobs past the tail suite's target are made of, on one workload@load")
  .addOption(new Option('--workload <name>', 'a workload of the suite (e.g. transient-5s)').makeOptionMandatory())
  .addOption(new Option('--load <share>', 'arrival rate as a share of capacity').argParser(Number).default(0.7))
  .addOption(new Option('--seeds <n>', 'seeds 1..n').argParser(Number).default(3))
  .addOption(new Option('--jobs <n>', 'measured jobs per seed').argParser(Number).default(20_000))
  .addOption(new Option('--warm-up <n>', 'unmeasured jobs first in each run').argParser(Number).default(500))
  .addOption(
    new Option('--waited-ms <ms>', 'a first start later than this after arrival counts as a wait')
      .argParser(Number)
      .default(DEFAULT_DETECTOR_SETTINGS.backupStartMs),
  )
  .parse()
  .opts<{ workload: string; load: number; seeds: number; jobs: number; warmUp: number; waitedMs: number }>();

const workload = allWorkloads().find((w) => w.name === opts.workload);
if (!workload)
  throw new Error(
    `no workload ${opts.workload}: ${allWorkloads()
      .map((w) => w.name)
      .join(', ')}`,
  );
const { ratePerSecond } = rowRate(workload, opts.load);
const [tailguard] = suitePolicies(['tailguard'], undefined);

const pct = (n: number, of: number) => `${n} (${Math.round((n / of) * 10_000) / 100} %)`;
const rows: (string | number)[][] = [];
const bySeed: TailBreakdown[] = [];
const bar = progressBar(`${workload.name}@${opts.load} seeds |{bar}| {value}/{total}`);
bar.start(opts.seeds, 0);
for (let seed = 1; seed <= opts.seeds; seed++) {
  const finished: FinishedJob[] = [];
  const metrics = await new Simulation({
    workload,
    policy: tailguard!,
    ratePerSecond,
    jobs: opts.jobs,
    warmUpJobs: opts.warmUp,
    seed,
    onFinished: (job) => finished.push(job),
  }).run();
  const { p99, floorP99 } = seedResult(seed, metrics);
  const targetMs = floorLimit(opts.load) * floorP99;
  const b = breakdown(finished, targetMs, opts.waitedMs);
  rows.push([seed, floorP99, Math.round(targetMs), p99, ...cells(b)]);
  bySeed.push(b);
  bar.increment();
}
bar.stop();
rows.push(['all', '', '', '', ...cells(sumBreakdowns(bySeed))]);

function cells(b: TailBreakdown): (string | number)[] {
  const { startedSlowed, slowedMidway, waited, big } = b.causes;
  return [
    pct(b.pastTarget, b.jobs),
    startedSlowed,
    slowedMidway,
    waited,
    big,
    b.endedByBackup,
    pct(b.pastWithInstantBackup, b.jobs),
  ];
}

console.log(
  `\n${workload.name}@${opts.load}: ${ratePerSecond} jobs/s, Tailguard's policy, ${opts.jobs.toLocaleString('en')} measured jobs a seed; target ${floorLimit(opts.load)}× the floor (the p99 of the run's own job sizes)\n`,
);
console.log(
  markdownTable(
    [
      'seed',
      'floor ms',
      'target ms',
      'p99 ms',
      'past target',
      'started slowed',
      'slowed midway',
      `waited > ${opts.waitedMs} ms`,
      'big',
      'ended by backup',
      'past with an instant backup',
    ],
    rows,
  ),
);

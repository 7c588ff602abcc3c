#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:tail`: does speculative re-launch shrink the tail? The same workload twice in one
 * run — speculation off, then on — on the local stack with real worker processes that inject
 * faults into their own attempts (`--workload`: slow workers, stalled attempts or slow episodes).
 * Arrivals run at a share (`--load`) of the jobs/s the off stack completes in a capacity probe,
 * so a slower machine gets a lighter load rather than an overloaded queue. Writes BENCHMARKS.md,
 * bench/results/tail.json (tail-<workload>.json but for persistent) and a CDF.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Command, Option } from 'commander';
import { deploymentClients } from '../local/deployment-clients.ts';
import { startLocalStack } from '../local/local-stack.ts';
import type { Job } from '../src/jobs/model/index.ts';
import { median } from '../src/jobs/speculation/class-speed.ts';
import { DEFAULT_DETECTOR_SETTINGS } from '../src/jobs/speculation/straggler-detector.ts';
import { mapLimit } from '../test/helpers/map-limit.ts';
import { waitForJobs } from '../test/helpers/wait-for-jobs.ts';
import { cdfPoints, latencyCdfSpec, renderPng } from './lib/chart.ts';
import { type LatencySummary, summarize } from './lib/latency.ts';
import { progressBars } from './lib/progress.ts';
import { markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { steadyThroughput } from './lib/steady-throughput.ts';
import { TAIL_LOOP } from './lib/tail-loop.ts';
import { TAIL_WORKLOADS, type TailWorkloadName, tailWorkload, WORKLOADS_HELP } from './lib/tail-workloads.ts';
import { policyResult } from './sim/metrics.ts';
import { runSeed } from './sim/seed-task.ts';
import { allWorkloads } from './sim/workloads.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

const opts = new Command()
  .name('bench:tail')
  .description('Tail latency with speculation off vs on, on a fleet whose workers inject faults')
  .addOption(
    new Option('--workload <kind>', `what goes wrong: ${WORKLOADS_HELP}`).choices(TAIL_WORKLOADS).default('persistent'),
  )
  .addOption(new Option('--jobs <n>', 'measured jobs per run').argParser(Number).default(2000))
  .addOption(
    new Option('--load <fraction>', 'arrivals as a share of the capacity the probe measures')
      .argParser(Number)
      .default(0.5),
  )
  .addOption(
    new Option('--probe-jobs <n>', 'jobs of the capacity probe (a burst on the off stack)')
      .argParser(Number)
      .default(400),
  )
  .addOption(
    new Option('--rate <n>', 'jobs submitted per second (open loop); skips the capacity probe').argParser(Number),
  )
  .addOption(new Option('--workers <n>', 'cpu worker processes').argParser(Number).default(10))
  .addOption(new Option('--slow-workers <n>', 'of which slow (persistent workload)').argParser(Number).default(2))
  .addOption(
    new Option('--slowdown <x>', 'how much slower the slow ones are (persistent workload)')
      .argParser(Number)
      .default(5),
  )
  .addOption(new Option('--concurrency <n>', 'attempts per worker').argParser(Number).default(4))
  .addOption(
    new Option(
      '--seed <n>',
      'seed of the jobs and of the workers’ injected faults (worker i: seed × 100 + i): off and on meet the same',
    )
      .argParser(Number)
      .default(7),
  )
  .addOption(
    new Option(
      '--seeds <list>',
      'several seeds, each run off then on at the same arrival rate (e.g. 1,2,3,4,5)',
    ).argParser((value) => value.split(',').map(Number)),
  )
  .addOption(
    new Option('--budget <fraction>', 'speculation budget (share of running attempts)')
      .argParser(Number)
      .default(DEFAULT_DETECTOR_SETTINGS.budgetFraction),
  )
  .addOption(new Option('--median-ms <ms>', 'median job duration (log-normal)').argParser(Number).default(1000))
  .addOption(
    new Option('--sigma <s>', 'spread of job durations (σ of the log-normal; 0.3 → p99 = 2 × median)')
      .argParser(Number)
      .default(0.3),
  )
  .parse()
  .opts<{
    workload: TailWorkloadName;
    jobs: number;
    load: number;
    probeJobs: number;
    rate?: number;
    workers: number;
    slowWorkers: number;
    slowdown: number;
    concurrency: number;
    seed: number;
    seeds?: number[];
    budget: number;
    medianMs: number;
    sigma: number;
  }>();

const workload = tailWorkload(opts.workload, opts);
const stateDir = fileURLToPath(new URL(`../.tailguard/bench-${workload.stem}/`, import.meta.url));

/** Log-normal durations around the median, from a fixed seed so both runs get the same jobs. */
function durations(n: number, seed: number): number[] {
  let state = seed;
  const uniform = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return (state + 1) / (2 ** 31 + 1);
  };
  return Array.from({ length: n }, () => {
    const normal = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return Math.round(Math.min(10 * opts.medianMs, Math.max(100, opts.medianMs * Math.exp(opts.sigma * normal))));
  });
}

/** Unmeasured jobs first: the detector learns the type's median, the workers their speed. */
const WARM_UP = 120;
const seeds = opts.seeds ?? [opts.seed];
const bars = progressBars('{run} {phase} |{bar}| {value}/{total}');

interface RunResult {
  /** Arrivals per second of the measured jobs. */
  rate: number;
  /** Jobs/s the capacity probe measured; none when `--rate` was given. */
  probedJobsPerSecond?: number;
  latencies: number[];
  /** Submit → first attempt started. */
  wait: LatencySummary;
  summary: LatencySummary & {
    jobsPerSecond: number;
    extraWorkPct: number;
    speculativeLaunches: number;
    speculativeWins: number;
    startedOnSlowWorkers: number;
  };
}

/** One run; without a `fixedRate` it probes the capacity after the warm-up and runs at `--load` of it. */
async function run(name: 'off' | 'on', seed: number, fixedRate: number | undefined): Promise<RunResult> {
  const jobDurations = durations(opts.jobs + WARM_UP, seed);
  const stack = await startLocalStack({
    stackName: `TailguardTail${name === 'on' ? 'On' : 'Off'}`,
    stateDir: `${stateDir}${name}/`,
    settings: {
      speculationBudget: String(name === 'on' ? opts.budget : 0),
      detectorIntervalSeconds: String(TAIL_LOOP.detectorIntervalMs / 1000),
      stragglerMinElapsedMs: String(TAIL_LOOP.stragglerMinElapsedMs),
      stragglerMinSamples: String(WARM_UP / 2),
    },
    workerArgs: [
      '--poll-wait-seconds',
      '1',
      '--concurrency',
      String(opts.concurrency),
      '--heartbeat-seconds',
      String(TAIL_LOOP.heartbeatMs / 1000),
      '--lease-seconds',
      '5',
      '--report-seconds',
      String(TAIL_LOOP.reportMs / 1000),
    ],
    // A fixed fleet, as the simulator's: a worker the detector adds would run none of the workload's
    // slowdowns (they are the fleet's flags), and its slot-seconds would count nowhere.
    extraWorkers: 0,
    log: () => undefined,
  });
  try {
    // Off means no latency-aware scheduling at all: no backups, and no probation for slow workers.
    const probation = name === 'on' ? [] : ['--probation-speed', '0'];
    for (let i = 0; i < opts.workers; i++) {
      stack.pool.start('cpu', [...probation, ...workload.workerArgs(i), '--fault-seed', String(seed * 100 + i)]);
    }
    const { client, dynamodb } = deploymentClients(stack.deployment);
    const submit = (ms: number) => client.submit({ type: 'sleep', payload: { ms } }).then((r) => r.body.id);

    const warm = await mapLimit(jobDurations.slice(0, WARM_UP), 8, submit);
    await finished(dynamodb, stack.deployment.jobsTable, warm, name, 'warm-up');

    const probedJobsPerSecond =
      fixedRate === undefined ? await probeCapacity(submit, dynamodb, stack.deployment.jobsTable, name) : undefined;
    const rate = fixedRate ?? Math.round(opts.load * probedJobsPerSecond! * 10) / 10;
    if (probedJobsPerSecond !== undefined)
      bars.log(`capacity probe: ${probedJobsPerSecond} jobs/s; arrivals at ${opts.load} of it, ${rate}/s\n`);

    // Open-loop arrivals at a fixed rate, as traffic arrives in production.
    const bar = bars.create(opts.jobs, 0, { run: `${name.padEnd(3)} seed ${seed}`, phase: 'submitted' });
    const started = Date.now();
    const ids = await mapLimit(jobDurations.slice(WARM_UP), 16, async (ms, i) => {
      const due = started + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      const id = await submit(ms);
      bar.increment();
      return id;
    });
    const jobs = await finished(dynamodb, stack.deployment.jobsTable, ids, name, 'finished ');
    // Every job record with its attempts, for digging into a run.
    writeFileSync(`${stateDir}${name}/jobs.json`, JSON.stringify(jobs));
    const failed = jobs.filter((job) => job.status !== 'SUCCEEDED');
    if (failed.length > 0) throw new Error(`${failed.length} jobs did not succeed in the ${name} run`);
    const latencies = jobs.map((job) => Date.parse(job.finishedAt!) - Date.parse(job.createdAt));
    const waits = jobs.map((job) => Date.parse(job.attemptLog[0]!.startedAt) - Date.parse(job.createdAt));
    const attempts = jobs.flatMap((job) => job.attemptLog.filter((a) => a.finishedAt));
    const seconds = (a: { startedAt: string; finishedAt?: string }) =>
      (Date.parse(a.finishedAt!) - Date.parse(a.startedAt)) / 1000;
    const total = attempts.reduce((sum, a) => sum + seconds(a), 0);
    const lost = attempts.filter((a) => a.outcome === 'superseded').reduce((sum, a) => sum + seconds(a), 0);
    const span =
      (Math.max(...jobs.map((j) => Date.parse(j.finishedAt!))) -
        Math.min(...jobs.map((j) => Date.parse(j.createdAt)))) /
      1000;
    return {
      rate,
      probedJobsPerSecond,
      latencies,
      wait: summarize(waits),
      summary: {
        ...summarize(latencies),
        jobsPerSecond: Math.round((jobs.length / span) * 10) / 10,
        extraWorkPct: Math.round((lost / total) * 1000) / 10,
        speculativeLaunches: attempts.filter((a) => a.speculative).length,
        speculativeWins: attempts.filter((a) => a.speculative && a.won).length,
        startedOnSlowWorkers: jobs.filter((job) => job.attemptLog[0]!.workerId.startsWith('slow-')).length,
      },
    };
  } finally {
    await stack.close();
  }
}

/**
 * Jobs/s this fleet completes when saturated, its faults included: a burst of the workload's jobs
 * (other draws than the measured ones) submitted at once, timed while the backlog lasts.
 */
async function probeCapacity(
  submit: (ms: number) => Promise<string>,
  dynamodb: DynamoDBClient,
  table: string,
  run: string,
): Promise<number> {
  const bar = bars.create(opts.probeJobs, 0, { run: run.padEnd(3), phase: 'probe sent' });
  const ids = await mapLimit(durations(opts.probeJobs, 11), 16, async (ms) => {
    const id = await submit(ms);
    bar.increment();
    return id;
  });
  const jobs = await finished(dynamodb, table, ids, run, 'probe done');
  return Math.round(steadyThroughput(jobs.map((job) => Date.parse(job.finishedAt!))) * 10) / 10;
}

function finished(dynamodb: DynamoDBClient, table: string, ids: string[], run: string, phase: string): Promise<Job[]> {
  const bar = bars.create(ids.length, 0, { run: run.padEnd(3), phase });
  return waitForJobs(dynamodb, table, ids, { label: `${run} ${phase}`, onProgress: (n) => bar.update(n) });
}

const seedRuns: { seed: number; off: RunResult; on: RunResult }[] = [];
let rate = opts.rate;
for (const seed of seeds) {
  const off = await run('off', seed, rate);
  // Every run at the same arrivals: the rate the first off stack's probe gave (or --rate).
  rate ??= off.rate;
  seedRuns.push({ seed, off, on: await run('on', seed, rate) });
}
bars.stop();
const first = seedRuns[0]!.off;
const arrivalRate = first.rate;

/** Runs of the simulator's twin of this workload per prediction, and jobs per run (as the suite). */
const SIM_SEEDS = 10;
const SIM_JOBS = 20_000;

/** The simulator's p99s, off and on (Tailguard's defaults), for the twin workload at the real runs' arrival rate. */
async function simulate(name: string, ratePerSecond: number) {
  if (!allWorkloads().some((w) => w.name === name)) return undefined;
  const bySeed: Awaited<ReturnType<typeof runSeed>>[] = [];
  for (let seed = 1; seed <= SIM_SEEDS; seed++)
    bySeed.push(
      await runSeed({
        workload: name,
        ratePerSecond,
        seed,
        jobs: SIM_JOBS,
        warmUpJobs: 500,
        policies: ['off', 'tailguard'],
        handlerSlowdowns: true,
      }),
    );
  const p99Of = (policy: string) => {
    const { p99, p99Ci } = policyResult(bySeed.map((s) => s[policy]!));
    return { p99, p99Ci };
  };
  return {
    workload: name,
    ratePerSecond,
    seeds: SIM_SEEDS,
    jobsPerRun: SIM_JOBS,
    off: p99Of('off'),
    on: p99Of('tailguard'),
  };
}
const simulated = await simulate(workload.simulatorTwin, arrivalRate);

const pick = (r: RunResult) => {
  const { p50, p95, p99, max, jobsPerSecond, extraWorkPct } = r.summary;
  return { p50, p95, p99, max, jobsPerSecond, extraWorkPct };
};
const medianP99 = (which: 'off' | 'on') => median(seedRuns.map((r) => r[which].summary.p99));
const round2 = (value: number) => Math.round(value * 100) / 100;
const arrivalFlags =
  opts.rate === undefined ? `--load ${opts.load} --probe-jobs ${opts.probeJobs}` : `--rate ${opts.rate}`;
const seedFlags = opts.seeds ? `--seeds ${seeds.join(',')}` : `--seed ${opts.seed}`;
const command = `npm run bench:tail -- ${workload.flags} --jobs ${opts.jobs} ${arrivalFlags} --workers ${opts.workers} --concurrency ${opts.concurrency} --budget ${opts.budget} --median-ms ${opts.medianMs} --sigma ${opts.sigma} ${seedFlags}`;
const persistent = workload.name === 'persistent';
const results = {
  runs: seedRuns.map(({ seed, off, on }) => ({
    seed,
    off: pick(off),
    on: pick(on),
    queueWait: { off: off.wait, on: on.wait },
    speculativeLaunches: on.summary.speculativeLaunches,
    speculativeWins: on.summary.speculativeWins,
    startedOnSlowWorkers: persistent
      ? { off: off.summary.startedOnSlowWorkers, on: on.summary.startedOnSlowWorkers }
      : undefined,
  })),
  median: { off: { p99: medianP99('off') }, on: { p99: medianP99('on') } },
  simulated,
  /** The median real \`on\` p99 ÷ the simulator's. */
  onVsSimulated: simulated ? round2(medianP99('on') / simulated.on.p99) : undefined,
  workload: {
    name: workload.name,
    command,
    jobs: opts.jobs,
    warmUpJobs: WARM_UP,
    seeds,
    type: 'sleep',
    durations: `log-normal, median ${opts.medianMs} ms, sigma ${opts.sigma}, clamped to 100–${10 * opts.medianMs} ms`,
    capacityProbe:
      first.probedJobsPerSecond === undefined
        ? undefined
        : { jobs: opts.probeJobs, jobsPerSecond: first.probedJobsPerSecond, load: opts.load },
    arrivalsPerSecond: arrivalRate,
    workers: opts.workers,
    ...workload.parameters,
    concurrencyPerWorker: opts.concurrency,
    speculationBudget: opts.budget,
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  },
};
mkdirSync(resultsDir, { recursive: true });
writeFileSync(`${resultsDir}${workload.stem}.json`, `${JSON.stringify(results, null, 2)}\n`);
const pooled = (which: 'off' | 'on') => seedRuns.flatMap((r) => r[which].latencies);
await renderPng(
  latencyCdfSpec(
    `Job latency (submit → success), ${workload.shortFaults}${seeds.length > 1 ? `, ${seeds.length} seeds pooled` : ''}`,
    cdfPoints({ 'speculation off': pooled('off'), 'speculation on': pooled('on') }),
  ),
  `${resultsDir}${workload.stem}-latency-cdf.png`,
);
const ratio = (a: number, b: number) => Math.round((a / b) * 10) / 10;
const arrivals =
  first.probedJobsPerSecond === undefined
    ? `${arrivalRate}/s (\`--rate\`)`
    : `${arrivalRate}/s: ${opts.load} of the ${first.probedJobsPerSecond} jobs/s the first off stack completed, faults included, in a capacity probe (a burst of ${opts.probeJobs} jobs after its warm-up, timed over the middle 60 % of finishes); every run at that rate`;
const slowStarts = persistent
  ? ` Jobs whose first attempt ran on a slow worker (off / on, probation): ${seedRuns.map((r) => `${r.off.summary.startedOnSlowWorkers} / ${r.on.summary.startedOnSlowWorkers}`).join('; ')}.`
  : '';
const sigmaNote = persistent
  ? `

Why σ = ${opts.sigma}: no scheduler can make an intrinsically long job short, so the spread of job sizes is a floor under p99 with speculation — here p99 ≈ ${Math.round(Math.exp(opts.sigma * 2.326) * 10) / 10} × median, a realistic spread for one job type. With σ = 0.5 (p99 = 3.2 × median) the floor alone is within 3× of the slow-host p99, so the ratio measures the workload more than the scheduler; that run (\`--sigma 0.5\`) is in docs/speculation.md.`
  : '';
const prediction = simulated
  ? `

The simulator's twin (\`${simulated.workload}\`, bench/sim: the same fleet and faults, Tailguard's own policy code on a virtual clock, ${simulated.seeds} seeds × ${simulated.jobsPerRun.toLocaleString('en')} jobs) at the same ${arrivalRate} arrivals/s predicts p99 ${simulated.off.p99} ms off [${simulated.off.p99Ci.join('–')}] and **${simulated.on.p99} ms on** [${simulated.on.p99Ci.join('–')}] (95 % intervals over its seeds). The median real \`on\` p99 is **${results.onVsSimulated}×** the prediction (the emulator adds its own SQS and DynamoDB round trips to every start and finish, which the simulator leaves out).`
  : '';
const row = (label: string, off: { p50?: number; p99: number }, on: { p50?: number; p99: number }, extra: string) => [
  label,
  off.p50 ?? '–',
  off.p99,
  on.p50 ?? '–',
  on.p99,
  ratio(off.p99, on.p99),
  extra,
];
writeBenchmarkSection(
  workload.stem,
  `## Tail latency, ${workload.title}: speculation off vs on

Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}; ${results.workload.machine.cpus} cores, ${results.workload.machine.memoryGiB} GiB, Node ${results.workload.machine.node}, MiniStack; each seed runs off then on in one invocation, the same jobs in the same order and the same injected faults).

Workload: ${opts.jobs} measured \`sleep\` jobs per run (after ${WARM_UP} warm-up jobs), durations ${results.workload.durations}, arriving at ${arrivals}; ${opts.workers} cpu workers × ${opts.concurrency} slots, ${workload.faults}; a fixed fleet, as the simulator's (the detector may add no worker). Detector pass every ${TAIL_LOOP.detectorIntervalMs / 1000} s, heartbeats every ${TAIL_LOOP.heartbeatMs / 1000} s, worker reports every ${TAIL_LOOP.reportMs / 1000} s (\`bench/lib/tail-loop.ts\`, shared with the simulator's twin).
*Off* is no latency-aware scheduling (speculation budget 0, \`--probation-speed 0\`); *on* is the defaults: backups within a budget of ${opts.budget * 100} % of running attempts, probation for workers measured slow, and at once for a worker whose running attempts pace far below their type.

${markdownTable(
  ['seed', 'off p50 ms', 'off p99 ms', 'on p50 ms', 'on p99 ms', 'p99 off ÷ on', 'on: extra work %, backups (won)'],
  [
    ...seedRuns.map(({ seed, off, on }) =>
      row(
        String(seed),
        off.summary,
        on.summary,
        `${on.summary.extraWorkPct} %, ${on.summary.speculativeLaunches} (${on.summary.speculativeWins})`,
      ),
    ),
    ...(seedRuns.length > 1
      ? [row(`median of ${seedRuns.length}`, { p99: medianP99('off') }, { p99: medianP99('on') }, '')]
      : []),
    ...(simulated ? [row('simulator', { p99: simulated.off.p99 }, { p99: simulated.on.p99 }, '')] : []),
  ],
)}

Median p99 is **${ratio(medianP99('off'), medianP99('on'))}×** lower with speculation.${slowStarts}${sigmaNote}${prediction}

![Latency CDF, speculation off vs on](bench/results/${workload.stem}-latency-cdf.png)

Raw figures, per seed with queue waits: \`bench/results/${workload.stem}.json\`.`,
);
console.log(JSON.stringify(results, null, 2));

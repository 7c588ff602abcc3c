#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:workflows`: how fast a workflow moves on once its parents are done, and what it
 * costs, on the local stack (issue #25, item 6). Four measures on one stack and the same workers:
 * a `split` fan-out of `--children` `square` children and its `sum` join, `--repeats` times (the
 * join's start minus its last child's finish); `--dags` diamonds a → (b, c) → d submitted at once
 * (each dependent's start minus its last parent's finish); the same jobs submitted flat through
 * POST /jobs/batch (jobs/s beside the workflows'); and the workers' requests and write units per
 * step, counted by the request trace, beside a flat job's.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { z } from 'zod';
import { deploymentClients } from '../local/deployment-clients.ts';
import { startLocalStack } from '../local/local-stack.ts';
import type { TailguardClient } from '../src/client/tailguard-client.ts';
import { queueAddress } from '../src/jobs/dispatch/index.ts';
import type { JobRequestInput } from '../src/jobs/intake/index.ts';
import { type Job, queueKey } from '../src/jobs/model/index.ts';
import { childStepName, stepJobId, type WorkflowItem, WorkflowStore } from '../src/jobs/workflows/index.ts';
import { mapLimit } from '../test/helpers/map-limit.ts';
import { waitForJobs } from '../test/helpers/wait-for-jobs.ts';
import { AWS_PRICES, perMillionUsd } from './lib/aws-prices.ts';
import { cdfPoints, latencyCdfSpec, renderPng } from './lib/chart.ts';
import { cpuSnapshot, cpuSpent, stackProcessGroups } from './lib/cpu-time.ts';
import { type LatencySummary, round, summarize } from './lib/latency.ts';
import { numberOption, sharedOptions } from './lib/options.ts';
import { progressBar } from './lib/progress.ts';
import { describeMachine, machineInfo, markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { type RequestUsage, requestTotals, tracedWorkerCommand, usageBetween } from './lib/request-trace.ts';
import { submitInBatches } from './lib/submit-batches.ts';
import { perUnit, stepUsage, type WorkflowShape, workflowIntakeEstimate } from './lib/workflow-cost.ts';
import { DIAMOND, dependentStarts, firstStartMs, jobsPerSecond, joinTiming, waitingAt } from './lib/workflow-timing.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const stateDir = fileURLToPath(new URL('../.tailguard/bench-workflows/', import.meta.url));
const resultsFile = `${resultsDir}workflows.json`;
const costFile = `${resultsDir}cost.json`;
const pictureFile = 'workflows-start-latency-cdf.png';
/** Issue #25's bound: a join starts within 1 s of its last child's finish (p99). */
const JOIN_P99_BOUND_MS = 1000;
const SPLIT = 'split';
/** What the `workflow` row reads of cost.json (request-count.test.ts's estimates and its single job's log bytes). */
const CostSchema = z.object({
  usagePerJob: z.object({ single: z.object({ logBytes: z.number() }) }),
  estimates: z.object({ submitGbSeconds: z.number(), lambdaLogBytesPerInvocation: z.number() }),
});

const opts = new Command()
  .name('bench:workflows')
  .description('Workflows: a join’s start after its last child, dependents’ starts, throughput vs flat, cost per step')
  .addOption(numberOption('--children <n>', 'square children of each split fan-out', 1000))
  .addOption(numberOption('--repeats <n>', 'split fan-outs, one after another', 3))
  .addOption(numberOption('--dags <n>', 'diamond workflows a → (b, c) → d submitted at once', 200))
  .addOption(numberOption('--submit-concurrency <n>', 'POST /workflows in flight at most', 8))
  .addOption(sharedOptions.workers())
  .addOption(sharedOptions.workerConcurrency())
  .addOption(sharedOptions.batchSize())
  .addOption(sharedOptions.batchConcurrency())
  .addOption(sharedOptions.note())
  .option(
    '--append',
    'keep the runs already in bench/results/workflows.json and add this one: the section reports each',
  )
  .option('--report-only', 'rewrite the BENCHMARKS.md section from bench/results/workflows.json, without running')
  .parse()
  .opts<{
    children: number;
    repeats: number;
    dags: number;
    submitConcurrency: number;
    workers: number;
    workerConcurrency: number;
    batchSize: number;
    batchConcurrency: number;
    note?: string;
    append?: boolean;
    reportOnly?: boolean;
  }>();

const log = (line: string) => console.error(`[bench] ${line}`);
const traceDir = `${stateDir}requests`;

if (opts.reportOnly) {
  const { runs }: Results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  writeCostRow(runs.at(-1)!);
  writeBenchmarkSection('workflows', report(runs));
} else await measure();

/** The two workflows' shapes: a split of `children` (one declared step, the rest spawned) and a diamond. */
function shapesOf(children: number): Record<'fanOut' | 'diamond', WorkflowShape> {
  return {
    fanOut: { steps: children + 2, declared: 1, roots: 1 },
    diamond: { steps: DIAMOND.length, declared: DIAMOND.length, roots: 1 },
  };
}

/** Everything on a freshly deployed local stack; writes the results, the picture, the cost row and the section. */
async function measure(): Promise<void> {
  const tracedWorker = tracedWorkerCommand(traceDir);
  const stack = await startLocalStack({
    stackName: 'TailguardWorkflows',
    stateDir,
    workerArgs: ['--poll-wait-seconds', '1', '--concurrency', String(opts.workerConcurrency)],
    workerCommands: { cpu: tracedWorker, gpu: tracedWorker },
    log,
  });
  try {
    const { deployment, pool } = stack;
    const { client, dynamodb, sqs } = deploymentClients(deployment);
    // On an emulator that outlived an earlier run, that run's jobs would still be queued.
    await sqs.send(
      new PurgeQueueCommand({ QueueUrl: queueAddress(deployment.queues, queueKey('cpu', 'default')).url }),
    );
    for (let i = 0; i < opts.workers; i++) pool.start('cpu');
    const workflows = new WorkflowStore(DynamoDBDocumentClient.from(dynamodb), deployment.jobsTable);
    const bench: Bench = { client, dynamodb, table: deployment.jobsTable, workflows };

    // Warm-up: the intake Lambdas cold-start, the workers come up and take every path once; not measured.
    await runFanOut(bench, 2, 'warm-up');
    await runFlat(bench, [{ type: 'square', payload: { x: 1 } }], 'warm-up');

    const fanOut = await measured(async () => {
      const runs = [];
      for (let k = 1; k <= opts.repeats; k++)
        runs.push(await runFanOut(bench, opts.children, `fan-out ${k}/${opts.repeats}`));
      return runs;
    });
    const fanOutFlat = await measured(() =>
      runFlat(
        bench,
        Array.from({ length: opts.children }, (_, x) => ({ type: 'square', payload: { x } })),
        'fan-out flat',
      ),
    );
    const dags = await measured(() => runDiamonds(bench));
    const dagsByLevel = await measured(() => runLevels(bench));
    const dagsFlat = await measured(() =>
      runFlat(
        bench,
        Array.from({ length: opts.dags * DIAMOND.length }, () => ({ type: 'noop' })),
        'diamonds flat',
      ),
    );

    const { fanOut: fanOutShape, diamond: diamondShape } = shapesOf(opts.children);
    const usage = {
      fanOutPerStep: perUnit(fanOut.usage, opts.repeats * fanOutShape.steps),
      diamondPerStep: perUnit(dags.usage, opts.dags * diamondShape.steps),
      flatFanOutPerJob: perUnit(fanOutFlat.usage, opts.children),
      flatDiamondsPerJob: perUnit(dagsFlat.usage, opts.dags * DIAMOND.length),
      levelsPerJob: perUnit(dagsByLevel.usage, dagsByLevel.value.jobs),
    };
    const joins = fanOut.value.map((run) => run.join);
    const joinLatency = summarize(joins.map((j) => j.latencyMs));
    const profileOf = (phase: { profile: Omit<PhaseProfile, 'jobs'> }, jobs: number): PhaseProfile => ({
      jobs,
      ...phase.profile,
    });
    const run: Run = {
      command: `npm run bench:workflows -- --children ${opts.children} --repeats ${opts.repeats} --dags ${opts.dags} --submit-concurrency ${opts.submitConcurrency} --workers ${opts.workers} --worker-concurrency ${opts.workerConcurrency} --batch-size ${opts.batchSize} --batch-concurrency ${opts.batchConcurrency}`,
      ...(opts.note && { note: opts.note }),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
      machine: machineInfo(stack.emulator.kind),
      workload: {
        children: opts.children,
        repeats: opts.repeats,
        dags: opts.dags,
        submitConcurrency: opts.submitConcurrency,
        workers: { cpu: opts.workers, concurrency: opts.workerConcurrency },
        flatBatch: { size: opts.batchSize, concurrency: opts.batchConcurrency },
      },
      fanOut: {
        runs: fanOut.value,
        joinLatencyMs: joinLatency,
        advanceMs: summarize(joins.map((j) => j.advanceMs)),
        pickupMs: summarize(joins.map((j) => j.pickupMs)),
      },
      diamonds: dags.value.summary,
      flat: { fanOut: fanOutFlat.value.summary, diamonds: dagsFlat.value.summary },
      diamondsByLevel: dagsByLevel.value,
      profile: {
        fanOut: profileOf(fanOut, opts.repeats * (opts.children + 2)),
        fanOutFlat: profileOf(fanOutFlat, opts.children),
        diamonds: profileOf(dags, dags.value.summary.jobs),
        diamondsByLevel: profileOf(dagsByLevel, dagsByLevel.value.jobs),
        diamondsFlat: profileOf(dagsFlat, opts.dags * DIAMOND.length),
      },
      usage,
      checks: { joinP99BoundMs: JOIN_P99_BOUND_MS, joinP99WithinBound: joinLatency.p99 <= JOIN_P99_BOUND_MS },
    };
    const earlier: Run[] = opts.append ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Results).runs : [];
    const runs = [...earlier.filter((e) => e.command === run.command), run];
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify({ runs } satisfies Results, null, 2)}\n`);
    writeCostRow(run);
    await renderPng(
      latencyCdfSpec(
        'Start after the last parent’s finish (a flat job: after its submit)',
        cdfPoints({
          // Log scale: a start in the same millisecond as its parent's finish is drawn at 1 ms.
          'diamond b, c': dags.value.waits.edge.map((ms) => Math.max(1, ms)),
          'diamond d': dags.value.waits.join.map((ms) => Math.max(1, ms)),
          'b, c, d: job made': dags.value.waits.advance.map((ms) => Math.max(1, ms)),
          'fan-out join': joins.map((j) => Math.max(1, j.latencyMs)),
          'flat: queue wait': dagsFlat.value.queueWaits.map((ms) => Math.max(1, ms)),
        }),
      ),
      `${resultsDir}${pictureFile}`,
    );
    writeBenchmarkSection('workflows', report(runs));
    console.log(JSON.stringify(run, null, 2));
  } finally {
    await stack.close();
  }
}

interface Bench {
  client: TailguardClient;
  dynamodb: DynamoDBClient;
  table: string;
  workflows: WorkflowStore;
}

/**
 * Runs `phase` and counts the workers' requests and units while it ran (idle polls included), its
 * wall time and the CPU seconds the emulator, the Lambda runtimes and the workers spent meanwhile.
 */
async function measured<T>(
  phase: () => Promise<T>,
): Promise<{ value: T; usage: RequestUsage; profile: Omit<PhaseProfile, 'jobs'> }> {
  const before = requestTotals(traceDir);
  const cpuBefore = cpuSnapshot(stackProcessGroups);
  const started = performance.now();
  const value = await phase();
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSpent(cpuBefore, cpuSnapshot(stackProcessGroups));
  // The workers write their totals each second: let the last of this phase's land.
  await sleep(1100);
  return {
    value,
    usage: usageBetween(before, requestTotals(traceDir)),
    profile: {
      seconds: round(seconds),
      cpuSeconds: {
        emulator: round(cpu.emulator ?? 0),
        lambda: round(cpu.lambda ?? 0),
        workers: round(cpu.workers ?? 0),
      },
    },
  };
}

/**
 * One `split` workflow of `n` children: submitted, watched through its join's count of finished
 * children (two reads a second, not the 1,000 jobs), then read back once it ended.
 */
async function runFanOut(bench: Bench, n: number, label: string) {
  const submittedAt = Date.now();
  const { id } = await bench.client.submitWorkflow({ steps: [{ name: SPLIT, type: 'split', payload: { n } }] });
  const joinName = `${SPLIT}.join`;
  const bar = progressBar(`${label} |{bar}| {value}/{total} children done`);
  bar.start(n, 0);
  let workflow: WorkflowItem | undefined;
  try {
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const [item, join] = await Promise.all([bench.workflows.getWorkflow(id), bench.workflows.getStep(id, joinName)]);
      bar.update(join?.finishedParents?.size ?? 0);
      if (item && item.status !== 'RUNNING') {
        workflow = item;
        break;
      }
      if (Date.now() > deadline) throw new Error(`${label}: workflow ${id} still running after 30 minutes`);
      await sleep(1000);
    }
  } finally {
    bar.stop();
  }
  if (workflow.status !== 'SUCCEEDED') throw new Error(`${label}: workflow ${id} ended ${workflow.status}`);
  const view = await bench.client.getWorkflow(id);
  const listed = view.steps.filter((step) => step.spawnedBy === SPLIT && step.name !== joinName);
  if (listed.length !== n || listed.some((step) => step.status !== 'SUCCEEDED'))
    throw new Error(`${label}: GET /workflows/${id} lists ${listed.length} children, not ${n} succeeded ones`);
  const childIds = Array.from({ length: n }, (_, i) => stepJobId(id, childStepName(SPLIT, i)));
  const [children, [split, join]] = await Promise.all([
    readJobs(bench, childIds, `${label} children`),
    readJobs(bench, [stepJobId(id, SPLIT), stepJobId(id, joinName)], `${label} split and join`),
  ]);
  const total = (JSON.parse(join!.result ?? '{}') as { total?: number }).total;
  const expectedTotal = ((n - 1) * n * (2 * n - 1)) / 6;
  if (total !== expectedTotal) throw new Error(`${label}: the join's total is ${total}, not ${expectedTotal}`);
  const timing = joinTiming(children, join!);
  const finishes = [split!, ...children, join!].map((job) => Date.parse(job.finishedAt!));
  return {
    workflowId: id,
    children: n,
    total,
    joinAttempts: join!.attempts,
    join: {
      latencyMs: timing.latencyMs,
      advanceMs: timing.advanceMs,
      pickupMs: timing.pickupMs,
    },
    /** The split's finish → its last child made: the expansion of the spawn, 16 starts at a time. */
    expandSeconds: round(
      (Math.max(...children.map((c) => Date.parse(c.createdAt))) - Date.parse(split!.finishedAt!)) / 1000,
    ),
    /** Each child made → started: near 0 when the workers wait for the expansion, long when it outruns them. */
    childQueueWaitMs: summarize(children.map((c) => firstStartMs(c) - Date.parse(c.createdAt))),
    /** The last child's finish → the join's (its run: reading 1,000 children's results). */
    joinRunMs: Date.parse(join!.finishedAt!) - Date.parse(timing.lastChildFinishedAt),
    seconds: round((Math.max(...finishes) - submittedAt) / 1000),
    jobsPerSecond: round(jobsPerSecond(n + 2, submittedAt, finishes)),
  };
}

/** `--dags` diamonds at once, each a workflow of four noop steps; every dependent's start after its parents. */
async function runDiamonds(bench: Bench) {
  const submitBar = progressBar(`diamonds submit |{bar}| {value}/{total} workflows`);
  submitBar.start(opts.dags, 0);
  const submittedAt = Date.now();
  const ids = await mapLimit(
    Array.from({ length: opts.dags }, (_, i) => i),
    opts.submitConcurrency,
    async () => {
      const { id } = await bench.client.submitWorkflow({
        steps: DIAMOND.map(({ name, dependsOn }) => ({ name, type: 'noop', dependsOn })),
      });
      submitBar.increment();
      return id;
    },
  );
  submitBar.stop();
  const submitSeconds = round((Date.now() - submittedAt) / 1000);
  const jobIds = ids.flatMap((id) => DIAMOND.map((step) => stepJobId(id, step.name)));
  // A step's job exists once it starts: every id read back means every step ran.
  const jobs = new Map((await readJobs(bench, jobIds, 'diamonds')).map((job) => [job.id, job]));
  const failed = [...jobs.values()].filter((job) => job.status !== 'SUCCEEDED');
  if (failed.length > 0) throw new Error(`diamonds: ${failed.length} steps did not succeed`);
  const jobOf = (id: string, step: string) => jobs.get(stepJobId(id, step))!;
  const starts = ids.flatMap((id) =>
    dependentStarts(DIAMOND, (step) => jobOf(id, step)).map((start) => ({
      ...start,
      waitingAhead: waitingAt([...jobs.values()], Date.parse(jobOf(id, start.step).createdAt)) - 1,
    })),
  );
  const edge = starts.filter((s) => s.parents === 1);
  const join = starts.filter((s) => s.parents > 1);
  const byKind = (pick: (s: (typeof starts)[number]) => number) => ({
    edge: summarize(edge.map(pick)),
    join: summarize(join.map(pick)),
    all: summarize(starts.map(pick)),
  });
  const finishes = [...jobs.values()].map((job) => Date.parse(job.finishedAt!));
  return {
    waits: {
      edge: edge.map((s) => s.waitMs),
      join: join.map((s) => s.waitMs),
      advance: starts.map((s) => s.advanceMs),
    },
    summary: {
      workflows: opts.dags,
      jobs: jobs.size,
      submitSeconds,
      /** b and c after a; d after the later of b and c; all of them: its job made (the advance alone). */
      advanceAfterParentsMs: byKind((s) => s.advanceMs),
      /** The same, to its start: the advance, then the queue wait and the claim. */
      startAfterParentsMs: byKind((s) => s.waitMs),
      /** The diamonds' jobs made and not started when a dependent's job was made: the queue it waits behind. */
      waitingAheadAtCreation: summarize(starts.map((s) => s.waitingAhead)),
      /** Diamonds whose d started before both b and c had finished: none, or the join rule is broken. */
      dBeforeParents: join.filter((s) => s.waitMs < 0).length,
      seconds: round((Math.max(...finishes) - submittedAt) / 1000),
      jobsPerSecond: round(jobsPerSecond(jobs.size, submittedAt, finishes)),
    },
  };
}

/** The same jobs without a workflow, through POST /jobs/batch: the throughput and queue wait to compare with. */
async function runFlat(bench: Bench, requests: JobRequestInput[], label: string) {
  const submitBar = progressBar(`${label} submit |{bar}| {value}/{total} jobs`);
  submitBar.start(requests.length, 0);
  const submittedAt = Date.now();
  const { ids } = await submitInBatches(bench.client, requests, {
    size: opts.batchSize,
    parallel: opts.batchConcurrency,
    onSubmitted: (n) => submitBar.increment(n),
  });
  submitBar.stop();
  const submitSeconds = round((Date.now() - submittedAt) / 1000);
  const jobs = await readJobs(bench, ids, label);
  const failed = jobs.filter((job) => job.status !== 'SUCCEEDED');
  if (failed.length > 0) throw new Error(`${label}: ${failed.length} jobs did not succeed`);
  const queueWaits = jobs.map((job) => firstStartMs(job) - Date.parse(job.createdAt));
  const finishes = jobs.map((job) => Date.parse(job.finishedAt!));
  return {
    queueWaits,
    submittedAt,
    finishes,
    summary: {
      jobs: jobs.length,
      submitSeconds,
      /** createdAt → first start: the wait any job has before a worker claims it. */
      queueWaitMs: summarize(queueWaits),
      seconds: round((Math.max(...finishes) - submittedAt) / 1000),
      jobsPerSecond: round(jobsPerSecond(jobs.length, submittedAt, finishes)),
    },
  };
}

/**
 * The diamonds' jobs without a workflow, each level submitted flat by this client once the one
 * before has finished (every a, then every b and c, then every d): what a client that orders the
 * same jobs itself gets, the reference for the workflows that order them.
 */
async function runLevels(bench: Bench) {
  const depth = new Map<string, number>();
  for (const step of DIAMOND) depth.set(step.name, Math.max(-1, ...step.dependsOn.map((p) => depth.get(p)!)) + 1);
  const levels = Math.max(...depth.values()) + 1;
  const runs = [];
  for (let level = 0; level < levels; level++) {
    const steps = DIAMOND.filter((step) => depth.get(step.name) === level);
    const requests = Array.from({ length: opts.dags * steps.length }, () => ({ type: 'noop' }));
    runs.push(await runFlat(bench, requests, `diamonds by level ${level + 1}/${levels}`));
  }
  const jobs = runs.reduce((sum, run) => sum + run.summary.jobs, 0);
  return {
    jobs,
    levelSeconds: runs.map((run) => run.summary.seconds),
    seconds: round((Math.max(...runs.flatMap((run) => run.finishes)) - runs[0]!.submittedAt) / 1000),
    jobsPerSecond: round(
      jobsPerSecond(
        jobs,
        runs[0]!.submittedAt,
        runs.flatMap((run) => run.finishes),
      ),
    ),
  };
}

/** The jobs once each has finished, with a progress bar. */
function readJobs(bench: Bench, ids: readonly string[], label: string): Promise<Job[]> {
  const bar = progressBar(`${label} |{bar}| {value}/{total} jobs finished`);
  bar.start(ids.length, 0);
  return waitForJobs(bench.dynamodb, bench.table, ids, {
    label,
    timeoutMs: 30 * 60_000,
    onProgress: (n) => bar.update(n),
  }).finally(() => bar.stop());
}

type Usage = {
  fanOutPerStep: RequestUsage;
  diamondPerStep: RequestUsage;
  flatFanOutPerJob: RequestUsage;
  flatDiamondsPerJob: RequestUsage;
  levelsPerJob: RequestUsage;
};

/**
 * cost.json's `workflow` row (request-count.test.ts writes the rest and keeps this one): per step,
 * the workers' requests and units counted here, the intake's estimated, priced like a job.
 * `--report-only` rewrites it from the results too.
 */
function writeCostRow({ usage, workload }: Pick<Run, 'usage' | 'workload'>): void {
  const shapes = shapesOf(workload.children);
  const current = JSON.parse(readFileSync(costFile, 'utf8')) as object;
  const cost = CostSchema.parse(current);
  const estimates = {
    submitGbSeconds: cost.estimates.submitGbSeconds,
    lambdaLogBytesPerInvocation: cost.estimates.lambdaLogBytesPerInvocation,
    // A step's worker prints what a job's does: the single job's counted bytes less its invocation's estimate.
    workerLogBytesPerJob: cost.usagePerJob.single.logBytes - cost.estimates.lambdaLogBytesPerInvocation,
  };
  const usagePerStep = {
    fanOut: stepUsage(usage.fanOutPerStep, shapes.fanOut, estimates),
    diamond: stepUsage(usage.diamondPerStep, shapes.diamond, estimates),
  };
  const workflow = {
    measuredBy:
      'bench/workflows.ts (npm run bench:workflows), its last run in bench/results/workflows.json, on the emulator: the workers’ requests and DynamoDB units counted by bench/lib/request-trace.ts; POST /workflows (a Lambda) estimated from its code path (bench/lib/workflow-cost.ts)',
    shapes,
    requestsPerStep: {
      fanOut: usage.fanOutPerStep.requests,
      diamond: usage.diamondPerStep.requests,
    },
    writeUnitsPerStep: {
      fanOut: usagePerStep.fanOut.dynamoDbWriteUnits,
      diamond: usagePerStep.diamond.dynamoDbWriteUnits,
    },
    readUnitsPerStep: {
      fanOut: usagePerStep.fanOut.dynamoDbReadUnits,
      diamond: usagePerStep.diamond.dynamoDbReadUnits,
    },
    usagePerStep,
    // Per million steps, behind the HTTP API as the rows above.
    perMillionUsd: {
      fanOut: perMillionUsd(usagePerStep.fanOut, 'http'),
      diamond: perMillionUsd(usagePerStep.diamond, 'http'),
    },
    intakeEstimatePerWorkflow: {
      fanOut: workflowIntakeEstimate(shapes.fanOut),
      diamond: workflowIntakeEstimate(shapes.diamond),
    },
    pricesAsOf: AWS_PRICES.asOf,
  };
  // The file as it was (its keys in their order), the row added or replaced.
  writeFileSync(costFile, `${JSON.stringify({ ...current, workflow }, null, 2)}\n`);
}

interface FanOutRun {
  workflowId: string;
  children: number;
  total: number;
  joinAttempts: number;
  join: { latencyMs: number; advanceMs: number; pickupMs: number };
  expandSeconds: number;
  childQueueWaitMs: LatencySummary;
  joinRunMs: number;
  seconds: number;
  jobsPerSecond: number;
}

/** One phase's wall time and the CPU seconds the stack's processes spent in it. */
interface PhaseProfile {
  jobs: number;
  seconds: number;
  cpuSeconds: { emulator: number; lambda: number; workers: number };
}

interface FlatSummary {
  jobs: number;
  submitSeconds: number;
  queueWaitMs: LatencySummary;
  seconds: number;
  jobsPerSecond: number;
}

/** bench/results/workflows.json: the runs of one command (`--append` adds one). */
interface Results {
  runs: Run[];
}

interface Run {
  command: string;
  note?: string;
  commit: string;
  machine: ReturnType<typeof machineInfo>;
  workload: {
    children: number;
    repeats: number;
    dags: number;
    submitConcurrency: number;
    workers: { cpu: number; concurrency: number };
    flatBatch: { size: number; concurrency: number };
  };
  fanOut: { runs: FanOutRun[]; joinLatencyMs: LatencySummary; advanceMs: LatencySummary; pickupMs: LatencySummary };
  diamonds: {
    workflows: number;
    jobs: number;
    submitSeconds: number;
    advanceAfterParentsMs: Record<'edge' | 'join' | 'all', LatencySummary>;
    startAfterParentsMs: Record<'edge' | 'join' | 'all', LatencySummary>;
    waitingAheadAtCreation: LatencySummary;
    dBeforeParents: number;
    seconds: number;
    jobsPerSecond: number;
  };
  flat: { fanOut: FlatSummary; diamonds: FlatSummary };
  diamondsByLevel: { jobs: number; levelSeconds: number[]; seconds: number; jobsPerSecond: number };
  profile: Record<'fanOut' | 'fanOutFlat' | 'diamonds' | 'diamondsByLevel' | 'diamondsFlat', PhaseProfile>;
  usage: Usage;
  checks: { joinP99BoundMs: number; joinP99WithinBound: boolean };
}

/** Where the slowest join's wait went, said plainly for the section: the advance or its start and pickup. */
function missedBecause(runs: FanOutRun[]): string {
  const worst = runs.reduce((a, b) => (b.join.latencyMs > a.join.latencyMs ? b : a));
  const { latencyMs, advanceMs, pickupMs } = worst.join;
  const where =
    advanceMs >= pickupMs
      ? 'mostly in the advance, in the worker that ran the last child: its settle and the advance’s writes queued behind the other children’s on the shared cores'
      : 'mostly between the join’s job being made and its claim: the send and the start transaction, then its message waiting for a poll or a free slot';
  return `the slowest join (${worst.workflowId}) started ${latencyMs} ms after its last child, ${advanceMs} ms of advance and ${pickupMs} ms of start + pickup: ${where} (a join the reaper's backstop had started would show an advance of minutes, its grace period).`;
}

/** Milliseconds of CPU a job, by group, and the share of the machine's cores the stack used, in a phase. */
function cpuRow(p: PhaseProfile, cpus: number) {
  const perJob = (seconds: number) => Math.round((seconds * 1000) / p.jobs);
  const { emulator, lambda, workers } = p.cpuSeconds;
  return {
    emulator: perJob(emulator),
    lambda: perJob(lambda),
    workers: perJob(workers),
    all: perJob(emulator + lambda + workers),
    busyPercent: Math.round(((emulator + lambda + workers) / p.seconds / cpus) * 100),
  };
}

function ratio(a: number, b: number): string {
  return `${Math.round((a / b) * 100)} %`;
}

function report(runs: Run[]): string {
  const r = runs.at(-1)!;
  const w = r.workload;
  const shapes = shapesOf(w.children);
  const intake = {
    fanOut: workflowIntakeEstimate(shapes.fanOut),
    diamond: workflowIntakeEstimate(shapes.diamond),
  };
  const label = (i: number) => (runs.length > 1 ? `run ${i + 1}: ` : '');
  const p50p99 = (s: LatencySummary) => [s.p50, s.p99];
  const median = (values: number[]) => summarize(values).p50;
  const joins = runs.flatMap((run) => run.fanOut.runs);
  const allJoins = summarize(joins.map((j) => j.join.latencyMs));
  const within = allJoins.p99 <= r.checks.joinP99BoundMs;
  const usageRow = (name: string, u: RequestUsage, per: string) => [
    name,
    per,
    u.requests,
    u.sqsRequests,
    u.writeUnits,
    u.readUnits,
    Object.entries(u.byOperation)
      .sort(([, a], [, b]) => b - a)
      .map(([op, n]) => `${op} ${n}`)
      .join(', '),
  ];
  const phases = (run: Run) =>
    [
      ['split fan-outs (workflows)', run.profile.fanOut, run.usage.fanOutPerStep, undefined],
      ['the same squares flat', run.profile.fanOutFlat, run.usage.flatFanOutPerJob, run.flat.fanOut.submitSeconds],
      ['diamonds (workflows)', run.profile.diamonds, run.usage.diamondPerStep, run.diamonds.submitSeconds],
      ['diamonds by level (client)', run.profile.diamondsByLevel, run.usage.levelsPerJob, undefined],
      ['the same noops flat', run.profile.diamondsFlat, run.usage.flatDiamondsPerJob, run.flat.diamonds.submitSeconds],
    ] as const;
  const slots = w.workers.cpu * w.workers.concurrency;
  const c = {
    fanOut: cpuRow(r.profile.fanOut, r.machine.cpus),
    fanOutFlat: cpuRow(r.profile.fanOutFlat, r.machine.cpus),
    diamonds: cpuRow(r.profile.diamonds, r.machine.cpus),
    diamondsFlat: cpuRow(r.profile.diamondsFlat, r.machine.cpus),
  };
  const d = r.diamonds;
  return `## Workflows: a join's start after its last child, dependents' starts, throughput, cost per step

Command: \`${r.command}\`, ${runs.length === 1 ? 'one run' : `${runs.length} runs`} at ${[...new Set(runs.map((run) => run.commit))].join(', ')} (${describeMachine(r.machine)}; everything — emulator, Lambdas,
workers, this bench — shares the cores)${r.note ? `. ${r.note}` : ''}.

On the local stack with ${w.workers.cpu} cpu worker processes of ${w.workers.concurrency} slots and fair dispatch at its
default (every job here is one tenant's, whose window is 16 jobs in flight: as many as the slots): ${w.repeats} \`split\` workflows of ${w.children.toLocaleString('en')} \`square\` children and a
\`sum\` join, one after another; then ${w.dags} diamonds a → (b, c) → d of \`noop\` steps submitted at once
(\`POST /workflows\`, ${w.submitConcurrency} in flight); then the same noops by level, a client submitting each level once the one before has finished;
then the same jobs flat (\`POST /jobs/batch\`, ${w.flatBatch.size} a call, ${w.flatBatch.concurrency} at once).
Every workflow ended \`SUCCEEDED\`, each \`sum\` with \`total\` = Σ x² (the bench fails otherwise).
A start is the job's first attempt's \`startedAt\` (its claim); a finish is its \`finishedAt\`; a job *made* is its \`createdAt\`.

### The join after its last child

${markdownTable(
  [
    'run',
    'children',
    'join attempts',
    'last child → join start ms',
    'of which advance ms',
    'of which start + pickup ms',
    'spawn expanded in s',
    'children made → started p50 ms',
    'last child → join end ms',
    'submit → end s',
    'jobs/s',
  ],
  runs.flatMap((run, k) =>
    run.fanOut.runs.map((f, i) => [
      `${label(k)}split ${i + 1}`,
      f.children,
      f.joinAttempts,
      f.join.latencyMs,
      f.join.advanceMs,
      f.join.pickupMs,
      f.expandSeconds,
      f.childQueueWaitMs.p50,
      f.joinRunMs,
      f.seconds,
      f.jobsPerSecond,
    ]),
  ),
)}

Join start minus last child's finish across the ${allJoins.count} joins: **p50 ${allJoins.p50} ms, p99 ${allJoins.p99} ms**
(with ${allJoins.count} samples the p99 is the largest)${runs.length > 1 ? `; by run, p50 / p99: ${runs.map((run) => `${run.fanOut.joinLatencyMs.p50} / ${run.fanOut.joinLatencyMs.p99}`).join(' and ')} ms` : ''}. Issue #25's bound, p99 ≤ ${r.checks.joinP99BoundMs} ms: **${within ? 'met' : 'NOT met'}**.
*Advance*: the last child's \`finishedAt\` → the join's job made: in the worker that ran that child,
its settle, then the step's end recorded, its item read and the \`ADD\` to the join's set that came back full.
*Start + pickup*: the job made → claimed: its message and check sent, the start transaction, the message waiting
for a worker's poll (\`--poll-wait-seconds 1\`), and the claim.${within ? '' : ` **The bound is missed**: ${missedBecause(joins)}`}

### Dependents in ${d.workflows} diamonds at once: the advance, and the queue

${markdownTable(
  [
    'dependent',
    'steps',
    '(a) last parent → job made: p50 ms',
    '(a) p99 ms',
    '(b) last parent → start: p50 ms',
    '(b) p99 ms',
    '(b) max ms',
  ],
  runs.flatMap((run, k) =>
    (
      [
        ['b, c: after a', 'edge'],
        ['d: after the later of b and c', 'join'],
        ['all', 'all'],
      ] as const
    ).map(([name, kind]) => [
      `${label(k)}${name}`,
      run.diamonds.startAfterParentsMs[kind].count,
      ...p50p99(run.diamonds.advanceAfterParentsMs[kind]),
      ...p50p99(run.diamonds.startAfterParentsMs[kind]),
      run.diamonds.startAfterParentsMs[kind].max,
    ]),
  ),
)}

**(a) is what the workflow adds**: the last parent's worker records its end, tells the dependent (a set \`ADD\`),
and makes the dependent's job (its window place, message and start transaction) — the same path as a join's advance.
**(b) adds the queue**: the dependent's job waits behind every job of its tenant made before it. When a
dependent's job was made, p50 ${runs.map((run) => run.diamonds.waitingAheadAtCreation.p50).join(' / ')} (p99 ${runs.map((run) => run.diamonds.waitingAheadAtCreation.p99).join(' / ')}) of the diamonds' jobs were made and not yet started
(the ${d.workflows} a's arrive at once, and b, c and d join the same queue behind them); with one tenant's window of 16 in flight
(= the ${w.workers.cpu} × ${w.workers.concurrency} slots) the rest wait \`HELD\` and start one per finish, at the phase's ~${d.jobsPerSecond} jobs/s: ${Math.round(d.waitingAheadAtCreation.p50)} jobs
ahead ÷ ${d.jobsPerSecond} jobs/s ≈ ${round(d.waitingAheadAtCreation.p50 / d.jobsPerSecond)} s, the order of (b)'s p50. A flat job waits the same way: its queue wait (made → start, ${r.flat.diamonds.jobs}
noops through the batch route) is p50 ${runs.map((run) => run.flat.diamonds.queueWaitMs.p50).join(' / ')} ms, p99 ${runs.map((run) => run.flat.diamonds.queueWaitMs.p99).join(' / ')} ms. More workers (or a wider window for a tenant alone) shorten (b), not (a).
Diamonds whose d started before both b and c had finished: **${runs.map((run) => run.diamonds.dBeforeParents).join(' / ')}**.

![Start after the last parent's finish](bench/results/${pictureFile})

The picture (the last run): the dependents' starts (b) and their jobs made (a, "job made") after the last parent's
finish, the joins' starts after their last child's, and a flat job's queue wait.

### Throughput: the same jobs as workflows, ordered by a client, and flat

${markdownTable(
  [
    'jobs',
    'as workflows: jobs/s',
    'by level, a client waiting for each: jobs/s',
    'flat, no order (upper bound): jobs/s',
    'workflows ÷ flat',
  ],
  runs.flatMap((run, k) => {
    const fanOut = median(run.fanOut.runs.map((f) => f.jobsPerSecond));
    return [
      [
        `${label(k)}${run.workload.children.toLocaleString('en')} \`square\` (+ \`split\` and \`sum\`); median of ${run.workload.repeats} workflows`,
        fanOut,
        '—',
        run.flat.fanOut.jobsPerSecond,
        ratio(fanOut, run.flat.fanOut.jobsPerSecond),
      ],
      [
        `${label(k)}${run.diamonds.jobs} \`noop\` (${run.diamonds.workflows} diamonds)`,
        run.diamonds.jobsPerSecond,
        `${run.diamondsByLevel.jobsPerSecond} (levels ${run.diamondsByLevel.levelSeconds.join(', ')} s)`,
        run.flat.diamonds.jobsPerSecond,
        ratio(run.diamonds.jobsPerSecond, run.flat.diamonds.jobsPerSecond),
      ],
    ];
  }),
)}

jobs/s = jobs ÷ (first submit → last finish). **Flat** is the upper bound, not a like-for-like reference: it has no
dependency, so every job is sent at once and the slots never wait for a parent. **By level** is what a client
without workflows gets for the same order: it sends a level's jobs once every job of the level before has finished.

Where the time goes, per phase (CPU seconds read from /proc for the emulator, the Lambda runtimes and the workers
over the phase, per job; the workers' requests and their time waiting on them, polls left out, per job or step):

${markdownTable(
  [
    'phase',
    'jobs',
    'wall s',
    'submit s',
    'worker requests / job',
    'worker wait on requests ms / job',
    'emulator CPU ms / job',
    'Lambda CPU ms / job',
    'workers CPU ms / job',
    'all ms / job',
    `cores busy (of ${r.machine.cpus})`,
  ],
  runs.flatMap((run, k) =>
    phases(run).map(([name, p, u, submit]) => {
      const row = cpuRow(p, run.machine.cpus);
      return [
        `${label(k)}${name}`,
        p.jobs,
        p.seconds,
        submit ?? '—',
        u.requests,
        Math.round(u.awaitedMs),
        row.emulator,
        row.lambda,
        row.workers,
        row.all,
        `${row.busyPercent} %`,
      ];
    }),
  ),
)}

**Why workflows are slower here** (the last run's figures). ${
    Math.min(c.fanOut.busyPercent, c.diamonds.busyPercent, c.fanOutFlat.busyPercent, c.diamondsFlat.busyPercent) >= 75
      ? `The cores: the stack's processes kept the ${r.machine.cpus} cores ${c.fanOut.busyPercent} % / ${c.diamonds.busyPercent} % busy in the workflows' phases (fan-out / diamonds)
and ${c.fanOutFlat.busyPercent} % / ${c.diamondsFlat.busyPercent} % in the flat ones, so jobs/s is about the cores' time ÷ the CPU a job costs. A workflow step costs
${c.fanOut.all} ms (fan-out) and ${c.diamonds.all} ms (diamonds) of CPU, a flat job ${c.fanOutFlat.all} and ${c.diamondsFlat.all} ms: by CPU alone the workflows would run at
${ratio(c.fanOutFlat.all, c.fanOut.all)} and ${ratio(c.diamondsFlat.all, c.diamonds.all)} of flat; they ran at ${ratio(median(r.fanOut.runs.map((f) => f.jobsPerSecond)), r.flat.fanOut.jobsPerSecond)} and ${ratio(d.jobsPerSecond, r.flat.diamonds.jobsPerSecond)}.`
      : `Not the cores: the stack's processes kept the ${r.machine.cpus} cores only ${c.fanOut.busyPercent} % / ${c.diamonds.busyPercent} % busy in the workflows' phases (fan-out / diamonds)
and ${c.fanOutFlat.busyPercent} % / ${c.diamondsFlat.busyPercent} % in the flat ones: the ${slots} slots wait on requests, one after another, and a step waits on more of them.`
  } The extra CPU is the emulator's (${c.fanOut.emulator} / ${c.diamonds.emulator} ms a step against ${c.fanOutFlat.emulator} / ${c.diamondsFlat.emulator}) answering
${r.usage.fanOutPerStep.requests} / ${r.usage.diamondPerStep.requests} worker requests a step against ${r.usage.flatFanOutPerJob.requests} / ${r.usage.flatDiamondsPerJob.requests} a flat job, and the workers' own (${c.fanOut.workers} / ${c.diamonds.workers} ms against ${c.fanOutFlat.workers} / ${c.diamondsFlat.workers}): after
its job's end, a step's settle records the end, reads the step, \`ADD\`s to each child and to the workflow, and makes each
dependent whose parents are all done (a window place, a \`SendMessage\` and a 3-item start transaction, where the batch
intake writes 25 jobs and sends 10 a request) — \`UpdateItem\` ${r.usage.diamondPerStep.byOperation.UpdateItem ?? 0} a step against ${r.usage.flatDiamondsPerJob.byOperation.UpdateItem ?? 0} below. The
diamonds add their intake: ${d.workflows} \`POST /workflows\` Lambda invocations (${c.diamonds.lambda} ms of Lambda CPU a step against ${c.diamondsFlat.lambda}),
submitted in ${d.submitSeconds} s (${w.submitConcurrency} at once) where the same jobs flat take ${Math.ceil(r.flat.diamonds.jobs / w.flatBatch.size)} batch calls, ${r.flat.diamonds.submitSeconds} s.
**Not the order**: the same noops ordered by a client that waits for each level ran at ${r.diamondsByLevel.jobsPerSecond} jobs/s, ${ratio(r.diamondsByLevel.jobsPerSecond, r.flat.diamonds.jobsPerSecond)} of
flat (levels of ${d.workflows} to ${2 * d.workflows} jobs keep the ${slots} slots busy; a level's tail is short), so what workflows lose here is their
per-step writes and their intake, not the waiting for parents. A fan-out's children are made by the spawning step's
worker, 16 starts at a time: ${median(r.fanOut.runs.map((f) => round(f.children / f.expandSeconds)))} children/s (median) where the flat jobs are all made in ${r.flat.fanOut.submitSeconds} s; the children
started p50 ${median(r.fanOut.runs.map((f) => f.childQueueWaitMs.p50))} ms after being made, so the workers ran them as fast as the expansion made them, and the
expansion's per-child writes are part of the step's CPU above. Cutting these would take batched starts (one window
admission, \`SendMessageBatch\` and fewer transactions for a page of children or a step's dependents): not built; each
start's own transaction is what makes a dependent exactly once.

### Requests and write units per step

${markdownTable(
  ['run', 'per', 'requests', 'SQS requests', 'write units', 'read units', 'by operation'],
  runs.flatMap((run, k) => [
    usageRow(`${label(k)}split fan-out (workflow)`, run.usage.fanOutPerStep, 'step'),
    usageRow(`${label(k)}diamonds (workflow)`, run.usage.diamondPerStep, 'step'),
    usageRow(`${label(k)}the same squares flat`, run.usage.flatFanOutPerJob, 'job'),
    usageRow(`${label(k)}the same noops flat`, run.usage.flatDiamondsPerJob, 'job'),
  ]),
)}

Counted in the worker processes, which do all of a workflow's work after \`POST /workflows\` (the settles, the
spawn, the advances, the starts): a hook preloaded into them (bench/lib/request-trace.ts) counts each AWS request
and sends each DynamoDB request asking for \`ReturnConsumedCapacity\`, summing the units the emulator reports
(MiniStack sizes them as DynamoDB does: 1 unit per KB written, 2 in a transaction, index writes added; a refused
conditional write, which AWS bills, reports none here). Idle polls and the workers' periodic reports during the phase
are included. Not counted: \`POST /workflows\` itself, a Lambda — estimated from its code path at
${intake.diamond.requests} requests and ${intake.diamond.writeUnits} write units for a diamond, ${intake.fanOut.requests} and ${intake.fanOut.writeUnits} for a \`split\` (bench/lib/workflow-cost.ts),
and the reaper's passes. A flat job's intake (\`POST /jobs/batch\`) is not counted either, so the rows compare
like with like; the request-count test's rows in \`bench/results/cost.json\` (3 write units a job, single or batch) count
intake and worker together. cost.json's \`workflow\` row prices a step from the last run's figures, the intake's share added.

Raw figures: \`bench/results/workflows.json\`.`;
}

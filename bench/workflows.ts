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
import { type LatencySummary, round, summarize } from './lib/latency.ts';
import { numberOption, sharedOptions } from './lib/options.ts';
import { progressBar } from './lib/progress.ts';
import { describeMachine, machineInfo, markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { type RequestUsage, requestTotals, tracedWorkerCommand, usageBetween } from './lib/request-trace.ts';
import { submitInBatches } from './lib/submit-batches.ts';
import { perUnit, stepUsage, type WorkflowShape, workflowIntakeEstimate } from './lib/workflow-cost.ts';
import { DIAMOND, dependentStarts, firstStartMs, jobsPerSecond, joinTiming } from './lib/workflow-timing.ts';

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
  .addOption(numberOption('--workers <n>', 'cpu worker processes', 2))
  .addOption(sharedOptions.workerConcurrency())
  .addOption(sharedOptions.batchSize())
  .addOption(sharedOptions.batchConcurrency())
  .option('--note <text>', 'what else ran on the machine, or anything a reader of this run must know')
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
    reportOnly?: boolean;
  }>();

const log = (line: string) => console.error(`[bench] ${line}`);
const traceDir = `${stateDir}requests`;

if (opts.reportOnly) {
  const results: Results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  writeCostRow(results);
  writeBenchmarkSection('workflows', report(results));
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
    };
    const joins = fanOut.value.map((run) => run.join);
    const joinLatency = summarize(joins.map((j) => j.latencyMs));
    const results: Results = {
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
      usage,
      checks: { joinP99BoundMs: JOIN_P99_BOUND_MS, joinP99WithinBound: joinLatency.p99 <= JOIN_P99_BOUND_MS },
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    writeCostRow(results);
    await renderPng(
      latencyCdfSpec(
        'Start after the last parent’s finish (a flat job: after its submit)',
        cdfPoints({
          // Log scale: a start in the same millisecond as its parent's finish is drawn at 1 ms.
          'diamond b, c': dags.value.waits.edge.map((ms) => Math.max(1, ms)),
          'diamond d': dags.value.waits.join.map((ms) => Math.max(1, ms)),
          'fan-out join': joins.map((j) => Math.max(1, j.latencyMs)),
          'flat: queue wait': dagsFlat.value.queueWaits.map((ms) => Math.max(1, ms)),
        }),
      ),
      `${resultsDir}${pictureFile}`,
    );
    writeBenchmarkSection('workflows', report(results));
    console.log(JSON.stringify(results, null, 2));
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

/** Runs `phase` and counts the workers' requests and units while it ran (idle polls included). */
async function measured<T>(phase: () => Promise<T>): Promise<{ value: T; usage: RequestUsage }> {
  const before = requestTotals(traceDir);
  const value = await phase();
  // The workers write their totals each second: let the last of this phase's land.
  await sleep(1100);
  return { value, usage: usageBetween(before, requestTotals(traceDir)) };
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
  const jobIds = ids.flatMap((id) => DIAMOND.map((step) => stepJobId(id, step.name)));
  // A step's job exists once it starts: every id read back means every step ran.
  const jobs = new Map((await readJobs(bench, jobIds, 'diamonds')).map((job) => [job.id, job]));
  const failed = [...jobs.values()].filter((job) => job.status !== 'SUCCEEDED');
  if (failed.length > 0) throw new Error(`diamonds: ${failed.length} steps did not succeed`);
  const starts = ids.flatMap((id) => dependentStarts(DIAMOND, (step) => jobs.get(stepJobId(id, step))!));
  const edge = starts.filter((s) => s.parents === 1).map((s) => s.waitMs);
  const join = starts.filter((s) => s.parents > 1).map((s) => s.waitMs);
  const finishes = [...jobs.values()].map((job) => Date.parse(job.finishedAt!));
  return {
    waits: { edge, join },
    summary: {
      workflows: opts.dags,
      jobs: jobs.size,
      /** b and c after a; d after the later of b and c; all of them. */
      startAfterParentsMs: { edge: summarize(edge), join: summarize(join), all: summarize([...edge, ...join]) },
      /** Diamonds whose d started before both b and c had finished: none, or the join rule is broken. */
      dBeforeParents: join.filter((ms) => ms < 0).length,
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
  const jobs = await readJobs(bench, ids, label);
  const failed = jobs.filter((job) => job.status !== 'SUCCEEDED');
  if (failed.length > 0) throw new Error(`${label}: ${failed.length} jobs did not succeed`);
  const queueWaits = jobs.map((job) => firstStartMs(job) - Date.parse(job.createdAt));
  const finishes = jobs.map((job) => Date.parse(job.finishedAt!));
  return {
    queueWaits,
    summary: {
      jobs: jobs.length,
      /** createdAt → first start: the wait any job has before a worker claims it. */
      queueWaitMs: summarize(queueWaits),
      seconds: round((Math.max(...finishes) - submittedAt) / 1000),
      jobsPerSecond: round(jobsPerSecond(jobs.length, submittedAt, finishes)),
    },
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
};

/**
 * cost.json's `workflow` row (request-count.test.ts writes the rest and keeps this one): per step,
 * the workers' requests and units counted here, the intake's estimated, priced like a job.
 * `--report-only` rewrites it from the results too.
 */
function writeCostRow({ usage, workload }: Pick<Results, 'usage' | 'workload'>): void {
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
      'bench/workflows.ts (npm run bench:workflows), on the emulator: the workers’ requests and DynamoDB units counted by bench/lib/request-trace.ts; POST /workflows (a Lambda) estimated from its code path (bench/lib/workflow-cost.ts)',
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
  joinRunMs: number;
  seconds: number;
  jobsPerSecond: number;
}

interface FlatSummary {
  jobs: number;
  queueWaitMs: LatencySummary;
  seconds: number;
  jobsPerSecond: number;
}

interface Results {
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
    startAfterParentsMs: Record<'edge' | 'join' | 'all', LatencySummary>;
    dBeforeParents: number;
    seconds: number;
    jobsPerSecond: number;
  };
  flat: { fanOut: FlatSummary; diamonds: FlatSummary };
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

function report(r: Results): string {
  const w = r.workload;
  const shapes = shapesOf(w.children);
  const intake = {
    fanOut: workflowIntakeEstimate(shapes.fanOut),
    diamond: workflowIntakeEstimate(shapes.diamond),
  };
  const f = r.fanOut;
  const latencyRow = (name: string, s: LatencySummary, reference: string) => [
    name,
    s.count,
    s.p50,
    s.p99,
    s.max,
    reference,
  ];
  const median = (values: number[]) => summarize(values).p50;
  const fanOutJobsPerSecond = median(f.runs.map((run) => run.jobsPerSecond));
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
  const within = r.checks.joinP99WithinBound;
  return `## Workflows: a join's start after its last child, dependents' starts, throughput, cost per step

Command: \`${r.command}\` at ${r.commit} (${describeMachine(r.machine)}; everything — emulator, Lambdas,
workers, this bench — shares the cores)${r.note ? `. ${r.note}` : ''}.

On the local stack with ${w.workers.cpu} cpu worker processes of ${w.workers.concurrency} slots and fair dispatch at its
default (every job here is one tenant's): ${w.repeats} \`split\` workflows of ${w.children.toLocaleString('en')} \`square\` children and a
\`sum\` join, one after another; then ${w.dags} diamonds a → (b, c) → d of \`noop\` steps submitted at once
(\`POST /workflows\`, ${w.submitConcurrency} in flight); then the same jobs flat (\`POST /jobs/batch\`, ${w.flatBatch.size} a call, ${w.flatBatch.concurrency} at once).
Every workflow ended \`SUCCEEDED\`, each \`sum\` with \`total\` = Σ x² (the bench fails otherwise).
A start is the job's first attempt's \`startedAt\` (its claim); a finish is its \`finishedAt\`.

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
    'last child → join end ms',
    'submit → end s',
    'jobs/s',
  ],
  f.runs.map((run, i) => [
    `split ${i + 1}`,
    run.children,
    run.joinAttempts,
    run.join.latencyMs,
    run.join.advanceMs,
    run.join.pickupMs,
    run.expandSeconds,
    run.joinRunMs,
    run.seconds,
    run.jobsPerSecond,
  ]),
)}

Join start minus last child's finish across the ${f.joinLatencyMs.count} joins: **p50 ${f.joinLatencyMs.p50} ms, p99 ${f.joinLatencyMs.p99} ms**
(with ${f.joinLatencyMs.count} samples the p99 is the largest). Issue #25's bound, p99 ≤ ${r.checks.joinP99BoundMs} ms: **${within ? 'met' : 'NOT met'}**.
*Advance*: the last child's \`finishedAt\` → the join's job made (\`createdAt\`): in the worker that ran that child,
its settle, then the step's end recorded, its item read and the \`ADD\` to the join's set that came back full.
*Start + pickup*: the job made → claimed: its message and check sent, the start transaction, the message waiting
for a worker's poll (\`--poll-wait-seconds 1\`), and the claim. p50 ${f.advanceMs.p50} / ${f.pickupMs.p50} ms, max ${f.advanceMs.max} / ${f.pickupMs.max} ms.${
    within ? '' : ` **The bound is missed**: ${missedBecause(f.runs)}`
  }

### Dependents' starts in ${r.diamonds.workflows} diamonds at once

${markdownTable(
  ['start after', 'steps', 'p50 ms', 'p99 ms', 'max ms', 'compare with'],
  [
    latencyRow(
      'b, c: after a',
      r.diamonds.startAfterParentsMs.edge,
      `a flat job's queue wait: p50 ${r.flat.diamonds.queueWaitMs.p50}, p99 ${r.flat.diamonds.queueWaitMs.p99}`,
    ),
    latencyRow('d: after the later of b and c', r.diamonds.startAfterParentsMs.join, 'the same'),
    latencyRow('all dependents', r.diamonds.startAfterParentsMs.all, 'the same'),
  ],
)}

A dependent's start after its parents is made of the same advance, start and pickup as the join's; a flat job's
queue wait (\`createdAt\` → first start, ${r.flat.diamonds.jobs} \`noop\` jobs through the batch route) is its pickup alone, the floor.
Diamonds whose d started before both b and c had finished: **${r.diamonds.dBeforeParents}**.

![Start after the last parent's finish](bench/results/${pictureFile})

### Throughput: the same jobs as workflows and flat

${markdownTable(
  ['jobs', 'as workflows: jobs/s', 'flat (POST /jobs/batch): jobs/s', 'workflows ÷ flat'],
  [
    [
      `${w.children.toLocaleString('en')} \`square\` (+ \`split\` and \`sum\` as a workflow); median of ${w.repeats} workflows`,
      fanOutJobsPerSecond,
      r.flat.fanOut.jobsPerSecond,
      `${round((fanOutJobsPerSecond / r.flat.fanOut.jobsPerSecond) * 100)} %`,
    ],
    [
      `${r.diamonds.jobs} \`noop\` (${r.diamonds.workflows} diamonds)`,
      r.diamonds.jobsPerSecond,
      r.flat.diamonds.jobsPerSecond,
      `${round((r.diamonds.jobsPerSecond / r.flat.diamonds.jobsPerSecond) * 100)} %`,
    ],
  ],
)}

jobs/s = jobs ÷ (first submit → last finish). A fan-out's children cannot start before its \`split\` has run and
its spawn has been expanded (16 starts at a time in one worker), and a diamond's steps run one level after another;
flat jobs are all sent at once.

### Requests and write units per step

${markdownTable(
  ['run', 'per', 'requests', 'SQS requests', 'write units', 'read units', 'by operation'],
  [
    usageRow('split fan-out (workflow)', r.usage.fanOutPerStep, 'step'),
    usageRow('diamonds (workflow)', r.usage.diamondPerStep, 'step'),
    usageRow('the same squares flat', r.usage.flatFanOutPerJob, 'job'),
    usageRow('the same noops flat', r.usage.flatDiamondsPerJob, 'job'),
  ],
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
intake and worker together. cost.json's \`workflow\` row prices a step from these figures, the intake's share added.

Raw figures: \`bench/results/workflows.json\`.`;
}

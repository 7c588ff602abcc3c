#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench`: end-to-end latency and throughput of Tailguard on the local stack, against a
 * minimal SQS + DynamoDB loop on the same emulator in the same run.
 *
 * Tailguard: jobs posted through the API Gateway URL (intake Lambda, DynamoDB, SQS), run by local
 * worker processes, latency = job createdAt → finishedAt as recorded by the system.
 * Baseline: the same number of jobs as PutItem + SendMessage, consumed by in-process loops doing
 * receive → UpdateItem (running) → UpdateItem (done) → delete: the floor any SQS + DynamoDB queue
 * pays on this emulator.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import { localClientConfig } from '../local/aws-env.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { sigV4Fetch } from '../src/client/sigv4-fetch.ts';
import { TailguardClient } from '../src/client/tailguard-client.ts';
import type { Capacity, Job, Priority } from '../src/jobs/model/index.ts';
import { runBaseline } from './lib/baseline.ts';
import { cdfPoints, latencyCdfSpec, renderPng } from './lib/chart.ts';
import { type LatencySummary, summarize } from './lib/latency.ts';
import { mapLimit } from './lib/map-limit.ts';
import { progressBar } from './lib/progress.ts';
import { markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { waitForJobs } from './lib/wait-for-jobs.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const stateDir = fileURLToPath(new URL('../.tailguard/bench/', import.meta.url));

const opts = new Command()
  .name('bench')
  .description('Tailguard end-to-end throughput and latency vs a minimal SQS + DynamoDB loop')
  .addOption(new Option('--jobs <n>', 'jobs per run').argParser(Number).default(1000))
  .addOption(new Option('--submit-concurrency <n>', 'parallel POST /jobs').argParser(Number).default(16))
  .addOption(new Option('--cpu-workers <n>', 'cpu worker processes').argParser(Number).default(2))
  .addOption(new Option('--gpu-workers <n>', 'gpu worker processes').argParser(Number).default(1))
  .addOption(new Option('--worker-concurrency <n>', 'attempts per worker').argParser(Number).default(8))
  .parse()
  .opts<{
    jobs: number;
    submitConcurrency: number;
    cpuWorkers: number;
    gpuWorkers: number;
    workerConcurrency: number;
  }>();

/** The workload: priorities 10/20/50/20 %, one job in ten on the gpu class, all `noop`. */
function workload(n: number): { type: string; priority: Priority; capacity: Capacity }[] {
  const priorities: Priority[] = [
    'critical',
    'high',
    'high',
    'default',
    'default',
    'default',
    'default',
    'default',
    'low',
    'low',
  ];
  return Array.from({ length: n }, (_, i) => ({
    type: 'noop',
    priority: priorities[i % 10]!,
    capacity: i % 10 === 7 ? 'gpu' : 'cpu',
  }));
}

const stack = await startLocalStack({
  stackName: 'TailguardBench',
  stateDir,
  workerArgs: ['--poll-wait-seconds', '1', '--concurrency', String(opts.workerConcurrency)],
  log: (line) => console.error(`[bench] ${line}`),
});
try {
  const { deployment, pool } = stack;
  for (let i = 0; i < opts.cpuWorkers; i++) pool.start('cpu');
  for (let i = 0; i < opts.gpuWorkers; i++) pool.start('gpu');
  const awsConfig = localClientConfig(deployment.endpoint);
  const client = new TailguardClient({ baseUrl: deployment.apiUrl, fetch: sigV4Fetch(awsConfig) });
  const dynamodb = new DynamoDBClient(awsConfig);

  // Warm-up: the first request cold-starts the Lambdas and the workers' SDK clients.
  const warm = await mapLimit(['cpu', 'gpu'] as const, 2, (capacity) => client.submit({ type: 'noop', capacity }));
  await finished(
    dynamodb,
    deployment.jobsTable,
    warm.map((w) => w.body.id),
    'warm-up',
  );

  const jobs = workload(opts.jobs);
  const submitBar = progressBar('tailguard submit |{bar}| {value}/{total} jobs');
  submitBar.start(jobs.length, 0);
  const submitMs: number[] = [];
  const started = performance.now();
  const ids = await mapLimit(jobs, opts.submitConcurrency, async (job) => {
    const t = performance.now();
    const response = await client.submit(job);
    submitMs.push(performance.now() - t);
    submitBar.increment();
    return response.body.id;
  });
  submitBar.stop();
  const done = await finished(dynamodb, deployment.jobsTable, ids, 'tailguard run');
  const wallSeconds = (performance.now() - started) / 1000;
  const failed = done.filter((j) => j.status !== 'SUCCEEDED');
  if (failed.length > 0)
    throw new Error(`${failed.length} jobs did not succeed: ${JSON.stringify(failed.slice(0, 3))}`);
  // Each claim is one handler run, so attempts = 1 means the handler ran exactly once.
  const rerun = done.filter((j) => j.attempts !== 1);
  if (rerun.length > 0)
    throw new Error(`${rerun.length} jobs ran more than once: ${JSON.stringify(rerun.slice(0, 3))}`);
  const endToEnd = done.map((j) => Date.parse(j.finishedAt!) - Date.parse(j.createdAt));
  const queueWait = done.map((j) => Date.parse(j.startedAt!) - Date.parse(j.createdAt));
  const tailguardSpan =
    (Math.max(...done.map((j) => Date.parse(j.finishedAt!))) - Math.min(...done.map((j) => Date.parse(j.createdAt)))) /
    1000;
  await pool.stopAll();

  const consumers = opts.cpuWorkers + opts.gpuWorkers;
  const baseline = await runBaseline({
    sqs: new SQSClient(awsConfig),
    dynamodb,
    jobs: opts.jobs,
    producers: opts.submitConcurrency,
    consumers,
    consumerConcurrency: opts.workerConcurrency,
    progress: (label, total) => {
      const bar = progressBar(`${label} |{bar}| {value}/{total} jobs`);
      bar.start(total, 0);
      return { tick: () => bar.increment(), done: () => bar.stop() };
    },
  });

  const results = {
    command: `npm run bench -- --jobs ${opts.jobs} --submit-concurrency ${opts.submitConcurrency} --cpu-workers ${opts.cpuWorkers} --gpu-workers ${opts.gpuWorkers} --worker-concurrency ${opts.workerConcurrency}`,
    machine: {
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      emulator: stack.emulator.kind,
    },
    workload: {
      jobs: opts.jobs,
      type: 'noop',
      priorities: 'critical 10 %, high 20 %, default 50 %, low 20 %',
      gpuShare: 0.1,
    },
    tailguard: {
      endToEndMs: summarize(endToEnd),
      queueWaitMs: summarize(queueWait),
      submitHttpMs: summarize(submitMs),
      jobsPerSecond: round(opts.jobs / tailguardSpan),
      wallSeconds: round(wallSeconds),
    },
    baseline: { endToEndMs: summarize(baseline.endToEndMs), jobsPerSecond: round(baseline.jobsPerSecond) },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}throughput.json`, `${JSON.stringify(results, null, 2)}\n`);
  await renderPng(
    latencyCdfSpec(
      `End-to-end latency, ${opts.jobs} noop jobs (createdAt → finishedAt)`,
      cdfPoints({ Tailguard: endToEnd, 'SQS + DynamoDB loop': baseline.endToEndMs }),
    ),
    `${resultsDir}throughput-latency-cdf.png`,
  );
  writeBenchmarkSection('throughput', report(results));
  console.log(JSON.stringify(results, null, 2));
} finally {
  await stack.close();
}

/** Waits for every job with a progress bar; ten minutes at most. */
async function finished(dynamodb: DynamoDBClient, table: string, ids: string[], label: string): Promise<Job[]> {
  const bar = progressBar(`${label} finished |{bar}| {value}/{total} jobs`);
  bar.start(ids.length, 0);
  try {
    return await waitForJobs(dynamodb, table, ids, { label, timeoutMs: 10 * 60_000, onProgress: (n) => bar.update(n) });
  } finally {
    bar.stop();
  }
}

function report(r: {
  command: string;
  machine: { cpus: number; memoryGiB: number; node: string; emulator: string };
  tailguard: {
    endToEndMs: LatencySummary;
    queueWaitMs: LatencySummary;
    submitHttpMs: LatencySummary;
    jobsPerSecond: number;
  };
  baseline: { endToEndMs: LatencySummary; jobsPerSecond: number };
  workload: { jobs: number };
}): string {
  const row = (name: string, s: LatencySummary, jps: number | string) => [name, s.p50, s.p95, s.p99, s.max, jps];
  return `## Throughput and end-to-end latency

Command: \`${r.command}\` (${new Date().toISOString().slice(0, 10)}; ${r.machine.cpus} cores, ${r.machine.memoryGiB} GiB,
Node ${r.machine.node}, ${r.machine.emulator} emulator; everything — emulator, Lambdas, workers, load
generator — shares the cores).

${r.workload.jobs} \`noop\` jobs posted through the API Gateway URL, priorities 10/20/50/20 %
critical/high/default/low, 10 % on the gpu class. All ${r.workload.jobs} ended \`SUCCEEDED\` with
\`attempts = 1\` (the bench fails otherwise): each handler ran exactly once.

${markdownTable(
  ['run', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'jobs/s'],
  [
    row('Tailguard: submit → SUCCEEDED', r.tailguard.endToEndMs, r.tailguard.jobsPerSecond),
    row('Tailguard: submit → started (queue wait)', r.tailguard.queueWaitMs, '—'),
    row('Tailguard: POST /jobs round trip', r.tailguard.submitHttpMs, '—'),
    row('Baseline: SQS + DynamoDB loop', r.baseline.endToEndMs, r.baseline.jobsPerSecond),
  ],
)}

Tailguard reaches **${round((r.tailguard.jobsPerSecond / r.baseline.jobsPerSecond) * 100)} %** of the baseline's throughput in this run.
The baseline skips what Tailguard pays for: API Gateway + Lambda intake, validation, the
idempotency-ready create, the conditional claim with lease and the attempt history.

![End-to-end latency CDF](bench/results/throughput-latency-cdf.png)

Raw figures: \`bench/results/throughput.json\`.`;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:isolation`: do critical jobs keep starting fast behind a deep low backlog? A
 * backlog of `low` jobs goes in through POST /jobs/batch before any worker runs; the workers then
 * start on it, and `critical` jobs arrive one per interval (open loop, POST /jobs). Latency = a
 * critical job's createdAt → its first attempt's startedAt, both as the system recorded them.
 * The run only counts if low jobs were still queued when the last critical job had started.
 */
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { Command } from 'commander';
import { deploymentClients } from '../local/deployment-clients.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { queueAddress } from '../src/jobs/dispatch/index.ts';
import { type Job, queueKey } from '../src/jobs/model/index.ts';
import { mapLimit } from '../test/helpers/map-limit.ts';
import { waitForJobs } from '../test/helpers/wait-for-jobs.ts';
import { cdfPoints, latencyCdfSpec, renderPng } from './lib/chart.ts';
import { round, summarize } from './lib/latency.ts';
import { numberOption, sharedOptions } from './lib/options.ts';
import { progressBar } from './lib/progress.ts';
import { describeMachine, machineInfo, markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { submitInBatches } from './lib/submit-batches.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const stateDir = fileURLToPath(new URL('../.tailguard/bench-isolation/', import.meta.url));
/** Issue #13's bound on critical start latency behind a 10,000-job low backlog. */
const TARGET_P99_MS = 1000;

const opts = new Command()
  .name('bench:isolation')
  .description('Start latency of critical jobs arriving while a deep backlog of low jobs waits')
  .addOption(numberOption('--backlog <n>', 'low jobs queued before the workers start', 10_000))
  .addOption(numberOption('--low-ms <ms>', 'run time of each low job (sleep)', 200))
  .addOption(numberOption('--critical <n>', 'critical jobs (noop) submitted', 100))
  .addOption(numberOption('--interval-ms <ms>', 'one critical job every … ms', 100))
  .addOption(numberOption('--submit-concurrency <n>', 'critical POST /jobs in flight at most', 4))
  .addOption(sharedOptions.workers())
  .addOption(sharedOptions.workerConcurrency())
  .addOption(sharedOptions.batchSize())
  .addOption(sharedOptions.batchConcurrency())
  .parse()
  .opts<{
    backlog: number;
    lowMs: number;
    critical: number;
    intervalMs: number;
    submitConcurrency: number;
    workers: number;
    workerConcurrency: number;
    batchSize: number;
    batchConcurrency: number;
  }>();

const stack = await startLocalStack({
  stackName: 'TailguardIsolation',
  stateDir,
  workerArgs: ['--poll-wait-seconds', '1', '--concurrency', String(opts.workerConcurrency)],
  log: (line) => console.error(`[bench] ${line}`),
});
try {
  const { deployment, pool } = stack;
  const { client, dynamodb, sqs } = deploymentClients(deployment);
  const lowQueue = queueAddress(deployment.queues, queueKey('cpu', 'low')).url;
  // On an emulator that outlived an earlier run, that run's backlog would still be queued.
  await sqs.send(new PurgeQueueCommand({ QueueUrl: lowQueue }));
  const lowQueued = async () => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: lowQueue, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(Attributes?.ApproximateNumberOfMessages);
  };

  // Warm-up: both intake Lambdas cold-start here; the critical job tells when the workers are up.
  const lowJob = { type: 'sleep', payload: { ms: opts.lowMs }, priority: 'low', capacity: 'cpu' } as const;
  const criticalJob = { type: 'noop', priority: 'critical', capacity: 'cpu' } as const;
  const warmUp = (await client.submit(criticalJob)).body.id;
  await submitInBatches(client, [lowJob], { size: 1, parallel: 1 });

  const backlogBar = progressBar('low backlog submit |{bar}| {value}/{total} jobs');
  backlogBar.start(opts.backlog, 0);
  const backlogStarted = performance.now();
  await submitInBatches(
    client,
    Array.from({ length: opts.backlog }, () => lowJob),
    { size: opts.batchSize, parallel: opts.batchConcurrency, onSubmitted: (n) => backlogBar.increment(n) },
  );
  const backlogSubmitSeconds = (performance.now() - backlogStarted) / 1000;
  backlogBar.stop();

  for (let i = 0; i < opts.workers; i++) pool.start('cpu');
  await waitForJobs(dynamodb, deployment.jobsTable, [warmUp], { label: 'warm-up', onProgress: () => undefined });

  const queuedAtStart = await lowQueued();
  const streamBar = progressBar('critical submit |{bar}| {value}/{total} jobs');
  streamBar.start(opts.critical, 0);
  const runId = Date.now();
  const streamStarted = performance.now();
  // Each job goes at its own time, whether or not earlier ones were answered, but only so many at
  // once: on a busy machine slow answers would pile up concurrent invocations, each a new Lambda
  // runtime on the emulator, until they time out. A stream held back that way runs late (reported).
  const ids = await mapLimit(
    Array.from({ length: opts.critical }, (_, i) => i),
    opts.submitConcurrency,
    async (i) => {
      await sleep(streamStarted + i * opts.intervalMs - performance.now());
      // The key lets the client retry a 500 from the busy emulator without a duplicate job.
      const idempotencyKey = `isolation-${runId}-${i}`;
      const id = (await client.submit({ ...criticalJob, idempotencyKey })).body.id;
      streamBar.increment();
      return id;
    },
  );
  const streamSeconds = (performance.now() - streamStarted) / 1000;
  streamBar.stop();
  const startedBar = progressBar('critical started |{bar}| {value}/{total} jobs');
  startedBar.start(ids.length, 0);
  const critical = await waitForJobs(dynamodb, deployment.jobsTable, ids, {
    label: 'critical jobs',
    timeoutMs: 10 * 60_000,
    until: (job) => job.attemptLog.length > 0,
    onProgress: (n) => startedBar.update(n),
  });
  startedBar.stop();
  const queuedAtEnd = await lowQueued();
  if (queuedAtEnd === 0)
    throw new Error(
      `the low backlog drained before the last critical job started: rerun with a larger --backlog (now ${opts.backlog}) or fewer --critical`,
    );
  const startMs = critical.map(startLatency);

  const criticalStartMs = summarize(startMs);
  const results = {
    command: `npm run bench:isolation -- --backlog ${opts.backlog} --low-ms ${opts.lowMs} --critical ${opts.critical} --interval-ms ${opts.intervalMs} --submit-concurrency ${opts.submitConcurrency} --workers ${opts.workers} --worker-concurrency ${opts.workerConcurrency} --batch-size ${opts.batchSize} --batch-concurrency ${opts.batchConcurrency}`,
    machine: machineInfo(stack.emulator.kind),
    workload: {
      backlog: { jobs: opts.backlog, type: 'sleep', ms: opts.lowMs, priority: 'low' },
      critical: { jobs: opts.critical, type: 'noop', intervalMs: opts.intervalMs, priority: 'critical' },
      workers: { cpu: opts.workers, concurrency: opts.workerConcurrency },
    },
    // First critical request sent → last one answered; planned: (critical − 1) × interval.
    criticalStream: {
      plannedSeconds: round(((opts.critical - 1) * opts.intervalMs) / 1000),
      seconds: round(streamSeconds),
    },
    backlogSubmit: {
      seconds: round(backlogSubmitSeconds),
      jobsPerSecond: round(opts.backlog / backlogSubmitSeconds),
    },
    // Low messages waiting in SQS (neither running nor done) as the stream began and once every critical job had started.
    lowQueued: { atStreamStart: queuedAtStart, afterLastCriticalStarted: queuedAtEnd },
    criticalStartMs,
    target: { p99Ms: TARGET_P99_MS, met: criticalStartMs.p99 <= TARGET_P99_MS },
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}isolation.json`, `${JSON.stringify(results, null, 2)}\n`);
  await renderPng(
    latencyCdfSpec(
      `Critical start latency behind ${opts.backlog.toLocaleString('en')} low jobs (createdAt → attempt startedAt)`,
      cdfPoints({ critical: startMs }),
    ),
    `${resultsDir}isolation-start-latency-cdf.png`,
  );
  writeBenchmarkSection('isolation', report(results));
  console.log(JSON.stringify(results, null, 2));
} finally {
  await stack.close();
}

/** Job created → its first attempt started (the claim), as recorded in the job. */
function startLatency(job: Job): number {
  return Date.parse(job.attemptLog[0]!.startedAt) - Date.parse(job.createdAt);
}

function report(r: {
  command: string;
  machine: ReturnType<typeof machineInfo>;
  backlogSubmit: { seconds: number; jobsPerSecond: number };
  criticalStream: { plannedSeconds: number; seconds: number };
  lowQueued: { atStreamStart: number; afterLastCriticalStarted: number };
  criticalStartMs: ReturnType<typeof summarize>;
  target: { p99Ms: number; met: boolean };
}): string {
  const s = r.criticalStartMs;
  return `## Priority isolation: critical jobs behind a low backlog

Command: \`${r.command}\` (${describeMachine(r.machine)}; everything shares the cores).

${opts.backlog.toLocaleString('en')} \`low\` jobs (\`sleep\` ${opts.lowMs} ms) go in through \`POST /jobs/batch\` (${opts.batchSize} a call,
${r.backlogSubmit.seconds} s, ${r.backlogSubmit.jobsPerSecond} jobs/s) before any worker runs; then ${opts.workers} cpu workers × ${opts.workerConcurrency} slots
start on it, and ${opts.critical} \`critical\` \`noop\` jobs arrive one per ${opts.intervalMs} ms through \`POST /jobs\` (at most
${opts.submitConcurrency} requests in flight; the stream took ${r.criticalStream.seconds} s, ${r.criticalStream.plannedSeconds} s planned).
Start latency: a critical job's \`createdAt\` → its attempt's \`startedAt\` (the claim). Low jobs still queued
in SQS: ${r.lowQueued.atStreamStart.toLocaleString('en')} as the critical jobs began, ${r.lowQueued.afterLastCriticalStarted.toLocaleString('en')} once the last had started
(the bench fails if none are left: the backlog must outlast the measurement).

${markdownTable(
  ['jobs', 'p50 ms', 'p95 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
  [[`critical (${s.count})`, s.p50, s.p95, s.p99, s.p999, s.max]],
)}

Target (issue #13): p99 ≤ ${r.target.p99Ms} ms — **${r.target.met ? 'met' : 'missed'}** in this run. Workers poll their
class's queues highest priority first (workers/poll-order.ts), so a critical job waits for the
next free slot, not behind the backlog; every fourth receive (\`--starvation-guard\`) leads with a
lower priority so that \`low\` still moves.

![Critical start latency CDF](bench/results/isolation-start-latency-cdf.png)

Raw figures: \`bench/results/isolation.json\`.`;
}

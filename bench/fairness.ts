#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:fairness`: does a quiet tenant keep its wait while another floods the queue, and
 * does the flood keep its throughput? Three phases on the local stack, the same job type in each:
 * `solo` (tenants quiet-1 and quiet-2 send one job a second each), `flood` (tenant `flood` sends
 * 10,000 jobs through POST /jobs/batch as fast as the API takes them while the quiet streams go on,
 * until the flood's last job has started) and `floodAlone` (the same flood, nothing else: its
 * throughput reference). Wait = a job's createdAt → its first attempt's startedAt.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { Command } from 'commander';
import type { LocalDeployment } from '../local/deploy.ts';
import { deploymentClients } from '../local/deployment-clients.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { queueAddress } from '../src/jobs/dispatch/index.ts';
import type { JobRequestInput } from '../src/jobs/intake/index.ts';
import { type Job, queueKey } from '../src/jobs/model/index.ts';
import { waitForJobs } from '../test/helpers/wait-for-jobs.ts';
import { renderPng, scatterOverTimeSpec } from './lib/chart.ts';
import { round, summarize } from './lib/latency.ts';
import { numberOption, sharedOptions } from './lib/options.ts';
import { progressBar } from './lib/progress.ts';
import { describeMachine, machineInfo, markdownTable, writeBenchmarkSection } from './lib/report.ts';
import { steadyThroughput } from './lib/steady-throughput.ts';
import { submitInBatches } from './lib/submit-batches.ts';
import { tenantStreams } from './lib/tenant-streams.ts';
import { fairnessChecks, tenantSummaries, waitOverTimePoints, waitsOf } from './lib/tenant-waits.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const stateDir = fileURLToPath(new URL('../.tailguard/bench-fairness/', import.meta.url));
const QUIET = ['quiet-1', 'quiet-2'];
const FLOOD = 'flood';
/** The run kept as "before" (no fair dispatch) beside the current one in BENCHMARKS.md. */
const BEFORE = 'fairness-off';

const opts = new Command()
  .name('bench:fairness')
  .description('Quiet tenants’ wait while another tenant floods the queue, and the flood’s throughput')
  .addOption(numberOption('--flood <n>', 'jobs the flood tenant sends', 10_000))
  .addOption(numberOption('--flood-batch <n>', 'jobs per POST /jobs/batch of the flood (≤ 1,000)', 1000))
  .addOption(numberOption('--solo-seconds <s>', 'length of the solo phase', 60))
  .addOption(numberOption('--interval-ms <ms>', 'each quiet tenant sends one job every … ms', 1000))
  .addOption(numberOption('--job-ms <ms>', 'run time of every job (sleep)', 100))
  .addOption(numberOption('--submit-concurrency <n>', 'quiet POST /jobs in flight at most', 4))
  .addOption(sharedOptions.workers())
  .addOption(sharedOptions.workerConcurrency())
  .addOption(sharedOptions.batchConcurrency())
  .option(
    '--out <name>',
    `results file name (bench/results/<name>.json); ${BEFORE} keeps the run without fair dispatch, fairness-<n> a repeat`,
    'fairness',
  )
  .addOption(sharedOptions.note())
  .option('--report-only', 'rewrite the BENCHMARKS.md section from the results files, without running')
  .parse()
  .opts<{
    flood: number;
    floodBatch: number;
    soloSeconds: number;
    intervalMs: number;
    jobMs: number;
    submitConcurrency: number;
    workers: number;
    workerConcurrency: number;
    batchConcurrency: number;
    out: string;
    note?: string;
    reportOnly?: boolean;
  }>();

// A sleep, not a noop: each job holds a worker slot for a known time, so the fleet's slots are the
// scarce thing the tenants share (as with real jobs), and 10,000 of them take minutes locally.
const job: JobRequestInput = { type: 'sleep', payload: { ms: opts.jobMs }, capacity: 'cpu' };
const runId = `fairness-${Date.now()}`;
const log = (line: string) => console.error(`[bench] ${line}`);

if (opts.reportOnly) writeBenchmarkSection('fairness', report());
else await measure();

/** The three phases on a freshly deployed local stack; writes the results, the picture and the section. */
async function measure(): Promise<void> {
  const stack = await startLocalStack({
    stackName: 'TailguardFairness',
    stateDir,
    workerArgs: ['--poll-wait-seconds', '1', '--concurrency', String(opts.workerConcurrency)],
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
    const read = (ids: readonly string[], label: string, until?: (job: Job) => boolean) =>
      readJobs(dynamodb, deployment.jobsTable, ids, label, until);

    // Warm-up: the intake Lambdas cold-start and the workers come up; not measured.
    await read((await submitInBatches(client, [job], { size: 1, parallel: 1 })).ids, 'warm-up');
    await read(
      await Promise.all(QUIET.map(async (tenant) => (await client.submit({ ...job, tenant })).body.id)),
      'warm-up',
    );

    log(`solo: ${QUIET.join(' and ')}, one job every ${opts.intervalMs} ms each, ${opts.soloSeconds} s`);
    const soloStream = tenantStreams(client, QUIET, job, {
      intervalMs: opts.intervalMs,
      maxInFlight: opts.submitConcurrency,
      runId: `${runId}-solo`,
    });
    await sleep(opts.soloSeconds * 1000);
    const solo = await read(await soloStream.stop(), 'solo started', started);

    const flood = await runFlood(deployment, true);
    const floodAlone = await runFlood(deployment, false);

    const soloQuiet = summarize(waitsOf(solo, QUIET));
    const floodQuiet = summarize(waitsOf(flood.jobs, QUIET));
    const results = {
      command: `npm run bench:fairness -- --flood ${opts.flood} --flood-batch ${opts.floodBatch} --solo-seconds ${opts.soloSeconds} --interval-ms ${opts.intervalMs} --job-ms ${opts.jobMs} --submit-concurrency ${opts.submitConcurrency} --workers ${opts.workers} --worker-concurrency ${opts.workerConcurrency} --batch-concurrency ${opts.batchConcurrency} --out ${opts.out}`,
      out: opts.out,
      ...(opts.note && { note: opts.note }),
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
      machine: machineInfo(stack.emulator.kind),
      workload: {
        job: { type: 'sleep', ms: opts.jobMs, capacity: 'cpu', priority: 'default' },
        quiet: { tenants: QUIET, intervalMs: opts.intervalMs },
        flood: { tenant: FLOOD, jobs: opts.flood, batch: opts.floodBatch, batchConcurrency: opts.batchConcurrency },
        workers: { cpu: opts.workers, concurrency: opts.workerConcurrency },
      },
      solo: {
        quietWaitP50Ms: soloQuiet.p50,
        quietWaitP99Ms: soloQuiet.p99,
        quietJobs: soloQuiet.count,
        seconds: opts.soloSeconds,
        waitMs: tenantSummaries(solo),
      },
      flood: {
        quietWaitP50Ms: floodQuiet.p50,
        quietWaitP99Ms: floodQuiet.p99,
        quietJobs: floodQuiet.count,
        floodJobs: flood.floodJobs,
        jobsPerSecond: flood.jobsPerSecond,
        ...flood.timing,
        waitMs: tenantSummaries(flood.jobs),
      },
      floodAlone: {
        jobsPerSecond: floodAlone.jobsPerSecond,
        floodJobs: floodAlone.floodJobs,
        ...floodAlone.timing,
        waitMs: tenantSummaries(floodAlone.jobs),
      },
      checks: fairnessChecks({
        soloQuietP99Ms: soloQuiet.p99,
        floodQuietP99Ms: floodQuiet.p99,
        floodJobsPerSecond: flood.jobsPerSecond,
        floodAloneJobsPerSecond: floodAlone.jobsPerSecond,
      }),
    };
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(`${resultsDir}${opts.out}.json`, `${JSON.stringify(results, null, 2)}\n`);
    await renderPng(
      scatterOverTimeSpec(
        `Each tenant's wait during the flood (${opts.out}): createdAt → attempt startedAt`,
        waitOverTimePoints(flood.jobs, flood.originMs),
        { x: 'submitted (s after the flood began)', y: 'wait (ms, log scale)' },
      ),
      `${resultsDir}${opts.out}-wait-over-time.png`,
    );
    writeBenchmarkSection('fairness', report());
    console.log(JSON.stringify(results, null, 2));
  } finally {
    await stack.close();
  }
}

/** Claimed by a worker at least once: its wait is known. (A declaration: measure() runs before this line.) */
function started(job: Job): boolean {
  return job.attemptLog.length > 0;
}

/** The jobs once `until` (default: finished) holds for each, with a progress bar. */
function readJobs(
  dynamodb: DynamoDBClient,
  table: string,
  ids: readonly string[],
  label: string,
  until?: (job: Job) => boolean,
): Promise<Job[]> {
  const bar = progressBar(`${label} |{bar}| {value}/{total} jobs`);
  bar.start(ids.length, 0);
  const onProgress = (n: number) => bar.update(n);
  return waitForJobs(dynamodb, table, ids, { label, timeoutMs: 60 * 60_000, until, onProgress }).finally(() =>
    bar.stop(),
  );
}

/**
 * The flood through the batch route, with the quiet streams beside it (`withQuiet`) until the
 * flood's last job has started; then every job is read back once it has finished.
 */
async function runFlood(deployment: LocalDeployment, withQuiet: boolean) {
  const phase = withQuiet ? 'flood' : 'floodAlone';
  const { client, dynamodb } = deploymentClients(deployment);
  log(`${phase}: ${opts.flood} jobs of tenant ${FLOOD}${withQuiet ? `, ${QUIET.join(' and ')} beside it` : ''}`);
  const stream = withQuiet
    ? tenantStreams(client, QUIET, job, {
        intervalMs: opts.intervalMs,
        maxInFlight: opts.submitConcurrency,
        runId: `${runId}-flood`,
      })
    : undefined;
  const originMs = Date.now();
  const submitBar = progressBar(`${phase} submit |{bar}| {value}/{total} jobs`);
  submitBar.start(opts.flood, 0);
  const { ids: floodIds } = await submitInBatches(
    client,
    Array.from({ length: opts.flood }, () => ({ ...job, tenant: FLOOD })),
    { size: opts.floodBatch, parallel: opts.batchConcurrency, onSubmitted: (n) => submitBar.increment(n) },
  );
  const submitSeconds = (Date.now() - originMs) / 1000;
  submitBar.stop();
  const wait = (ids: readonly string[], label: string, until?: (job: Job) => boolean) =>
    readJobs(dynamodb, deployment.jobsTable, ids, `${phase} ${label}`, until);
  // The last batch first: reading all 10,000 jobs every half second would load the emulator being measured.
  await wait(floodIds.slice(-opts.floodBatch), 'last batch started', started);
  await wait(floodIds, 'flood started', started);
  const lastStartedMs = Date.now();
  const quietIds = (await stream?.stop()) ?? [];
  const jobs = await wait([...floodIds, ...quietIds], 'finished');
  const floodJobs = jobs.filter((j) => j.tenant === FLOOD);
  const finishes = floodJobs.map((j) => Date.parse(j.finishedAt!));
  return {
    jobs,
    originMs,
    floodJobs: floodJobs.length,
    // The middle of the flood's finishes: the fleet saturated, without its ramp-up and drain.
    jobsPerSecond: round(steadyThroughput(finishes)),
    timing: {
      submitSeconds: round(submitSeconds),
      /** The flood's first submit → its last job seen started (the phase's length). */
      seconds: round((lastStartedMs - originMs) / 1000),
      wallJobsPerSecond: round(floodJobs.length / ((Math.max(...finishes) - originMs) / 1000)),
    },
  };
}

type Results = {
  command: string;
  out: string;
  note?: string;
  commit: string;
  machine: ReturnType<typeof machineInfo>;
  workload: {
    job: { ms: number };
    flood: { jobs: number; batch: number };
  };
  solo: { quietWaitP50Ms: number; quietWaitP99Ms: number; quietJobs: number; seconds: number };
  flood: {
    quietWaitP50Ms: number;
    quietWaitP99Ms: number;
    quietJobs: number;
    floodJobs: number;
    jobsPerSecond: number;
    seconds: number;
  };
  floodAlone: { jobsPerSecond: number; seconds: number };
  checks: ReturnType<typeof fairnessChecks>;
};

function readResults(name: string): Results | undefined {
  const file = `${resultsDir}${name}.json`;
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/** The section: the run without fair dispatch (`fairness-off`) beside the latest `fairness` run. */
function report(): string {
  const before = readResults(BEFORE);
  const after = readResults('fairness');
  const repeats = readdirSync(resultsDir)
    .flatMap((file) => /^fairness-(\d+)\.json$/.exec(file)?.[1] ?? [])
    .sort((a, b) => Number(a) - Number(b));
  const runs: [string, Results][] = [];
  if (before) runs.push(['before (no fair dispatch)', before]);
  if (after) runs.push(['after (fair dispatch)', after]);
  for (const n of repeats) runs.push([`after, run ${n}`, readResults(`fairness-${n}`)!]);
  const fair = runs.flatMap(([, r]) => (r === before ? [] : [r]));
  const w = runs[0]?.[1];
  if (!w) throw new Error(`no results to report: run the bench first (bench/results/${BEFORE}.json, fairness.json)`);
  const yes = (ok: boolean) => (ok ? '**yes**' : 'no');
  const rows = runs.map(([name, r]) => [
    name,
    r.solo.quietWaitP99Ms,
    r.flood.quietWaitP50Ms,
    r.flood.quietWaitP99Ms,
    `≤ ${r.checks.quietWaitP99BoundMs}: ${yes(r.checks.quietWaitWithinBound)}`,
    r.flood.jobsPerSecond,
    r.floodAlone.jobsPerSecond,
    `≥ ${r.checks.floodJobsPerSecondBound}: ${yes(r.checks.floodThroughputKept)}`,
  ]);
  const commands = runs.map(
    ([name, r]) =>
      `- ${name}: \`${r.command}\` at ${r.commit} (${describeMachine(r.machine)})${r.note ? `. ${r.note}` : ''}`,
  );
  const pictures = runs.map(
    ([name, r]) => `![Each tenant's wait during the flood, ${name}](bench/results/${r.out}-wait-over-time.png)`,
  );
  return `## Fair shares between tenants

${commands.join('\n')}

Tenants \`quiet-1\` and \`quiet-2\` each send one \`sleep\` ${w.workload.job.ms} ms job a second through \`POST /jobs\`: alone for
${w.solo.seconds} s (**solo**: their own floor), then while tenant \`flood\` sends ${w.workload.flood.jobs.toLocaleString('en')} of the same jobs through
\`POST /jobs/batch\` (${w.workload.flood.batch} a call, as fast as the API takes them) until the flood's last job has started (**flood**);
then the flood alone (**flood alone**: the throughput reference). Wait = a job's \`createdAt\` → its first attempt's
\`startedAt\`; jobs/s = the flood's finishes over the middle 60 % of the phase (no ramp-up, no drain). Issue #24's bounds:
the quiet p99 during the flood ≤ max(1,000 ms, 3 × solo p99), the flood's jobs/s ≥ 90 % of the flood alone.

${markdownTable(
  [
    'run',
    'solo quiet p99 ms',
    'flood: quiet p50 ms',
    'flood: quiet p99 ms',
    'quiet bound met',
    'flood jobs/s',
    'flood alone jobs/s',
    'throughput kept',
  ],
  rows,
)}

${before && fair.length > 0 ? `${floodAloneCost(before, fair)}\n` : ''}
${pictures.join('\n')}

Raw figures (per-tenant p50/p99/max, counts, phase lengths): ${runs.map(([, r]) => `\`bench/results/${r.out}.json\``).join(', ')}.`;
}

/** The flood alone with fair dispatch (every run) against without it: runs apart, so the range shows the noise. */
function floodAloneCost(before: Results, fair: Results[]): string {
  const alone = fair.map((r) => r.floodAlone.jobsPerSecond);
  const [low, high] = [Math.min(...alone), Math.max(...alone)];
  const range = low === high ? `${low}` : `${low}–${high}`;
  const ratio = (n: number) => (n / before.floodAlone.jobsPerSecond).toFixed(2);
  return `What fair dispatch costs the flood: alone, it ran at ${range} jobs/s with fair dispatch (${fair.length} run${fair.length === 1 ? '' : 's'}) and ${before.floodAlone.jobsPerSecond} without (one run; ${low === high ? ratio(low) : `${ratio(low)}–${ratio(high)}`}×). The runs are apart in time, so the machine's noise is in the range: its held path's extra writes and index reads share the emulator's two cores (docs/fairness.md, "What it costs").`;
}

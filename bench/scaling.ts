#!/usr/bin/env node
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
/**
 * `npm run bench:scaling`: which AWS limit a deployment reaches first at each rate of jobs, from
 * the requests and units one job was counted to use (bench/results/cost.json, written by
 * test/integration/request-count.test.ts). Prints the model and writes it, as one scenario per
 * `--shards`/`--batch` pair, to bench/results/scaling.json. Runs nothing on AWS.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { TailguardConfigSchema } from '../infra/config.ts';
import { STATUS_SHARDS } from '../src/jobs/store/index.ts';
import { type ModelInputs, RETRY_STORM_INDEX_WRITES, type ScalingModel, scalingModel } from './capacity-model.ts';
import { AWS_LIMITS } from './lib/aws-limits.ts';
import { AWS_PRICES } from './lib/aws-prices.ts';
import { markdownTable } from './lib/report.ts';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
const costFile = `${resultsDir}cost.json`;
const outFile = `${resultsDir}scaling.json`;
/** The intake functions' memory (infra/tailguard-function.ts's default): turns cost.json's GB-seconds into seconds. */
const INTAKE_MEMORY_GB = 0.5;

const positive = (value: string): number => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError('not a positive number');
  return n;
};
const opts = new Command()
  .name('bench:scaling')
  .description(
    'Capacity model: AWS limits, loads and monthly cost at given rates of jobs, from counted requests per job',
  )
  .addOption(
    new Option('--rates <list>', 'jobs per second, comma-separated')
      .argParser((value) => value.split(',').map(positive))
      .default([100, 1000, 10_000]),
  )
  .addOption(
    new Option('--shards <n>', 'ways each status index key is split (1: Tailguard 0.1, unsharded)')
      .argParser((value) => {
        const n = positive(value);
        if (!Number.isInteger(n)) throw new InvalidArgumentError('not a whole number');
        return n;
      })
      .default(STATUS_SHARDS),
  )
  .addOption(new Option('--batch', 'jobs arrive in batches of 100 (POST /jobs/batch) instead of one per request'))
  .addOption(new Option('--api <kind>', 'the intake API (api.kind)').choices(['http', 'rest']).default('http'))
  .parse()
  .opts<{ rates: number[]; shards: number; batch?: boolean; api: 'http' | 'rest' }>();

const UsageSchema = z.object({
  apiRequests: z.number(),
  lambdaInvocations: z.number(),
  lambdaGbSeconds: z.number(),
  sqsRequests: z.number(),
  dynamoDbWriteUnits: z.number(),
  dynamoDbReadUnits: z.number(),
  logBytes: z.number(),
});
const CostSchema = z.object({ usagePerJob: z.object({ single: UsageSchema, batch: UsageSchema }) });

const intake = opts.batch ? 'batch' : 'single';
const cost = CostSchema.parse(JSON.parse(readFileSync(costFile, 'utf8')));
const usage = cost.usagePerJob[intake];
const inputs: ModelInputs = {
  usage,
  indexWritesByStatus: RETRY_STORM_INDEX_WRITES,
  apiKind: opts.api,
  intakeSecondsPerInvocation: usage.lambdaGbSeconds / usage.lambdaInvocations / INTAKE_MEMORY_GB,
  shards: opts.shards,
  // The stage throttle a deployment gets unless it sets one.
  stageRequestsPerSecond: TailguardConfigSchema.shape.apiRateLimit.parse(undefined),
};
const model = scalingModel(inputs, opts.rates);
const scenario = `${opts.shards === 1 ? 'unsharded' : `${opts.shards} shards`}, ${intake} intake, ${opts.api.toUpperCase()} API`;

print(scenario, model);
// One scenario per run: keep the others already in the file.
const previous = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as { scenarios?: object }) : {};
const output = {
  modelledBy: 'bench/scaling.ts (npm run bench:scaling), from bench/results/cost.json',
  pricesAsOf: AWS_PRICES.asOf,
  limitsAsOf: AWS_LIMITS.asOf,
  scenarios: { ...previous.scenarios, [scenario]: { inputs, ...model } },
};
writeFileSync(outFile, `${JSON.stringify(output, null, 2)}\n`);
console.log(`\nwrote ${outFile}`);

function print(title: string, { limits, rates, firstLimitHit }: ScalingModel): void {
  // Whole numbers, but small ones keep their fraction (a batch intake's Lambda concurrency is 0.2).
  const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 2 : 0 });
  console.log(`## ${title}\n`);
  console.log(
    markdownTable(
      ['limit', 'allows', 'per job/s', 'reached at jobs/s'],
      limits.map((limit) => [
        limit.name,
        count(limit.capacity),
        Number(limit.perJob.toPrecision(3)),
        count(limit.ceilingJobsPerSecond),
      ]),
    ),
  );
  console.log();
  console.log(
    markdownTable(
      [
        'jobs/s',
        'hottest index key WCU/s',
        'table WCU/s',
        'index WCU/s',
        'RCU/s',
        'Lambda concurrency',
        'API req/s',
        'SQS req/s',
        'per month',
        'limits reached',
      ],
      rates.map((load) => [
        count(load.jobsPerSecond),
        `${count(load.hottestIndexKey.writeUnitsPerSecond)} (${load.hottestIndexKey.status})`,
        count(load.tableWriteUnitsPerSecond),
        count(load.indexWriteUnitsPerSecond),
        count(load.readUnitsPerSecond),
        count(load.lambdaConcurrency),
        count(load.apiRequestsPerSecond),
        count(load.sqsRequestsPerSecond),
        `$${count(load.monthlyUsd)}`,
        load.limitsReached.join('; ') || 'none',
      ]),
    ),
  );
  const first = limits[0]!;
  console.log(`\nfirst limit: ${first.name}, reached at ${count(first.ceilingJobsPerSecond)} jobs/s`);
  console.log(
    firstLimitHit
      ? `of these rates, the first to hit a limit: ${count(firstLimitHit.jobsPerSecond)} jobs/s`
      : 'none of these rates hits a limit',
  );
}

import type { ApiKind } from '../src/aws/manifest.ts';
import { AWS_LIMITS } from './lib/aws-limits.ts';
import { type JobUsage, perMillionUsd } from './lib/aws-prices.ts';

/**
 * A capacity model of one deployment taking jobs at a steady rate, all of one capacity class and
 * priority (the worst case: one busy queue). Its inputs are the requests and capacity units one
 * job was counted to use (bench/results/cost.json); every load is that times the rate, so each
 * limit has one rate, its ceiling, at which the deployment reaches it.
 */

/**
 * `byStatusShard` index write units per job on each status key in the worst case the index sees:
 * the happy path writes it not at all (src/jobs/store/status-key.ts), but in a retry storm every
 * job enters RETRYING (1) and leaves it (1).
 */
export const RETRY_STORM_INDEX_WRITES: Readonly<Record<string, number>> = { RETRYING: 2 };

export const SECONDS_PER_MONTH = 30 * 24 * 3600;

export interface ModelInputs {
  /** What one job uses on the happy path, counted (cost.json `usagePerJob`): its write units are the table's. */
  usage: JobUsage;
  /** Index write units per job on each status key, in the worst case (RETRY_STORM_INDEX_WRITES). */
  indexWritesByStatus: Readonly<Record<string, number>>;
  /** The intake's API (`api.kind`), for the price of its requests. */
  apiKind: ApiKind;
  /** How long one intake Lambda invocation runs. */
  intakeSecondsPerInvocation: number;
  /** Ways each status key is split (STATUS_SHARDS; 1 models Tailguard 0.1's unsharded key). */
  shards: number;
  /** The deployment's API stage throttle (a setting, `api.rateLimit`). */
  stageRequestsPerSecond: number;
}

export interface Limit {
  name: string;
  /** What it allows: per second, or executions at once for Lambda concurrency. */
  capacity: number;
  /** What one job per second uses of it. */
  perJob: number;
  /** The rate, in jobs per second, at which it is reached. */
  ceilingJobsPerSecond: number;
}

export interface RateLoad {
  jobsPerSecond: number;
  /** The busiest shard of the busiest status key, in a retry storm. */
  hottestIndexKey: { status: string; writeUnitsPerSecond: number };
  tableWriteUnitsPerSecond: number;
  /** In a retry storm; none on the happy path. */
  indexWriteUnitsPerSecond: number;
  readUnitsPerSecond: number;
  lambdaConcurrency: number;
  apiRequestsPerSecond: number;
  /** Standard queues have no request-rate quota: reported, not limited. */
  sqsRequestsPerSecond: number;
  /** 30 days at this rate, excluding compute, at the list prices of bench/lib/aws-prices.ts. */
  monthlyUsd: number;
  /** Limits whose load reaches them at this rate (at the limit, every burst above the mean is throttled), most used first. */
  limitsReached: string[];
}

export interface ScalingModel {
  /** Every limit, the one reached first at the top. */
  limits: Limit[];
  rates: RateLoad[];
  /** The lowest of the rates that reaches a limit, and the limit it reaches first; absent when none does. */
  firstLimitHit?: { jobsPerSecond: number; limit: string };
}

/** The status key that takes the most index writes per job, and what one of its shards takes. */
export function hottestIndexKey(
  writesByStatus: Readonly<Record<string, number>>,
  shards: number,
): { status: string; writeUnitsPerJob: number } {
  const [status, writes] = Object.entries(writesByStatus).reduce((hottest, entry) =>
    entry[1] > hottest[1] ? entry : hottest,
  );
  return { status, writeUnitsPerJob: writes / shards };
}

const indexWritesPerJob = (inputs: ModelInputs): number =>
  Object.values(inputs.indexWritesByStatus).reduce((sum, writes) => sum + writes, 0);

const tableWritesPerJob = (inputs: ModelInputs): number => inputs.usage.dynamoDbWriteUnits;

const lambdaSecondsPerJob = (inputs: ModelInputs): number =>
  inputs.usage.lambdaInvocations * inputs.intakeSecondsPerInvocation;

/** Every limit a job counts against, with what it uses of each and the rate that reaches it, lowest ceiling first. */
export function limitsOf(inputs: ModelInputs): Limit[] {
  const limit = (name: string, capacity: number, perJob: number): Limit => ({
    name,
    capacity,
    perJob,
    ceilingJobsPerSecond: capacity / perJob,
  });
  const hottest = hottestIndexKey(inputs.indexWritesByStatus, inputs.shards);
  return [
    limit(
      `index partition (${hottest.status} key${inputs.shards > 1 ? ' shard' : ''}, retry storm)`,
      AWS_LIMITS.partitionWriteUnitsPerSecond,
      hottest.writeUnitsPerJob,
    ),
    limit('table writes (on-demand quota)', AWS_LIMITS.tableWriteUnitsPerSecond, tableWritesPerJob(inputs)),
    limit(
      'index writes (on-demand quota, retry storm)',
      AWS_LIMITS.tableWriteUnitsPerSecond,
      indexWritesPerJob(inputs),
    ),
    limit('table reads (on-demand quota)', AWS_LIMITS.tableReadUnitsPerSecond, inputs.usage.dynamoDbReadUnits),
    limit('Lambda concurrency', AWS_LIMITS.lambdaConcurrency, lambdaSecondsPerJob(inputs)),
    limit('API Gateway account throttle', AWS_LIMITS.apiGatewayRequestsPerSecond, inputs.usage.apiRequests),
    limit('API stage throttle (setting)', inputs.stageRequestsPerSecond, inputs.usage.apiRequests),
  ].sort((a, b) => a.ceilingJobsPerSecond - b.ceilingJobsPerSecond);
}

/** The loads, cost and limits reached at `jobsPerSecond`. */
export function loadAt(inputs: ModelInputs, jobsPerSecond: number): RateLoad {
  const hottest = hottestIndexKey(inputs.indexWritesByStatus, inputs.shards);
  return {
    jobsPerSecond,
    hottestIndexKey: { status: hottest.status, writeUnitsPerSecond: jobsPerSecond * hottest.writeUnitsPerJob },
    tableWriteUnitsPerSecond: jobsPerSecond * tableWritesPerJob(inputs),
    indexWriteUnitsPerSecond: jobsPerSecond * indexWritesPerJob(inputs),
    readUnitsPerSecond: jobsPerSecond * inputs.usage.dynamoDbReadUnits,
    lambdaConcurrency: jobsPerSecond * lambdaSecondsPerJob(inputs),
    apiRequestsPerSecond: jobsPerSecond * inputs.usage.apiRequests,
    sqsRequestsPerSecond: jobsPerSecond * inputs.usage.sqsRequests,
    monthlyUsd: (jobsPerSecond * SECONDS_PER_MONTH * perMillionUsd(inputs.usage, inputs.apiKind).total) / 1e6,
    limitsReached: limitsOf(inputs)
      .filter((limit) => jobsPerSecond >= limit.ceilingJobsPerSecond)
      .map((limit) => limit.name),
  };
}

/** The model at each of `rates` (jobs per second), and the first limit they hit. */
export function scalingModel(inputs: ModelInputs, rates: number[]): ScalingModel {
  const loads = [...rates].sort((a, b) => a - b).map((rate) => loadAt(inputs, rate));
  const first = loads.find((load) => load.limitsReached.length > 0);
  return {
    limits: limitsOf(inputs),
    rates: loads,
    ...(first && { firstLimitHit: { jobsPerSecond: first.jobsPerSecond, limit: first.limitsReached[0]! } }),
  };
}

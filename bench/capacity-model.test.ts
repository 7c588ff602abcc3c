import { describe, expect, it } from 'vitest';
import { limitsOf, loadAt, type ModelInputs, RETRY_STORM_INDEX_WRITES, scalingModel } from './capacity-model.ts';
import { SINGLE_JOB_USAGE } from './lib/job-usage.fixture.ts';

/** One job per POST /jobs behind the HTTP API, as counted in bench/results/cost.json (3 write units, all on the table). */
const single: ModelInputs = {
  usage: SINGLE_JOB_USAGE,
  indexWritesByStatus: RETRY_STORM_INDEX_WRITES,
  apiKind: 'http',
  intakeSecondsPerInvocation: 0.04,
  shards: 8,
  stageRequestsPerSecond: 1000,
};

/** Jobs in POST /jobs/batch requests of 100. */
const batched: ModelInputs = {
  ...single,
  usage: { ...single.usage, apiRequests: 0.01, lambdaInvocations: 0.01, lambdaGbSeconds: 0.001, sqsRequests: 0.3 },
  intakeSecondsPerInvocation: 0.2,
};

const indexLimit = (inputs: ModelInputs) => limitsOf(inputs).find((limit) => limit.name.startsWith('index partition'))!;

describe('capacity model', () => {
  it('puts a retry storm’s 2 index writes per job on the RETRYING key, split over 8 shards: 4,000 jobs/s per queue', () => {
    expect(loadAt(single, 1000).hottestIndexKey).toEqual({ status: 'RETRYING', writeUnitsPerSecond: 250 });
    expect(indexLimit(single)).toMatchObject({ ceilingJobsPerSecond: 4000 });
  });

  it('with 0.1’s unsharded key, the same storm reaches one partition at 500 jobs/s', () => {
    expect(indexLimit({ ...single, shards: 1 })).toMatchObject({ ceilingJobsPerSecond: 500 });
  });

  it('writes the counted units on the table, reads nothing', () => {
    const load = loadAt(single, 10_000);
    expect(load.tableWriteUnitsPerSecond).toBe(30_000);
    expect(load.readUnitsPerSecond).toBe(0);
    expect(load.limitsReached).not.toContain('table writes (on-demand quota)');
  });

  it('sizes the intake: Lambda concurrency, API and SQS requests per second', () => {
    expect(loadAt(single, 10_000)).toMatchObject({
      lambdaConcurrency: 400,
      apiRequestsPerSecond: 10_000,
      sqsRequestsPerSecond: 30_000,
    });
    const batch = loadAt(batched, 10_000);
    expect(batch.lambdaConcurrency).toBeCloseTo(20);
    expect(batch.apiRequestsPerSecond).toBeCloseTo(100);
    expect(batch.sqsRequestsPerSecond).toBeCloseTo(3000);
  });

  it('prices 30 days at the rate behind the chosen API, excluding compute', () => {
    // $5.09 per million jobs (HTTP API) × 10,000 jobs/s × 2,592,000 s.
    expect(loadAt(single, 10_000).monthlyUsd).toBeCloseTo(131_932.8, 1);
    expect(loadAt({ ...single, apiKind: 'rest' }, 10_000).monthlyUsd).toBeCloseTo(196_732.8, 1);
  });

  it('names the first listed rate that reaches a limit, and none below it', () => {
    expect(scalingModel(single, [10_000, 100, 1000])).toMatchObject({
      rates: [{ jobsPerSecond: 100, limitsReached: [] }, { jobsPerSecond: 1000 }, { jobsPerSecond: 10_000 }],
      firstLimitHit: { jobsPerSecond: 1000, limit: 'API stage throttle (setting)' },
    });
    expect(scalingModel(batched, [100, 1000]).firstLimitHit).toBeUndefined();
  });
});

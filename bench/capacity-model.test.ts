import { describe, expect, it } from 'vitest';
import { INDEX_WRITES_BY_STATUS, limitsOf, loadAt, type ModelInputs, scalingModel } from './capacity-model.ts';
import { SINGLE_JOB_USAGE } from './lib/job-usage.fixture.ts';

/** One job per POST /jobs, as counted in bench/results/cost.json (8 write units: 3 on the table, 5 on the index). */
const today: ModelInputs = {
  usage: SINGLE_JOB_USAGE,
  indexWritesByStatus: INDEX_WRITES_BY_STATUS,
  intakeSecondsPerInvocation: 0.04,
  shards: 1,
  stageRequestsPerSecond: 1000,
};

/** Jobs in POST /jobs/batch requests of 100. */
const batched: ModelInputs = {
  ...today,
  usage: { ...today.usage, apiRequests: 0.01, lambdaInvocations: 0.01, lambdaGbSeconds: 0.001, sqsRequests: 0.3 },
  intakeSecondsPerInvocation: 0.2,
};

describe('capacity model', () => {
  it('puts 2 index writes per job on the QUEUED key: 2,000/s at 1,000 jobs/s, the first limit', () => {
    const load = loadAt(today, 1000);
    expect(load.hottestIndexKey).toEqual({ status: 'QUEUED', writeUnitsPerSecond: 2000 });
    expect(load.limitsReached[0]).toBe('index partition (QUEUED key)');
    expect(limitsOf(today)[0]).toMatchObject({ name: 'index partition (QUEUED key)', ceilingJobsPerSecond: 500 });
  });

  it('splits the hot key n ways with n shards: 250/s per shard at 1,000 jobs/s with 8', () => {
    const sharded = { ...today, shards: 8 };
    expect(loadAt(sharded, 1000).hottestIndexKey.writeUnitsPerSecond).toBe(250);
    expect(limitsOf(sharded).find((limit) => limit.name.startsWith('index partition'))?.ceilingJobsPerSecond).toBe(
      4000,
    );
  });

  it('splits counted write units into the table (3 per job) and the index (5 per job)', () => {
    const load = loadAt(today, 10_000);
    expect(load.tableWriteUnitsPerSecond).toBe(30_000);
    expect(load.indexWriteUnitsPerSecond).toBe(50_000);
    expect(load.readUnitsPerSecond).toBe(10_000);
    expect(load.limitsReached).toContain('index writes (on-demand quota)');
    expect(load.limitsReached).not.toContain('table writes (on-demand quota)');
  });

  it('sizes the intake: Lambda concurrency, API and SQS requests per second', () => {
    expect(loadAt(today, 10_000)).toMatchObject({
      lambdaConcurrency: 400,
      apiRequestsPerSecond: 10_000,
      sqsRequestsPerSecond: 30_000,
    });
    const batch = loadAt(batched, 10_000);
    expect(batch.lambdaConcurrency).toBeCloseTo(20);
    expect(batch.apiRequestsPerSecond).toBeCloseTo(100);
    expect(batch.sqsRequestsPerSecond).toBeCloseTo(3000);
  });

  it('prices 30 days at the rate, excluding compute', () => {
    // $11.64 per million jobs × 10,000 jobs/s × 2,592,000 s.
    expect(loadAt(today, 10_000).monthlyUsd).toBeCloseTo(301_708.8, 1);
  });

  it('names the first listed rate that reaches a limit, and none below it', () => {
    expect(scalingModel(today, [10_000, 100, 1000])).toMatchObject({
      rates: [{ jobsPerSecond: 100, limitsReached: [] }, { jobsPerSecond: 1000 }, { jobsPerSecond: 10_000 }],
      firstLimitHit: { jobsPerSecond: 1000, limit: 'index partition (QUEUED key)' },
    });
    expect(scalingModel({ ...batched, shards: 8 }, [100, 1000]).firstLimitHit).toBeUndefined();
  });

  it('refuses counted write units fewer than the index writes it assumes', () => {
    expect(() => limitsOf({ ...today, usage: { ...today.usage, dynamoDbWriteUnits: 4 } })).toThrow(/fewer/);
  });
});

import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readable } from '../../../test/helpers/readable-update.ts';
import { conditionFailed, mockedStoreAtNow, NOW, queued, runningOn } from '../../../test/helpers/store-fixtures.ts';
import { StaleJobError } from '../model/index.ts';

const { db, store, onlyUpdate } = mockedStoreAtNow();
const running = runningOn(NOW + 30_000);

describe('JobStore marks that are not transitions', () => {
  it('marks a job re-dispatched only if unchanged and not re-dispatched since the grace period began', async () => {
    // Act
    const marked = await store.markRedispatched(queued, NOW, NOW - 60_000);
    // Assess
    expect(marked).toBe(true);
    expect(readable(onlyUpdate())).toEqual({
      set: { redispatchedAt: NOW, redispatches: 'if_not_exists(redispatches, 0) + 1' },
      remove: [],
      condition: `status = "QUEUED" AND version = 3 AND (attribute_not_exists(redispatchedAt) OR redispatchedAt < ${NOW - 60_000})`,
    });
  });

  it('answers false instead of throwing when another caller re-dispatched first', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(conditionFailed());
    // Act / Assess
    await expect(store.markRedispatched(queued, NOW, NOW - 60_000)).resolves.toBe(false);
  });

  it('passes on errors other than a failed condition', async () => {
    // Prepare
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    db.on(UpdateCommand).rejects(throttled);
    // Act / Assess
    await expect(store.markRedispatched(queued, NOW, NOW - 60_000)).rejects.toBe(throttled);
  });

  it('requests a backup only against a live lease, and only if none was asked for or the last request went stale', async () => {
    // Prepare
    const speculation = { requestedAt: NOW, against: 'c1', avoidWorker: 'w1' };
    // Act
    const requested = await store.requestSpeculation(running, speculation, NOW - 10_000);
    // Assess
    expect(requested).toBe(true);
    expect(readable(onlyUpdate())).toEqual({
      set: { speculation },
      remove: [],
      condition: `status = "RUNNING" AND attribute_exists(leases.c1) AND (attribute_not_exists(speculation) OR (speculation.requestedAt < ${NOW - 10_000} AND attribute_not_exists(speculation.claimedBy)))`,
    });
  });

  it('records a capacity request once, for a backup nobody claimed', async () => {
    // Act
    await store.markCapacityRequested(running, NOW);
    // Assess
    expect(readable(onlyUpdate())).toEqual({
      set: { 'speculation.capacityRequestedAt': NOW },
      remove: [],
      condition:
        'status = "RUNNING" AND attribute_exists(speculation) AND attribute_not_exists(speculation.claimedBy) AND attribute_not_exists(speculation.capacityRequestedAt)',
    });
  });

  it('counts a dead-letter return only if the job is as read', async () => {
    // Act
    await store.countDeadLetterReturn(queued);
    // Assess
    expect(readable(onlyUpdate())).toEqual({
      set: { deadLetterReturns: 'if_not_exists(deadLetterReturns, 0) + 1' },
      remove: [],
      condition: 'status = "QUEUED" AND version = 3',
    });
  });

  it('flags a running job for cancellation only if unchanged', async () => {
    // Act
    const flagged = await store.requestCancel(running);
    // Assess
    expect(flagged.cancelRequested).toBe(true);
    expect(readable(onlyUpdate())).toEqual({
      set: { cancelRequested: true },
      remove: [],
      condition: 'status = "RUNNING" AND version = 3',
    });
  });

  it('throws StaleJobError when the job to cancel moved since it was read', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(conditionFailed());
    // Act / Assess
    await expect(store.requestCancel(running)).rejects.toThrow(StaleJobError);
  });
});

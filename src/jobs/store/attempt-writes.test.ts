import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readable } from '../../../test/helpers/readable-update.ts';
import { conditionFailed, mockedStoreAtNow, NOW, runningOn } from '../../../test/helpers/store-fixtures.ts';
import { StaleJobError } from '../model/index.ts';

const { db, store, onlyUpdate } = mockedStoreAtNow();
const running = runningOn(NOW + 30_000);

describe('JobStore attempt writes', () => {
  it('extends the lease and records progress while the attempt still holds it, returning the job as it is now', async () => {
    // Prepare
    db.on(UpdateCommand).resolves({ Attributes: { ...running, cancelRequested: true } });
    // Act
    const current = await store.heartbeat(running, 'c1', NOW + 30_000, { fraction: 0.5, at: NOW - 400 });
    // Assess
    const update = onlyUpdate();
    expect(update.ReturnValues).toBe('ALL_NEW');
    expect(readable(update)).toEqual({
      set: {
        'leases.c1.expiresAt': NOW + 30_000,
        'leases.c1.heartbeatAt': NOW,
        'leases.c1.progress': 0.5,
        'leases.c1.progressAt': NOW - 400,
      },
      remove: [],
      condition: 'status = "RUNNING" AND attribute_exists(leases.c1)',
    });
    expect(current.cancelRequested).toBe(true);
  });

  it('leaves progress alone when the handler reported none', async () => {
    // Act
    await store.heartbeat(running, 'c1', NOW + 30_000, undefined);
    // Assess
    expect(Object.keys(readable(onlyUpdate()).set)).toEqual(['leases.c1.expiresAt', 'leases.c1.heartbeatAt']);
  });

  it('throws StaleJobError once the attempt lost its lease', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(conditionFailed());
    // Act / Assess
    await expect(store.heartbeat(running, 'c1', NOW + 30_000, undefined)).rejects.toThrow(StaleJobError);
  });

  it('drops one attempt of a running job: closes its record and removes its lease while it holds it', async () => {
    // Act
    await store.dropAttempt(running, 'c1', 0, { outcome: 'failed', error: 'boom' });
    // Assess
    expect(readable(onlyUpdate())).toEqual({
      set: { 'attemptLog[0].outcome': 'failed', 'attemptLog[0].error': 'boom' },
      remove: ['leases.c1'],
      condition: 'status = "RUNNING" AND attribute_exists(leases.c1)',
    });
  });

  it("closes an attempt record only if it is still that attempt's and still open", async () => {
    // Act
    await store.closeAttempt(running, 0, 'c1', { outcome: 'superseded' });
    // Assess
    expect(readable(onlyUpdate())).toEqual({
      set: { 'attemptLog[0].outcome': 'superseded' },
      remove: [],
      condition: 'attemptLog[0].claimId = "c1" AND attribute_not_exists(attemptLog[0].outcome)',
    });
  });
});

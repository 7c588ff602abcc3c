import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { readable } from '../../../test/helpers/readable-update.ts';
import {
  cancelled,
  conditionFailed,
  mockedStoreAtNow,
  NOW,
  queued,
  runningOn,
} from '../../../test/helpers/store-fixtures.ts';
import { IllegalTransitionError, StaleJobError } from '../model/index.ts';
import type { TransactWriteItem } from './job-tables.ts';

const { db, store, onlyUpdate } = mockedStoreAtNow();
const running = runningOn(NOW + 30_000);
const effect: TransactWriteItem = { Put: { TableName: 'effects', Item: { id: 'e1' } } };

describe('JobStore.transition', () => {
  it('removes a field set to undefined (a handler that returned nothing) instead of writing a missing value', async () => {
    // Act
    await store.transition(running, 'SUCCEEDED', { holder: 'c1', set: { result: undefined, finishedAt: 'then' } });
    // Assess
    const update = readable(onlyUpdate());
    expect(update.remove).toContain('result');
    expect(update.set).not.toHaveProperty('result');
    expect(Object.values(onlyUpdate().ExpressionAttributeValues ?? {})).not.toContain(undefined);
  });

  it('updates the job only if its status and version are still those read', async () => {
    // Act
    await store.transition(queued, 'CANCELLED', { set: { finishedAt: 'then' }, remove: ['runAt'] });
    // Assess
    const update = onlyUpdate();
    expect(update).toMatchObject({ TableName: 'jobs', Key: { id: 'j1' } });
    expect(readable(update)).toEqual({
      set: {
        finishedAt: 'then',
        status: 'CANCELLED',
        updatedAt: new Date(NOW).toISOString(),
        version: 'version + 1',
      },
      // Out of the status index: CANCELLED carries no key.
      remove: ['statusShard', 'runAt'],
      condition: 'status = "QUEUED" AND version = 3',
    });
  });

  it("requires the holder's lease instead of the version when an attempt settles", async () => {
    // Act
    await store.transition(running, 'SUCCEEDED', { holder: 'c1' });
    // Assess
    expect(readable(onlyUpdate()).condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
  });

  it('updates attempt records in place, leaving fields that are undefined alone', async () => {
    // Act
    await store.transition(running, 'SUCCEEDED', {
      holder: 'c1',
      attemptUpdates: [{ index: 0, fields: { outcome: 'succeeded', error: undefined } }],
    });
    // Assess
    const { set } = readable(onlyUpdate());
    expect(set['attemptLog[0].outcome']).toBe('succeeded');
    expect(Object.keys(set)).not.toContain('attemptLog[0].error');
  });

  it('commits the side effects with the update in one transaction', async () => {
    // Act
    await store.transition(running, 'SUCCEEDED', { holder: 'c1', alsoWrite: [effect] });
    // Assess
    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
    const [call] = db.commandCalls(TransactWriteCommand);
    const [first, second] = call!.args[0].input.TransactItems ?? [];
    expect(first?.Update).toMatchObject({ TableName: 'jobs', Key: { id: 'j1' } });
    expect(readable(first!.Update!).condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(second).toEqual(effect);
  });

  it('returns the job as written', async () => {
    // Act
    const written = await store.transition(running, 'SUCCEEDED', {
      holder: 'c1',
      set: { result: '42' },
      remove: ['leases'],
      attemptUpdates: [{ index: 0, fields: { outcome: 'succeeded' } }],
    });
    // Assess
    expect(written).toMatchObject({
      status: 'SUCCEEDED',
      version: 4,
      result: '42',
      updatedAt: new Date(NOW).toISOString(),
    });
    expect(written.leases).toBeUndefined();
    expect(written.attemptLog[0]?.outcome).toBe('succeeded');
  });

  it('throws StaleJobError when the condition fails', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(conditionFailed());
    // Act / Assess
    await expect(store.transition(queued, 'CANCELLED')).rejects.toThrow(StaleJobError);
  });

  it("throws StaleJobError when the transaction is cancelled by the job's own condition", async () => {
    // Prepare
    db.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));
    // Act / Assess
    await expect(store.transition(running, 'SUCCEEDED', { holder: 'c1', alsoWrite: [effect] })).rejects.toThrow(
      StaleJobError,
    );
  });

  it('rethrows a transaction cancelled by a side effect: the job itself did not move', async () => {
    // Prepare
    const error = cancelled('None', 'ConditionalCheckFailed');
    db.on(TransactWriteCommand).rejects(error);
    // Act / Assess
    await expect(store.transition(running, 'SUCCEEDED', { holder: 'c1', alsoWrite: [effect] })).rejects.toBe(error);
  });

  it('refuses an illegal transition before sending anything', async () => {
    // Act
    const moved = store.transition(queued, 'SUCCEEDED');
    // Assess
    await expect(moved).rejects.toThrow(IllegalTransitionError);
    expect(db.calls()).toHaveLength(0);
  });
});

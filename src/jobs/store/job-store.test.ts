import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { readable } from '../../../test/helpers/readable-update.ts';
import { mockedStore, NOW, queued, runningOn } from '../../../test/helpers/store-fixtures.ts';
import { IllegalTransitionError, StaleJobError } from '../model/index.ts';
import type { IdempotencyRecord, TransactWriteItem } from './idempotency.ts';

const { db, store } = mockedStore();
const running = runningOn(NOW + 30_000);
const effect: TransactWriteItem = { Put: { TableName: 'effects', Item: { id: 'e1' } } };

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

function onlyUpdate(): UpdateCommandInput {
  const calls = db.commandCalls(UpdateCommand);
  expect(calls).toHaveLength(1);
  return calls[0]!.args[0].input;
}

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('JobStore.transition', () => {
  it('removes a field set to undefined (a handler that returned nothing) instead of writing a missing value', async () => {
    await store.transition(running, 'SUCCEEDED', { holder: 'c1', set: { result: undefined, finishedAt: 'then' } });

    const update = readable(onlyUpdate());
    expect(update.remove).toContain('result');
    expect(update.set).not.toHaveProperty('result');
    expect(Object.values(onlyUpdate().ExpressionAttributeValues ?? {})).not.toContain(undefined);
  });

  it('updates the job only if its status and version are still those read', async () => {
    await store.transition(queued, 'CANCELLED', { set: { finishedAt: 'then' }, remove: ['runAt'] });

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
    await store.transition(running, 'SUCCEEDED', { holder: 'c1' });

    expect(readable(onlyUpdate()).condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
  });

  it('updates attempt records in place, leaving fields that are undefined alone', async () => {
    await store.transition(running, 'SUCCEEDED', {
      holder: 'c1',
      attemptUpdates: [{ index: 0, fields: { outcome: 'succeeded', error: undefined } }],
    });

    const { set } = readable(onlyUpdate());
    expect(set['attemptLog[0].outcome']).toBe('succeeded');
    expect(Object.keys(set)).not.toContain('attemptLog[0].error');
  });

  it('commits the side effects with the update in one transaction', async () => {
    await store.transition(running, 'SUCCEEDED', { holder: 'c1', alsoWrite: [effect] });

    expect(db.commandCalls(UpdateCommand)).toHaveLength(0);
    const [call] = db.commandCalls(TransactWriteCommand);
    const [first, second] = call!.args[0].input.TransactItems ?? [];
    expect(first?.Update).toMatchObject({ TableName: 'jobs', Key: { id: 'j1' } });
    expect(readable(first!.Update!).condition).toBe('status = "RUNNING" AND attribute_exists(leases.c1)');
    expect(second).toEqual(effect);
  });

  it('returns the job as written', async () => {
    const written = await store.transition(running, 'SUCCEEDED', {
      holder: 'c1',
      set: { result: '42' },
      remove: ['leases'],
      attemptUpdates: [{ index: 0, fields: { outcome: 'succeeded' } }],
    });

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
    db.on(UpdateCommand).rejects(conditionFailed());

    await expect(store.transition(queued, 'CANCELLED')).rejects.toThrow(StaleJobError);
  });

  it("throws StaleJobError when the transaction is cancelled by the job's own condition", async () => {
    db.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

    await expect(store.transition(running, 'SUCCEEDED', { holder: 'c1', alsoWrite: [effect] })).rejects.toThrow(
      StaleJobError,
    );
  });

  it('rethrows a transaction cancelled by a side effect: the job itself did not move', async () => {
    const error = cancelled('None', 'ConditionalCheckFailed');
    db.on(TransactWriteCommand).rejects(error);

    await expect(store.transition(running, 'SUCCEEDED', { holder: 'c1', alsoWrite: [effect] })).rejects.toBe(error);
  });

  it('refuses an illegal transition before sending anything', async () => {
    await expect(store.transition(queued, 'SUCCEEDED')).rejects.toThrow(IllegalTransitionError);

    expect(db.calls()).toHaveLength(0);
  });
});

describe('JobStore.create', () => {
  const idempotency: IdempotencyRecord = { key: 'k1', jobId: 'j1', requestHash: 'h1', expiresAt: 123 };

  it('puts a new job only where no job with its id exists', async () => {
    const outcome = await store.create(queued);

    expect(outcome).toEqual({ created: true });
    const [call] = db.commandCalls(PutCommand);
    expect(call?.args[0].input).toEqual({
      TableName: 'jobs',
      Item: queued,
      ConditionExpression: 'attribute_not_exists(id)',
    });
  });

  it('writes the job and its idempotency record in one transaction', async () => {
    const outcome = await store.create(queued, idempotency);

    expect(outcome).toEqual({ created: true });
    const [call] = db.commandCalls(TransactWriteCommand);
    expect(call?.args[0].input.TransactItems).toEqual([
      {
        Put: {
          TableName: 'jobs',
          Item: queued,
          ConditionExpression: 'attribute_not_exists(id)',
        },
      },
      {
        Put: {
          TableName: 'idempotency',
          Item: idempotency,
          ConditionExpression: 'attribute_not_exists(#key)',
          ExpressionAttributeNames: { '#key': 'key' },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ]);
  });

  it('returns the existing record when the idempotency key is taken', async () => {
    const existing: IdempotencyRecord = { ...idempotency, jobId: 'j0' };
    db.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: marshall(existing) }],
      }),
    );

    await expect(store.create(queued, idempotency)).resolves.toEqual({ created: false, existing });
  });

  it('retries when a concurrent request with the same key conflicts', async () => {
    db.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'TransactionConflict')).resolves({});

    const outcome = await store.create(queued, idempotency);

    expect(outcome).toEqual({ created: true });
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });
});

describe('JobStore.heartbeat', () => {
  it('extends the lease and records progress while the attempt still holds it, returning the job as it is now', async () => {
    db.on(UpdateCommand).resolves({ Attributes: { ...running, cancelRequested: true } });

    const current = await store.heartbeat(running, 'c1', NOW + 30_000, { fraction: 0.5, at: NOW - 400 });

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
    await store.heartbeat(running, 'c1', NOW + 30_000, undefined);

    expect(Object.keys(readable(onlyUpdate()).set)).toEqual(['leases.c1.expiresAt', 'leases.c1.heartbeatAt']);
  });

  it('throws StaleJobError once the attempt lost its lease', async () => {
    db.on(UpdateCommand).rejects(conditionFailed());

    await expect(store.heartbeat(running, 'c1', NOW + 30_000, undefined)).rejects.toThrow(StaleJobError);
  });
});

describe('JobStore conditional updates', () => {
  it('marks a job re-dispatched only if unchanged and not re-dispatched since the grace period began', async () => {
    const marked = await store.markRedispatched(queued, NOW, NOW - 60_000);

    expect(marked).toBe(true);
    expect(readable(onlyUpdate())).toEqual({
      set: { redispatchedAt: NOW, redispatches: 'if_not_exists(redispatches, 0) + 1' },
      remove: [],
      condition: `status = "QUEUED" AND version = 3 AND (attribute_not_exists(redispatchedAt) OR redispatchedAt < ${NOW - 60_000})`,
    });
  });

  it('answers false instead of throwing when another caller re-dispatched first', async () => {
    db.on(UpdateCommand).rejects(conditionFailed());

    await expect(store.markRedispatched(queued, NOW, NOW - 60_000)).resolves.toBe(false);
  });

  it('passes on errors other than a failed condition', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    db.on(UpdateCommand).rejects(throttled);

    await expect(store.markRedispatched(queued, NOW, NOW - 60_000)).rejects.toBe(throttled);
  });

  it('requests a backup only against a live lease, and only if none was asked for or the last request went stale', async () => {
    const speculation = { requestedAt: NOW, against: 'c1', avoidWorker: 'w1' };

    const requested = await store.requestSpeculation(running, speculation, NOW - 10_000);

    expect(requested).toBe(true);
    expect(readable(onlyUpdate())).toEqual({
      set: { speculation },
      remove: [],
      condition: `status = "RUNNING" AND attribute_exists(leases.c1) AND (attribute_not_exists(speculation) OR (speculation.requestedAt < ${NOW - 10_000} AND attribute_not_exists(speculation.claimedBy)))`,
    });
  });

  it('records a capacity request once, for a backup nobody claimed', async () => {
    await store.markCapacityRequested(running, NOW);

    expect(readable(onlyUpdate())).toEqual({
      set: { 'speculation.capacityRequestedAt': NOW },
      remove: [],
      condition:
        'status = "RUNNING" AND attribute_exists(speculation) AND attribute_not_exists(speculation.claimedBy) AND attribute_not_exists(speculation.capacityRequestedAt)',
    });
  });

  it('counts a dead-letter return only if the job is as read', async () => {
    await store.countDeadLetterReturn(queued);

    expect(readable(onlyUpdate())).toEqual({
      set: { deadLetterReturns: 'if_not_exists(deadLetterReturns, 0) + 1' },
      remove: [],
      condition: 'status = "QUEUED" AND version = 3',
    });
  });

  it('flags a running job for cancellation only if unchanged, else throws StaleJobError', async () => {
    const flagged = await store.requestCancel(running);

    expect(flagged.cancelRequested).toBe(true);
    expect(readable(onlyUpdate())).toEqual({
      set: { cancelRequested: true },
      remove: [],
      condition: 'status = "RUNNING" AND version = 3',
    });

    db.on(UpdateCommand).rejects(conditionFailed());
    await expect(store.requestCancel(running)).rejects.toThrow(StaleJobError);
  });

  it('drops one attempt of a running job: closes its record and removes its lease while it holds it', async () => {
    await store.dropAttempt(running, 'c1', 0, { outcome: 'failed', error: 'boom' });

    expect(readable(onlyUpdate())).toEqual({
      set: { 'attemptLog[0].outcome': 'failed', 'attemptLog[0].error': 'boom' },
      remove: ['leases.c1'],
      condition: 'status = "RUNNING" AND attribute_exists(leases.c1)',
    });
  });

  it("closes an attempt record only if it is still that attempt's and still open", async () => {
    await store.closeAttempt(running, 0, 'c1', { outcome: 'superseded' });

    expect(readable(onlyUpdate())).toEqual({
      set: { 'attemptLog[0].outcome': 'superseded' },
      remove: [],
      condition: 'attemptLog[0].claimId = "c1" AND attribute_not_exists(attemptLog[0].outcome)',
    });
  });
});

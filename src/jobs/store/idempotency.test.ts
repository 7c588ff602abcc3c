import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { cancelled, mockedStoreAtNow, queued } from '../../../test/helpers/store-fixtures.ts';
import type { IdempotencyRecord } from './idempotency.ts';

const { db, store } = mockedStoreAtNow();

describe('JobStore.create', () => {
  const idempotency: IdempotencyRecord = { key: 'k1', jobId: 'j1', requestHash: 'h1', expiresAt: 123 };

  it('puts a new job only where no job with its id exists', async () => {
    // Act
    const outcome = await store.create(queued);
    // Assess
    expect(outcome).toEqual({ created: true });
    const [call] = db.commandCalls(PutCommand);
    expect(call?.args[0].input).toEqual({
      TableName: 'jobs',
      Item: queued,
      ConditionExpression: 'attribute_not_exists(id)',
    });
  });

  it('writes the job and its idempotency record in one transaction', async () => {
    // Act
    const outcome = await store.create(queued, idempotency);
    // Assess
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
    // Prepare
    const existing: IdempotencyRecord = { ...idempotency, jobId: 'j0' };
    db.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: marshall(existing) }],
      }),
    );
    // Act / Assess
    await expect(store.create(queued, idempotency)).resolves.toEqual({ created: false, existing });
  });

  it('retries when a concurrent request with the same key conflicts', async () => {
    // Prepare
    db.on(TransactWriteCommand).rejectsOnce(cancelled('TransactionConflict', 'TransactionConflict')).resolves({});
    // Act
    const outcome = await store.create(queued, idempotency);
    // Assess
    expect(outcome).toEqual({ created: true });
    expect(db.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });
});

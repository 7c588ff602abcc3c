import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { cancelled, mockedStore } from '../../../test/helpers/store-fixtures.ts';
import { QueuedCounts } from './queued-counts.ts';

const { db } = mockedStore();
const counts = new QueuedCounts(
  DynamoDBDocumentClient.from(new DynamoDBClient({})),
  { coordination: 'coordination', jobs: 'jobs' },
  { get: async (tenant) => ({ weight: 1, ...(tenant === 'acme' && { maxQueued: 10 }) }) },
);

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
});

describe('QueuedCounts', () => {
  it("reads a tenant's cap from its settings, and its count (none yet: 0)", async () => {
    // Prepare
    db.on(GetCommand, { Key: { name: 'queued#tenant#acme' } }).resolves({ Item: { count: 7 } });

    // Act / Assess
    expect(await counts.capOf('acme')).toBe(10);
    expect(await counts.capOf('quiet')).toBeUndefined();
    expect(await counts.waiting('acme')).toBe(7);
    expect(await counts.waiting('new')).toBe(0);
  });

  it('counts one more job only while the count is under the cap', () => {
    // Act / Assess
    expect(counts.count('acme', 10)).toEqual({
      Update: {
        TableName: 'coordination',
        Key: { name: 'queued#tenant#acme' },
        UpdateExpression: 'ADD #count :one',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :cap',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': 1, ':cap': 10 },
      },
    });
  });

  it("releases a counted job once: its mark and its tenant's count in one transaction, a second release a no-op", async () => {
    // Prepare: the mark is gone the second time.
    db.on(TransactWriteCommand).resolvesOnce({}).rejects(cancelled('ConditionalCheckFailed', 'None'));
    const job = { id: 'j1', tenant: 'acme', queuedCounted: true as const };

    // Act
    const released = [await counts.release(job), await counts.release(job), await counts.release({ id: 'j2' })];

    // Assess
    expect(released).toEqual([true, false, false]);
    expect(db.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems).toMatchObject([
      { Update: { TableName: 'jobs', Key: { id: 'j1' }, ConditionExpression: 'attribute_exists(queuedCounted)' } },
      { Update: { Key: { name: 'queued#tenant#acme' }, ExpressionAttributeValues: { ':minusOne': -1 } } },
    ]);
  });

  it('adds the count down to the transition of a counted job that ends unstarted, and nothing for another', () => {
    // Act / Assess
    expect(counts.onEndUnstarted({ tenant: 'acme', queuedCounted: true })).toMatchObject({
      remove: ['queuedCounted'],
      alsoWrite: [{ Update: { Key: { name: 'queued#tenant#acme' } } }],
    });
    expect(counts.onEndUnstarted({ tenant: 'acme' })).toEqual({});
  });
});

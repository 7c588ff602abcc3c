import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Turns } from '../../src/jobs/store/index.ts';
import { testStack } from '../helpers/stack.ts';

const { dynamodb } = testStack();
const table = `tailguard-turns-${Date.now()}`;
const turns = new Turns(DynamoDBDocumentClient.from(dynamodb), table);

describe('Turns (one detector pass per class at a time)', () => {
  beforeAll(async () => {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: table });
  });

  afterAll(async () => {
    await dynamodb.send(new DeleteTableCommand({ TableName: table }));
  });

  it('gives a free turn to exactly one of many holders asking at once', async () => {
    const taken = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((holder) => turns.take('race', holder, 30_000)));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('lets the next holder in only once the turn was given back and has settled', async () => {
    const now = Date.now();
    expect(await turns.take('cpu', 'run-1', 30_000, now)).toBe(true);
    expect(await turns.take('cpu', 'run-2', 30_000, now)).toBe(false);
    // Another class's turn is its own.
    expect(await turns.take('gpu', 'run-2', 30_000, now)).toBe(true);

    await turns.giveBack('cpu', 'run-1', 1000, now);
    expect(await turns.take('cpu', 'run-2', 30_000, now + 500)).toBe(false);
    expect(await turns.take('cpu', 'run-2', 30_000, now + 1000)).toBe(true);
  });

  it('frees the turn of a holder that never gave it back once its hold ran out', async () => {
    const now = Date.now();
    expect(await turns.take('crashed', 'run-1', 30_000, now)).toBe(true);
    expect(await turns.take('crashed', 'run-2', 30_000, now + 29_999)).toBe(false);
    expect(await turns.take('crashed', 'run-2', 30_000, now + 30_000)).toBe(true);
  });

  it('leaves a turn alone when a former holder gives back what is no longer theirs', async () => {
    const now = Date.now();
    await turns.take('stolen', 'run-1', 1000, now);
    await turns.take('stolen', 'run-2', 30_000, now + 1000);
    await turns.giveBack('stolen', 'run-1', 0, now + 1000);
    expect(await turns.take('stolen', 'run-3', 30_000, now + 2000)).toBe(false);
  });
});

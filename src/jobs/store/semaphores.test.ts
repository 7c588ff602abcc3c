import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readable } from '../../../test/helpers/readable-update.ts';
import { NOW } from '../../../test/helpers/store-fixtures.ts';
import { Semaphores } from './semaphores.ts';

const db = mockClient(DynamoDBDocumentClient);
const semaphores = new Semaphores(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'coordination');
const UNTIL = NOW + 30_000;

/** The refusal DynamoDB answers with `ReturnValuesOnConditionCheckFailure: ALL_OLD`: the item as it was. */
const refusedWith = (holders?: Record<string, number>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(holders && { Item: marshall({ name: 'limit#render', holders }) }),
  });

const updates = () => db.commandCalls(UpdateCommand).map((call) => call.args[0].input);

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
});

describe('Semaphores.acquire', () => {
  it('takes a place with one conditional write while fewer than the limit hold one', async () => {
    // Act
    const taken = await semaphores.acquire('limit#render', 'h1', 2, UNTIL, NOW);
    // Assess
    expect(taken).toBe(true);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]).toMatchObject({
      TableName: 'coordination',
      Key: { name: 'limit#render' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(readable(updates()[0]!)).toEqual({
      set: { 'holders.h1': UNTIL },
      remove: [],
      condition: 'size(holders) < 2',
    });
  });

  it('refuses at the limit without another write when every holder is live', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(refusedWith({ a: NOW + 1, b: NOW + 20_000 }));
    // Act
    const taken = await semaphores.acquire('limit#render', 'h1', 2, UNTIL, NOW);
    // Assess
    expect(taken).toBe(false);
    expect(updates()).toHaveLength(1);
    expect(db.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('clears expired holders and takes their place in one more write, if they are still expired', async () => {
    // Prepare: a crashed worker's slot ran out at NOW - 1; another's ends exactly now.
    db.on(UpdateCommand)
      .rejectsOnce(refusedWith({ crashed: NOW - 1, ending: NOW, live: NOW + 5000 }))
      .resolves({});
    // Act
    const taken = await semaphores.acquire('limit#render', 'h1', 2, UNTIL, NOW);
    // Assess
    expect(taken).toBe(true);
    expect(updates()).toHaveLength(2);
    expect(readable(updates()[1]!)).toEqual({
      set: { 'holders.h1': UNTIL },
      remove: ['holders.crashed', 'holders.ending'],
      // Three holders, two of them cleared: the write holds only if nobody came or renewed meanwhile.
      condition: `size(holders) < 4 AND holders.crashed <= ${NOW} AND holders.ending <= ${NOW}`,
    });
  });

  it('tries once more when a place freed between the write and its refusal, and takes no more turns', async () => {
    // Prepare: the refusal shows one live holder of two places; the retry is refused too.
    db.on(UpdateCommand).rejects(refusedWith({ a: NOW + 5000 }));
    // Act
    const taken = await semaphores.acquire('limit#render', 'h1', 2, UNTIL, NOW);
    // Assess
    expect(taken).toBe(false);
    expect(updates()).toHaveLength(2);
  });

  it('creates the holders map on first use (a place cannot be set in a missing map), then takes a place', async () => {
    // Prepare: no item yet, so the refusal returns none.
    db.on(UpdateCommand).rejectsOnce(refusedWith()).resolves({});
    // Act
    const taken = await semaphores.acquire('limit#render', 'h1', 2, UNTIL, NOW);
    // Assess
    expect(taken).toBe(true);
    const [, create, retry] = updates();
    expect(create).toMatchObject({
      UpdateExpression: 'SET holders = if_not_exists(holders, :none)',
      ExpressionAttributeValues: { ':none': {} },
    });
    expect(create).not.toHaveProperty('ConditionExpression');
    expect(readable(retry!).set).toEqual({ 'holders.h1': UNTIL });
  });
});

describe('Semaphores.renew, release and liveHolders', () => {
  it('renews a place only while the holder still has it', async () => {
    // Act
    const renewed = await semaphores.renew('limit#render', 'h1', UNTIL);
    // Assess
    expect(renewed).toBe(true);
    expect(readable(updates()[0]!)).toEqual({
      set: { 'holders.h1': UNTIL },
      remove: [],
      condition: 'attribute_exists(holders.h1)',
    });
  });

  it('reports a place lost (cleared after its lease ended) as not renewed', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(refusedWith({ other: UNTIL }));
    // Act / Assess
    await expect(semaphores.renew('limit#render', 'h1', UNTIL)).resolves.toBe(false);
  });

  it('gives a place back unconditionally', async () => {
    // Act
    await semaphores.release('limit#render', 'h1');
    // Assess
    expect(readable(updates()[0]!)).toEqual({ set: {}, remove: ['holders.h1'], condition: '' });
  });

  it('counts only holders whose lease has not ended', async () => {
    // Prepare
    db.on(GetCommand).resolves({ Item: { name: 'limit#render', holders: { a: NOW - 1, b: NOW, c: NOW + 1 } } });
    // Act / Assess
    await expect(semaphores.liveHolders('limit#render', NOW)).resolves.toBe(1);
  });

  it('counts no holders of a semaphore never used', async () => {
    // Prepare
    db.on(GetCommand).resolves({});
    // Act / Assess
    await expect(semaphores.liveHolders('limit#render', NOW)).resolves.toBe(0);
  });
});

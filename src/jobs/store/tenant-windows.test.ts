import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { NOW } from '../../../test/helpers/store-fixtures.ts';
import { TenantWindows } from './tenant-windows.ts';

const db = mockClient(DynamoDBDocumentClient);
const windows = new TenantWindows(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'coordination');
const KEY = { capacity: 'cpu', priority: 'default', tenant: 'acme' } as const;
const NAME = 'window#cpu#default#acme';
const UNTIL = NOW + 300_000;

/** The refusal DynamoDB answers with `ReturnValuesOnConditionCheckFailure: ALL_OLD`: the item as it was. */
const refusedWith = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item && { Item: marshall({ name: NAME, ...item }) }),
  });

/** An update as DynamoDB reads it: its expression and condition with names and values in place. */
function resolved({
  UpdateExpression = '',
  ConditionExpression,
  ExpressionAttributeNames = {},
  ExpressionAttributeValues = {},
}: UpdateCommandInput) {
  const text = (expression: string) =>
    expression
      .replace(/#\w+/g, (p) => ExpressionAttributeNames[p] ?? p)
      .replace(/:\w+/g, (p) => JSON.stringify(ExpressionAttributeValues[p]));
  return { update: text(UpdateExpression), condition: ConditionExpression && text(ConditionExpression) };
}

const updates = () => db.commandCalls(UpdateCommand).map((call) => call.args[0].input);

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
});

describe('TenantWindows.admit', () => {
  it('takes places for all the jobs in one write while nothing is held and they fit', async () => {
    // Act
    const taken = await windows.admit(KEY, ['j1', 'j2'], 20, UNTIL, NOW);
    // Assess
    expect(taken).toBe(2);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]).toMatchObject({ Key: { name: NAME }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(resolved(updates()[0]!)).toEqual({
      update: `SET holders.j1 = ${UNTIL}, holders.j2 = ${UNTIL}`,
      condition: 'size(holders) <= 18 AND (attribute_not_exists(held) OR held <= 0)',
    });
  });

  it('takes none while the tenant has held jobs: a new job waits behind them', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(refusedWith({ holders: {}, held: 3 }));
    // Act
    const taken = await windows.admit(KEY, ['j1'], 20, UNTIL, NOW);
    // Assess
    expect(taken).toBe(0);
    expect(updates()).toHaveLength(1);
  });

  it('takes as many as fit, clearing expired places under the condition that they are still expired', async () => {
    // Prepare: 3 places, one of them a lost message's whose lease ran out.
    db.on(UpdateCommand)
      .rejectsOnce(refusedWith({ holders: { a: NOW + 1000, b: NOW + 1000, lost: NOW - 1 } }))
      .resolves({});
    // Act
    const taken = await windows.admit(KEY, ['j1', 'j2', 'j3'], 3, UNTIL, NOW);
    // Assess: 2 live of 3 places: one fits.
    expect(taken).toBe(1);
    expect(resolved(updates()[1]!)).toEqual({
      update: `SET holders.j1 = ${UNTIL} REMOVE holders.lost`,
      condition: `size(holders) <= 3 AND holders.lost <= ${NOW} AND (attribute_not_exists(held) OR held <= 0)`,
    });
  });

  it('creates the window and lists its tenant in its queue on first use, then takes the places', async () => {
    // Prepare: no item, so nothing comes back with the refusal.
    db.on(UpdateCommand).rejectsOnce(refusedWith()).resolves({});
    // Act
    const taken = await windows.admit(KEY, ['j1'], 20, UNTIL, NOW);
    // Assess
    expect(taken).toBe(1);
    const writes = updates().map(resolved);
    expect(writes[1]).toEqual({ update: 'SET holders = if_not_exists(holders, {})', condition: undefined });
    expect(updates()[2]).toMatchObject({ Key: { name: 'lane#cpu#default' }, UpdateExpression: 'ADD tenants :tenant' });
    expect(updates()[2]!.ExpressionAttributeValues).toEqual({ ':tenant': new Set(['acme']) });
    expect(writes[3]!.update).toBe(`SET holders.j1 = ${UNTIL}`);
  });
});

describe('TenantWindows.release', () => {
  it('takes places for the head of the list of next held jobs, off the list and the held count, only if the list is as seen', async () => {
    // Act
    const taken = await windows.release(KEY, ['h1', 'h2', 'h3'], 2, 20, UNTIL, [], NOW);
    // Assess
    expect(taken).toEqual({ taken: true, ids: ['h1', 'h2'] });
    expect(resolved(updates()[0]!)).toEqual({
      update: `SET holders.h1 = ${UNTIL}, holders.h2 = ${UNTIL}, next = ["h3"] ADD held -2`,
      condition:
        'size(holders) <= 18 AND held >= 2 AND size(next) = 3 AND next[0] = "h1" AND attribute_not_exists(holders.h1) AND attribute_not_exists(holders.h2)',
    });
  });

  it('removes a list it empties, and overwrites a held job’s own expired place instead of clearing it', async () => {
    // Act: h1's place expired (its release died before sending it); x's too.
    await windows.release(KEY, ['h1'], 1, 2, UNTIL, ['x', 'h1'], NOW);
    // Assess: h1's place is overwritten, adding none; x's is cleared: a window of 2 may hold one live place besides.
    expect(resolved(updates()[0]!)).toEqual({
      update: `SET holders.h1 = ${UNTIL} REMOVE holders.x, next ADD held -1`,
      condition: `size(holders) <= 3 AND holders.x <= ${NOW} AND held >= 1 AND size(next) = 1 AND next[0] = "h1" AND holders.h1 <= ${NOW}`,
    });
  });

  it('answers the window DynamoDB saw when refused', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(refusedWith({ holders: { h1: UNTIL }, held: 4, next: ['h2'] }));
    // Act
    const taken = await windows.release(KEY, ['h1'], 1, 20, UNTIL, [], NOW);
    // Assess
    expect(taken).toEqual({ taken: false, window: { ...KEY, holders: { h1: UNTIL }, held: 4, next: ['h2'] } });
  });
});

describe('TenantWindows.refill', () => {
  it('sets the list of next held jobs only while it is empty', async () => {
    // Act
    const taken = await windows.refill(KEY, ['h1', 'h2']);
    // Assess
    expect(taken).toEqual({ taken: true });
    expect(resolved(updates()[0]!)).toEqual({
      update: 'SET next = ["h1","h2"] REMOVE refillBy',
      condition: 'attribute_exists(holders) AND (attribute_not_exists(next) OR size(next) = 0)',
    });
  });

  it('gives the right to fill back when the index had none', async () => {
    // Act
    await windows.refill(KEY, []);
    // Assess
    expect(resolved(updates()[0]!).update).toBe('REMOVE refillBy');
  });

  it('grants the right to fill an empty list to one release until its lease ends', async () => {
    // Prepare
    db.on(UpdateCommand)
      .resolvesOnce({})
      .rejectsOnce(refusedWith({ holders: {}, held: 3, refillBy: UNTIL }));
    // Act
    const first = await windows.claimRefill(KEY, UNTIL, NOW);
    const second = await windows.claimRefill(KEY, UNTIL, NOW);
    // Assess
    expect([first, second]).toEqual([
      { taken: true },
      { taken: false, window: { ...KEY, holders: {}, held: 3, next: [] } },
    ]);
    expect(resolved(updates()[0]!)).toEqual({
      update: `SET refillBy = ${UNTIL}`,
      condition: `attribute_exists(holders) AND (attribute_not_exists(next) OR size(next) = 0) AND (attribute_not_exists(refillBy) OR refillBy <= ${NOW})`,
    });
  });

  it('answers the list another release filled first', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(refusedWith({ holders: {}, held: 3, next: ['h9'] }));
    // Act
    const taken = await windows.refill(KEY, ['h1']);
    // Assess
    expect(taken).toEqual({ taken: false, window: { ...KEY, holders: {}, held: 3, next: ['h9'] } });
  });
});

describe('TenantWindows counts', () => {
  it('gives a place back in one update that returns the window', async () => {
    // Prepare
    db.on(UpdateCommand).resolves({ Attributes: { name: NAME, holders: { b: UNTIL }, held: 2, heldAt: NOW } });
    // Act
    const window = await windows.giveBack(KEY, 'a');
    // Assess
    expect(window).toEqual({ ...KEY, holders: { b: UNTIL }, held: 2, next: [], heldAt: NOW });
    expect(updates()[0]).toMatchObject({ ReturnValues: 'ALL_NEW' });
    expect(resolved(updates()[0]!)).toEqual({ update: 'REMOVE holders.a', condition: 'attribute_exists(holders)' });
  });

  it('counts held jobs with the time', async () => {
    // Act
    await windows.addHeld(KEY, 5, NOW);
    // Assess
    expect(resolved(updates()[0]!).update).toBe(`ADD held 5 SET heldAt = ${NOW}`);
  });

  it('forgets a held count only as it was seen: no hold since', async () => {
    // Prepare: the first as seen, the second after another hold.
    db.on(UpdateCommand)
      .resolvesOnce({})
      .rejectsOnce(refusedWith({ holders: {}, held: 3, heldAt: NOW }));
    // Act
    const forgotten = [
      await windows.forgetHeld(KEY, { held: 2, heldAt: NOW - 60_000 }, NOW),
      await windows.forgetHeld(KEY, { held: 2 }, NOW),
    ];
    // Assess
    expect(forgotten).toEqual([true, false]);
    expect(updates().map(resolved)).toEqual([
      { update: `SET held = 0, heldAt = ${NOW}`, condition: `held = 2 AND heldAt = ${NOW - 60_000}` },
      { update: `SET held = 0, heldAt = ${NOW}`, condition: 'held = 2 AND attribute_not_exists(heldAt)' },
    ]);
  });

  it('lists the windows of every tenant its queues name', async () => {
    // Prepare
    db.on(BatchGetCommand)
      .resolvesOnce({ Responses: { coordination: [{ name: 'lane#cpu#default', tenants: new Set(['acme', 'zeta']) }] } })
      .resolvesOnce({ Responses: { coordination: [{ name: NAME, holders: { a: UNTIL }, held: 7 }] } });
    // Act
    const listed = await windows.list([
      { capacity: 'cpu', priority: 'default' },
      { capacity: 'gpu', priority: 'low' },
    ]);
    // Assess: zeta has no window item (yet): left out.
    expect(listed).toEqual([{ ...KEY, holders: { a: UNTIL }, held: 7, next: [] }]);
    expect(db.commandCalls(BatchGetCommand)[1]!.args[0].input.RequestItems!.coordination!.Keys).toEqual([
      { name: NAME },
      { name: 'window#cpu#default#zeta' },
    ]);
  });
});

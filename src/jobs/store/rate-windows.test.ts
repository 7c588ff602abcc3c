import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { NOW } from '../../../test/helpers/store-fixtures.ts';
import { RateWindows } from './rate-windows.ts';

const db = mockClient(DynamoDBDocumentClient);
const windows = new RateWindows(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'coordination');

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
});

describe('RateWindows.take', () => {
  it("counts a start with one conditional ADD, which creates the window's item and sets its expiry", async () => {
    // Act
    const taken = await windows.take('rate#render#42', 3, NOW + 1000);
    // Assess
    expect(taken).toBe(true);
    const calls = db.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TableName: 'coordination',
      Key: { name: 'rate#render#42' },
      UpdateExpression: 'ADD #count :one SET expiresAt = :expiresAt',
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
      ExpressionAttributeNames: { '#count': 'count' },
      ExpressionAttributeValues: { ':one': 1, ':max': 3, ':expiresAt': (NOW + 1000) / 1000 + 3600 },
    });
  });

  it('refuses a start once the window has counted its maximum', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    // Act / Assess
    await expect(windows.take('rate#render#42', 3, NOW + 1000)).resolves.toBe(false);
  });

  it('passes on any other error', async () => {
    // Prepare
    db.on(UpdateCommand).rejects(new Error('throttled'));
    // Act / Assess
    await expect(windows.take('rate#render#42', 3, NOW + 1000)).rejects.toThrow('throttled');
  });
});

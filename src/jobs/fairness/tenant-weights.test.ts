import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { NOW } from '../../../test/helpers/store-fixtures.ts';
import { StoredTenantWeights, WEIGHT_CACHE_MS } from './tenant-weights.ts';

const db = mockClient(DynamoDBDocumentClient);
let now = NOW;
const weights = () =>
  new StoredTenantWeights(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'coordination', () => now);

beforeEach(() => {
  db.reset();
  now = NOW;
});

describe('StoredTenantWeights', () => {
  it('reads the weight of the tenant’s runtime override, and uses it for a few seconds', async () => {
    // Prepare
    db.on(GetCommand).resolves({ Item: { name: 'tenant#acme', settings: { weight: 3, concurrency: 2 } } });
    const reader = weights();
    // Act
    const first = await reader.weightOf('acme');
    now += WEIGHT_CACHE_MS - 1;
    const cached = await reader.weightOf('acme');
    now += 1;
    db.on(GetCommand).resolves({ Item: { name: 'tenant#acme', settings: { weight: 5 } } });
    const reread = await reader.weightOf('acme');
    // Assess
    expect([first, cached, reread]).toEqual([3, 3, 5]);
    expect(db.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
      TableName: 'coordination',
      Key: { name: 'tenant#acme' },
    });
    expect(db.commandCalls(GetCommand)).toHaveLength(2);
  });

  it('gives weight 1 to a tenant without an override, or with a malformed one', async () => {
    // Prepare
    db.on(GetCommand, { Key: { name: 'tenant#none' } }).resolves({});
    db.on(GetCommand, { Key: { name: 'tenant#bad' } }).resolves({ Item: { settings: { weight: 0 } } });
    // Act / Assess
    expect(await weights().weightOf('none')).toBe(1);
    expect(await weights().weightOf('bad')).toBe(1);
  });
});

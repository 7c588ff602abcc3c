import { CreateTableCommand, type DynamoDBClient, paginateScan, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Job } from '../../src/jobs/model/index.ts';

/** Every item of a table, unmarshalled (a full scan: for test-sized tables). */
export async function scanAll<T>(dynamodb: DynamoDBClient, table: string): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateScan({ client: dynamodb }, { TableName: table })) {
    for (const item of page.Items ?? []) items.push(unmarshall(item) as T);
  }
  return items;
}

/** The stored jobs with the given ids. */
export async function jobsWithIds(dynamodb: DynamoDBClient, table: string, ids: ReadonlySet<string>): Promise<Job[]> {
  return (await scanAll<Job>(dynamodb, table)).filter((job) => ids.has(job.id));
}

/** A table of `{jobId, commits}` rows the built-in handlers' `effectsTable` payload writes to. */
export async function createEffectsTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: name });
}

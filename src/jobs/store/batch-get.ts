import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { chunks } from '../../aws/batches.ts';
import { retryLeftovers } from '../../aws/retries.ts';

/** BatchGetItem takes 100 keys; keys DynamoDB leaves unprocessed are asked for again this many times. */
const BATCH_GET_SIZE = 100;
const BATCH_GET_TRIES = 5;

/** Items of `table` by key in BatchGetItem requests, in no particular order; keys without an item are left out. */
export async function batchGet(
  db: DynamoDBDocumentClient,
  table: string,
  keyName: string,
  values: string[],
  consistent: boolean,
): Promise<unknown[]> {
  const items: unknown[] = [];
  for (const chunk of chunks([...new Set(values)], BATCH_GET_SIZE)) {
    const { left } = await retryLeftovers(
      chunk.map((value) => ({ [keyName]: value })),
      async (keys) => {
        const { Responses = {}, UnprocessedKeys = {} } = await db.send(
          new BatchGetCommand({ RequestItems: { [table]: { Keys: [...keys], ConsistentRead: consistent } } }),
        );
        items.push(...(Responses[table] ?? []));
        return UnprocessedKeys[table]?.Keys ?? [];
      },
      { tries: BATCH_GET_TRIES, retryable: () => false },
    );
    if (left.length > 0) throw new Error(`DynamoDB left reads of ${table} unprocessed`);
  }
  return items;
}

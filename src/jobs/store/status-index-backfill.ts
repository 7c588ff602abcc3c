import { type DynamoDBDocumentClient, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Job } from '../model/index.ts';
import { INDEXED_STATUSES, STATUS_SHARD_ATTRIBUTE, statusShardKey } from './status-key.ts';

/**
 * Gives every job in an indexed status written before the `byStatusShard` index (Tailguard 0.1)
 * its index key, so the dead-letter list and the reaper see it. Safe to run again, and beside a
 * running deployment: a job that moved since the scan read it is left to its new status's write.
 * Returns the number of jobs it keyed. (docs/migration.md)
 */
export async function backfillStatusIndex(
  db: DynamoDBDocumentClient,
  jobsTable: string,
  onPage: (scanned: number, keyed: number) => void = () => undefined,
): Promise<number> {
  let scanned = 0;
  let keyed = 0;
  const statuses = Object.fromEntries(INDEXED_STATUSES.map((status, i) => [`:s${i}`, status]));
  const pages = paginateScan(
    { client: db },
    {
      TableName: jobsTable,
      ProjectionExpression: 'id, #status, capacity, priority',
      // A workflow's items (docs/workflows.md) share the table and some status names; they are not jobs.
      FilterExpression: `#status IN (${Object.keys(statuses).join(', ')}) AND attribute_not_exists(#key) AND attribute_not_exists(workflowId)`,
      ExpressionAttributeNames: { '#status': 'status', '#key': STATUS_SHARD_ATTRIBUTE },
      ExpressionAttributeValues: statuses,
    },
  );
  for await (const page of pages) {
    scanned += page.ScannedCount ?? 0;
    for (const job of (page.Items ?? []) as Pick<Job, 'id' | 'status' | 'capacity' | 'priority'>[]) {
      const written = await db
        .send(
          new UpdateCommand({
            TableName: jobsTable,
            Key: { id: job.id },
            UpdateExpression: 'SET #key = :key',
            ConditionExpression: '#status = :status',
            ExpressionAttributeNames: { '#key': STATUS_SHARD_ATTRIBUTE, '#status': 'status' },
            ExpressionAttributeValues: { ':key': statusShardKey(job), ':status': job.status },
          }),
        )
        .then(
          () => true,
          (error: Error) => {
            if (error.name === 'ConditionalCheckFailedException') return false;
            throw error;
          },
        );
      if (written) keyed++;
    }
    onPage(scanned, keyed);
  }
  return keyed;
}

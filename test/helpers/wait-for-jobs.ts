import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { chunks } from '../../src/aws/batches.ts';
import { isTerminal, type Job } from '../../src/jobs/model/index.ts';

/** Terminal with every attempt record closed (a losing speculative attempt closes its own within a heartbeat). */
const finishedJob = (job: Job): boolean =>
  isTerminal(job.status) && job.attemptLog.every((a) => a.outcome !== undefined);

/**
 * Reads the jobs until `until` (default: finished) holds for every id, reporting progress as it
 * goes. Only the ids still pending are read again, by BatchGetItem: a scan would read the whole
 * table each time, a load on the emulator that grows with a backlog the bench is measuring.
 */
export async function waitForJobs(
  dynamodb: DynamoDBClient,
  table: string,
  ids: readonly string[],
  options: { onProgress: (done: number) => void; timeoutMs?: number; label: string; until?: (job: Job) => boolean },
): Promise<Job[]> {
  const until = options.until ?? finishedJob;
  const done = new Map<string, Job>();
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  for (;;) {
    const pending = ids.filter((id) => !done.has(id));
    for (const job of await readJobs(dynamodb, table, pending)) if (until(job)) done.set(job.id, job);
    options.onProgress(done.size);
    if (done.size === ids.length) return ids.map((id) => done.get(id)!);
    if (Date.now() > deadline)
      throw new Error(`${options.label}: only ${done.size} of ${ids.length} jobs done in ${options.timeoutMs} ms`);
    await sleep(500);
  }
}

/** The stored jobs with these ids (missing ones left out), 100 keys a request. */
async function readJobs(dynamodb: DynamoDBClient, table: string, ids: readonly string[]): Promise<Job[]> {
  const jobs: Job[] = [];
  for (const batch of chunks(ids, 100)) {
    let keys: Record<string, AttributeValue>[] | undefined = batch.map((id) => marshall({ id }));
    while (keys && keys.length > 0) {
      const answer: BatchGetItemCommandOutput = await dynamodb.send(
        new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of answer.Responses?.[table] ?? []) jobs.push(unmarshall(item) as Job);
      keys = answer.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return jobs;
}

import { type DynamoDBDocumentClient, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Job, StaleJobError } from '../model/index.ts';
import { writtenIf } from './conditional-write.ts';
import type { UpdateExpressionBuilder } from './update-expression.ts';

/** What the job store's parts work through: the document client and the jobs and idempotency tables. */
export interface JobTables {
  readonly db: DynamoDBDocumentClient;
  readonly jobs: string;
  readonly idempotency: string;
}

/** One write of a transaction (a transition commits a handler's writes with it). */
export type TransactWriteItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A conditional update of the job's item; false when its condition did not hold. */
export function updateJobIf(t: JobTables, job: Pick<Job, 'id'>, update: UpdateExpressionBuilder): Promise<boolean> {
  return writtenIf(t.db.send(new UpdateCommand({ TableName: t.jobs, Key: { id: job.id }, ...update.build() })));
}

/** A conditional update that the caller's view of the job depends on: StaleJobError when it fails. */
export async function updateJobOrStale(
  t: JobTables,
  job: Pick<Job, 'id'>,
  update: UpdateExpressionBuilder,
): Promise<void> {
  if (!(await updateJobIf(t, job, update))) throw new StaleJobError(job.id);
}

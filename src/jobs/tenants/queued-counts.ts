import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { QueuedCap } from '../intake/index.ts';
import { type Job, tenantOf } from '../model/index.ts';
import { type TransactWriteItem, type TransitionChange, writtenIf } from '../store/index.ts';
import type { TenantSettingsReader } from './tenant-settings-reader.ts';

/** The coordination-table item counting a tenant's waiting jobs. */
export const queuedCountName = (tenant: string): string => `queued#tenant#${tenant}`;

/** What a submit past the cap is told: long enough for a few of the tenant's jobs to start. */
export const QUEUE_FULL_RETRY_SECONDS = 5;

/**
 * Per-tenant counts of jobs waiting for their first start, kept only for tenants with a
 * `maxQueued`: one counter item each in the coordination table. A job is counted in the same
 * transaction that writes it (refused when the count is at the cap) and marked `queuedCounted`;
 * the mark is removed and the count taken down in one transaction at its first start (or when it
 * ends without one), so the count is exactly the number of marked jobs whatever crashes between.
 */
export class QueuedCounts implements QueuedCap {
  readonly retryAfterSeconds = QUEUE_FULL_RETRY_SECONDS;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { coordination: string; jobs: string },
    private readonly settings: Pick<TenantSettingsReader, 'get'>,
  ) {}

  async capOf(tenant: string): Promise<number | undefined> {
    return (await this.settings.get(tenant)).maxQueued;
  }

  async waiting(tenant: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tables.coordination,
        Key: { name: queuedCountName(tenant) },
        ConsistentRead: true,
      }),
    );
    return (Item?.count as number | undefined) ?? 0;
  }

  count(tenant: string, cap: number): TransactWriteItem {
    return {
      Update: {
        TableName: this.tables.coordination,
        Key: { name: queuedCountName(tenant) },
        UpdateExpression: 'ADD #count :one',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :cap',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':one': 1, ':cap': cap },
      },
    };
  }

  /**
   * Takes a counted job out of its tenant's count: its mark removed and the count down by one, in
   * one transaction that does nothing when the mark is gone already (someone released it first),
   * so releasing twice is harmless. False when it was not counted (any more).
   */
  release(job: Pick<Job, 'id' | 'tenant' | 'queuedCounted'>): Promise<boolean> {
    if (!job.queuedCounted) return Promise.resolve(false);
    const mark: TransactWriteItem = {
      Update: {
        TableName: this.tables.jobs,
        Key: { id: job.id },
        UpdateExpression: 'REMOVE queuedCounted',
        ConditionExpression: 'attribute_exists(queuedCounted)',
      },
    };
    return writtenIf(this.db.send(new TransactWriteCommand({ TransactItems: [mark, this.countDown(job)] })));
  }

  /**
   * What a transition that ends a job before its first start (a cancel) adds to its own
   * transaction so the job leaves its tenant's count with it: nothing for a job not counted.
   */
  onEndUnstarted(job: Pick<Job, 'tenant' | 'queuedCounted'>): Pick<TransitionChange, 'remove' | 'alsoWrite'> {
    return job.queuedCounted ? { remove: ['queuedCounted'], alsoWrite: [this.countDown(job)] } : {};
  }

  private countDown(job: Pick<Job, 'tenant'>): TransactWriteItem {
    return {
      Update: {
        TableName: this.tables.coordination,
        Key: { name: queuedCountName(tenantOf(job)) },
        UpdateExpression: 'ADD #count :minusOne',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':minusOne': -1 },
      },
    };
  }
}

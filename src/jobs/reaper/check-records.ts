import { BatchGetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { QueueKey } from '../model/index.ts';
import { writtenIf } from '../store/index.ts';

/** What a review of checks found on one queue: jobs waiting for their message past the grace. */
export interface QueueFindings {
  waitingPastGrace: number;
  /** How long the longest of them had waited. */
  oldestWaitMs: number;
}

/** A queue's findings as `GET /stats` shows them: the latest review's, and the fresh messages sent so far. */
export interface QueueCheckRecord extends QueueFindings {
  /** When a review last found a job waiting past the grace on this queue. */
  observedAt: string;
  /** Jobs found without their message (gone, or passed over) and sent a fresh one, since the record began. */
  resentTotal: number;
  lastResentAt?: string;
  /** How many the latest review that sent any sent. */
  lastResentJobs?: number;
}

/** Records outlive a quiet week, then DynamoDB's TTL clears them. */
const RECORD_TTL_SECONDS = 7 * 86_400;
/** A review moves the stored frontier only this far ahead at a time: at most a few writes per grace, however many reviews run. */
const FRONTIER_STEPS_PER_GRACE = 10;

const frontierName = (key: string) => `check-frontier#${key}`;
const findingsName = (queue: QueueKey) => `checks#${queue}`;

/**
 * What reviews of message checks keep between them, in the coordination table: the claimed frontier
 * per queue and type (so a review of a few checks still knows which jobs were passed over), and per
 * queue what they found, for `GET /stats` and the CLI.
 */
export class CheckRecords {
  /** The frontier this process last read or wrote, per key: most reviews find nothing waiting and read none. */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** The stored frontier of each `queue#type` key that has one. */
  async frontier(keys: readonly string[]): Promise<Map<string, number>> {
    const items = await this.batchGet(keys.map(frontierName));
    const stored = new Map(
      items.map((item) => [String(item.name).slice(frontierName('').length), Number(item.sentAt)]),
    );
    for (const [key, sentAt] of stored) this.known.set(key, Math.max(this.known.get(key) ?? 0, sentAt));
    return stored;
  }

  /**
   * Moves each key's stored frontier forward (never back), skipping steps too small to matter against
   * `graceMs`: a process writes a key at most once per tenth of a grace period of progress.
   */
  async advanceFrontier(seen: ReadonlyMap<string, number>, graceMs: number): Promise<void> {
    const step = graceMs / FRONTIER_STEPS_PER_GRACE;
    const ahead = [...seen].filter(([key, sentAt]) => sentAt >= (this.known.get(key) ?? 0) + step);
    for (const [key, sentAt] of ahead) this.known.set(key, sentAt);
    await Promise.all(
      ahead.map(([key, sentAt]) =>
        writtenIf(
          this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { name: frontierName(key) },
              UpdateExpression: 'SET sentAt = :sentAt, expiresAt = :expiresAt',
              ConditionExpression: 'attribute_not_exists(sentAt) OR sentAt < :sentAt',
              ExpressionAttributeValues: { ':sentAt': sentAt, ':expiresAt': expiresAt(sentAt) },
            }),
          ),
        ),
      ),
    );
  }

  /** Records a review's findings per queue, and counts the fresh messages it sent. */
  async recordFindings(
    findings: ReadonlyMap<QueueKey, QueueFindings>,
    resent: ReadonlyMap<QueueKey, number>,
    now: number,
  ): Promise<void> {
    const at = new Date(now).toISOString();
    await Promise.all(
      [...findings].map(([queue, found]) => {
        const count = resent.get(queue) ?? 0;
        const sets = [
          'waitingPastGrace = :waiting',
          'oldestWaitMs = :oldest',
          'observedAt = :at',
          'expiresAt = :expiresAt',
        ];
        if (count > 0) sets.push('lastResentAt = :at', 'lastResentJobs = :count');
        return this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { name: findingsName(queue) },
            UpdateExpression: `SET ${sets.join(', ')} ADD resentTotal :count`,
            ExpressionAttributeValues: {
              ':waiting': found.waitingPastGrace,
              ':oldest': found.oldestWaitMs,
              ':at': at,
              ':expiresAt': expiresAt(now),
              ':count': count,
            },
          }),
        );
      }),
    );
  }

  /** The record of each queue some review found waiting jobs on. */
  async records(queues: readonly QueueKey[]): Promise<Partial<Record<QueueKey, QueueCheckRecord>>> {
    const items = await this.batchGet(queues.map(findingsName));
    return Object.fromEntries(
      items.map(({ name, expiresAt: _ttl, ...record }) => [
        String(name).slice(findingsName('' as QueueKey).length),
        { resentTotal: 0, ...record } as QueueCheckRecord,
      ]),
    );
  }

  private async batchGet(names: readonly string[]): Promise<Record<string, unknown>[]> {
    if (names.length === 0) return [];
    const { Responses = {} } = await this.db.send(
      new BatchGetCommand({ RequestItems: { [this.table]: { Keys: names.map((name) => ({ name })) } } }),
    );
    return Responses[this.table] ?? [];
  }
}

const expiresAt = (now: number) => Math.ceil(now / 1000) + RECORD_TTL_SECONDS;

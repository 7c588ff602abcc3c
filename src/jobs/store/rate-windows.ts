import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { writtenIf } from './conditional-write.ts';

/** A window's item outlives its window by this long, then DynamoDB's TTL deletes it. */
const KEEP_SECONDS = 3600;

/**
 * Counters of starts in fixed time windows, one item per window in the coordination table: a
 * start is one conditional `ADD`, which also creates the window's item, so there is never a window
 * to reset and no read. Old windows are left to expire (TTL `expiresAt`).
 */
export class RateWindows {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Counts one start in window `name` (which ends at `endsAt`, epoch ms) unless `max` are counted already. */
  async take(name: string, max: number, endsAt: number): Promise<boolean> {
    return writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name },
          UpdateExpression: 'ADD #count :one SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':max': max,
            ':expiresAt': Math.ceil(endsAt / 1000) + KEEP_SECONDS,
          },
        }),
      ),
    );
  }
}

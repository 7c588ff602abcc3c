import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { writtenIf } from './conditional-write.ts';

interface TurnItem {
  name: string;
  holder: string;
  /** Epoch ms: the turn is free again after this, even if its holder never gave it back (a crash). */
  heldUntil: number;
  /** Epoch seconds, for DynamoDB's TTL: a turn nobody asked for in a day is just clutter. */
  expiresAt: number;
}

/**
 * Named turns (a lock with an expiry, one item each in the turns table): work that decides from a
 * snapshot what is left to spend — the straggler detector's backup budget — must not run twice at
 * once, or each copy spends the whole of it. Taking a turn is one conditional put; a holder that
 * dies frees it by its expiry.
 */
export class Turns {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Takes turn `name` for `holdMs` unless another holder has it now; false when it is taken. */
  async take(name: string, holder: string, holdMs: number, now = Date.now()): Promise<boolean> {
    const item: TurnItem = { name, holder, heldUntil: now + holdMs, expiresAt: Math.ceil(now / 1000) + 86_400 };
    return writtenIf(
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#name) OR heldUntil <= :now',
          ExpressionAttributeNames: { '#name': 'name' },
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
  }

  /**
   * Ends `holder`'s turn now: the next holder may start at once (what it decides from, it reads
   * strongly consistent, so it sees this holder's writes). A lost turn is left alone.
   */
  async giveBack(name: string, holder: string, now = Date.now()): Promise<void> {
    await writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name },
          UpdateExpression: 'SET heldUntil = :until',
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':until': now, ':holder': holder },
        }),
      ),
    );
  }
}

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { writtenIf } from './conditional-write.ts';

/** Holders by id, each with the epoch ms its lease runs to: past it, the holder has let go (a crash). */
type Holders = Record<string, number>;

/** Expired holders cleared by one write at most: keeps the condition well inside DynamoDB's expression limits. */
const MAX_CLEARED = 50;

/**
 * Counting semaphores with leases, one item each in the coordination table (`holders`: a map of
 * holder → lease end). A place is taken with one conditional write while fewer than `size` hold
 * one; a holder that dies without giving its place back loses it when its lease ends, so a crash
 * never leaks a place for good.
 */
export class Semaphores {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Takes a place in semaphore `name` for `holder` until `until`; false when `size` live holders
   * have one. When the first write is refused, the item it returns tells whether holders have
   * expired: one more write clears them and takes the place, under the condition that they are
   * still expired (a renewed one keeps its place) and the count is what was read.
   */
  async acquire(name: string, holder: string, size: number, until: number, now = Date.now()): Promise<boolean> {
    const first = await this.take(name, holder, until, size, []);
    if (first.taken) return true;
    if (!first.holders) {
      // The semaphore's first use: a place cannot be set in a map that does not exist yet.
      await this.createMap(name);
      return (await this.take(name, holder, until, size, [])).taken;
    }
    const expired = Object.keys(first.holders)
      .filter((id) => first.holders![id]! <= now)
      .slice(0, MAX_CLEARED);
    const live = Object.keys(first.holders).length - expired.length;
    if (live >= size) return false;
    return (await this.take(name, holder, until, size, expired, now)).taken;
  }

  /** Extends `holder`'s lease; false when it has no place any more (its lease ended and it was cleared). */
  async renew(name: string, holder: string, until: number): Promise<boolean> {
    return writtenIf(
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name },
          UpdateExpression: 'SET holders.#holder = :until',
          ConditionExpression: 'attribute_exists(holders.#holder)',
          ExpressionAttributeNames: { '#holder': holder },
          ExpressionAttributeValues: { ':until': until },
        }),
      ),
    );
  }

  /** Gives `holder`'s place back (nothing happens when it has none). */
  async release(name: string, holder: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { name },
        UpdateExpression: 'REMOVE holders.#holder',
        ExpressionAttributeNames: { '#holder': holder },
      }),
    );
  }

  /** Holders whose lease has not ended at `now`. */
  async liveHolders(name: string, now = Date.now()): Promise<number> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.table, Key: { name } }));
    return Object.values((Item?.holders ?? {}) as Holders).filter((until) => until > now).length;
  }

  /**
   * One conditional write: add `holder`, clearing `expired` (each must still be expired, so the
   * count after the write is at most `size`). Refused, it answers the holders DynamoDB saw.
   */
  private async take(
    name: string,
    holder: string,
    until: number,
    size: number,
    expired: string[],
    now?: number,
  ): Promise<{ taken: true } | { taken: false; holders?: Holders }> {
    const cleared = expired.map((_, i) => `holders.#x${i}`);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name },
          UpdateExpression: [
            'SET holders.#holder = :until',
            ...(cleared.length ? [`REMOVE ${cleared.join(', ')}`] : []),
          ].join(' '),
          ConditionExpression: ['size(holders) < :room', ...cleared.map((path) => `${path} <= :now`)].join(' AND '),
          ExpressionAttributeNames: {
            '#holder': holder,
            ...Object.fromEntries(expired.map((id, i) => [`#x${i}`, id])),
          },
          ExpressionAttributeValues: {
            ':until': until,
            ':room': size + expired.length,
            ...(cleared.length ? { ':now': now } : {}),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { taken: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The document client leaves the returned item in DynamoDB's own format.
      const item = error.Item ? unmarshall(error.Item) : undefined;
      return { taken: false, holders: item?.holders as Holders | undefined };
    }
  }

  private async createMap(name: string): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { name },
        UpdateExpression: 'SET holders = if_not_exists(holders, :none)',
        ExpressionAttributeValues: { ':none': {} },
      }),
    );
  }
}

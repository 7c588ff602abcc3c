import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Capacity, Priority } from '../model/index.ts';
import { batchGet } from './batch-get.ts';

/** One tenant's window in one queue (a lane): whose places it is, and in which queue. */
export interface WindowKey {
  capacity: Capacity;
  priority: Priority;
  tenant: string;
}

/** A window as stored: its places (holder → epoch ms its lease runs to) and its count of held jobs. */
export interface TenantWindow extends WindowKey {
  holders: Record<string, number>;
  /**
   * Jobs of the tenant held in this queue; may run high for a while (a cancelled held job, a hold
   * counted for a job never written), never for good: a release that finds none forgets them.
   */
  held: number;
  /**
   * The oldest held jobs' ids, oldest first, as a release last read them from the HELD index: the
   * next releases take from its head without reading the index (empty: read it again).
   */
  next: string[];
  /** Epoch ms `held` last grew: the reaper searches a recently held window for stranded jobs. */
  heldAt?: number;
}

/** Places set or cleared by one write at most: keeps the expression well inside DynamoDB's limits. */
const MAX_PER_WRITE = 50;

/**
 * Ids in a window's list of next held jobs: one index read serves this many releases (on the
 * emulator a read of a flooded tenant's partition costs as much as thousands of items). Kept short
 * because every write of the window carries it: 32 ids keep the item under 2 KB (2 write units).
 */
export const MAX_NEXT = 32;

const windowName = (k: WindowKey) => `window#${k.capacity}#${k.priority}#${k.tenant}`;
const laneName = (capacity: Capacity, priority: Priority) => `lane#${capacity}#${priority}`;

/**
 * Per-tenant windows of the coordination table (src/jobs/fairness): one item per tenant and queue,
 * a leased semaphore like Semaphores (holder = job id, so a place lost with its message frees when
 * its lease ends) with the tenant's count of held jobs beside it, so the decision to hold and the
 * places taken are one conditional write. Each queue's item `lane#<capacity>#<priority>` lists the
 * tenants that ever had a window there, written once per tenant: what the reaper and the stats read.
 */
export class TenantWindows {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Intake: places for `holders` (in order) while nothing is held and the window has room, until
   * `until`. Takes all when they fit, else as many as fit (clearing expired places), else none;
   * answers how many of the first it took. None while jobs are held: a new job waits behind them.
   */
  async admit(key: WindowKey, holders: string[], size: number, until: number, now = Date.now()): Promise<number> {
    const wanted = holders.slice(0, MAX_PER_WRITE);
    let first = await this.take(key, wanted, size, until, { nothingHeld: true });
    if (!first.taken && !first.window) {
      await this.create(key);
      first = await this.take(key, wanted, size, until, { nothingHeld: true });
    }
    if (first.taken) return wanted.length;
    if (!first.window || first.window.held > 0) return 0;
    const { live, expired } = split(first.window.holders, now);
    const fits = Math.min(wanted.length, size - live);
    if (fits <= 0) return 0;
    const taken = await this.take(key, wanted.slice(0, fits), size, until, { nothingHeld: true, expired, now });
    return taken.taken ? fits : 0;
  }

  /**
   * Release: places for the first `n` jobs of `next` (the window's list as last seen), taken from
   * the held count and off the list in the same write; refused when the list changed (another
   * release took its head), when one of their places is not as `expired` (the window's expired
   * places as seen) says — none, or expired — when the window is full, or when fewer are counted
   * held. A job's expired place (a release that died before its send) is taken over and counts
   * once. Answers the ids it took (at most one write's worth), or the window DynamoDB saw when refused.
   */
  async release(
    key: WindowKey,
    next: string[],
    n: number,
    size: number,
    until: number,
    expired: string[],
    now = Date.now(),
  ): Promise<{ taken: true; ids: string[] } | { taken: false; window?: TenantWindow }> {
    const holders = next.slice(0, Math.min(n, MAX_PER_WRITE));
    const taken = await this.take(key, holders, size, until, { fromHeld: { next }, expired, now });
    return taken.taken ? { taken: true, ids: holders } : taken;
  }

  /**
   * The right to fill the window's empty list, for one release at a time until `until`: each fill
   * reads the HELD index, which on the emulator costs in proportion to the tenant's held jobs, and
   * every claim that finds the list empty would otherwise read it at once. Refused while another
   * release holds it, or once the list is filled again: answers the window DynamoDB saw then.
   */
  async claimRefill(
    key: WindowKey,
    until: number,
    now = Date.now(),
  ): Promise<{ taken: true } | { taken: false; window?: TenantWindow }> {
    return this.conditionally(key, {
      UpdateExpression: 'SET refillBy = :until',
      ConditionExpression:
        'attribute_exists(holders) AND (attribute_not_exists(#next) OR size(#next) = :zero) AND (attribute_not_exists(refillBy) OR refillBy <= :now)',
      ExpressionAttributeNames: { '#next': 'next' },
      ExpressionAttributeValues: { ':until': until, ':now': now, ':zero': 0 },
    });
  }

  /**
   * Sets the list of next held jobs (read from the HELD index; none when it found none) while it
   * is empty, and gives the right to fill it back; refused when another release filled it first.
   */
  async refill(key: WindowKey, next: string[]): Promise<{ taken: true } | { taken: false; window?: TenantWindow }> {
    return this.conditionally(key, {
      UpdateExpression: next.length ? 'SET #next = :next REMOVE refillBy' : 'REMOVE refillBy',
      ConditionExpression: 'attribute_exists(holders) AND (attribute_not_exists(#next) OR size(#next) = :zero)',
      ExpressionAttributeNames: { '#next': 'next' },
      ExpressionAttributeValues: { ...(next.length && { ':next': next.slice(0, MAX_NEXT) }), ':zero': 0 },
    });
  }

  /** Gives `holder`'s place back; the window as it is after (undefined when it has no item). */
  async giveBack(key: WindowKey, holder: string): Promise<TenantWindow | undefined> {
    const { Attributes } = await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name: windowName(key) },
          UpdateExpression: 'REMOVE holders.#holder',
          ConditionExpression: 'attribute_exists(holders)',
          ExpressionAttributeNames: { '#holder': holder },
          ReturnValues: 'ALL_NEW',
        }),
      )
      .catch((error: unknown) => {
        if (error instanceof ConditionalCheckFailedException) return { Attributes: undefined };
        throw error;
      });
    return Attributes && asWindow(key, Attributes);
  }

  /** Counts `n` more held jobs (before they are written, so a release never misses one). */
  async addHeld(key: WindowKey, n: number, now = Date.now()): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { name: windowName(key) },
        UpdateExpression: 'ADD held :n SET heldAt = :now',
        ExpressionAttributeValues: { ':n': n, ':now': now },
      }),
    );
  }

  /**
   * Sets a count of held jobs that the HELD index no longer backs to none, unless a hold came since
   * `seen` (its held count or heldAt changed). heldAt moves to `now`, so the reaper's search for
   * stranded jobs covers the window for its horizon, should a held job have been missed.
   */
  async forgetHeld(key: WindowKey, seen: Pick<TenantWindow, 'held' | 'heldAt'>, now = Date.now()): Promise<boolean> {
    const outcome = await this.conditionally(key, {
      UpdateExpression: 'SET held = :zero, heldAt = :now',
      ConditionExpression: `held = :held AND ${seen.heldAt === undefined ? 'attribute_not_exists(heldAt)' : 'heldAt = :heldAt'}`,
      ExpressionAttributeValues: {
        ':zero': 0,
        ':now': now,
        ':held': seen.held,
        ...(seen.heldAt !== undefined && { ':heldAt': seen.heldAt }),
      },
    });
    return outcome.taken;
  }

  /** The window, strongly consistent; undefined before its first use. */
  async read(key: WindowKey): Promise<TenantWindow | undefined> {
    const [item] = await batchGet(this.db, this.table, 'name', [windowName(key)], true);
    return item ? asWindow(key, item as Record<string, unknown>) : undefined;
  }

  /** Every window of the queues given, of every tenant that ever had one there. */
  async list(lanes: { capacity: Capacity; priority: Priority }[]): Promise<TenantWindow[]> {
    const laneItems = (await batchGet(
      this.db,
      this.table,
      'name',
      lanes.map((l) => laneName(l.capacity, l.priority)),
      false,
    )) as { name: string; tenants?: Set<string> }[];
    const keys = lanes.flatMap((lane) => {
      const item = laneItems.find((i) => i.name === laneName(lane.capacity, lane.priority));
      return [...(item?.tenants ?? [])].map((tenant) => ({ ...lane, tenant }));
    });
    const items = (await batchGet(this.db, this.table, 'name', keys.map(windowName), false)) as Record<
      string,
      unknown
    >[];
    const byName = new Map(items.map((item) => [item.name as string, item]));
    return keys.flatMap((key) => {
      const item = byName.get(windowName(key));
      return item ? [asWindow(key, item)] : [];
    });
  }

  /**
   * One conditional write adding `holders` (clearing `expired`, each still expired at `now`):
   * at intake while nothing is held, at release taken from the held count and off the head of
   * the list of next held jobs (`fromHeld.next`, as last seen).
   */
  private async take(
    key: WindowKey,
    holders: string[],
    size: number,
    until: number,
    mode: { nothingHeld?: boolean; fromHeld?: { next: string[] }; expired?: string[]; now?: number },
  ): Promise<{ taken: true } | { taken: false; window?: TenantWindow }> {
    // A held job's own expired place (its release died before sending it) is overwritten, not
    // cleared (one write may not touch a path twice), and adds no place: the room counts only new ones.
    const overwritten = new Set(holders.filter((id) => mode.expired?.includes(id)));
    const expired = (mode.expired ?? []).filter((id) => !overwritten.has(id)).slice(0, MAX_PER_WRITE);
    const added = holders.length - overwritten.size;
    const set = holders.map((_, i) => `holders.#h${i} = :until`);
    const cleared = expired.map((_, i) => `holders.#x${i}`);
    const rest = mode.fromHeld?.next.slice(holders.length) ?? [];
    const conditions = [
      'size(holders) <= :room',
      ...cleared.map((path) => `${path} <= :now`),
      ...(mode.nothingHeld ? ['(attribute_not_exists(held) OR held <= :zero)'] : []),
      ...(mode.fromHeld
        ? [
            'held >= :n',
            // The list is only ever cut from its head or set while empty: its length and head name it.
            'size(#next) = :listed AND #next[0] = :head',
            // Each place as seen, so that the room is exact: a new one absent, an overwritten one expired.
            ...holders.map((id, i) =>
              overwritten.has(id) ? `holders.#h${i} <= :now` : `attribute_not_exists(holders.#h${i})`,
            ),
          ]
        : []),
    ];
    // The list's rest stays; an emptied list goes, so that a refill's `size = 0` or absent condition holds.
    const removed = [...cleared, ...(mode.fromHeld && !rest.length ? ['#next'] : [])];
    return this.conditionally(key, {
      UpdateExpression: [
        `SET ${[...set, ...(rest.length ? ['#next = :rest'] : [])].join(', ')}`,
        ...(removed.length ? [`REMOVE ${removed.join(', ')}`] : []),
        ...(mode.fromHeld ? ['ADD held :minus'] : []),
      ].join(' '),
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: {
        ...Object.fromEntries(holders.map((id, i) => [`#h${i}`, id])),
        ...Object.fromEntries(expired.map((id, i) => [`#x${i}`, id])),
        ...(mode.fromHeld && { '#next': 'next' }),
      },
      ExpressionAttributeValues: {
        ':until': until,
        ':room': size + expired.length - added,
        ...(cleared.length || overwritten.size ? { ':now': mode.now } : {}),
        ...(mode.nothingHeld ? { ':zero': 0 } : {}),
        ...(mode.fromHeld && {
          ':n': holders.length,
          ':minus': -holders.length,
          ':listed': mode.fromHeld.next.length,
          ':head': mode.fromHeld.next[0],
          ...(rest.length && { ':rest': rest }),
        }),
      },
    });
  }

  /** A conditional update of the window; refused, it answers the window DynamoDB saw. */
  private async conditionally(
    key: WindowKey,
    update: Pick<
      UpdateCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<{ taken: true } | { taken: false; window?: TenantWindow }> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name: windowName(key) },
          ...update,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { taken: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The document client leaves the returned item in DynamoDB's own format.
      const item = error.Item ? unmarshall(error.Item) : undefined;
      return { taken: false, window: item?.holders ? asWindow(key, item) : undefined };
    }
  }

  /** The window's first use: its empty map, and its tenant in its queue's list. */
  private async create(key: WindowKey): Promise<void> {
    await Promise.all([
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name: windowName(key) },
          UpdateExpression: 'SET holders = if_not_exists(holders, :none)',
          ExpressionAttributeValues: { ':none': {} },
        }),
      ),
      this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { name: laneName(key.capacity, key.priority) },
          UpdateExpression: 'ADD tenants :tenant',
          ExpressionAttributeValues: { ':tenant': new Set([key.tenant]) },
        }),
      ),
    ]);
  }
}

/**
 * A window's places split at `now`: how many are live, and every expired holder (a write clears
 * a few; a held job among them, whatever its position, has its own place taken over).
 */
export function split(holders: Record<string, number>, now: number): { live: number; expired: string[] } {
  const expired = Object.keys(holders).filter((id) => holders[id]! <= now);
  return { live: Object.keys(holders).length - expired.length, expired };
}

function asWindow(key: WindowKey, item: Record<string, unknown>): TenantWindow {
  return {
    ...key,
    holders: (item.holders ?? {}) as Record<string, number>,
    held: Math.max(0, Number(item.held ?? 0)),
    next: (item.next ?? []) as string[],
    ...(item.heldAt !== undefined && { heldAt: Number(item.heldAt) }),
  };
}

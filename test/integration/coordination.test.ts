import { CreateTableCommand, DeleteTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateWindows, Semaphores, splitPlaces, TenantWindows, Turns } from '../../src/jobs/store/index.ts';
import { testStack } from '../helpers/stack.ts';

const { dynamodb } = testStack();
const table = `tailguard-coordination-${Date.now()}`;
const db = DynamoDBDocumentClient.from(dynamodb);
const turns = new Turns(db, table);
const semaphores = new Semaphores(db, table);
const rateWindows = new RateWindows(db, table);
const windows = new TenantWindows(db, table);

/**
 * The coordination table's items against the emulator's DynamoDB, whose conditions decide each
 * race: turns (the detector), per-type concurrency slots and rate windows (src/jobs/limits),
 * tenants' windows (src/jobs/fairness).
 */
beforeAll(async () => {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: table });
});

afterAll(async () => {
  await dynamodb.send(new DeleteTableCommand({ TableName: table }));
});

describe('Turns (one detector pass per class at a time)', () => {
  it('gives a free turn to exactly one of many holders asking at once', async () => {
    const taken = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((holder) => turns.take('race', holder, 30_000)));
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('lets the next holder in once the turn was given back', async () => {
    const now = Date.now();
    expect(await turns.take('cpu', 'run-1', 30_000, now)).toBe(true);
    expect(await turns.take('cpu', 'run-2', 30_000, now)).toBe(false);
    // Another class's turn is its own.
    expect(await turns.take('gpu', 'run-2', 30_000, now)).toBe(true);

    await turns.giveBack('cpu', 'run-1', now);
    expect(await turns.take('cpu', 'run-2', 30_000, now)).toBe(true);
  });

  it('frees the turn of a holder that never gave it back once its hold ran out', async () => {
    const now = Date.now();
    expect(await turns.take('crashed', 'run-1', 30_000, now)).toBe(true);
    expect(await turns.take('crashed', 'run-2', 30_000, now + 29_999)).toBe(false);
    expect(await turns.take('crashed', 'run-2', 30_000, now + 30_000)).toBe(true);
  });

  it('leaves a turn alone when a former holder gives back what is no longer theirs', async () => {
    const now = Date.now();
    await turns.take('stolen', 'run-1', 1000, now);
    await turns.take('stolen', 'run-2', 30_000, now + 1000);
    await turns.giveBack('stolen', 'run-1', now + 1000);
    expect(await turns.take('stolen', 'run-3', 30_000, now + 2000)).toBe(false);
  });
});

describe('Semaphores (per-type concurrency slots)', () => {
  it('gives places to exactly `size` of many holders asking at once, creating the item on first use', async () => {
    // Act
    const until = Date.now() + 30_000;
    const taken = await Promise.all(
      Array.from({ length: 12 }, (_, i) => semaphores.acquire('limit#race', `h${i}`, 3, until)),
    );
    // Assess
    expect(taken.filter(Boolean)).toHaveLength(3);
    expect(await semaphores.liveHolders('limit#race')).toBe(3);
  });

  it('gives a released place to the next holder', async () => {
    // Prepare
    const until = Date.now() + 30_000;
    expect(await semaphores.acquire('limit#release', 'a', 1, until)).toBe(true);
    expect(await semaphores.acquire('limit#release', 'b', 1, until)).toBe(false);
    // Act
    await semaphores.release('limit#release', 'a');
    // Assess
    expect(await semaphores.acquire('limit#release', 'b', 1, until)).toBe(true);
  });

  it("clears a crashed holder's place once its lease ran out, and never a renewed one", async () => {
    // Prepare: two places, held until `now + 1000`.
    const now = Date.now();
    expect(await semaphores.acquire('limit#crash', 'crashed', 2, now + 1000, now)).toBe(true);
    expect(await semaphores.acquire('limit#crash', 'alive', 2, now + 1000, now)).toBe(true);
    expect(await semaphores.renew('limit#crash', 'alive', now + 30_000)).toBe(true);
    // Act: later, the crashed holder's lease has ended, the renewed one's has not.
    const later = now + 1000;
    const first = await semaphores.acquire('limit#crash', 'next', 2, later + 30_000, later);
    const second = await semaphores.acquire('limit#crash', 'one-more', 2, later + 30_000, later);
    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(await semaphores.renew('limit#crash', 'crashed', later + 30_000)).toBe(false);
    expect(await semaphores.liveHolders('limit#crash', later)).toBe(2);
  });
});

describe('RateWindows (per-type start rates)', () => {
  it('counts at most `max` starts of many asking at once in one window, and starts afresh in the next', async () => {
    // Act
    const endsAt = Date.now() + 60_000;
    const taken = await Promise.all(Array.from({ length: 10 }, () => rateWindows.take('rate#race#1', 4, endsAt)));
    const next = await rateWindows.take('rate#race#2', 4, endsAt + 1000);
    // Assess
    expect(taken.filter(Boolean)).toHaveLength(4);
    expect(next).toBe(true);
  });
});

describe("TenantWindows (tenants' places in a queue)", () => {
  const window = (tenant: string) => ({ capacity: 'cpu', priority: 'default', tenant }) as const;

  /** A full window of `size` places, all expired; `held` of its holders are listed as held again (their release died before sending them). */
  async function expiredWindow(tenant: string, size: number, held: string[], now: number) {
    const holders = Array.from({ length: size }, (_, i) => held[i] ?? `gone-${i}`);
    expect(await windows.admit(window(tenant), holders, size, now - 1, now - 60_000)).toBe(size);
    await windows.addHeld(window(tenant), held.length, now);
    expect(await windows.refill(window(tenant), held)).toEqual({ taken: true });
    return (await windows.read(window(tenant)))!;
  }

  it("takes over held jobs' own expired places when it releases them into a full window, counting each once", async () => {
    // Prepare: 3 places; the held jobs' own places are 2 of the 3 expired ones.
    const now = Date.now();
    const seen = await expiredWindow('takeover', 3, ['h1', 'h2'], now);
    // Act
    const { expired } = splitPlaces(seen.holders, now);
    const taken = await windows.release(window('takeover'), seen.next, 2, 3, now + 60_000, expired, now);
    // Assess
    expect(taken).toEqual({ taken: true, ids: ['h1', 'h2'] });
    const after = (await windows.read(window('takeover')))!;
    expect(after.holders).toEqual({ h1: now + 60_000, h2: now + 60_000 });
    expect(after).toMatchObject({ held: 0, next: [] });
  });

  it("takes over a held job's place past the first write's worth of expired places", async () => {
    // Prepare: the held job's place is the last of 60 expired ones; one write clears 50.
    const now = Date.now();
    const holders = Array.from({ length: 60 }, (_, i) => `gone-${i}`);
    holders[59] = 'late';
    await windows.admit(window('crowded'), holders.slice(0, 50), 60, now - 1, now - 60_000);
    await windows.admit(window('crowded'), holders.slice(50), 60, now - 1, now - 60_000);
    await windows.addHeld(window('crowded'), 1, now);
    await windows.refill(window('crowded'), ['late']);
    const seen = (await windows.read(window('crowded')))!;
    // Act
    const { expired } = splitPlaces(seen.holders, now);
    const taken = await windows.release(window('crowded'), seen.next, 1, 60, now + 60_000, expired, now);
    // Assess
    expect(taken).toEqual({ taken: true, ids: ['late'] });
    const after = (await windows.read(window('crowded')))!;
    expect(after.holders.late).toBe(now + 60_000);
    expect(Object.keys(after.holders)).toHaveLength(10);
  });

  it('refuses places for held jobs beyond the room left, and answers the window it saw', async () => {
    // Prepare: 2 places, one live; two held jobs.
    const now = Date.now();
    await windows.admit(window('full'), ['live'], 2, now + 60_000, now);
    await windows.addHeld(window('full'), 2, now);
    await windows.refill(window('full'), ['h1', 'h2']);
    // Act
    const taken = await windows.release(window('full'), ['h1', 'h2'], 2, 2, now + 60_000, [], now);
    // Assess
    expect(taken).toMatchObject({ taken: false, window: { held: 2, next: ['h1', 'h2'] } });
    expect(await windows.release(window('full'), ['h1', 'h2'], 1, 2, now + 60_000, [], now)).toEqual({
      taken: true,
      ids: ['h1'],
    });
  });
});

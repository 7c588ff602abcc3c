import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { NOW, queued } from '../../../test/helpers/store-fixtures.ts';
import type { Job } from '../model/index.ts';
import { RateWindows, Semaphores } from '../store/index.ts';
import { JobLimiter } from './job-limiter.ts';
import { rateWindow, TypeLimitsSchema } from './type-limits.ts';

const db = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const counters = {
  semaphores: new Semaphores(client, 'coordination'),
  rateWindows: new RateWindows(client, 'coordination'),
};
const LEASE_MS = 6000;
const limiterWith = (random = () => 0) =>
  new JobLimiter(
    { render: { concurrency: 2, perSecond: 2.5 }, thumbnail: { concurrency: 1 }, 'mail.send': { perSecond: 0.5 } },
    counters,
    { leaseMs: LEASE_MS, random },
  );
const limiter = limiterWith();
const jobOf = (type: string, status: Job['status'] = 'QUEUED'): Job => ({ ...queued, type, status });

/** Refusals as DynamoDB answers them: a full semaphore returns its item, a full window nothing. */
const fullSemaphore = new ConditionalCheckFailedException({
  message: 'The conditional request failed',
  $metadata: {},
  Item: marshall({ name: 'limit#render', holders: { a: NOW + 5000, b: NOW + 5000 } }),
});
const fullWindow = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

const writes = () => db.commandCalls(UpdateCommand).map((call) => call.args[0].input);

beforeEach(() => {
  db.reset();
  db.onAnyCommand().resolves({});
});

describe('JobLimiter.admit', () => {
  it('admits a type without limits, and a job that is gone or finished, without a request', async () => {
    // Act
    const admissions = await Promise.all([
      limiter.admit(jobOf('noop'), NOW),
      limiter.admit(undefined, NOW),
      limiter.admit(jobOf('render', 'SUCCEEDED'), NOW),
    ]);
    // Assess
    expect(admissions).toEqual([{ admitted: true }, { admitted: true }, { admitted: true }]);
    expect(db.calls()).toHaveLength(0);
  });

  it("takes a slot leased for the attempt's lease, and a start in the current window", async () => {
    // Act
    const admission = await limiter.admit(jobOf('render'), NOW);
    // Assess
    expect(admission).toEqual({ admitted: true, slot: { names: ['render'], holder: expect.any(String) } });
    const [slot, start] = writes();
    expect(slot).toMatchObject({
      Key: { name: 'limit#render' },
      ExpressionAttributeValues: { ':until': NOW + LEASE_MS, ':room': 2 },
    });
    // 2.5 starts a second: windows of 1.2 s that count 3 starts each.
    expect(start).toMatchObject({
      Key: { name: `rate#render#${NOW / 1200}` },
      ExpressionAttributeValues: { ':max': 3 },
    });
  });

  it('refuses a type at its concurrency limit for 1 or 2 s (jittered), before counting a start', async () => {
    // Prepare
    db.on(UpdateCommand, { Key: { name: 'limit#render' } }).rejects(fullSemaphore);
    // Act
    const early = await limiterWith(() => 0).admit(jobOf('render'), NOW);
    const late = await limiterWith(() => 0.999).admit(jobOf('render'), NOW);
    // Assess
    expect(early).toEqual({ admitted: false, retryInSeconds: 1, reason: '2 running (concurrency limit)' });
    expect(late).toMatchObject({ admitted: false, retryInSeconds: 2 });
    expect(writes().every((write) => write.Key?.name === 'limit#render')).toBe(true);
  });

  it('refuses a type over its rate until the window ends, giving its slot back', async () => {
    // Prepare
    db.on(UpdateCommand, { Key: { name: `rate#render#${NOW / 1200}` } }).rejects(fullWindow);
    // Act: 300 ms into a 1.2 s window.
    const admission = await limiter.admit(jobOf('render'), NOW + 300);
    // Assess
    expect(admission).toEqual({ admitted: false, retryInSeconds: 1, reason: '2.5 starts per second (rate limit)' });
    const [taken, , released] = writes();
    expect(released).toMatchObject({
      Key: { name: 'limit#render' },
      UpdateExpression: 'REMOVE holders.#holder',
      ExpressionAttributeNames: { '#holder': taken!.ExpressionAttributeNames!['#holder'] },
    });
  });

  it('waits up to the next window of a slow rate, with no slot to give back', async () => {
    // Prepare: 0.5 starts a second, one start per 2 s window.
    db.on(UpdateCommand).rejects(fullWindow);
    // Act
    const admission = await limiter.admit(jobOf('mail.send'), NOW + 100);
    // Assess
    expect(admission).toMatchObject({ admitted: false, retryInSeconds: 2 });
    expect(writes()).toHaveLength(1);
    expect(writes()[0]).toMatchObject({ Key: { name: `rate#mail.send#${NOW / 2000}` } });
  });

  it('takes no start for a type limited in concurrency only', async () => {
    // Act
    await limiter.admit(jobOf('thumbnail'), NOW);
    // Assess
    expect(writes().map((write) => write.Key?.name)).toEqual(['limit#thumbnail']);
  });
});

describe('JobLimiter with tenant limits', () => {
  const tenantLimited = new JobLimiter({ render: { concurrency: 2 } }, counters, {
    leaseMs: LEASE_MS,
    random: () => 0,
    tenantLimit: async (tenant) => (tenant === 'acme' ? { concurrency: 3, perSecond: 1 } : {}),
  });
  const acme = (type: string): Job => ({ ...jobOf(type), tenant: 'acme' });

  it("takes a slot in the type's and the tenant's semaphores under one holder, then the tenant's start", async () => {
    // Act
    const admission = await tenantLimited.admit(acme('render'), NOW);

    // Assess: a tenant's counters are named so that no job type's can be (a type has no '#').
    expect(admission).toEqual({
      admitted: true,
      slot: { names: ['render', 'tenant#acme'], holder: expect.any(String) },
    });
    expect(writes().map((write) => write.Key?.name)).toEqual([
      'limit#render',
      'limit#tenant#acme',
      `rate#tenant#acme#${NOW / 1000}`,
    ]);
    const holders = writes()
      .slice(0, 2)
      .map((write) => write.ExpressionAttributeNames?.['#holder']);
    expect(holders[0]).toBe(holders[1]);
  });

  it("gives the type's slot back when the tenant's concurrency refuses, naming the tenant", async () => {
    // Prepare
    db.on(UpdateCommand, { Key: { name: 'limit#tenant#acme' } }).rejects(fullSemaphore);

    // Act
    const admission = await tenantLimited.admit(acme('render'), NOW);

    // Assess
    expect(admission).toEqual({
      admitted: false,
      retryInSeconds: 1,
      reason: 'tenant acme: 3 running (concurrency limit)',
    });
    expect(writes().at(-1)).toMatchObject({
      Key: { name: 'limit#render' },
      UpdateExpression: 'REMOVE holders.#holder',
    });
  });

  it("gives both slots back when the tenant's rate refuses", async () => {
    // Prepare
    db.on(UpdateCommand, { Key: { name: `rate#tenant#acme#${NOW / 1000}` } }).rejects(fullWindow);

    // Act
    const admission = await tenantLimited.admit(acme('render'), NOW + 400);

    // Assess
    expect(admission).toMatchObject({
      admitted: false,
      retryInSeconds: 1,
      reason: 'tenant acme: 1 starts per second (rate limit)',
    });
    const released = writes().filter((write) => write.UpdateExpression === 'REMOVE holders.#holder');
    expect(released.map((write) => write.Key?.name)).toEqual(['limit#render', 'limit#tenant#acme']);
  });

  it('takes nothing for a tenant without limits, and reads its settings as the job names it', async () => {
    // Act
    const admission = await tenantLimited.admit({ ...jobOf('noop'), tenant: 'quiet' }, NOW);

    // Assess
    expect(admission).toEqual({ admitted: true });
    expect(db.calls()).toHaveLength(0);
  });
});

describe('JobLimiter.renew and release', () => {
  it('renews a slot for another lease and gives it back, by its holder', async () => {
    // Act
    await limiter.renew({ names: ['render'], holder: 'h1' }, NOW);
    await limiter.release({ names: ['render'], holder: 'h1' });
    // Assess
    expect(writes()).toMatchObject([
      {
        Key: { name: 'limit#render' },
        UpdateExpression: 'SET holders.#holder = :until',
        ExpressionAttributeNames: { '#holder': 'h1' },
        ExpressionAttributeValues: { ':until': NOW + LEASE_MS },
      },
      { Key: { name: 'limit#render' }, UpdateExpression: 'REMOVE holders.#holder' },
    ]);
  });
});

describe('type limits', () => {
  it('count whole starts per window so that any rate averages out exactly', () => {
    expect(rateWindow(5)).toEqual({ starts: 5, ms: 1000 });
    expect(rateWindow(2.5)).toEqual({ starts: 3, ms: 1200 });
    expect(rateWindow(0.5)).toEqual({ starts: 1, ms: 2000 });
  });

  it('refuse a type without a limit, a fractional concurrency, a zero rate and a malformed type name', () => {
    const problems = (limits: unknown) =>
      TypeLimitsSchema.safeParse(limits).error?.issues.map((issue) => issue.path.join('.'));
    expect(problems({ render: {} })).toEqual(['render']);
    expect(problems({ render: { concurrency: 1.5 } })).toEqual(['render.concurrency']);
    expect(problems({ render: { perSecond: 0 } })).toEqual(['render.perSecond']);
    expect(problems({ 'bad type': { concurrency: 1 } })).toEqual(['bad type']);
    expect(problems({ render: { concurrency: 2, perSecond: 0.1 } })).toBeUndefined();
  });
});

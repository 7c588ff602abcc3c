import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../model/index.ts';
import { ScheduleRequestSchema } from './schedule-request.ts';

/** The 400 details a body would get: each field at fault and why. */
function details(body: object) {
  const parsed = ScheduleRequestSchema.safeParse(body);
  return parsed.success ? [] : InvalidInputError.fromZod(parsed.error).details;
}

describe('ScheduleRequestSchema', () => {
  it('fills the defaults and normalises expression and time zone', () => {
    // Act
    const request = ScheduleRequestSchema.parse({
      name: 'nightly',
      cron: '0 2 * * ? *',
      timezone: 'europe/berlin',
      job: { type: 'reindex' },
    });
    // Assess
    expect(request).toMatchObject({
      cron: 'cron(0 2 * * ? *)',
      timezone: 'Europe/Berlin',
      overlap: 'skip',
      job: { type: 'reindex', priority: 'default', capacity: 'cpu', maxAttempts: 4 },
    });
  });

  it.each([
    [{ cron: 'cron(99 * * * ? *)' }, 'cron', 'minutes: 99 is outside 0-59'],
    [{ rate: 'rate(1 minute)', timezone: 'Mars/Olympus' }, 'timezone', 'unknown IANA time zone "Mars/Olympus"'],
    [{ rate: 'rate(30 seconds)' }, 'rate', 'must be at least 1 minute (units: minute(s), hour(s), day(s))'],
    [{}, 'cron', 'give cron or rate, exactly one'],
    [{ cron: 'cron(0 9 ? * MON *)', rate: 'rate(1 day)' }, 'cron', 'give cron or rate, exactly one'],
    [{ rate: 'rate(1 hour)', endAt: '2020-01-01T00:00:00Z' }, 'endAt', 'must be in the future and after startAt'],
  ])('refuses %j, naming %s', (fields, path, message) => {
    // Act / Assess
    expect(details({ name: 'n', job: { type: 'noop' }, ...fields })).toContainEqual({ path, message });
  });

  it('refuses what a fire decides itself, and a name Scheduler cannot hold', () => {
    // Act
    const found = details({
      name: 'has space',
      rate: 'rate(1 hour)',
      job: { type: 'noop', idempotencyKey: 'k', delaySeconds: 5 },
    });
    // Assess
    expect(found.map((d) => d.path).sort()).toEqual(['job.delaySeconds', 'job.idempotencyKey', 'name']);
  });

  it('refuses a payload too large to travel in the schedule', () => {
    // Act / Assess
    expect(
      details({ name: 'n', rate: 'rate(1 hour)', job: { type: 'noop', payload: 'x'.repeat(9000) } }),
    ).toContainEqual({
      path: 'job.payload',
      message: 'must be at most 8192 bytes as JSON in a schedule',
    });
  });
});

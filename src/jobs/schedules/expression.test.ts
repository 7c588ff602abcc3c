import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExpressionError, fireTimesAfter, parseCron, parseExpression, parseRate } from './expression.ts';

const iso = (times: number[]) => times.map((t) => new Date(t).toISOString());
const cronTimes = (expression: string, after: string, count: number, timeZone = 'UTC') =>
  iso(fireTimesAfter(parseExpression(expression), { after: Date.parse(after), count, timeZone, anchor: 0 }));

describe('parseRate', () => {
  it.each([
    ['rate(1 minute)', 60],
    ['rate(5 minutes)', 300],
    ['rate(1 hour)', 3600],
    ['rate(2 days)', 172_800],
  ])('reads %s as %i s', (text, seconds) => {
    // Act / Assess
    expect(parseRate(text)).toBe(seconds);
  });

  it.each([
    ['rate(30 seconds)', 'at least 1 minute'],
    ['rate(0 minutes)', 'at least 1 minute'],
    ['rate(1 minutes)', 'singular'],
    ['rate(2 hour)', 'plural'],
    ['rate(1 week)', 'minute(s), hour(s) or day(s)'],
  ])('refuses %s (%s)', (text, why) => {
    // Act / Assess
    expect(() => parseRate(text)).toThrow(why);
  });
});

describe('parseCron', () => {
  it.each([
    ['cron(99 * * * ? *)', 'minutes: 99 is outside 0-59'],
    ['cron(0 24 * * ? *)', 'hours: 24 is outside 0-23'],
    ['cron(0 9 * * * *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 9 ? * ? *)', 'exactly one of day-of-month and day-of-week must be ?'],
    ['cron(0 9 * *)', 'has 4 fields'],
    ['cron(0 9 ? * FOO *)', 'day-of-week: cannot read "FOO"'],
    ['cron(0 9 ? * MON#6 *)', '#6 must be #1-#5'],
    ['0 9 * * ? *', 'must be cron('],
  ])('refuses %s, naming the field', (text, why) => {
    // Act / Assess
    expect(() => parseCron(text)).toThrow(why);
  });

  it('never fails but with an ExpressionError, whatever it is given', () => {
    // Prepare
    const token = fc.constantFrom(
      '*',
      '?',
      'L',
      'W',
      '#',
      '/',
      '-',
      ',',
      '0',
      '1',
      '7',
      '31',
      '99',
      'MON',
      'JAN',
      '5L',
      '2#1',
      '15W',
    );
    const field = fc.array(token, { minLength: 1, maxLength: 4 }).map((t) => t.join(''));
    // Act / Assess
    fc.assert(
      fc.property(fc.array(field, { minLength: 0, maxLength: 7 }), (fields) => {
        try {
          parseCron(`cron(${fields.join(' ')})`);
        } catch (error) {
          expect(error).toBeInstanceOf(ExpressionError);
        }
      }),
    );
  });
});

describe('fireTimesAfter', () => {
  it('fires a rate every interval from its anchor, strictly after the given time', () => {
    // Prepare
    const anchor = Date.parse('2026-12-01T10:00:30Z');
    // Act
    const times = fireTimesAfter(parseExpression('rate(1 minute)'), {
      after: Date.parse('2026-12-01T10:01:30Z'),
      count: 3,
      timeZone: 'UTC',
      anchor,
    });
    // Assess
    expect(iso(times)).toEqual(['2026-12-01T10:02:30.000Z', '2026-12-01T10:03:30.000Z', '2026-12-01T10:04:30.000Z']);
  });

  it('never fires a rate at its anchor itself, and stops at endAt', () => {
    // Prepare
    const anchor = Date.parse('2026-12-01T10:00:00Z');
    // Act
    const times = fireTimesAfter(parseExpression('rate(1 hour)'), {
      after: anchor - 1,
      count: 5,
      timeZone: 'UTC',
      anchor,
      endAt: Date.parse('2026-12-01T12:30:00Z'),
    });
    // Assess
    expect(iso(times)).toEqual(['2026-12-01T11:00:00.000Z', '2026-12-01T12:00:00.000Z']);
  });

  it('reads cron fields on the time zone wall clock, across the DST change', () => {
    // Act: Mondays 09:00 in Berlin, around the end of summer time (2026-10-25).
    const times = cronTimes('cron(0 9 ? * MON *)', '2026-10-18T00:00:00Z', 2, 'Europe/Berlin');
    // Assess: 07:00Z in CEST, 08:00Z in CET.
    expect(times).toEqual(['2026-10-19T07:00:00.000Z', '2026-10-26T08:00:00.000Z']);
  });

  it('runs a wall-clock time that DST skips an hour later', () => {
    // Act: 02:30 does not exist in Berlin on 2026-03-29.
    const times = cronTimes('cron(30 2 29 3 ? 2026)', '2026-03-01T00:00:00Z', 1, 'Europe/Berlin');
    // Assess: 03:30 CEST.
    expect(times).toEqual(['2026-03-29T01:30:00.000Z']);
  });

  it.each([
    ['cron(*/15 * * * ? *)', '2026-12-06T10:07:00Z', ['2026-12-06T10:15:00.000Z', '2026-12-06T10:30:00.000Z']],
    ['cron(0 0 L * ? *)', '2026-02-10T00:00:00Z', ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']],
    ['cron(0 0 ? * 6L *)', '2026-12-01T00:00:00Z', ['2026-12-25T00:00:00.000Z', '2027-01-29T00:00:00.000Z']],
    ['cron(0 0 ? * 2#1 *)', '2026-12-01T00:00:00Z', ['2026-12-07T00:00:00.000Z', '2027-01-04T00:00:00.000Z']],
    ['cron(0 0 15W * ? *)', '2026-11-01T00:00:00Z', ['2026-11-16T00:00:00.000Z', '2026-12-15T00:00:00.000Z']],
    ['cron(0 12 1 JAN-MAR ? 2027)', '2026-12-06T00:00:00Z', ['2027-01-01T12:00:00.000Z', '2027-02-01T12:00:00.000Z']],
    ['cron(0 12 1 1 ? 2020)', '2026-12-06T00:00:00Z', []],
  ])('%s after %s fires at %j', (expression, after, expected) => {
    // Act / Assess
    expect(cronTimes(expression, after, 2)).toEqual(expected);
  });
});

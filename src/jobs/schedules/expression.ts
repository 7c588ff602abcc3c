/**
 * EventBridge Scheduler's recurring expressions, read and evaluated here so a bad one is refused
 * before Scheduler is called, and so fire times can be shown (`nextFires`) and made locally:
 *
 * - `rate(value unit)`: `unit` minute(s), hour(s) or day(s); `value` ≥ 1 (singular unit for 1).
 * - `cron(minutes hours day-of-month month day-of-week year)`: AWS's six fields, with `*`, `,`,
 *   `-`, `/`, names (`JAN`–`DEC`, `SUN`–`SAT`, day-of-week 1 = Sunday), `?` in exactly one of the
 *   day fields, `L` (last day of the month; `5L` the last Thursday), `W` (`15W`, the weekday
 *   nearest the 15th) and `#` (`2#1`, the first Monday).
 *
 * Cron fields are wall-clock times in the schedule's IANA time zone, as on Scheduler: across a DST
 * change a time that does not exist runs an hour later, and one that exists twice runs once.
 */

export type Expression = { kind: 'rate'; seconds: number } | { kind: 'cron'; cron: CronFields };

/** Why an expression is refused, in words for the `400`'s detail. */
export class ExpressionError extends Error {}

const RATE = /^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$/;
const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3600, day: 86_400 };

/** A `rate(...)` expression's interval in seconds; throws ExpressionError naming what is wrong. */
export function parseRate(text: string): number {
  const match = RATE.exec(text.trim());
  if (!match) {
    if (/^rate\(\s*\d+\s+seconds?\s*\)$/.test(text.trim()))
      throw new ExpressionError('must be at least 1 minute (units: minute(s), hour(s), day(s))');
    throw new ExpressionError('must be rate(<value> <unit>) with unit minute(s), hour(s) or day(s)');
  }
  const value = Number(match[1]);
  const unit = match[2]!;
  if (value < 1) throw new ExpressionError('must be at least 1 minute');
  if ((value === 1) !== !unit.endsWith('s'))
    throw new ExpressionError(
      value === 1 ? `use the singular: rate(1 ${unit.replace(/s$/, '')})` : `use the plural: rate(${value} ${unit}s)`,
    );
  return value * UNIT_SECONDS[unit.replace(/s$/, '')]!;
}

interface Range {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}
const MINUTES: Range = { name: 'minutes', min: 0, max: 59 };
const HOURS: Range = { name: 'hours', min: 0, max: 23 };
const DAY_OF_MONTH: Range = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: Range = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: Range = {
  name: 'day-of-week',
  min: 1,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};
const YEAR: Range = { name: 'year', min: 1970, max: 2199 };

/** Day-of-month: a set, `L` (the last day), or `nW` (the weekday nearest day n). */
type DaysOfMonth =
  | { kind: 'any' }
  | { kind: 'set'; days: Set<number> }
  | { kind: 'last' }
  | { kind: 'nearestWeekday'; day: number };
/** Day-of-week (1 = Sunday): a set, `nL` (the last such day of the month), or `n#k` (the k-th). */
type DaysOfWeek =
  | { kind: 'any' }
  | { kind: 'set'; days: Set<number> }
  | { kind: 'last'; day: number }
  | { kind: 'nth'; day: number; nth: number };

export interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: DaysOfMonth;
  months: Set<number>;
  daysOfWeek: DaysOfWeek;
  years: Set<number>;
}

/** A `cron(...)` expression's fields; throws ExpressionError naming the field at fault. */
export function parseCron(text: string): CronFields {
  const match = /^cron\((.*)\)$/.exec(text.trim());
  if (!match) throw new ExpressionError('must be cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)');
  const fields = match[1]!.trim().split(/\s+/);
  if (fields.length !== 6)
    throw new ExpressionError(
      `has ${fields.length} fields; cron() takes 6: minutes hours day-of-month month day-of-week year`,
    );
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?'))
    throw new ExpressionError('exactly one of day-of-month and day-of-week must be ?');
  return {
    minutes: parseSet(minutes, MINUTES),
    hours: parseSet(hours, HOURS),
    daysOfMonth: parseDaysOfMonth(dom),
    months: parseSet(month, MONTH),
    daysOfWeek: parseDaysOfWeek(dow),
    years: parseSet(year, YEAR),
  };
}

function parseDaysOfMonth(field: string): DaysOfMonth {
  if (field === '?') return { kind: 'any' };
  if (field === 'L') return { kind: 'last' };
  const weekday = /^(\d+)W$/.exec(field);
  if (weekday) return { kind: 'nearestWeekday', day: value(weekday[1]!, DAY_OF_MONTH) };
  return { kind: 'set', days: parseSet(field, DAY_OF_MONTH) };
}

function parseDaysOfWeek(field: string): DaysOfWeek {
  if (field === '?') return { kind: 'any' };
  const last = /^([A-Za-z0-9]+)L$/.exec(field);
  if (last) return { kind: 'last', day: value(last[1]!, DAY_OF_WEEK) };
  const nth = /^([A-Za-z0-9]+)#(\d)$/.exec(field);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) throw new ExpressionError(`day-of-week: #${k} must be #1-#5`);
    return { kind: 'nth', day: value(nth[1]!, DAY_OF_WEEK), nth: k };
  }
  return { kind: 'set', days: parseSet(field, DAY_OF_WEEK) };
}

/** `*`, `a`, `a-b`, each with an optional `/step`, separated by commas. */
function parseSet(field: string, range: Range): Set<number> {
  const result = new Set<number>();
  for (const part of field.split(',')) {
    const [base, stepText, extra] = part.split('/');
    if (extra !== undefined || base === undefined || base === '')
      throw new ExpressionError(`${range.name}: cannot read "${part}"`);
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new ExpressionError(`${range.name}: step "${stepText}" must be a whole number ≥ 1`);
    let from: number;
    let to: number;
    if (base === '*') [from, to] = [range.min, range.max];
    else if (base.includes('-')) {
      const [a, b] = base.split('-');
      [from, to] = [value(a ?? '', range), value(b ?? '', range)];
      if (from > to) throw new ExpressionError(`${range.name}: range ${base} runs backwards`);
    } else {
      from = value(base, range);
      to = stepText === undefined ? from : range.max;
    }
    for (let v = from; v <= to; v += step) result.add(v);
  }
  return result;
}

function value(text: string, range: Range): number {
  const named = range.names?.indexOf(text.toUpperCase()) ?? -1;
  const v = named >= 0 ? range.min + named : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (Number.isNaN(v)) throw new ExpressionError(`${range.name}: cannot read "${text}"`);
  if (v < range.min || v > range.max)
    throw new ExpressionError(`${range.name}: ${v} is outside ${range.min}-${range.max}`);
  return v;
}

/** Whether `timeZone` is an IANA time zone this runtime (and so Scheduler) knows; its canonical spelling. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** `rate(...)` or `cron(...)`, parsed; throws ExpressionError. */
export function parseExpression(text: string): Expression {
  return text.trim().startsWith('rate(')
    ? { kind: 'rate', seconds: parseRate(text) }
    : { kind: 'cron', cron: parseCron(text) };
}

/** How far ahead fire times are looked for: a cron that never fires in this window has none. */
const SEARCH_DAYS = 5 * 366;

/**
 * The first `count` fire times strictly after `after` (epoch ms), within [startAt, endAt] when
 * given. A rate fires every interval from its anchor (its `startAt`, or its creation); a cron at
 * each matching minute of the time zone's wall clock.
 */
export function fireTimesAfter(
  expression: Expression,
  options: { after: number; count: number; timeZone: string; anchor: number; startAt?: number; endAt?: number },
): number[] {
  const after = Math.max(options.after, (options.startAt ?? Number.NEGATIVE_INFINITY) - 1);
  const times =
    expression.kind === 'rate'
      ? rateTimes(expression.seconds * 1000, options.startAt ?? options.anchor, after, options.count)
      : cronTimes(expression.cron, options.timeZone, after, options.count);
  return times.filter((t) => options.endAt === undefined || t <= options.endAt);
}

function rateTimes(intervalMs: number, anchor: number, after: number, count: number): number[] {
  const first = Math.max(1, Math.floor((after - anchor) / intervalMs) + 1);
  return Array.from({ length: count }, (_, i) => anchor + (first + i) * intervalMs);
}

function cronTimes(cron: CronFields, timeZone: string, after: number, count: number): number[] {
  const times: number[] = [];
  const start = wallClock(after - 86_400_000, timeZone);
  const hours = [...cron.hours].sort((a, b) => a - b);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  for (let day = 0; day < SEARCH_DAYS && times.length < count; day++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + day));
    if (!matchesDay(cron, date)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const t = zonedTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hour, minute, timeZone);
        if (t > after && !times.includes(t)) times.push(t);
      }
    }
  }
  return times.sort((a, b) => a - b).slice(0, count);
}

function matchesDay(cron: CronFields, date: Date): boolean {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  const weekday = date.getUTCDay() + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (!cron.years.has(year) || !cron.months.has(month)) return false;
  const dom = cron.daysOfMonth;
  const dow = cron.daysOfWeek;
  switch (dom.kind) {
    case 'set':
      return dom.days.has(day);
    case 'last':
      return day === lastDay;
    case 'nearestWeekday':
      return day === nearestWeekday(year, month, Math.min(dom.day, lastDay), lastDay);
    case 'any':
      break;
  }
  switch (dow.kind) {
    case 'set':
      return dow.days.has(weekday);
    case 'last':
      return weekday === dow.day && day + 7 > lastDay;
    case 'nth':
      return weekday === dow.day && Math.ceil(day / 7) === dow.nth;
    case 'any':
      return true;
  }
}

/** The weekday nearest `day` within its month (Saturday → Friday, Sunday → Monday, not across months). */
function nearestWeekday(year: number, month: number, day: number, lastDay: number): number {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === lastDay ? day - 2 : day + 1;
  return day;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time in `timeZone` at epoch ms `t`. */
function wallClock(t: number, timeZone: string) {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(t)).map((p) => [p.type, Number(p.value)]));
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** Epoch ms of a wall-clock time in `timeZone`. */
function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const offsetAt = (t: number) => {
    const w = wallClock(t, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - t;
  };
  const first = asUtc - offsetAt(asUtc);
  const second = asUtc - offsetAt(first);
  // In a gap the two guesses differ: the later one is the time an hour on.
  return first === second ? first : Math.max(first, second);
}

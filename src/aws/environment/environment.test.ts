import { describe, expect, it } from 'vitest';
import { ALL_QUEUE_KEYS } from '../../jobs/model/index.ts';
import { DEFAULT_REAPER_SETTINGS } from '../../jobs/reaper/index.ts';
import { DEFAULT_DETECTOR_SETTINGS, DEFAULT_PROBATION_SPEED } from '../../jobs/speculation/index.ts';
import {
  ENV,
  environmentFor,
  PROCESS_KINDS,
  type ProcessKind,
  readEnvironment,
  readSection,
  SECTIONS,
  type SectionName,
  type Settings,
  writeSection,
} from './index.ts';

const queue = (key: string) => ({
  url: `https://sqs.eu-west-1.amazonaws.com/123456789012/${key}`,
  arn: `arn:aws:sqs:eu-west-1:123456789012:${key}`,
  dlqUrl: `https://sqs.eu-west-1.amazonaws.com/123456789012/${key}-dlq`,
  dlqArn: `arn:aws:sqs:eu-west-1:123456789012:${key}-dlq`,
});

/** Every setting of every section, none at its default, so a round trip shows each one travels. */
const everySetting: { [K in SectionName]: Settings<K> } = {
  jobStore: { jobs: 'jobs-table', idempotency: 'idempotency-table' },
  latencyStats: { table: 'stats-table' },
  workerRegistry: { table: 'workers-table' },
  coordination: { table: 'coordination-table' },
  fairness: { windowPerWeight: 7 },
  typeLimits: { limits: { render: { concurrency: 2, perSecond: 0.5 }, 'mail.send': { perSecond: 20 } } },
  tenants: {
    config: { defaults: { weight: 2, maxQueued: 1000 }, overrides: { acme: { concurrency: 4, perSecond: 2.5 } } },
  },
  queues: {
    topology: Object.fromEntries(ALL_QUEUE_KEYS.map((key) => [key, queue(key)])) as Settings<'queues'>['topology'],
  },
  dispatch: {
    schedulerQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/scheduler',
    checksQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/checks',
  },
  schedules: { groupName: 'tailguard-starts' },
  recurringSchedules: {
    fireQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fires',
    fireQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:fires',
    fireRoleArn: 'arn:aws:iam::123456789012:role/fires',
    fireDeadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:fires-dlq',
  },
  startScheduler: {
    queueArn: 'arn:aws:sqs:eu-west-1:123456789012:scheduler',
    roleArn: 'arn:aws:iam::123456789012:role/delivery',
  },
  intake: { jobTypes: ['noop', 'sleep'], faultInjection: true },
  payloads: { bucket: 'payload-bucket', inlineBytes: 100_000, maxBytes: 50_000_000 },
  detector: {
    intervalMs: 250,
    budgetFraction: 0.25,
    slowFactor: 3,
    minSamples: 5,
    minElapsedMs: 200,
    backupStartMs: 100,
    capacityWaitMs: 1500,
    capacityHookUrl: 'http://127.0.0.1:8123/capacity',
    workerServicesParameter: '/Tailguard/worker-services',
  },
  reaper: { graceMs: 1500, intervalMs: 500 },
  worker: {
    capacity: 'gpu',
    concurrency: 8,
    workerId: 'gpu-1',
    leaseSeconds: 6,
    heartbeatSeconds: 0.25,
    pollWaitSeconds: 1,
    starvationGuard: 3,
    probationSpeed: 0,
    reportSeconds: 2,
    shutdownGraceSeconds: 100,
  },
  parentProcess: { pid: 4242 },
};

const sectionsOf = (kind: ProcessKind) =>
  Object.fromEntries(PROCESS_KINDS[kind].map((section) => [section, everySetting[section]]));

describe('environment contract', () => {
  it.each(Object.keys(PROCESS_KINDS) as ProcessKind[])('reads back what the stack writes for a %s', (kind) => {
    const env = environmentFor(kind, everySetting);
    expect(readEnvironment(kind, env)).toEqual(sectionsOf(kind));
    // Only the kind's own sections are written, so a process gets nothing it does not read.
    const written = PROCESS_KINDS[kind].flatMap((section) =>
      Object.values(SECTIONS[section]).map((variable) => variable.name),
    );
    expect(Object.keys(env).every((name) => written.includes(name as never))).toBe(true);
  });

  it('reads back the local runtime parent pid', () => {
    expect(readSection('parentProcess', writeSection('parentProcess', { pid: 4242 }))).toEqual({ pid: 4242 });
  });

  it('names the variable of a number that is not one', () => {
    expect(() => readSection('detector', { [ENV.stragglerMinSamples]: 'twenty' })).toThrow(
      new RegExp(`${ENV.stragglerMinSamples}: .*expected number`),
    );
  });

  it('names the variable of a number out of range', () => {
    expect(() => readSection('detector', { [ENV.speculationBudget]: '1.5' })).toThrow(ENV.speculationBudget);
    expect(() => readSection('worker', { [ENV.workerConcurrency]: '0' })).toThrow(ENV.workerConcurrency);
    expect(() => readSection('reaper', { [ENV.reaperGraceSeconds]: '-1' })).toThrow(ENV.reaperGraceSeconds);
  });

  it('names every missing required variable at once', () => {
    expect(() => readEnvironment('startScheduler', {})).toThrow(
      new RegExp(
        [
          ENV.queues,
          ENV.schedulerQueueUrl,
          ENV.checksQueueUrl,
          ENV.schedulerQueueArn,
          ENV.schedulerRoleArn,
          ENV.scheduleGroup,
        ]
          .map((name) => `${name}: is not set`)
          .join('; '),
      ),
    );
  });

  it('refuses malformed JSON, URLs and lists, naming the variable', () => {
    expect(() => readSection('queues', { [ENV.queues]: '{"cpu-default":' })).toThrow(`${ENV.queues}: is not JSON`);
    expect(() => readSection('queues', { [ENV.queues]: '{}' })).toThrow(`${ENV.queues}: cpu-critical:`);
    expect(() => readSection('dispatch', { [ENV.schedulerQueueUrl]: 'scheduler' })).toThrow(ENV.schedulerQueueUrl);
    expect(() => readSection('intake', { [ENV.jobTypes]: 'noop,,sleep' })).toThrow(
      new RegExp(`${ENV.jobTypes}: .*has an empty job type`),
    );
    expect(() => readSection('intake', { [ENV.jobTypes]: 'noop', [ENV.faultInjection]: 'yes' })).toThrow(
      ENV.faultInjection,
    );
  });

  it('applies the domain defaults to unset (or empty) variables', () => {
    const { intervalMs, capacityHookUrl, workerServicesParameter, ...tuning } = readSection('detector', {
      [ENV.speculationBudget]: '',
    });
    expect(tuning).toEqual({
      budgetFraction: DEFAULT_DETECTOR_SETTINGS.budgetFraction,
      slowFactor: DEFAULT_DETECTOR_SETTINGS.slowFactor,
      minSamples: DEFAULT_DETECTOR_SETTINGS.minSamples,
      minElapsedMs: DEFAULT_DETECTOR_SETTINGS.minElapsedMs,
      backupStartMs: DEFAULT_DETECTOR_SETTINGS.backupStartMs,
      capacityWaitMs: DEFAULT_DETECTOR_SETTINGS.capacityWaitMs,
    });
    expect({ intervalMs, capacityHookUrl, workerServicesParameter }).toEqual({
      intervalMs: 5000,
      capacityHookUrl: undefined,
      workerServicesParameter: undefined,
    });
    expect(readSection('reaper', {})).toEqual({ graceMs: DEFAULT_REAPER_SETTINGS.graceMs, intervalMs: 60_000 });
    expect(readSection('worker', {})).toMatchObject({
      capacity: 'cpu',
      probationSpeed: DEFAULT_PROBATION_SPEED,
      workerId: undefined,
    });
    expect(readSection('intake', { [ENV.jobTypes]: 'noop' }).faultInjection).toBe(false);
  });

  it('writes settings left out, and an off flag, as no variable', () => {
    expect(writeSection('worker', { capacity: 'cpu' })).toEqual({ [ENV.workerCapacity]: 'cpu' });
    expect(writeSection('intake', { jobTypes: ['noop'], faultInjection: false })).toEqual({ [ENV.jobTypes]: 'noop' });
    expect(writeSection('typeLimits', { limits: {} })).toEqual({});
    expect(readSection('typeLimits', {})).toEqual({ limits: {} });
    expect(writeSection('tenants', { config: {} })).toEqual({});
    expect(readSection('tenants', {})).toEqual({ config: {} });
  });

  it('refuses tenant settings with an unknown field or a bad tenant id, naming the variable and the field', () => {
    expect(() => readSection('tenants', { [ENV.tenants]: '{"defaults":{"wieght":2}}' })).toThrow(
      new RegExp(`${ENV.tenants}: defaults: .*wieght`),
    );
    expect(() => readSection('tenants', { [ENV.tenants]: '{"overrides":{"a b":{"weight":2}}}' })).toThrow(
      new RegExp(`${ENV.tenants}: overrides.a b: `),
    );
  });

  it('refuses type limits without a limit, or with one out of range, naming the variable and the type', () => {
    expect(() => readSection('typeLimits', { [ENV.typeLimits]: '{"render":{}}' })).toThrow(
      new RegExp(`${ENV.typeLimits}: render: needs concurrency, perSecond or both`),
    );
    expect(() => readSection('typeLimits', { [ENV.typeLimits]: '{"render":{"concurrency":1.5}}' })).toThrow(
      new RegExp(`${ENV.typeLimits}: render.concurrency: `),
    );
    expect(() => readSection('typeLimits', { [ENV.typeLimits]: '{"render":{"perSecond":0}}' })).toThrow(
      new RegExp(`${ENV.typeLimits}: render.perSecond: `),
    );
  });

  it('writes JSON settings with the writer it is given (the stack passes its own, for tokens)', () => {
    // What Stack.toJsonString gives back at synth: a placeholder resolved at deploy.
    const TOKEN = ['$', '{Token[TOKEN.1]}'].join('');
    expect(writeSection('queues', everySetting.queues, () => TOKEN)).toEqual({
      [ENV.queues]: TOKEN,
    });
  });

  it('reads one section without the variables of the others', () => {
    expect(readSection('latencyStats', { [ENV.statsTable]: 'stats-table' })).toEqual({ table: 'stats-table' });
  });

  it('gives every variable exactly one setting', () => {
    const used = Object.values(SECTIONS).flatMap((section) => Object.values(section).map((variable) => variable.name));
    expect([...used].sort()).toEqual(Object.values(ENV).sort());
  });
});

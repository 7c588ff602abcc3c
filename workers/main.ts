#!/usr/bin/env node
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
/**
 * Worker entrypoint: the command the ECS task runs, and the process the local runtime starts.
 * Settings come from flags or the environment (flags win), so one image serves every class.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseVariable, readSection, SECTIONS, type Settings, type Variable } from '../src/aws/environment/index.ts';
import { runtime } from '../src/aws/runtime.ts';
import { queuesOfClass } from '../src/jobs/dispatch/index.ts';
import { JobMetricsRecorder, METRICS_NAMESPACE } from '../src/jobs/metrics/index.ts';
import { CAPACITIES, type Job } from '../src/jobs/model/index.ts';
import { LatencyStatsRecorder, typeKey, workerKey } from '../src/jobs/speculation/index.ts';
import { registry } from './handlers.ts';
import { type FinishedOutcome, JobRunner } from './job-runner.ts';
import { QueuePoller } from './queue-poller.ts';
import { DEFAULT_SPEED_METER_OPTIONS, SpeedMeter } from './speed-meter.ts';
import { Worker } from './worker.ts';

const defaults = readSection('worker', {});

/** A flag that falls back to its contract variable, then to the contract's default; both parsed by the contract. */
function setting(field: keyof Settings<'worker'>, flags: string, description: string): Option {
  const variable: Variable = SECTIONS.worker[field];
  return new Option(flags, description)
    .env(variable.name)
    .default(defaults[field])
    .argParser((text: string) => {
      const parsed = parseVariable(variable, text);
      if (!parsed.ok) throw new InvalidArgumentError(parsed.problem);
      return parsed.value;
    });
}

const program = new Command()
  .name('tailguard-worker')
  .description('Runs Tailguard jobs from the queues of one capacity class')
  .addOption(setting('capacity', '--capacity <class>', `capacity class to serve (${CAPACITIES.join(', ')})`))
  .addOption(setting('concurrency', '--concurrency <n>', 'attempts run at once'))
  .addOption(setting('workerId', '--worker-id <id>', 'id reported on attempts'))
  .addOption(setting('leaseSeconds', '--lease-seconds <n>', 'lease of a running attempt'))
  .addOption(
    setting('heartbeatSeconds', '--heartbeat-seconds <n>', 'lease renewal and progress interval (fractions allowed)'),
  )
  .addOption(setting('pollWaitSeconds', '--poll-wait-seconds <n>', 'long-poll wait when idle (0-20)'))
  .addOption(setting('starvationGuard', '--starvation-guard <n>', 'every n-th receive leads with a lower priority'))
  .addOption(
    setting(
      'probationSpeed',
      '--probation-speed <x>',
      'measured speed (1 = class normal) below which the worker takes less work; 0 = never',
    ),
  )
  .addOption(
    setting(
      'reportSeconds',
      '--report-seconds <n>',
      "interval of the worker's report (class, speed, load) to the workers table",
    ),
  )
  .addOption(
    setting(
      'slowdown',
      '--slowdown <factor>',
      'inject slowness: built-in handlers take this many times longer (benchmarks)',
    ),
  )
  .addOption(
    setting('shutdownGraceSeconds', '--shutdown-grace-seconds <n>', 'time running attempts get after SIGTERM'),
  );

program.parse();
const opts = program.opts<Settings<'worker'>>();

const workerId = opts.workerId ?? `${opts.capacity}-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
const logger = new Logger({ serviceName: 'tailguard-worker', persistentKeys: { workerId, capacity: opts.capacity } });
const store = runtime.store();
const dispatcher = runtime.dispatcher();
const poller = new QueuePoller(runtime.sqs(), queuesOfClass(runtime.topology(), opts.capacity), {
  waitSeconds: opts.pollWaitSeconds,
  visibilitySeconds: opts.leaseSeconds,
  starvationGuardEvery: opts.starvationGuard,
});
const metrics = new JobMetricsRecorder(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: 'tailguard-worker' }));
const latency = new LatencyStatsRecorder(runtime.stats());
const flushLatency = () =>
  latency.flush().catch((error: Error) => logger.warn('latency statistics flush failed', { error }));
setInterval(flushLatency, opts.heartbeatSeconds * 1000).unref();
const speed = new SpeedMeter(runtime.stats(), { ...DEFAULT_SPEED_METER_OPTIONS, probationSpeed: opts.probationSpeed });
const onAttemptFinished = (job: Job, runTimeMs: number, outcome: FinishedOutcome) => {
  if (outcome === 'failed') return;
  speed
    .record(job.type, job.capacity, runTimeMs)
    .catch((error: Error) => logger.warn('speed measurement failed', { error }));
  // Only winners describe the type's normal; a superseded attempt's time is its slow host's.
  if (outcome !== 'succeeded') return;
  latency.record(typeKey(job.type, job.capacity), runTimeMs);
  latency.record(workerKey(job.type, job.capacity, workerId), runTimeMs);
};
const runner = new JobRunner(
  { store, poller, dispatcher, registry, logger, metrics, speed, onAttemptFinished },
  {
    workerId,
    leaseSeconds: opts.leaseSeconds,
    heartbeatSeconds: opts.heartbeatSeconds,
    slowdown: opts.slowdown,
  },
);
const worker = new Worker(
  poller,
  runner,
  logger,
  { concurrency: opts.concurrency, shutdownGraceSeconds: opts.shutdownGraceSeconds, probationPollMs: 1000 },
  speed,
);

// Each report interval: decide probation (against the class's other workers), then report what
// this worker is, how fast it measures and how loaded it is. The report expires unless renewed.
const workers = runtime.workers();
const startedAt = new Date().toISOString();
const peerSpeeds = async () =>
  (await workers.live()).flatMap((w) =>
    w.capacity === opts.capacity && w.workerId !== workerId && w.speed !== undefined ? [w.speed] : [],
  );
const report = () =>
  speed
    .review(peerSpeeds)
    .then(() =>
      workers.report(
        {
          workerId,
          capacity: opts.capacity,
          speed: speed.speed,
          onProbation: speed.onProbation,
          ...worker.load,
          startedAt,
          lastSeenAt: new Date().toISOString(),
        },
        3 * opts.reportSeconds,
      ),
    )
    .catch((error: Error) => logger.warn('worker report failed', { error }));
setInterval(report, opts.reportSeconds * 1000).unref();
void report();

// Local runtime only: the process that started this worker (npm start, the test suite) sets its
// pid; if it dies without stopping us, stop as on SIGTERM rather than poll a stack nobody owns.
const { pid: parentPid } = readSection('parentProcess');
if (parentPid !== undefined) {
  setInterval(() => {
    if (!isAlive(parentPid)) {
      logger.warn('the process that started this worker is gone: stopping', { parentPid });
      void worker.stop();
    }
  }, 1000).unref();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    logger.info('signal received', { signal });
    void worker.stop();
  });
}
logger.info('worker started', { concurrency: opts.concurrency, handlers: registry.types, slowdown: opts.slowdown });
await worker.start();
await Promise.all([
  flushLatency(),
  workers.remove(workerId).catch((error: Error) => logger.warn('worker deregistration failed', { error })),
]);

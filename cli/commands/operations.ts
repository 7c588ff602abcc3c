import type { Command } from 'commander';
import type { StatsView, WorkerView } from '../../src/client/index.ts';
import type { CommandContext } from '../command-context.ts';
import { table } from '../format.ts';

/** `stats`, `workers`, `health`: how the queues, the worker pools and the API's dependencies are doing. */
export function operationCommands(program: Command, cli: CommandContext): void {
  program
    .command('stats')
    .description('queue depths, running and dead jobs per class, live workers, the busiest tenants, limited job types')
    .action(() =>
      cli.run(async (client) => {
        const stats = await client.stats();
        cli.print(stats, () => statsLines(stats));
      }),
    );

  program
    .command('workers')
    .description('live workers: class, measured speed, probation, load')
    .action(() =>
      cli.run(async (client) => {
        const { workers } = await client.stats();
        cli.print(workers, () => (workers.length === 0 ? ['no live workers'] : workerTable(workers)));
      }),
    );

  program
    .command('health')
    .description(
      'whether the API reaches the jobs table and the queues (exit code 1 when degraded: for scripts and probes)',
    )
    .action(() =>
      cli.run(async (client) => {
        const health = await client.health();
        cli.print(health, () => [
          health.status,
          ...Object.entries(health.checks).map(([check, outcome]) => `  ${check}: ${outcome}`),
        ]);
        cli.exitUnless(health.status === 'ok', 'the API is degraded', 'tailguard.degraded');
      }),
    );
}

function statsLines(stats: StatsView): string[] {
  const perClass = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([capacity, count]) => `${capacity} ${count}`)
      .join(', ');
  // An API from before type limits (or message checks) answers none.
  const limits = Object.entries(stats.limits ?? {});
  const checks = Object.entries(stats.messageChecks ?? {});
  const tenants = stats.tenants ?? [];
  const limit = (value: number | undefined) => (value === undefined ? '-' : String(value));
  return [
    ...table([
      ['queue', 'visible', 'in flight', 'delayed', 'dead-lettered'],
      ...Object.entries(stats.queues).map(([queue, depth]) => [
        queue,
        String(depth.visible),
        String(depth.inFlight),
        String(depth.delayed),
        String(depth.deadLettered),
      ]),
    ]),
    '',
    `running jobs: ${perClass(stats.running)}`,
    `dead jobs:    ${perClass(stats.dead)}`,
    `live workers: ${stats.workers.length}`,
    ...(tenants.length === 0
      ? []
      : [
          '',
          ...table([
            ['tenant', 'running', 'queued', 'wait p99'],
            ...tenants.map((t) => [
              t.tenant,
              String(t.running),
              String(t.queued),
              t.waitP99Ms === null ? '-' : `${t.waitP99Ms} ms`,
            ]),
          ]),
        ]),
    ...(checks.length === 0
      ? []
      : [
          '',
          ...table([
            ['waiting for a message', 'past grace', 'longest wait', 'seen', 're-sent', 'last re-sent'],
            ...checks.map(([queue, found]) => [
              queue,
              String(found.waitingPastGrace),
              `${Math.round(found.oldestWaitMs / 1000)} s`,
              found.observedAt,
              String(found.resentTotal),
              found.lastResentAt ? `${found.lastResentAt} (${found.lastResentJobs})` : '-',
            ]),
          ]),
        ]),
    ...(limits.length === 0
      ? []
      : [
          '',
          ...table([
            ['limited type', 'concurrency', 'per second', 'running'],
            ...limits.map(([type, l]) => [type, limit(l.concurrency), limit(l.perSecond), limit(l.running)]),
          ]),
        ]),
  ];
}

function workerTable(workers: WorkerView[]): string[] {
  return table([
    ['worker', 'class', 'speed', 'probation', 'running', 'last seen'],
    ...workers.map((w) => [
      w.workerId,
      w.capacity,
      w.speed === undefined ? '-' : w.speed.toFixed(2),
      w.onProbation ? 'yes' : 'no',
      `${w.running} of ${w.slots}`,
      w.lastSeenAt,
    ]),
  ]);
}

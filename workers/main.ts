#!/usr/bin/env node
/**
 * Worker entrypoint of this repository's demo deployment: the command its ECS task runs, and the
 * process the local runtime starts, with the built-in handlers. Settings come from flags or the
 * environment (flags win), so one image serves every class. Teams call createWorker with their own.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseVariable, readSection, SECTIONS, type Settings, type Variable } from '../src/aws/environment/index.ts';
import { CAPACITIES } from '../src/jobs/model/index.ts';
import { createWorker } from './create-worker.ts';
import { registry } from './handlers.ts';
import { pythonHandlers } from './python/python-handlers.ts';

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
    setting(
      'stallProbability',
      '--stall-probability <share>',
      'inject stalls: this share of attempts, each drawn on its own, run --stall-factor times longer (benchmarks)',
    ),
  )
  .addOption(setting('stallFactor', '--stall-factor <factor>', 'how many times longer a stalled attempt runs'))
  .addOption(
    setting(
      'slowEpisodes',
      '--slow-episodes <ms:share:factor>',
      'inject slow episodes: factor times slower for ms at a time, about share of the time (benchmarks)',
    ),
  )
  .addOption(
    setting(
      'faultSeed',
      '--fault-seed <n>',
      'draw injected stalls and slow episodes from this seed: runs with the same seed meet the same faults (benchmarks)',
    ),
  )
  .addOption(setting('shutdownGraceSeconds', '--shutdown-grace-seconds <n>', 'time running attempts get after SIGTERM'))
  .option(
    '--python-handlers <command>',
    'also run the Python handlers this command serves (e.g. "python3 handlers.py")',
  );

program.parse();
const { pythonHandlers: pythonCommand, ...settings } = program.opts<Settings<'worker'> & { pythonHandlers?: string }>();
// Two processes: a job never waits behind one long Python job while the other is free.
const python = pythonCommand
  ? [
      await pythonHandlers(registry, {
        command: pythonCommand.trim().split(/\s+/) as [string, ...string[]],
        processes: 2,
      }),
    ]
  : [];
await createWorker({ handlers: registry, closeOnStop: python, ...settings }).start();

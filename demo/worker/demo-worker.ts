/**
 * The demo deployment's worker: the built-in handlers, with the benchmark faults (`--slowdown`,
 * `--stall-*`, `--slow-episodes`, `--fault-seed`) injected into their attempts, and the tests' fault
 * between a step's end and its workflow's advance (`--fault-injection`). Settings come from flags or the
 * environment (flags win), so one image serves every class. Teams call createWorker with their own.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import { parseVariable, SECTIONS, type Settings } from '../../src/aws/environment/index.ts';
import { CAPACITIES } from '../../src/jobs/model/index.ts';
import { createWorker, type HandlerRegistry, pythonHandlers } from '../../workers/index.ts';
import { beforeAdvanceFault, FAULT_INJECTION } from './advance-fault.ts';
import { type AttemptFaults, builtinHandlers } from './builtin-handlers.ts';
import { FAULT_VARIABLES, FaultInjector, type FaultSettings } from './fault-injection.ts';

/** A flag that falls back to its variable, then to the variable's default; both parsed by its schema. */
function setting(variable: { name: string; schema: z.ZodType }, flags: string, description: string): Option {
  const unset = parseVariable(variable, undefined);
  return new Option(flags, description)
    .env(variable.name)
    .default(unset.ok ? unset.value : undefined)
    .argParser((text: string) => {
      const parsed = parseVariable(variable, text);
      if (!parsed.ok) throw new InvalidArgumentError(parsed.problem);
      return parsed.value;
    });
}

/**
 * Parses the command line and runs the demo worker until it stops. `register` adds job types
 * beyond the built-ins (the integration suite's limited types), slowed by the same faults.
 */
export async function runDemoWorker(
  register?: (registry: HandlerRegistry, faults: AttemptFaults) => void,
): Promise<void> {
  const worker = SECTIONS.worker;
  const program = new Command()
    .name('tailguard-worker')
    .description('Runs Tailguard jobs from the queues of one capacity class')
    .addOption(setting(worker.capacity, '--capacity <class>', `capacity class to serve (${CAPACITIES.join(', ')})`))
    .addOption(setting(worker.concurrency, '--concurrency <n>', 'attempts run at once'))
    .addOption(setting(worker.workerId, '--worker-id <id>', 'id reported on attempts'))
    .addOption(setting(worker.leaseSeconds, '--lease-seconds <n>', 'lease of a running attempt'))
    .addOption(
      setting(
        worker.heartbeatSeconds,
        '--heartbeat-seconds <n>',
        'lease renewal and progress interval (fractions allowed)',
      ),
    )
    .addOption(setting(worker.pollWaitSeconds, '--poll-wait-seconds <n>', 'long-poll wait when idle (0-20)'))
    .addOption(
      setting(worker.starvationGuard, '--starvation-guard <n>', 'every n-th receive leads with a lower priority'),
    )
    .addOption(
      setting(
        worker.probationSpeed,
        '--probation-speed <x>',
        'measured speed (1 = class normal) below which the worker takes less work; 0 = never',
      ),
    )
    .addOption(
      setting(
        worker.reportSeconds,
        '--report-seconds <n>',
        "interval of the worker's report (class, speed, load) to the workers table",
      ),
    )
    .addOption(
      setting(
        FAULT_VARIABLES.slowdown,
        '--slowdown <factor>',
        'inject slowness: built-in handlers take this many times longer (benchmarks)',
      ),
    )
    .addOption(
      setting(
        FAULT_VARIABLES.stallProbability,
        '--stall-probability <share>',
        'inject stalls: this share of attempts, each drawn on its own, run --stall-factor times longer (benchmarks)',
      ),
    )
    .addOption(
      setting(FAULT_VARIABLES.stallFactor, '--stall-factor <factor>', 'how many times longer a stalled attempt runs'),
    )
    .addOption(
      setting(
        FAULT_VARIABLES.slowEpisodes,
        '--slow-episodes <ms:share:factor>',
        'inject slow episodes: factor times slower for ms at a time, about share of the time (benchmarks)',
      ),
    )
    .addOption(
      setting(
        FAULT_VARIABLES.faultSeed,
        '--fault-seed <n>',
        'draw injected stalls and slow episodes from this seed: runs with the same seed meet the same faults (benchmarks)',
      ),
    )
    .addOption(
      setting(
        FAULT_INJECTION,
        '--fault-injection <on|off>',
        'honour the payload mark {"fault": "before-advance"}: stop after a workflow step ends, before advancing its workflow (tests)',
      ),
    )
    .addOption(
      setting(worker.shutdownGraceSeconds, '--shutdown-grace-seconds <n>', 'time running attempts get after SIGTERM'),
    )
    .option(
      '--python-handlers <command>',
      'also run the Python handlers this command serves (e.g. "python3 handlers.py")',
    );

  program.parse();
  const {
    pythonHandlers: pythonCommand,
    slowdown,
    stallProbability,
    stallFactor,
    slowEpisodes,
    faultSeed,
    faultInjection,
    ...settings
  } = program.opts<Settings<'worker'> & FaultSettings & { pythonHandlers?: string; faultInjection: boolean }>();
  const faults = new FaultInjector({ slowdown, stallProbability, stallFactor, slowEpisodes, faultSeed });
  const registry = builtinHandlers(faults);
  register?.(registry, faults);
  // Two processes: a job never waits behind one long Python job while the other is free.
  const python = pythonCommand
    ? [
        await pythonHandlers(registry, {
          command: pythonCommand.trim().split(/\s+/) as [string, ...string[]],
          processes: 2,
        }),
      ]
    : [];
  await createWorker({
    handlers: registry,
    closeOnStop: python,
    ...(faultInjection ? { beforeAdvance: beforeAdvanceFault } : {}),
    ...settings,
  }).start();
}

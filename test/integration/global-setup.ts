import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import { localClientConfig } from '../../local/aws-env.ts';
import type { LocalDeployment } from '../../local/deploy.ts';
import { startLocalStack } from '../../local/local-stack.ts';
import { stackReport } from '../helpers/stack-report.ts';

/** The job types of test/fixtures/python_handlers.py. */
export const PYTHON_JOB_TYPES = [
  'py-echo',
  'py-poison',
  'py-flaky',
  'py-crash',
  'py-cooperative',
  'py-stubborn',
  'py-sha256',
  'py-parents',
];

/** Types the cpu workers also run (test/fixtures/worker-with-limited-types.ts), limited in this deployment. */
const TYPE_LIMITS = { 'limited-sleep': { concurrency: 2 }, 'rated-noop': { perSecond: 1 } };

declare module 'vitest' {
  export interface ProvidedContext {
    deployment: LocalDeployment;
  }
}

/**
 * Brings up what the integration suite runs against: the emulator (started here when none runs),
 * the stack deployed by the CDK CLI under its own name (so a running `npm start` is left
 * alone), and local worker processes: 2 cpu-class, 1 gpu-class, and 1 slow cpu-class worker.
 */
export default async function setup(project: TestProject) {
  const stack = await startLocalStack({
    stackName: 'TailguardTest',
    stateDir: fileURLToPath(new URL('../../.tailguard/test/', import.meta.url)),
    // Short lease and heartbeat so lost workers and cancellations show within seconds; fault
    // injection so a step marked for it stops before advancing its workflow, whichever worker runs it.
    workerArgs: [
      '--poll-wait-seconds',
      '1',
      '--concurrency',
      '8',
      '--lease-seconds',
      '6',
      '--heartbeat-seconds',
      '1',
      '--report-seconds',
      '1',
      '--fault-injection',
      'on',
    ],
    // cpu workers also run the limited types of type-limits.test.ts.
    workerCommands: {
      cpu: [
        process.execPath,
        '--import',
        'tsx',
        fileURLToPath(new URL('../fixtures/worker-with-limited-types.ts', import.meta.url)),
      ],
    },
    // gpu workers also serve the Python handlers of test/fixtures (python-handlers.test.ts).
    workerClassArgs: {
      gpu: [
        '--python-handlers',
        `python3 ${fileURLToPath(new URL('../fixtures/python_handlers.py', import.meta.url))}`,
      ],
    },
    // A fast detector that trusts a type's median after 5 runs, so speculation shows within a test.
    // A reaper that calls a job stuck after 5 s and looks every 2 s, so lost messages show within a test;
    // fault injection lets a test stop the intake between a job's write and its send.
    settings: {
      detectorIntervalSeconds: '0.5',
      stragglerMinSamples: '5',
      stragglerMinElapsedMs: '500',
      reaperGraceSeconds: '5',
      reaperIntervalSeconds: '2',
      faultInjection: 'on',
      extraJobTypes: [...PYTHON_JOB_TYPES, ...Object.keys(TYPE_LIMITS)].join(','),
      typeLimits: JSON.stringify(TYPE_LIMITS),
    },
    log: (line) => console.error(`[setup] ${line}`),
  });
  for (const capacity of ['cpu', 'cpu', 'gpu'] as const) stack.pool.start(capacity);
  // A slow host: its built-in handlers take 8× longer. Its attempts are what the detector must catch,
  // so it stays off probation (which would keep most jobs away from it).
  stack.pool.start('cpu', ['--slowdown', '8', '--worker-id', 'local-cpu-slow', '--probation-speed', '0']);
  project.provide('deployment', stack.deployment);
  return async () => {
    await printStackReport(stack.deployment);
    await stack.close();
  };
}

/** The stack's state at the end (stack-report.ts), on stderr; never holds the teardown up for long. */
async function printStackReport(deployment: LocalDeployment): Promise<void> {
  const dynamodb = new DynamoDBClient(localClientConfig(deployment.endpoint));
  const report = stackReport(dynamodb, deployment).catch((error: Error) => [`unavailable: ${error.message}`]);
  const lines = await Promise.race([report, sleep(60_000, ['unavailable: no answer within 60 s'])]);
  console.error(lines.map((line) => `[teardown] ${line}`).join('\n'));
  dynamodb.destroy();
}

import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Emulator, ensureEmulator } from '../localstack/emulator.ts';
import { localAwsEnv, localClientConfig } from './aws-env.ts';
import { CapacityHook } from './capacity-hook.ts';
import { type DeployOptions, deployLocal, type LocalDeployment } from './deploy.ts';
import { ScheduleClock } from './schedule-clock.ts';
import { WorkerPool, type WorkerPoolOptions } from './worker-pool.ts';

export interface LocalStackOptions {
  endpoint?: string;
  /** The CDK app to deploy (a team's project, with its worker commands). @default this repository's demo app */
  projectDir?: string;
  /** @default every stack of the app */
  stackName?: string;
  /** Folder for this run's outputs file, CDK log and worker logs. */
  stateDir: string;
  /** Where the CDK CLI's output goes (default: `<stateDir>cdk.log`). */
  cliOutput?: DeployOptions['cliOutput'];
  outputsFile?: string;
  /** Flags every worker process of the pool gets. */
  workerArgs?: string[];
  /** Flags for one class's workers only. */
  workerClassArgs?: WorkerPoolOptions['classArgs'];
  /** Each class's worker command (argv), run in `projectDir`. @default this repository's demo worker */
  workerCommands?: WorkerPoolOptions['commands'];
  /** Extra deployment settings (docs/configuration.md). */
  settings?: Record<string, string>;
  /** Workers per class the capacity hook may start for the straggler detector. @default 4 */
  extraWorkers?: number;
  log: (line: string) => void;
}

export interface LocalStack {
  emulator: Emulator;
  deployment: LocalDeployment;
  pool: WorkerPool;
  /** Starts workers when the straggler detector asks for capacity (ECS does this on AWS). */
  capacityHook: CapacityHook;
  /** Fires recurring schedules as EventBridge Scheduler does on AWS (the emulator's own fires lack their time). */
  scheduleClock: ScheduleClock;
  /** Stops the workers, then the emulator if this process started it. */
  close(): Promise<void>;
}

/**
 * Everything a local run needs: the emulator (started when none answers), the stack (without its
 * ECS workers) deployed with the CDK CLI, and an empty worker pool bound to it. Used by `npm start`, the integration
 * suite and the benchmarks.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const emulator = await ensureEmulator({ endpoint: options.endpoint, log: options.log });
  Object.assign(process.env, localAwsEnv(emulator.endpoint));
  let pool: WorkerPool | undefined;
  const capacityHook = new CapacityHook((capacity) => pool?.start(capacity), options.extraWorkers);
  let scheduleClock: ScheduleClock | undefined;
  try {
    const hookUrl = await capacityHook.listen();
    const started = Date.now();
    const deployment = await deployLocal({
      endpoint: emulator.endpoint,
      projectDir: options.projectDir,
      stackName: options.stackName,
      outputsFile: options.outputsFile ?? `${options.stateDir}cdk-outputs.json`,
      cliOutput: options.cliOutput ?? { logFile: `${options.stateDir}cdk.log` },
      log: options.log,
      settings: { localCapacityHookUrl: hookUrl, ...options.settings },
    });
    // Their rules first fire within a minute; start a run of each now so they work from the start.
    const lambda = new LambdaClient(localClientConfig(emulator.endpoint));
    for (const name of [deployment.stragglerDetector, deployment.reaper]) {
      await lambda.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from('{}') }));
    }
    const clients = localClientConfig(emulator.endpoint);
    scheduleClock = new ScheduleClock({
      scheduler: new SchedulerClient(clients),
      sqs: new SQSClient(clients),
      groupName: deployment.scheduleGroup,
      log: options.log,
    });
    scheduleClock.start();
    options.log(
      `${deployment.stackName} deployed in ${((Date.now() - started) / 1000).toFixed(1)} s; API at ${deployment.apiUrl}`,
    );
    const workers = new WorkerPool({
      env: deployment.workerEnv,
      logDir: `${options.stateDir}workers`,
      args: options.workerArgs,
      classArgs: options.workerClassArgs,
      commands: options.workerCommands,
      cwd: options.projectDir,
    });
    pool = workers;
    return {
      emulator,
      deployment,
      pool: workers,
      capacityHook,
      scheduleClock,
      async close() {
        capacityHook.close();
        await scheduleClock?.close();
        await workers.stopAll();
        await emulator.stop();
      },
    };
  } catch (error) {
    capacityHook.close();
    await scheduleClock?.close();
    await emulator.stop();
    throw error;
  }
}

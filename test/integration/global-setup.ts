import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { ensureEmulator } from '../../localstack/emulator.ts';
import { localAwsEnv } from '../../local/aws-env.ts';
import { deployLocal, type LocalDeployment } from '../../local/deploy.ts';
import { WorkerPool } from '../../local/worker-pool.ts';

const stateDir = fileURLToPath(new URL('../../.tailguard/test/', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    deployment: LocalDeployment;
  }
}

/**
 * Brings up what the integration suite runs against: the emulator (started here when none runs),
 * the core stack deployed by the CDK CLI under its own name (so a running `npm start` is left
 * alone), and local worker processes: 2 cpu-class and 1 gpu-class.
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => console.error(`[setup] ${line}`);
  const emulator = await ensureEmulator({ log });
  Object.assign(process.env, localAwsEnv(emulator.endpoint));
  let pool: WorkerPool | undefined;
  try {
    const started = Date.now();
    const deployment = await deployLocal({
      endpoint: emulator.endpoint,
      stackName: 'TailguardTest',
      outputsFile: `${stateDir}cdk-outputs.json`,
      cliOutput: { logFile: `${stateDir}cdk.log` },
      log,
    });
    log(`stack deployed in ${((Date.now() - started) / 1000).toFixed(1)} s; API at ${deployment.apiUrl}`);
    pool = new WorkerPool({
      env: deployment.workerEnv,
      logDir: `${stateDir}workers`,
      // Short lease and heartbeat so lost workers and cancellations show within seconds.
      args: ['--poll-wait-seconds', '1', '--concurrency', '8', '--lease-seconds', '6', '--heartbeat-seconds', '1'],
    });
    for (const capacity of ['cpu', 'cpu', 'gpu'] as const) pool.start(capacity);
    project.provide('deployment', deployment);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return async () => {
    await pool?.stopAll();
    await emulator.stop();
  };
}

import { fileURLToPath } from 'node:url';
import { ensureEmulator, type Emulator } from '../../localstack/emulator.ts';
import { localAwsEnv } from '../../local/aws-env.ts';
import { deployLocal, type LocalDeployment } from '../../local/deploy.ts';
import { WorkerPool } from '../../local/worker-pool.ts';

export const benchDir = fileURLToPath(new URL('../../.tailguard/bench/', import.meta.url));

export interface BenchStack {
  emulator: Emulator;
  deployment: LocalDeployment;
  pool: WorkerPool;
  close(): Promise<void>;
}

/** Emulator, a `TailguardBench` stack and a worker pool, torn down by `close()`. */
export async function startBenchStack(workerArgs: string[]): Promise<BenchStack> {
  const log = (line: string) => console.error(`[bench] ${line}`);
  const emulator = await ensureEmulator({ log });
  Object.assign(process.env, localAwsEnv(emulator.endpoint));
  try {
    const deployment = await deployLocal({
      endpoint: emulator.endpoint,
      stackName: 'TailguardBench',
      outputsFile: `${benchDir}cdk-outputs.json`,
      cliOutput: { logFile: `${benchDir}cdk.log` },
      log,
    });
    const pool = new WorkerPool({ env: deployment.workerEnv, logDir: `${benchDir}workers`, args: workerArgs });
    return {
      emulator,
      deployment,
      pool,
      async close() {
        await pool.stopAll();
        await emulator.stop();
      },
    };
  } catch (error) {
    await emulator.stop();
    throw error;
  }
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { LOCAL_REGION, localAwsEnv } from './aws-env.ts';
import { type LocalStack, startLocalStack } from './local-stack.ts';
import { cliCommand, type ProjectConfig, readProjectConfig, workerCommands } from './project-config.ts';

export interface DevOptions {
  /** The team's project: its CDK app (cdk.json) and package.json#tailguard. Ends in `/`. */
  projectDir: string;
  /** @default $AWS_ENDPOINT_URL, else the embedded emulator's */
  endpoint?: string;
  /** Worker processes per class instead of package.json's counts. */
  counts?: Partial<Record<keyof ProjectConfig['workers'], number>>;
  log: (line: string) => void;
}

export interface DevSession {
  stack: LocalStack;
  /** Where tools read the API from (`tailguard submit` etc.): `.tailguard/local.json`. */
  stateFile: string;
  /** How to run the CLI in this project (`npx tailguard`, or the npm script in Tailguard's own repository). */
  cli: string;
}

/**
 * `tailguard dev`: the team's whole system on this machine. The emulator (started when nothing
 * answers), every stack of their CDK app deployed with `tailguard:local=true` (the construct's
 * serverless part), their worker command of each class started as processes with the
 * deployment's environment, and `.tailguard/local.json` written for the CLI and client.
 */
export async function startDev(options: DevOptions): Promise<DevSession> {
  const config = readProjectConfig(options.projectDir);
  const stateDir = `${options.projectDir}.tailguard/`;
  const stack = await startLocalStack({
    endpoint: options.endpoint,
    projectDir: options.projectDir,
    stateDir,
    cliOutput: 'inherit',
    workerCommands: workerCommands(config),
    log: options.log,
  });
  try {
    for (const [capacity, worker] of Object.entries(config.workers)) {
      const count = options.counts?.[capacity as keyof typeof options.counts] ?? worker.count;
      for (let i = 0; i < count; i++) stack.pool.start(capacity as keyof ProjectConfig['workers']);
    }
    const { deployment } = stack;
    const env = localAwsEnv(deployment.endpoint);
    mkdirSync(stateDir, { recursive: true });
    const stateFile = `${stateDir}local.json`;
    writeFileSync(
      stateFile,
      `${JSON.stringify(
        {
          apiUrl: deployment.apiUrl,
          region: LOCAL_REGION,
          auth: 'iam',
          // The emulator checks signatures against its own test credentials, not the caller's AWS ones.
          credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
          endpoint: deployment.endpoint,
          stackName: deployment.stackName,
          awsApiUrl: deployment.awsApiUrl,
          jobsTable: deployment.jobsTable,
          idempotencyTable: deployment.idempotencyTable,
          queues: deployment.queues,
          workerEnv: deployment.workerEnv,
        },
        null,
        2,
      )}\n`,
    );
    return { stack, stateFile, cli: cliCommand(options.projectDir) };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

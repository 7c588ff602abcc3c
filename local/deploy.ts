import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { environmentFor } from '../src/aws/environment/index.ts';
import { type QueueTopology, QueueTopologySchema } from '../src/jobs/dispatch/index.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, localAwsEnv } from './aws-env.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const cdk = `${root}node_modules/.bin/cdk`;

/** A core stack deployed to an emulator, with what tools and workers need to reach it. */
export interface LocalDeployment {
  stackName: string;
  endpoint: string;
  /** Invoke URL on the emulator, ending in `/`. */
  apiUrl: string;
  /** The URL API Gateway would have on AWS (the `ApiUrl` output). */
  awsApiUrl: string;
  jobsTable: string;
  idempotencyTable: string;
  queues: QueueTopology;
  /** EventBridge Scheduler group of the start scheduler's schedules. */
  scheduleGroup: string;
  statsTable: string;
  workersTable: string;
  stragglerDetector: string;
  reaper: string;
  /** Environment a worker process needs (endpoint, credentials, tables, queues). */
  workerEnv: Record<string, string>;
}

export interface DeployOptions {
  endpoint: string;
  stackName?: string;
  outputsFile?: string;
  /** Where the CDK CLI's output goes: the terminal, or a log file. */
  cliOutput?: 'inherit' | { logFile: string };
  log?: (line: string) => void;
  /** Extra `tailguard:<name>` settings (docs/configuration.md), e.g. a faster detector for tests. */
  settings?: Record<string, string>;
}

/** `cdk bootstrap` + `cdk deploy` of the core stack to the emulator. */
export async function deployLocal(options: DeployOptions): Promise<LocalDeployment> {
  const stackName = options.stackName ?? 'TailguardCore';
  const outputsFile = options.outputsFile ?? `${root}cdk-outputs.json`;
  const log = options.log ?? ((line) => console.error(line));
  const env = { ...process.env, ...localAwsEnv(options.endpoint) };

  log(`Bootstrapping CDK in the emulator (aws://${LOCAL_ACCOUNT}/${LOCAL_REGION})`);
  await runCdk(['bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`], env, options.cliOutput);
  log(`Deploying ${stackName}`);
  await runCdk(
    [
      'deploy',
      stackName,
      '--require-approval',
      'never',
      '--context',
      'tailguard:local=true',
      '--context',
      `tailguard:stackName=${stackName}`,
      '--outputs-file',
      outputsFile,
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['--context', `tailguard:${name}=${value}`]),
    ],
    env,
    options.cliOutput,
  );
  const outputs = readOutputs(outputsFile, stackName);

  const queues = QueueTopologySchema.parse(JSON.parse(outputs.QueueTopology));
  const apiUrl = `${options.endpoint.replace(/\/$/, '')}/_aws/execute-api/${outputs.ApiId}/${outputs.ApiStage}/`;
  return {
    stackName,
    endpoint: options.endpoint,
    apiUrl,
    awsApiUrl: outputs.ApiUrl,
    jobsTable: outputs.JobsTableName,
    idempotencyTable: outputs.IdempotencyTableName,
    queues,
    scheduleGroup: outputs.ScheduleGroup,
    statsTable: outputs.StatsTableName,
    workersTable: outputs.WorkersTableName,
    stragglerDetector: outputs.StragglerDetectorName,
    reaper: outputs.ReaperName,
    workerEnv: {
      ...localAwsEnv(options.endpoint),
      ...environmentFor('worker', {
        // A local worker's own settings come from the pool's flags.
        worker: {},
        jobStore: { jobs: outputs.JobsTableName, idempotency: outputs.IdempotencyTableName },
        latencyStats: { table: outputs.StatsTableName },
        workerRegistry: { table: outputs.WorkersTableName },
        queues: { topology: queues },
        dispatch: { schedulerQueueUrl: outputs.SchedulerQueueUrl },
      }),
    },
  };
}

const OUTPUT_KEYS = [
  'ApiUrl',
  'ApiId',
  'ApiStage',
  'JobsTableName',
  'IdempotencyTableName',
  'QueueTopology',
  'SchedulerQueueUrl',
  'ScheduleGroup',
  'StatsTableName',
  'WorkersTableName',
  'StragglerDetectorName',
  'ReaperName',
] as const;

function readOutputs(file: string, stackName: string): Record<(typeof OUTPUT_KEYS)[number], string> {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const outputs = all[stackName];
  const missing = OUTPUT_KEYS.filter((key) => !outputs?.[key]);
  if (!outputs || missing.length > 0)
    throw new Error(`stack ${stackName} in ${file} lacks outputs: ${missing.join(', ')}`);
  return outputs as Record<(typeof OUTPUT_KEYS)[number], string>;
}

function runCdk(args: string[], env: NodeJS.ProcessEnv, output: DeployOptions['cliOutput'] = 'inherit'): Promise<void> {
  let stdio: 'inherit' | ['ignore', number, number] = 'inherit';
  if (output !== 'inherit') {
    mkdirSync(dirname(output.logFile), { recursive: true });
    const fd = openSync(output.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cdk, args, { cwd: root, env, stdio });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `cdk ${args[0]} failed with exit code ${code}${output === 'inherit' ? '' : `; see ${output.logFile}`}`,
          ),
        );
    });
  });
}

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { environmentFor } from '../src/aws/environment/index.ts';
import { HTTP_API_DEFAULT_STAGE, manifestsIn, type TailguardManifest } from '../src/aws/manifest.ts';
import type { QueueTopology } from '../src/jobs/dispatch/index.ts';
import { packageRoot } from '../src/package-root.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, localAwsEnv } from './aws-env.ts';

const root = packageRoot(import.meta.url);

/** A Tailguard stack deployed to an emulator, with what tools and workers need to reach it. */
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
  coordinationTable: string;
  /** The payload bucket (large payloads, uploads, results); absent for a deployment from before it. */
  payloadBucket?: string;
  /** The queue of checks on immediate starts' messages (src/jobs/dispatch/message-check.ts). */
  checksQueueUrl: string;
  stragglerDetector: string;
  reaper: string;
  /** Environment a worker process needs (endpoint, credentials, tables, queues). */
  workerEnv: Record<string, string>;
}

export interface DeployOptions {
  endpoint: string;
  /**
   * The CDK app's folder (its cdk.json): this repository's demo app, or a team's project.
   * @default this repository
   */
  projectDir?: string;
  /** Deploy this stack only (this repository's app names it after `tailguard:stackName`). @default every stack of the app */
  stackName?: string;
  outputsFile?: string;
  /** Where the CDK CLI's output goes: the terminal, or a log file. */
  cliOutput?: 'inherit' | { logFile: string };
  log?: (line: string) => void;
  /** Extra `tailguard:<name>` settings (docs/configuration.md), e.g. a faster detector for tests. */
  settings?: Record<string, string>;
}

/** `cdk bootstrap` + `cdk deploy` of the stack to the emulator (its serverless part: `tailguard:local=true`). */
export async function deployLocal(options: DeployOptions): Promise<LocalDeployment> {
  const projectDir = options.projectDir ?? root;
  const { stackName } = options;
  const outputsFile = options.outputsFile ?? `${projectDir}cdk-outputs.json`;
  const log = options.log ?? ((line) => console.error(line));
  const env = { ...process.env, ...localAwsEnv(options.endpoint) };

  log(`Bootstrapping CDK in the emulator (aws://${LOCAL_ACCOUNT}/${LOCAL_REGION})`);
  const cdk = { projectDir, env, output: options.cliOutput };
  await runCdk(cdk, ['bootstrap', `aws://${LOCAL_ACCOUNT}/${LOCAL_REGION}`]);
  log(`Deploying ${stackName ?? `every stack of ${projectDir}`}`);
  await runCdk(cdk, [
    'deploy',
    ...(stackName ? [stackName, '--context', `tailguard:stackName=${stackName}`] : ['--all']),
    '--require-approval',
    'never',
    '--context',
    'tailguard:local=true',
    '--outputs-file',
    outputsFile,
    ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['--context', `tailguard:${name}=${value}`]),
  ]);
  const { stack, manifest } = readManifest(outputsFile);
  const apiUrl = localApiUrl(options.endpoint, manifest);
  return {
    stackName: stack,
    endpoint: options.endpoint,
    apiUrl,
    awsApiUrl: manifest.apiUrl,
    jobsTable: manifest.jobsTable,
    idempotencyTable: manifest.idempotencyTable,
    queues: manifest.queues,
    scheduleGroup: manifest.scheduleGroup,
    statsTable: manifest.statsTable,
    workersTable: manifest.workersTable,
    coordinationTable: manifest.coordinationTable,
    payloadBucket: manifest.payloadBucket,
    checksQueueUrl: manifest.checksQueueUrl,
    stragglerDetector: manifest.stragglerDetector,
    reaper: manifest.reaper,
    workerEnv: {
      ...localAwsEnv(options.endpoint),
      ...environmentFor('worker', {
        // A local worker's own settings come from the pool's flags.
        worker: {},
        jobStore: { jobs: manifest.jobsTable, idempotency: manifest.idempotencyTable },
        latencyStats: { table: manifest.statsTable },
        workerRegistry: { table: manifest.workersTable },
        coordination: { table: manifest.coordinationTable },
        typeLimits: { limits: manifest.typeLimits },
        tenants: { config: manifest.tenants },
        fairness:
          manifest.fairnessWindowPerWeight === undefined ? {} : { windowPerWeight: manifest.fairnessWindowPerWeight },
        payloads: {
          bucket: manifest.payloadBucket ?? '',
          inlineBytes: manifest.payloadInlineBytes,
          maxBytes: manifest.payloadMaxBytes,
        },
        queues: { topology: manifest.queues },
        dispatch: { schedulerQueueUrl: manifest.schedulerQueueUrl, checksQueueUrl: manifest.checksQueueUrl },
      }),
    },
  };
}

/**
 * The API's invoke URL on the emulator, ending in `/`: `<endpoint>/_aws/execute-api/<id>/<stage>/`
 * for a REST API, `<endpoint>/_aws/execute-api/<id>/` for an HTTP API's `$default` stage, which
 * serves from the root (as its URL on AWS has no stage path).
 */
export function localApiUrl(endpoint: string, manifest: Pick<TailguardManifest, 'apiId' | 'apiStage'>): string {
  const stage = manifest.apiStage === HTTP_API_DEFAULT_STAGE ? '' : `${manifest.apiStage}/`;
  return `${endpoint.replace(/\/$/, '')}/_aws/execute-api/${manifest.apiId}/${stage}`;
}

/** The one Tailguard deployment among the deployed stacks' outputs (the construct's manifest output). */
function readManifest(file: string): { stack: string; manifest: TailguardManifest } {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const found = Object.entries(all).flatMap(([stack, outputs]) =>
    [...manifestsIn(outputs).values()].map((manifest) => ({ stack, manifest })),
  );
  if (found.length !== 1) {
    throw new Error(`${file} holds ${found.length} Tailguard deployments (construct manifest outputs); expected one`);
  }
  return found[0]!;
}

/** The app's own CDK CLI when it has one (a team's project pins its version), else Tailguard's. */
function cdkBin(projectDir: string): string {
  const own = `${projectDir}node_modules/.bin/cdk`;
  return existsSync(own) ? own : `${root}node_modules/.bin/cdk`;
}

function runCdk(
  {
    projectDir,
    env,
    output = 'inherit',
  }: { projectDir: string; env: NodeJS.ProcessEnv; output?: DeployOptions['cliOutput'] },
  args: string[],
): Promise<void> {
  let stdio: 'inherit' | ['ignore', number, number] = 'inherit';
  if (output !== 'inherit') {
    mkdirSync(dirname(output.logFile), { recursive: true });
    const fd = openSync(output.logFile, 'a');
    stdio = ['ignore', fd, fd];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cdkBin(projectDir), args, { cwd: projectDir, env, stdio });
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

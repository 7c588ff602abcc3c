#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
/**
 * `npm start`: the whole system on this machine. Emulator up (or the one already running),
 * core stack deployed with the CDK CLI, worker processes started, then it waits for Ctrl-C.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_ENDPOINT } from '../localstack/emulator.ts';
import { LOCAL_REGION } from './aws-env.ts';
import { type LocalStack, startLocalStack } from './local-stack.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stateDir = `${root}.tailguard`;

const count = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

const opts = new Command()
  .name('tailguard-local')
  .description('Runs Tailguard locally: emulator, stack and workers')
  .addOption(new Option('--endpoint <url>', 'AWS emulator endpoint').env('AWS_ENDPOINT_URL').default(DEFAULT_ENDPOINT))
  .addOption(new Option('--cpu-workers <n>', 'CPU-class worker processes').argParser(count).default(2))
  .addOption(new Option('--gpu-workers <n>', 'GPU-class worker processes').argParser(count).default(1))
  .parse()
  .opts<{ endpoint: string; cpuWorkers: number; gpuWorkers: number }>();

let stack: LocalStack | undefined;
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`\n${signal}: stopping workers${stack?.emulator.startedHere ? ' and the emulator' : ''}...`);
  await stack?.close();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startLocalStack({
    endpoint: opts.endpoint,
    stateDir: `${stateDir}/`,
    outputsFile: `${root}cdk-outputs.json`,
    cliOutput: 'inherit',
    workerArgs: ['--poll-wait-seconds', '2'],
    log: (line) => console.error(line),
  });
  const { deployment, pool } = stack;
  for (let i = 0; i < opts.cpuWorkers; i++) pool.start('cpu');
  for (let i = 0; i < opts.gpuWorkers; i++) pool.start('gpu');

  mkdirSync(stateDir, { recursive: true });
  writeFileSync(
    `${stateDir}/local.json`,
    `${JSON.stringify(
      {
        apiUrl: deployment.apiUrl,
        endpoint: deployment.endpoint,
        stackName: deployment.stackName,
        awsApiUrl: deployment.awsApiUrl,
        jobsTable: deployment.jobsTable,
        idempotencyTable: deployment.idempotencyTable,
        queues: deployment.queues,
        workers: pool.running.map((w) => ({ id: w.id, capacity: w.capacity, pid: w.process.pid, log: w.logFile })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`
Tailguard is running.
  API:      ${deployment.apiUrl}
  Workers:  ${opts.cpuWorkers} cpu, ${opts.gpuWorkers} gpu (logs in .tailguard/workers/)
  State:    .tailguard/local.json

Try it (the API requires SigV4, as on AWS; curl signs with the emulator's test credentials):
  curl -s --aws-sigv4 'aws:amz:${LOCAL_REGION}:execute-api' --user test:test -X POST ${deployment.apiUrl}jobs -H 'content-type: application/json' -d '{"type":"noop"}'
  curl -s --aws-sigv4 'aws:amz:${LOCAL_REGION}:execute-api' --user test:test ${deployment.apiUrl}jobs/<id>

Ctrl-C stops everything this command started.`);
} catch (error) {
  console.error(`npm start failed: ${(error as Error).message}`);
  await stack?.close();
  process.exit(1);
}

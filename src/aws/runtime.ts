import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JobDispatcher, type QueueTopology } from '../jobs/dispatch/index.ts';
import { PayloadStore } from '../jobs/payloads/index.ts';
import { CheckRecords } from '../jobs/reaper/index.ts';
import { FireLog, ScheduleRegistry } from '../jobs/schedules/index.ts';
import { LatencyStatsStore, WorkerRegistry } from '../jobs/speculation/index.ts';
import { JobStore, RateWindows, Semaphores, Turns } from '../jobs/store/index.ts';
import { WorkflowStore } from '../jobs/workflows/index.ts';
import { createDocumentClient, createS3Client, createSqsClient } from './clients.ts';
import { type Environment, readSection } from './environment/index.ts';

/**
 * The adapters a Tailguard process builds from its environment (the contract in ./environment/),
 * each made on first use so a process only needs the settings of what it touches. The AWS SDK's
 * own variables (region, credentials, endpoint) are read by the SDK from the process, as always.
 */
export function runtimeFor(env: Environment) {
  const sqs = lazy<SQSClient>(createSqsClient);
  const documentClient = lazy(createDocumentClient);
  const topology = lazy<QueueTopology>(() => readSection('queues', env).topology);
  const coordinationTable = lazy(() => readSection('coordination', env).table);
  const scheduler = lazy(() => new SchedulerClient({}));
  return {
    store: lazy(() => new JobStore(documentClient(), readSection('jobStore', env))),
    /** Workflow items live in the jobs table (docs/workflows.md). */
    workflows: lazy(() => new WorkflowStore(documentClient(), readSection('jobStore', env).jobs)),
    stats: lazy(() => new LatencyStatsStore(documentClient(), readSection('latencyStats', env).table)),
    workers: lazy(() => new WorkerRegistry(documentClient(), readSection('workerRegistry', env).table)),
    turns: lazy(() => new Turns(documentClient(), coordinationTable())),
    semaphores: lazy(() => new Semaphores(documentClient(), coordinationTable())),
    rateWindows: lazy(() => new RateWindows(documentClient(), coordinationTable())),
    checkRecords: lazy(() => new CheckRecords(documentClient(), coordinationTable())),
    typeLimits: lazy(() => readSection('typeLimits', env).limits),
    sqs,
    topology,
    dispatcher: lazy(() => new JobDispatcher(sqs(), topology(), readSection('dispatch', env))),
    payloads: lazy(() => new PayloadStore(createS3Client(), readSection('payloads', env).bucket)),
    payloadLimits: lazy(() => {
      const { inlineBytes, maxBytes } = readSection('payloads', env);
      return { inlineBytes, maxBytes };
    }),
    scheduler,
    fireLog: lazy(() => new FireLog(documentClient(), coordinationTable())),
    schedules: lazy(() => {
      const fire = readSection('recurringSchedules', env);
      return new ScheduleRegistry(scheduler(), {
        groupName: readSection('schedules', env).groupName,
        target: { queueArn: fire.fireQueueArn, roleArn: fire.fireRoleArn, deadLetterArn: fire.fireDeadLetterArn },
      });
    }),
  };
}

export type Runtime = ReturnType<typeof runtimeFor>;

/** The Lambdas' runtime, from their environment. */
export const runtime: Runtime = runtimeFor(process.env);

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JobDispatcher, type QueueTopology } from '../jobs/dispatch/index.ts';
import { CheckRecords } from '../jobs/reaper/index.ts';
import { LatencyStatsStore, WorkerRegistry } from '../jobs/speculation/index.ts';
import { JobStore, RateWindows, Semaphores, Turns } from '../jobs/store/index.ts';
import { createDocumentClient, createSqsClient } from './clients.ts';
import { readSection } from './environment/index.ts';

/**
 * The adapters every Tailguard process builds from its environment (the contract in
 * ./environment/), each made on first use so a function only needs the settings of what it touches.
 */
const sqs = lazy<SQSClient>(createSqsClient);
const documentClient = lazy(createDocumentClient);
const topology = lazy<QueueTopology>(() => readSection('queues').topology);
const coordinationTable = lazy(() => readSection('coordination').table);

export const runtime = {
  store: lazy(() => new JobStore(documentClient(), readSection('jobStore'))),
  stats: lazy(() => new LatencyStatsStore(documentClient(), readSection('latencyStats').table)),
  workers: lazy(() => new WorkerRegistry(documentClient(), readSection('workerRegistry').table)),
  turns: lazy(() => new Turns(documentClient(), coordinationTable())),
  semaphores: lazy(() => new Semaphores(documentClient(), coordinationTable())),
  rateWindows: lazy(() => new RateWindows(documentClient(), coordinationTable())),
  checkRecords: lazy(() => new CheckRecords(documentClient(), coordinationTable())),
  typeLimits: lazy(() => readSection('typeLimits').limits),
  sqs,
  topology,
  dispatcher: lazy(() => new JobDispatcher(sqs(), topology(), readSection('dispatch'))),
  scheduler: lazy(() => new SchedulerClient({})),
};

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

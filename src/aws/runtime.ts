import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient, createSqsClient } from './clients.ts';
import { JobDispatcher, type QueueTopology, queueTopologyFromEnv, requireEnv } from '../jobs/dispatch/index.ts';
import { JobStore } from '../jobs/store/index.ts';
import { LatencyStatsStore, WorkerRegistry } from '../jobs/speculation/index.ts';

/**
 * The adapters every Tailguard process builds from its environment (set by the stack on Lambdas
 * and ECS tasks, and by the local runtime on worker processes), each made on first use so a
 * function only needs the settings of what it touches.
 */
const sqs = lazy<SQSClient>(createSqsClient);
const documentClient = lazy(createDocumentClient);
const topology = lazy<QueueTopology>(queueTopologyFromEnv);

export const runtime = {
  store: lazy(() => new JobStore(documentClient(), { jobs: requireEnv('JOBS_TABLE'), idempotency: requireEnv('IDEMPOTENCY_TABLE') })),
  stats: lazy(() => new LatencyStatsStore(documentClient(), requireEnv('STATS_TABLE'))),
  workers: lazy(() => new WorkerRegistry(documentClient(), requireEnv('WORKERS_TABLE'))),
  sqs,
  topology,
  dispatcher: lazy(() => new JobDispatcher(sqs(), topology(), requireEnv('SCHEDULER_QUEUE_URL'))),
  scheduler: lazy(() => new SchedulerClient({})),
};

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

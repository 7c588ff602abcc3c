import { Stack } from 'aws-cdk-lib';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  environmentFor,
  type KindSettingsInput,
  type ProcessKind,
  type SectionsInput,
} from '../src/aws/environment/index.ts';
import type { PayloadBucket } from './payloads.ts';
import type { JobQueues } from './queues.ts';
import type { JobStoreTables } from './store.ts';

/**
 * The environment of a process the stack deploys, from the contract in src/aws/environment/.
 * JSON settings (the queue topology) go through the stack so the tokens inside resolve at deploy.
 */
export function processEnvironment<P extends ProcessKind>(
  scope: Construct,
  kind: P,
  settings: KindSettingsInput<P>,
): Record<string, string> {
  return environmentFor(kind, settings, (value) => Stack.of(scope).toJsonString(value));
}

/** What every process works on: the tables, the job queues and the start scheduler's queue. */
export interface SharedResources {
  store: JobStoreTables;
  queues: JobQueues;
  scheduler: { readonly requests: IQueue };
  payloads: PayloadBucket;
}

/** The shared resources' settings; each kind of process is given only the sections it reads. */
export function coreSettings(
  core: Omit<SharedResources, 'payloads'>,
): SectionsInput<'jobStore' | 'latencyStats' | 'workerRegistry' | 'coordination' | 'queues' | 'dispatch'> {
  const { store, queues, scheduler } = core;
  return {
    jobStore: { jobs: store.jobs.tableName, idempotency: store.idempotency.tableName },
    latencyStats: { table: store.stats.tableName },
    workerRegistry: { table: store.workers.tableName },
    coordination: { table: store.coordination.tableName },
    queues: { topology: queues.topology() },
    dispatch: { schedulerQueueUrl: scheduler.requests.queueUrl, checksQueueUrl: queues.checks.queue.queueUrl },
  };
}

import { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JobDispatcher, type QueueTopology } from '../jobs/dispatch/index.ts';
import { FairDispatch, TenantBacklogs } from '../jobs/fairness/index.ts';
import { PayloadStore } from '../jobs/payloads/index.ts';
import { CheckRecords } from '../jobs/reaper/index.ts';
import { FireLog, ScheduleRegistry } from '../jobs/schedules/index.ts';
import { LatencyStatsStore, WorkerRegistry } from '../jobs/speculation/index.ts';
import { JobStore, RateWindows, Semaphores, TenantWindows, Turns } from '../jobs/store/index.ts';
import { QueuedCounts, TenantOverrides, TenantSettingsReader } from '../jobs/tenants/index.ts';
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
  const tenantOverrides = lazy(() => new TenantOverrides(documentClient(), coordinationTable()));
  const tenantsConfig = lazy(() => readSection('tenants', env).config);
  const tenantSettings = lazy(() => new TenantSettingsReader(tenantsConfig(), tenantOverrides()));
  const tenantWindows = lazy(() => new TenantWindows(documentClient(), coordinationTable()));
  const dispatcher = lazy(() => new JobDispatcher(sqs(), topology(), readSection('dispatch', env)));
  const store = lazy(() => new JobStore(documentClient(), readSection('jobStore', env)));
  return {
    store,
    /** Workflow items live in the jobs table (docs/workflows.md). */
    workflows: lazy(() => new WorkflowStore(documentClient(), readSection('jobStore', env).jobs)),
    stats: lazy(() => new LatencyStatsStore(documentClient(), readSection('latencyStats', env).table)),
    workers: lazy(() => new WorkerRegistry(documentClient(), readSection('workerRegistry', env).table)),
    turns: lazy(() => new Turns(documentClient(), coordinationTable())),
    semaphores: lazy(() => new Semaphores(documentClient(), coordinationTable())),
    rateWindows: lazy(() => new RateWindows(documentClient(), coordinationTable())),
    checkRecords: lazy(() => new CheckRecords(documentClient(), coordinationTable())),
    typeLimits: lazy(() => readSection('typeLimits', env).limits),
    tenantsConfig,
    tenantOverrides,
    tenantSettings,
    queuedCounts: lazy(
      () =>
        new QueuedCounts(
          documentClient(),
          { coordination: coordinationTable(), jobs: readSection('jobStore', env).jobs },
          tenantSettings(),
        ),
    ),
    sqs,
    topology,
    dispatcher,
    /** Per-tenant windows, or undefined where the deployment turned them off (`windowPerWeight` 0). */
    fairness: lazy(() => {
      const { windowPerWeight } = readSection('fairness', env);
      if (windowPerWeight === 0) return undefined;
      const weights = { weightOf: async (tenant: string) => (await tenantSettings().get(tenant)).weight };
      return new FairDispatch({
        windows: tenantWindows(),
        store: store(),
        dispatcher: dispatcher(),
        weights,
        windowPerWeight,
      });
    }),
    /** Each tenant's waiting jobs per queue (`GET /stats`). */
    tenantBacklogs: lazy(() => new TenantBacklogs(tenantWindows())),
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

import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type QueueTopology, queueAddress } from '../dispatch/index.ts';
import { type LimitUsage, limitUsage, type TypeLimits } from '../limits/index.ts';
import { ALL_QUEUE_KEYS, CAPACITIES, type Capacity, PRIORITIES, type QueueKey } from '../model/index.ts';
import type { CheckRecords, QueueCheckRecord } from '../reaper/index.ts';
import { reportedJobIds, type WorkerRegistry, type WorkerReport } from '../speculation/index.ts';
import { type JobStore, type Semaphores, statusShardKeys } from '../store/index.ts';
import { type QueuedByTenant, type TenantStat, tenantStats } from '../tenant-stats/index.ts';

export interface QueueDepth {
  /** Messages ready to be received. */
  visible: number;
  /** Received and not yet deleted: running, or hidden by a worker. */
  inFlight: number;
  /** Waiting out an SQS delay (delayed starts and retries within 15 minutes). */
  delayed: number;
  /** Messages in the queue's DLQ. */
  deadLettered: number;
}

export interface Stats {
  queues: Record<QueueKey, QueueDepth>;
  /** Jobs in RUNNING per capacity class. */
  running: Record<Capacity, number>;
  /** Jobs in DEAD per capacity class (the dead-letter list). */
  dead: Record<Capacity, number>;
  /** Live workers: class, id, measured speed, probation, slots and load. */
  workers: Omit<WorkerReport, 'tenants'>[];
  /** The busiest tenants: their running and queued jobs, and their recent queue wait p99. */
  tenants: TenantStat[];
  /** Limited job types: their limits, and the attempts holding a concurrency slot now. */
  limits: Record<string, LimitUsage>;
  /**
   * Per queue where a review of message checks found jobs waiting for their message past the grace:
   * how many and how long, and the fresh messages sent to jobs whose message was gone.
   */
  messageChecks: Partial<Record<QueueKey, QueueCheckRecord>>;
  generatedAt: string;
}

/**
 * `GET /stats`: SQS depths of every queue and DLQ, running jobs from the workers' reports, dead
 * jobs counted in the index, live workers, the busiest tenants, per-type limits in use.
 */
export async function collectStats(deps: {
  sqs: SQSClient;
  topology: QueueTopology;
  store: JobStore;
  workers: WorkerRegistry;
  limits: TypeLimits;
  /** Made only when a type has a concurrency limit to read. */
  semaphores: () => Semaphores;
  checks: Pick<CheckRecords, 'records'>;
  queuedByTenant: QueuedByTenant;
}): Promise<Stats> {
  const depth = async (url: string) => {
    const { Attributes = {} } = await deps.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  };
  const queueEntries = await Promise.all(
    ALL_QUEUE_KEYS.map(async (key): Promise<[QueueKey, QueueDepth]> => {
      const address = queueAddress(deps.topology, key);
      const [queue, dlq] = await Promise.all([depth(address.url), depth(address.dlqUrl)]);
      return [key, { ...queue, deadLettered: dlq.visible + dlq.inFlight + dlq.delayed }];
    }),
  );
  const perClass = async (count: (capacity: Capacity) => Promise<number>) =>
    Object.fromEntries(
      await Promise.all(
        CAPACITIES.map(async (capacity): Promise<[Capacity, number]> => [capacity, await count(capacity)]),
      ),
    ) as Record<Capacity, number>;
  const countDead = async (capacity: Capacity) => {
    const keys = PRIORITIES.flatMap((priority) => statusShardKeys('DEAD', capacity, priority));
    const counts = await Promise.all(keys.map((key) => deps.store.countByStatus(key)));
    return counts.reduce((a, b) => a + b, 0);
  };
  const [workers, dead, limits, messageChecks, queuedByTenant] = await Promise.all([
    deps.workers.live(),
    perClass(countDead),
    limitUsage(deps.limits, deps.semaphores),
    deps.checks.records(ALL_QUEUE_KEYS),
    deps.queuedByTenant(),
  ]);
  // Running jobs are the ones live workers report (the index leaves RUNNING out).
  const running = await perClass(async (capacity) => reportedJobIds(workers, capacity).length);
  return {
    queues: Object.fromEntries(queueEntries) as Record<QueueKey, QueueDepth>,
    running,
    dead,
    // Their tenants' loads are summed up in `tenants`; the encoded waits mean nothing to a reader.
    workers: workers.map(({ tenants: _, ...worker }) => worker),
    tenants: tenantStats(workers, queuedByTenant),
    limits,
    messageChecks,
    generatedAt: new Date().toISOString(),
  };
}

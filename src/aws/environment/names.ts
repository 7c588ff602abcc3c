/**
 * Every environment variable Tailguard sets or reads, by what it carries: the one place a name is
 * spelled. The stack and the local runtime write them (`environmentFor`), processes read them
 * (`readSection`), the demo worker also takes them as flag fallbacks (`demo/worker/demo-worker.ts`).
 */
export const ENV = {
  jobsTable: 'JOBS_TABLE',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  statsTable: 'STATS_TABLE',
  workersTable: 'WORKERS_TABLE',
  coordinationTable: 'COORDINATION_TABLE',
  queues: 'TAILGUARD_QUEUES',
  schedulerQueueUrl: 'SCHEDULER_QUEUE_URL',
  checksQueueUrl: 'MESSAGE_CHECKS_QUEUE_URL',
  schedulerQueueArn: 'SCHEDULER_QUEUE_ARN',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  scheduleGroup: 'SCHEDULE_GROUP',
  fireQueueUrl: 'SCHEDULE_FIRE_QUEUE_URL',
  fireQueueArn: 'SCHEDULE_FIRE_QUEUE_ARN',
  fireRoleArn: 'SCHEDULE_FIRE_ROLE_ARN',
  fireDeadLetterArn: 'SCHEDULE_FIRE_DLQ_ARN',
  jobTypes: 'TAILGUARD_JOB_TYPES',
  faultInjection: 'TAILGUARD_FAULT_INJECTION',
  typeLimits: 'TAILGUARD_TYPE_LIMITS',
  speculationBudget: 'SPECULATION_BUDGET',
  stragglerSlowFactor: 'STRAGGLER_SLOW_FACTOR',
  stragglerMinSamples: 'STRAGGLER_MIN_SAMPLES',
  stragglerMinElapsedMs: 'STRAGGLER_MIN_ELAPSED_MS',
  stragglerBackupStartMs: 'STRAGGLER_BACKUP_START_MS',
  capacityWaitMs: 'CAPACITY_WAIT_MS',
  detectorIntervalMs: 'DETECTOR_INTERVAL_MS',
  capacityHookUrl: 'CAPACITY_HOOK_URL',
  workerServicesParameter: 'WORKER_SERVICES_PARAMETER',
  reaperGraceSeconds: 'REAPER_GRACE_SECONDS',
  reaperIntervalSeconds: 'REAPER_INTERVAL_SECONDS',
  workerCapacity: 'WORKER_CAPACITY',
  workerConcurrency: 'WORKER_CONCURRENCY',
  workerId: 'WORKER_ID',
  workerLeaseSeconds: 'WORKER_LEASE_SECONDS',
  workerHeartbeatSeconds: 'WORKER_HEARTBEAT_SECONDS',
  workerPollWaitSeconds: 'WORKER_POLL_WAIT_SECONDS',
  workerStarvationGuard: 'WORKER_STARVATION_GUARD',
  workerProbationSpeed: 'WORKER_PROBATION_SPEED',
  workerReportSeconds: 'WORKER_REPORT_SECONDS',
  workerShutdownGraceSeconds: 'WORKER_SHUTDOWN_GRACE_SECONDS',
  workerParentPid: 'WORKER_PARENT_PID',
} as const;

export type VariableName = (typeof ENV)[keyof typeof ENV];

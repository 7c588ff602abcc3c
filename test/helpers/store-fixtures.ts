import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import type { Job, Lease } from '../../src/jobs/model/index.ts';
import type { WorkerReport } from '../../src/jobs/speculation/index.ts';
import { JobStore } from '../../src/jobs/store/index.ts';

/** The fixed clock of the store and attempts unit tests. */
export const NOW = Date.parse('2030-01-01T00:00:00.000Z');

/**
 * A real JobStore over a mocked DynamoDB document client (`aws-sdk-client-mock` mocks every
 * instance of the class), so a test sees the exact commands and conditions a decision sends.
 */
export function mockedStore() {
  const db = mockClient(DynamoDBDocumentClient);
  const store = new JobStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), {
    jobs: 'jobs',
    idempotency: 'idempotency',
  });
  return { db, store };
}

/**
 * A mocked store for the tests of one file: every command answers `{}` unless a test says
 * otherwise, and the clock stands at NOW. `onlyUpdate()` is the one UpdateCommand a test sent.
 */
export function mockedStoreAtNow() {
  const { db, store } = mockedStore();
  beforeEach(() => {
    db.reset();
    db.onAnyCommand().resolves({});
  });
  clockAtNow();
  const onlyUpdate = (): UpdateCommandInput => {
    const calls = db.commandCalls(UpdateCommand);
    expect(calls).toHaveLength(1);
    return calls[0]!.args[0].input;
  };
  return { db, store, onlyUpdate };
}

/** Stands the clock (`Date` only; timers run) at NOW for each test of the file. */
export function clockAtNow(): void {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** What DynamoDB throws when a write's condition fails. */
export const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

/** What DynamoDB throws when a transaction is cancelled, with one reason code per write. */
export const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/** A job waiting at version 3, three attempts allowed; backoff without jitter so retry times are exact. */
export const queued: Job = {
  id: 'j1',
  type: 'email',
  priority: 'default',
  capacity: 'cpu',
  status: 'QUEUED',
  version: 3,
  attempts: 0,
  maxAttempts: 3,
  backoff: { strategy: 'exponential', baseSeconds: 2, maxSeconds: 300, jitter: 'none' },
  timeoutSeconds: 60,
  createdAt: '2029-12-31T23:00:00.000Z',
  updatedAt: '2029-12-31T23:00:00.000Z',
  attemptLog: [],
};

export const lease = (workerId: string, expiresAt: number, speculative?: boolean): Lease => ({
  workerId,
  attempt: 1,
  startedAt: NOW - 60_000,
  expiresAt,
  ...(speculative ? { speculative } : {}),
});

/** Attempt 1 (claim `c1`, worker `w1`) running with its lease live until `expiresAt`. */
export const runningOn = (expiresAt: number): Job => ({
  ...queued,
  status: 'RUNNING',
  attempts: 1,
  attemptLog: [{ attempt: 1, claimId: 'c1', workerId: 'w1', startedAt: '2029-12-31T23:59:00.000Z' }],
  leases: { c1: lease('w1', expiresAt) },
});

/** A cpu worker's report as the registry holds it; what runs on it counts from the jobs, not from here. */
export const workerReport = (workerId: string, slots: number, onProbation = false): WorkerReport => ({
  workerId,
  capacity: 'cpu',
  onProbation,
  slots,
  running: 0,
  startedAt: '',
  lastSeenAt: '',
});

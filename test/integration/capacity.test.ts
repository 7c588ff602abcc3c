import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/model/index.ts';
import { DEFAULT_DETECTOR_SETTINGS, WorkerRegistry } from '../../src/jobs/speculation/index.ts';
import { jobItem } from '../../src/jobs/store/index.ts';
import { testStack } from '../helpers/stack.ts';
import { waitFor } from '../helpers/wait-for.ts';

const { deployment, dynamodb, client } = testStack();
const db = DynamoDBDocumentClient.from(dynamodb);
const workerLogs = fileURLToPath(new URL('../../.tailguard/test/workers/', import.meta.url));
const gpuWorkers = () => readdirSync(workerLogs).filter((file) => file.startsWith('local-gpu-')).length;

/**
 * When a backup finds no room for `capacityWaitMs` — every other worker of its class busy, or a
 * GPU service at zero — the deployed straggler detector asks for one more worker: through ECS on
 * AWS, through the local runtime's capacity hook here, which starts a worker process.
 */
describe('adding capacity for a backup that finds no room', () => {
  const ids: string[] = [];
  const registry = new WorkerRegistry(db, deployment.workersTable);

  /** A gpu job running one attempt whose backup was requested `ageMs` ago and never claimed. */
  async function stuckBackup(ageMs: number): Promise<Job> {
    const now = Date.now();
    const job = {
      id: randomUUID(),
      type: 'sleep',
      priority: 'low',
      capacity: 'gpu',
      status: 'RUNNING',
      version: 2,
      attempts: 1,
      maxAttempts: 4,
      backoff: { strategy: 'exponential', baseSeconds: 2, maxSeconds: 300, jitter: 'full' },
      timeoutSeconds: 300,
      createdAt: new Date(now - 60_000).toISOString(),
      updatedAt: new Date(now).toISOString(),
      attemptLog: [
        { attempt: 1, claimId: 'c1', workerId: 'busy-gpu', startedAt: new Date(now - 30_000).toISOString() },
      ],
      leases: { c1: { workerId: 'busy-gpu', attempt: 1, startedAt: now - 30_000, expiresAt: now + 120_000 } },
      speculation: { requestedAt: now - ageMs, against: 'c1', avoidWorker: 'busy-gpu' },
    } as Job;
    await db.send(new PutCommand({ TableName: deployment.jobsTable, Item: jobItem(job) }));
    ids.push(job.id);
    // The detector sees running jobs through their workers' reports: the stand-in worker reports it, full.
    await registry.report(
      {
        workerId: 'busy-gpu',
        capacity: 'gpu',
        onProbation: false,
        slots: 1,
        running: 1,
        jobIds: [job.id],
        startedAt: new Date(now).toISOString(),
        lastSeenAt: new Date(now).toISOString(),
      },
      300,
    );
    return job;
  }

  const speculationOf = async (id: string) =>
    (
      (await db.send(new GetCommand({ TableName: deployment.jobsTable, Key: { id }, ConsistentRead: true })))
        .Item as Job
    ).speculation;

  afterAll(async () => {
    await Promise.all(ids.map((id) => db.send(new DeleteCommand({ TableName: deployment.jobsTable, Key: { id } }))));
    await registry.remove('busy-gpu');
  });

  type Report = { workerId: string; capacity: string; slots: number; running: number };
  /** The gpu workers' reports, the stand-in 'busy-gpu' left out. */
  const gpuReports = async () =>
    ((await client.raw('GET', 'stats')).body as { workers: Report[] }).workers.filter(
      (w) => w.capacity === 'gpu' && w.workerId !== 'busy-gpu',
    );

  it('leaves a backup that waited past capacityWaitMs to the workers while one reports a free slot', async () => {
    // Prepare: the pool's gpu worker idle.
    await waitFor(gpuReports, (all) => all.some((w) => w.running < w.slots), {
      timeoutMs: 60_000,
      what: 'a gpu worker to report a free slot',
    });
    const before = gpuWorkers();
    // Act: a backup long past capacityWaitMs, then some passes of the deployed detector (every 0.5 s).
    const job = await stuckBackup(DEFAULT_DETECTOR_SETTINGS.capacityWaitMs + 1000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    // Assess: a slot is free, so no worker is asked for (an unclaimed request is sent again after pendingTimeoutMs).
    expect((await speculationOf(job.id))?.capacityRequestedAt).toBeUndefined();
    expect(gpuWorkers()).toBe(before);
    await db.send(new DeleteCommand({ TableName: deployment.jobsTable, Key: { id: job.id } }));
  });

  it('starts exactly one more worker of the class once a backup waited capacityWaitMs and every worker reports no free slot', async () => {
    // Prepare: fill every gpu slot with a long job (opted out of speculation: they are fillers). A
    // worker started earlier may report only later, so slots are topped up until every reporting
    // worker is full.
    const fillers: Awaited<ReturnType<typeof client.submit>>[] = [];
    const fill = async () => {
      const reports = await gpuReports();
      const missing = reports.reduce((sum, w) => sum + w.slots, 0) - fillers.length;
      fillers.push(
        ...(await Promise.all(
          Array.from({ length: Math.max(0, missing) }, () =>
            client.submit({ type: 'sleep', capacity: 'gpu', payload: { ms: 60_000 }, speculation: false }),
          ),
        )),
      );
      return reports;
    };
    await waitFor(fill, (all) => all.length > 0 && all.every((w) => w.running === w.slots), {
      timeoutMs: 60_000,
      what: 'every gpu worker to report full',
    });
    const before = gpuWorkers();
    try {
      // Act: a backup requested now and never claimed, with no room anywhere; the detector passes every 0.5 s.
      const job = await stuckBackup(0);
      const speculation = await waitFor(
        () => speculationOf(job.id),
        (s) => s?.capacityRequestedAt !== undefined,
        { timeoutMs: 60_000, what: 'the detector to ask for capacity' },
      );
      await waitFor(
        async () => gpuWorkers(),
        (n) => n === before + 1,
        { timeoutMs: 60_000, what: 'a gpu worker process to start' },
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // Assess: asked once, not before capacityWaitMs (a full fleet frees a slot within a second), and
      // one worker started however many passes ran.
      expect(speculation!.capacityRequestedAt! - speculation!.requestedAt).toBeGreaterThanOrEqual(
        DEFAULT_DETECTOR_SETTINGS.capacityWaitMs,
      );
      expect(gpuWorkers()).toBe(before + 1);
    } finally {
      await Promise.all(fillers.map((f) => client.raw('POST', `jobs/${f.body.id}/cancel`)));
    }
  }, 300_000);
});

import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import type { Job } from '../src/jobs/model/index.ts';
import type { WorkerRegistry, WorkerReport } from '../src/jobs/speculation/index.ts';
import { mergedWaitP99, TenantWaits } from '../src/jobs/tenant-stats/index.ts';
import { queued } from '../test/helpers/store-fixtures.ts';
import type { JobRunner } from './job-runner.ts';
import type { PaceProbe } from './pace-probe.ts';
import { SpeedMeter } from './speed-meter.ts';
import type { Worker } from './worker.ts';
import { WorkerReports } from './worker-reports.ts';

/** Reports of worker w1 with no attempts running, a real SpeedMeter, and this registry, probe and logger. */
const idleReports = (registry: WorkerRegistry, paceProbe: PaceProbe, logger = new Logger({ logLevel: 'SILENT' })) =>
  new WorkerReports(
    { workerId: 'w1', capacity: 'cpu', reportSeconds: 10, concurrency: 4 },
    {
      registry,
      speed: new SpeedMeter({ runTimes: async () => undefined }),
      runner: { runningJobs: () => new Map() } as unknown as JobRunner,
      worker: { load: { slots: 4, running: 0, jobIds: [] } } as unknown as Worker,
      tenantWaits: new TenantWaits(),
      paceProbe,
    },
    logger,
  );

describe('WorkerReports', () => {
  it('reports its running attempts per tenant, and the waits of the tenants it started jobs of lately', async () => {
    // Prepare: two of acme's jobs and one without a tenant running; acme and globex started jobs lately.
    const running = new Map<string, Job>([
      ['a1', { ...queued, id: 'a1', tenant: 'acme' }],
      ['a2', { ...queued, id: 'a2', tenant: 'acme' }],
      ['d1', { ...queued, id: 'd1' }],
    ]);
    const tenantWaits = new TenantWaits();
    tenantWaits.record('acme', 120);
    tenantWaits.record('globex', 30);
    const reported: WorkerReport[] = [];
    const registry = {
      report: vi.fn(async (report: WorkerReport) => void reported.push(report)),
      live: async () => [],
    };
    const reports = new WorkerReports(
      { workerId: 'w1', capacity: 'cpu', reportSeconds: 10, concurrency: 4 },
      {
        registry: registry as unknown as WorkerRegistry,
        speed: { review: async () => false, speed: 1, onProbation: false } as unknown as SpeedMeter,
        runner: { runningJobs: () => running } as unknown as JobRunner,
        worker: { load: { slots: 4, running: 3, jobIds: [...running.keys()] } } as unknown as Worker,
        tenantWaits,
        paceProbe: () => 0.5,
      },
      new Logger({ logLevel: 'SILENT' }),
    );
    // Act
    await reports.report();
    // Assess
    const { tenants } = reported[0]!;
    expect(Object.keys(tenants!).sort()).toEqual(['acme', 'default', 'globex']);
    expect(tenants!.acme!.running).toBe(2);
    expect(tenants!.default).toEqual({ running: 1 });
    expect(tenants!.globex!.running).toBe(0);
    expect(mergedWaitP99([tenants!.acme!.waits!])).toBe(120);
    expect(mergedWaitP99([tenants!.globex!.waits!])).toBe(30);
  });

  it('probes its host each heartbeat and reports at once when the probe put it on probation or took it off', async () => {
    // Prepare: three peers whose probes read 0.5 ms, with room; this host reads 2.5 ms (5× slower) twice, then 0.5.
    const reported: WorkerReport[] = [];
    const peer = (workerId: string) => ({
      workerId,
      capacity: 'cpu',
      hostPaceMs: 0.5,
      slots: 4,
      running: 0,
      onProbation: false,
    });
    const registry = {
      report: vi.fn(async (report: WorkerReport) => void reported.push(report)),
      live: async () => [peer('w2'), peer('w3'), peer('w4')],
    };
    const readings = [2.5, 2.5, 0.5];
    const reports = idleReports(registry as unknown as WorkerRegistry, async () => readings.shift()!);
    // Act: three heartbeats
    await reports.probeHostPace();
    const afterFirst = reported.length;
    await reports.probeHostPace();
    await reports.probeHostPace();
    // Assess: no report for the first slow reading; one as probation began, one as it ended.
    expect(afterFirst).toBe(0);
    expect(reported.map((r) => [r.onProbation, r.hostPaceMs])).toEqual([
      [true, 2.5],
      [false, 0.5],
    ]);
  });

  it('logs a probe that fails and reports nothing: the next heartbeat probes again', async () => {
    // Prepare: a team's own probe (say, a GPU kernel) that throws.
    const logger = new Logger({ logLevel: 'SILENT' });
    const warn = vi.spyOn(logger, 'warn');
    const registry = { report: vi.fn(async () => undefined), live: async () => [] };
    const failing = async (): Promise<number> => {
      throw new Error('no GPU');
    };
    const reports = idleReports(registry as unknown as WorkerRegistry, failing, logger);
    // Act
    await reports.probeHostPace();
    // Assess
    expect(warn).toHaveBeenCalledWith('host pace probe failed', expect.objectContaining({ error: expect.any(Error) }));
    expect(registry.report).not.toHaveBeenCalled();
  });
});

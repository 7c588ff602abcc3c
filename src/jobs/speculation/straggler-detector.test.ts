import { describe, expect, it } from 'vitest';
import { workerReport } from '../../../test/helpers/store-fixtures.ts';
import type { Job, Lease } from '../model/index.ts';
import {
  backupBudget,
  DEFAULT_DETECTOR_SETTINGS,
  type DetectorDeps,
  detectionPass,
  estimatedTotalMs,
  findStragglers,
} from './straggler-detector.ts';
import type { WorkerReport } from './worker-registry.ts';

const now = 1_000_000;
const lease = (startedAgoMs: number, progress?: number, workerId = 'w1', speed?: number): Lease => ({
  workerId,
  attempt: 1,
  startedAt: now - startedAgoMs,
  expiresAt: now + 10_000,
  ...(progress === undefined ? {} : { progress }),
  ...(speed === undefined ? {} : { speed }),
});
const job = (id: string, leases: Record<string, Lease>, extra: Partial<Job> = {}) =>
  ({
    id,
    type: 'sleep',
    capacity: 'cpu',
    priority: 'default',
    status: 'RUNNING',
    leases,
    attemptLog: [],
    ...extra,
  }) as unknown as Job;
const medians = new Map([['sleep#cpu', { median: 1000, p90: 1400, p99: 2000 }]]);
/** Attempts at normal speed on other workers, half done after 500 ms: the running peers. */
const peers = (count = 5) =>
  Array.from({ length: count }, (_, i) => job(`peer-${i}`, { [`p${i}`]: lease(500, 0.5, `peer-w${i}`) }));
const settings = { ...DEFAULT_DETECTOR_SETTINGS, minElapsedMs: 300 };

describe('straggler detection', () => {
  it('extrapolates progress (LATE), else scales the median by a measured speed, else takes elapsed time', () => {
    expect(estimatedTotalMs(lease(500, 0.1), now, 1000)).toBe(5000);
    expect(estimatedTotalMs(lease(500, undefined, 'w1', 0.25), now, 1000)).toBe(4000);
    expect(estimatedTotalMs(lease(500), now, 1000)).toBe(500);
  });

  it('flags an attempt whose progress rate says it will take more than twice the median and its peers’ time, early', () => {
    // Prepare: 400 ms in, 10 % done → 4 s expected, against a 1 s median and peers on course for it.
    const stragglers = findStragglers(
      [job('slow', { c1: lease(400, 0.1) }), job('fine', { c2: lease(400, 0.5) }), ...peers()],
      medians,
      settings,
      now,
    );
    // Assess
    expect(stragglers.map((s) => s.job.id)).toEqual(['slow']);
    expect(stragglers[0]?.estimatedTotalMs).toBe(4000);
  });

  it('flags an attempt without progress once it has run past twice the median', () => {
    const found = findStragglers(
      [job('a', { c1: lease(2500) }), job('b', { c2: lease(1500) })],
      medians,
      settings,
      now,
    );
    expect(found.map((s) => s.job.id)).toEqual(['a']);
  });

  it('flags an attempt on a worker measured slow as soon as it is old enough, progress or not', () => {
    const found = findStragglers(
      [
        job('on-slow', { c1: lease(300, undefined, 'w1', 0.2) }),
        job('on-normal', { c2: lease(300, undefined, 'w2', 1) }),
      ],
      medians,
      settings,
      now,
    );
    expect(found.map((s) => s.job.id)).toEqual(['on-slow']);
    // 5 s expected there; a backup at normal speed needs 0.5 s to start and 1 s to run.
    expect(found[0]?.gainMs).toBe(5000 - 300 - 500 - 1000);
  });

  it('does not back up a long job on a worker of normal speed: a copy would take as long', () => {
    // 10 % done after 500 ms: 5 s in all, but this worker runs at its class's normal speed.
    expect(findStragglers([job('long', { c1: lease(500, 0.1, 'w1', 1) })], medians, settings, now)).toEqual([]);
  });

  it('judges speeds against the class now: when every worker measures slow, the jobs are big and nobody is backed up', () => {
    // Three workers at a quarter of the normal: a burst of big jobs, not three slow hosts.
    const jobs = ['w1', 'w2', 'w3'].map((worker, i) => job(`big-${i}`, { [`c${i}`]: lease(500, 0.1, worker, 0.25) }));
    expect(findStragglers(jobs, medians, settings, now)).toEqual([]);
    // One of them far slower than the other two is a straggler.
    const oneSlow = [...jobs.slice(0, 2), job('slow', { c9: lease(500, 0.02, 'w9', 0.05) })];
    expect(findStragglers(oneSlow, medians, settings, now).map((s) => s.job.id)).toEqual(['slow']);
  });

  it('does not back up a straggler about to finish: the backup could not win', () => {
    // 2.4 s of an expected 2.5 s are gone; a backup would need 0.5 s to start.
    expect(findStragglers([job('nearly-done', { c1: lease(2400, 0.96) })], medians, settings, now)).toEqual([]);
  });

  it('does not judge a type with a long tail of sizes against its peers: a slow one there is a big one', () => {
    // On a worker of measured normal speed: only the peers could call the attempt slow.
    const big = job('big', { c1: lease(400, 0.1, 'w1', 1) });
    const longTailed = new Map([['sleep#cpu', { median: 1000, p90: 5000, p99: 20_000 }]]);
    expect(findStragglers([big, ...peers()], longTailed, settings, now)).toEqual([]);
    expect(findStragglers([big, ...peers()], medians, settings, now).map((s) => s.job.id)).toEqual(['big']);
  });

  it('on a host whose pace probe reads healthy, races an attempt at several times a median job’s pace (slowed), not one at a big job’s', () => {
    // Prepare: on w1, 400 ms in; one at the steady pace of a 2.5 s job, one at a pace 5× slower than a median job's.
    const paced = (progress: number, progressRate: number): Lease => ({
      ...lease(400, progress, 'w1', 1),
      progressRate,
    });
    const big = job('big', { c1: paced(0.16, 0.4) });
    const slowed = job('slowed', { c2: paced(0.08, 0.2) });
    const healthy = new Set(['w1']);
    // Act
    const onHealthy = findStragglers([big, slowed, ...peers()], medians, settings, now, healthy);
    const unknown = findStragglers([big, slowed, ...peers()], medians, settings, now);
    // Assess: the big job is raced only where nothing says its host runs at speed.
    expect(onHealthy.map((s) => s.job.id)).toEqual(['slowed']);
    expect(unknown.map((s) => s.job.id).sort()).toEqual(['big', 'slowed']);
  });

  it('counts a worker slow in a long-tailed type only below the probation line: its speed there is rough', () => {
    // Prepare: 10 % done after 1 s on a worker measured at 0.7, then at 0.3, of a type with a long tail.
    const longTailed = new Map([['sleep#cpu', { median: 1000, p90: 5000, p99: 20_000 }]]);
    const on = (speed: number) => [job('big', { c1: lease(1000, 0.1, 'w1', speed) })];
    // Act
    const rough = findStragglers(on(0.7), longTailed, settings, now);
    const slow = findStragglers(on(0.3), longTailed, settings, now);
    const alike = findStragglers(on(0.7), medians, settings, now);
    // Assess: 10 s expected; a copy at normal speed would take 7 s (1.5 s of gain) but 0.7 may be luck.
    expect(rough).toEqual([]);
    expect(slow.map((s) => s.job.id)).toEqual(['big']);
    expect(alike.map((s) => s.job.id)).toEqual(['big']);
  });

  it("flags as stuck an attempt without progress past its type's p99 while its peers report theirs", () => {
    // Prepare: a worker of normal speed, so without the peers the attempt would just be long.
    const silent = (ms: number) => job('silent', { c1: lease(ms, undefined, 'w1', 1) });
    // Act
    const early = findStragglers([silent(1900), ...peers()], medians, settings, now);
    const late = findStragglers([silent(2100), ...peers()], medians, settings, now);
    const alone = findStragglers([silent(2900)], medians, settings, now);
    // Assess: the p99 (2 s) is the line; alone, nothing says the type reports progress at all.
    expect(early).toEqual([]);
    expect(late.map((s) => s.gainMs)).toEqual([2100 - 1000]);
    expect(alone).toEqual([]);
  });

  it('extrapolates progress from when it was reported, not from the heartbeat that carried it', () => {
    // Half done 500 ms in, reported at once; the heartbeat carrying it came 450 ms later.
    const reported = { ...lease(1000, 0.5), progressAt: now - 500, heartbeatAt: now - 50 };
    expect(estimatedTotalMs(reported, now, 1000)).toBe(1000);
  });

  it('backs up first the attempt expected to finish last', () => {
    const found = findStragglers(
      [job('a', { c1: lease(500, 0.2) }), job('b', { c2: lease(500, 0.05) }), ...peers()],
      medians,
      settings,
      now,
    );
    expect(found.map((s) => s.job.id)).toEqual(['b', 'a']);
  });

  it('never flags an attempt younger than the minimum elapsed time', () => {
    expect(findStragglers([job('young', { c1: lease(200, 0.01) })], medians, settings, now)).toEqual([]);
  });

  it('leaves alone jobs that opted out, already have a backup, run two attempts, or have an unknown type', () => {
    const slow = lease(5000, 0.1);
    const jobs = [
      job('opted-out', { c1: slow }, { speculate: false }),
      job('backed-up', { c1: slow }, { speculation: { requestedAt: now, against: 'c1', avoidWorker: 'w1' } }),
      job('twins', { c1: slow, c2: lease(100, 0.5, 'w2') }),
      job('unknown', { c1: slow }, { type: 'other' }),
    ];
    expect(findStragglers(jobs, medians, settings, now)).toEqual([]);
  });
});

describe('backup budget', () => {
  it('is a share of the running attempts, at least one, and zero when speculation is off', () => {
    // Prepare
    const fraction = 0.1;
    // Act
    const budgets = [0, 5, 40].map((running) => backupBudget(running, fraction));
    // Assess
    expect(budgets).toEqual([1, 1, 4]);
    expect(backupBudget(40, 0)).toBe(0);
  });
});

describe('backups while work waits in the queue', () => {
  /** Four stragglers on a slow worker beside 16 normal attempts (a budget of 4), all started after waiting `waitedMs`. */
  const fleet = (waitedMs: number, stuck: Job[] = []) => {
    const createdAt = new Date(now - 500 - waitedMs).toISOString();
    const stragglers = Array.from({ length: 4 }, (_, i) => job(`slow-${i}`, { [`s${i}`]: lease(500, 0.05, 'slow') }));
    return [...stragglers, ...peers(16), ...stuck].map((j) => ({ ...j, createdAt }));
  };
  const pass = async (jobs: Job[], reports: WorkerReport[], canAddWorker = false) => {
    const deps = {
      running: async () => jobs,
      store: {
        requestSpeculation: async () => true,
        markCapacityRequested: async () => false,
      },
      stats: { runTimes: async () => medians.get('sleep#cpu') },
      dispatcher: { dispatchBackup: async () => undefined, dispatch: async () => undefined },
      workers: { live: async () => reports },
      ...(canAddWorker ? { capacity: { addWorker: async () => 'added' as const } } : {}),
    } as unknown as DetectorDeps;
    return detectionPass(deps, 'cpu', settings, now);
  };
  // The peers run one attempt each: peer-w0 has a slot left of two, peer-w1 none; the slow worker is on probation.
  const reports = [workerReport('slow', 1, true), workerReport('peer-w0', 2), workerReport('peer-w1', 1)];

  it('launches every backup the budget allows while the queue moves', async () => {
    const result = await pass(fleet(100), reports);
    expect(result.queueWaitMs).toBe(100);
    expect(result.launched).toHaveLength(4);
  });

  it('launches no more than the free slots while work waits longer than a backup takes to start', async () => {
    // Prepare: work waits 2 s.
    // Act
    const backlog = await pass(fleet(2000), reports);
    const growing = await pass(fleet(2000), reports, true);
    // Assess: a worker that can be added brings one more slot.
    expect(backlog.room).toBe(1);
    expect(backlog.launched.map((s) => s.job.id)).toEqual(['slow-0']);
    expect(growing.launched).toHaveLength(2);
  });

  it('backs up a stuck attempt all the same: a hang holds its slot until the job’s timeout', async () => {
    // Prepare: no progress 3 s in, while its peers report theirs (past 2 × the 1.4 s p90).
    const hung = job('hung', { h: lease(3000, undefined, 'w-hung', 1) });
    // Act
    const result = await pass(fleet(2000, [hung]), [workerReport('peer-w0', 1)]);
    // Assess
    expect(result.room).toBe(0);
    expect(result.launched.map((s) => s.job.id)).toEqual(['hung']);
  });
});

describe('adding a worker for a backup with no room', () => {
  /** A straggler on `slow` whose backup was requested `waitedMs` ago and nobody claimed. */
  const backedUp = (waitedMs: number) =>
    job(
      'backed-up',
      { c1: lease(3000, 0.1, 'slow') },
      {
        speculation: { requestedAt: now - waitedMs, against: 'c1', avoidWorker: 'slow' },
      },
    );
  const full = (workerId: string): WorkerReport => ({ ...workerReport(workerId, 2), running: 2 });
  const pass = async (jobs: Job[], reports: WorkerReport[] | undefined) => {
    const asked: string[] = [];
    const deps = {
      running: async () => jobs,
      store: { requestSpeculation: async () => true, markCapacityRequested: async () => true },
      stats: { runTimes: async () => medians.get('sleep#cpu') },
      dispatcher: { dispatchBackup: async () => undefined, dispatch: async () => undefined },
      ...(reports ? { workers: { live: async () => reports } } : {}),
      capacity: { addWorker: async (capacity: string) => asked.push(capacity) && ('added' as const) },
    } as unknown as DetectorDeps;
    return { result: await detectionPass(deps, 'cpu', settings, now), asked };
  };
  // Free slots that do not count: the straggler's own worker's and a worker's on probation.
  const noRoom = [workerReport('slow', 2), workerReport('probation', 2, true), full('w1'), full('w2')];
  const waited = settings.capacityWaitMs + 500;

  it('asks for one worker of the class once a backup waited capacityWaitMs and no worker reports room', async () => {
    const { result, asked } = await pass([backedUp(waited)], noRoom);
    expect(result.addedWorker).toBe('added');
    expect(asked).toEqual(['cpu']);
  });

  it('asks for none while the backup is younger than capacityWaitMs: a full fleet frees a slot within a second', async () => {
    const { result, asked } = await pass([backedUp(settings.capacityWaitMs - 500)], noRoom);
    expect(result.addedWorker).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('asks for none while a worker reports a free slot, however long the backup waited', async () => {
    const { result, asked } = await pass([backedUp(10 * waited)], [...noRoom, workerReport('w3', 2)]);
    expect(result.addedWorker).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('lets the wait alone decide where no worker reports are read', async () => {
    const { result, asked } = await pass([backedUp(waited)], undefined);
    expect(result.addedWorker).toBe('added');
    expect(asked).toEqual(['cpu']);
  });
});

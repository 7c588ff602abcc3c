import { describe, expect, it } from 'vitest';
import { EventQueue } from './event-queue.ts';
import { runFairness } from './fair-simulation.ts';
import { mulberry32 } from './random.ts';
import { FifoDispatch, type SimTenantJob, SqsFairDispatch, WindowDispatch } from './tenant-dispatch.ts';

const jobsOf = (tenants: string[]): SimTenantJob[] => tenants.map((tenant, id) => ({ id, tenant, createdAt: id }));
const drain = (dispatch: { next(): SimTenantJob | undefined }) => {
  const out: SimTenantJob[] = [];
  for (let job = dispatch.next(); job; job = dispatch.next()) out.push(job);
  return out;
};

describe('FifoDispatch', () => {
  it('hands jobs out in submit order, whoever they are for', () => {
    // Prepare
    const fifo = new FifoDispatch();
    const jobs = jobsOf(['flood', 'flood', 'quiet', 'flood', 'quiet']);
    // Act
    for (const job of jobs) fifo.submit(job);
    // Assess
    expect(drain(fifo)).toEqual(jobs);
  });
});

describe('SqsFairDispatch', () => {
  const options = { concurrencyShare: 0.1, minInFlight: 30, processingShare: 0.1, recentMs: 60_000 };

  it('serves the oldest message first until a tenant takes over 10 % of the recent processing, then the others’ first', () => {
    // Prepare
    const sqs = new SqsFairDispatch(() => 0, options);
    for (const job of jobsOf(['flood', 'flood', 'flood', 'quiet-1', 'quiet-2'])) sqs.submit(job);
    // Act
    const out = drain(sqs);
    // Assess: flood's first start made it 100 % of the processing; the quiet tenants' jobs then jump ahead.
    expect(out.map((j) => j.id)).toEqual([0, 3, 4, 1, 2]);
  });

  it('keeps a tenant noisy until its backlog is gone, and forgets starts older than the recent window', () => {
    // Prepare
    let now = 0;
    const sqs = new SqsFairDispatch(() => now, options);
    for (const job of jobsOf(['flood', 'flood'])) sqs.submit(job);
    sqs.next();
    // Act: the flood's last job leaves (its backlog is gone), and a minute later nobody has started recently.
    sqs.next();
    now = 61_000;
    for (const job of jobsOf(['x', 'x', 'x', 'flood', 'y']).map((j) => ({ ...j, id: j.id + 10 }))) sqs.submit(job);
    const out = drain(sqs);
    // Assess: x's first start flags x; the flood is quiet again, so its job goes before x's backlog.
    expect(out.map((j) => j.tenant)).toEqual(['x', 'flood', 'y', 'x', 'x']);
  });

  it('when only noisy tenants wait, serves the one with the fewest in flight (work-conserving)', () => {
    // Prepare: a and b both noisy; a has two in flight, b one.
    const sqs = new SqsFairDispatch(() => 0, options);
    for (const job of jobsOf(['a', 'a', 'b', 'a', 'b'])) sqs.submit(job);
    const first = [sqs.next(), sqs.next(), sqs.next()];
    // Act
    const rest = drain(sqs);
    // Assess
    expect(first.map((j) => j?.id)).toEqual([0, 2, 1]);
    expect(rest.map((j) => j.tenant)).toEqual(['b', 'a']);
  });
});

describe('WindowDispatch', () => {
  it('never has more than W of a tenant’s jobs sent or on their way, and keeps each tenant FIFO', async () => {
    // Prepare: random submits and starts of three tenants with weights 1, 2 and 3 (W = 2, 4, 6).
    const clock = new EventQueue(0);
    const weights: Record<string, number> = { a: 1, b: 2, c: 3 };
    const windows = new WindowDispatch((ms, run) => clock.after(ms, run), {
      windowPerWeight: 2,
      releaseMs: 30,
      weightOf: (t) => weights[t]!,
    });
    const random = mulberry32(3);
    const started: SimTenantJob[] = [];
    const worst: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 2000; i++)
      clock.at(random() * 10_000, () => {
        if (random() < 0.6) windows.submit({ id: i, tenant: 'abc'[Math.floor(random() * 3)]!, createdAt: clock.now });
        else {
          const job = windows.next();
          if (job) started.push(job);
        }
        for (const t of 'abc') worst[t] = Math.max(worst[t]!, windows.placesTaken(t));
      });
    // Act
    await clock.run();
    // Assess
    expect(worst).toEqual({ a: 2, b: 4, c: 6 });
    for (const t of 'abc') {
      const ids = started.filter((j) => j.tenant === t).map((j) => j.createdAt);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
    }
  });

  it('holds a flood beyond its window, so a quiet tenant’s job is next after at most W of the flood', () => {
    // Prepare
    const windows = new WindowDispatch(() => undefined, { windowPerWeight: 3, releaseMs: 30, weightOf: () => 1 });
    for (const job of jobsOf([...Array(100).fill('flood'), 'quiet'])) windows.submit(job);
    // Act
    const out = drain(windows);
    // Assess: the releases never landed (the clock stood still), so the quiet job came fourth.
    expect(out.map((j) => j.tenant)).toEqual(['flood', 'flood', 'flood', 'quiet']);
    expect(windows.heldCount('flood')).toBe(97);
    expect(windows.placesTaken('flood')).toBe(3);
  });

  it('gives a tenant alone every slot: its burst ends within one release of no fairness at all', async () => {
    // Prepare: W covers starts per second × release latency (160 jobs/s × 30 ms < 8).
    const workload = { tenants: 1, exponent: 1, jobs: 2000, spreadMs: 1000, quietTenants: 0, quietIntervalMs: 1000 };
    const options = { workload, slots: 16, jobMs: 100, seed: 1 };
    // Act
    const fifo = await runFairness({ ...options, dispatch: () => new FifoDispatch() });
    const windows = await runFairness({
      ...options,
      dispatch: ({ schedule }) =>
        new WindowDispatch(schedule, { windowPerWeight: 8, releaseMs: 30, weightOf: () => 1 }),
    });
    // Assess
    const [tenant] = fifo.spans.keys();
    const fifoEnd = fifo.spans.get(tenant!)!.lastFinishMs;
    expect(windows.spans.get(tenant!)!.lastFinishMs).toBeGreaterThanOrEqual(fifoEnd);
    expect(windows.spans.get(tenant!)!.lastFinishMs).toBeLessThanOrEqual(fifoEnd + 30);
  });
});

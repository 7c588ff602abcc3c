import { EventQueue } from './event-queue.ts';
import { mulberry32 } from './random.ts';
import type { SimClock, SimTenantJob, TenantDispatch } from './tenant-dispatch.ts';
import { quietTenant, type TenantWorkload, zipfArrivals } from './tenant-workload.ts';

export interface FairRunOptions {
  workload: TenantWorkload;
  /** Worker slots sharing the lane. */
  slots: number;
  /** Every job's run time. */
  jobMs: number;
  seed: number;
  /** The lane's dispatch model, given the virtual clock. */
  dispatch: (clock: SimClock) => TenantDispatch;
}

export interface FairRun {
  /** Each tenant's waits (created → started), in submit order. */
  waits: Map<string, number[]>;
  /** Each busy tenant's first submit and last finish, virtual ms. */
  spans: Map<string, { firstSubmitMs: number; lastFinishMs: number }>;
  /** Jain's index of each second's starts among the tenants waiting all through it (seconds with ≥ 2 such). */
  jainPerSecond: number[];
  /** When the busy tenants' last job started. */
  lastBusyStartMs: number;
}

/** Jain's fairness index of the shares: 1 when all are equal, 1/n when one gets everything. */
export function jainIndex(shares: readonly number[]): number {
  const sum = shares.reduce((a, b) => a + b, 0);
  const squares = shares.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (shares.length * squares);
}

/**
 * One run of the fairness experiment on the virtual clock: the workload's busy tenants and quiet
 * tenants submit into one lane, `slots` workers take the lane's next job whenever one is free,
 * and each job runs `jobMs`. The quiet tenants send until the busy tenants' last job has started.
 */
export async function runFairness(options: FairRunOptions): Promise<FairRun> {
  const clock = new EventQueue(0);
  const random = mulberry32(options.seed);
  const arrivals = zipfArrivals(options.workload, random);
  const busyJobs = arrivals.length;
  const run: FairRun = { waits: new Map(), spans: new Map(), jainPerSecond: [], lastBusyStartMs: 0 };
  const submitted = new Map<string, number>();
  const started = new Map<string, number>();
  const quiet = new Set(Array.from({ length: options.workload.quietTenants }, (_, i) => quietTenant(i)));
  let busyStarted = 0;
  let nextId = 0;
  let idle = options.slots;

  const fill = () => {
    while (idle > 0) {
      const job = dispatch.next();
      if (!job) return;
      idle--;
      start(job);
      clock.after(options.jobMs, () => {
        dispatch.finished(job);
        const span = run.spans.get(job.tenant);
        if (span) span.lastFinishMs = clock.now;
        idle++;
        fill();
      });
    }
  };
  const dispatch = options.dispatch({
    now: () => clock.now,
    schedule: (delayMs, release) =>
      clock.after(delayMs, () => {
        release();
        fill();
      }),
  });
  const start = (job: SimTenantJob) => {
    const waits = run.waits.get(job.tenant) ?? [];
    waits.push(clock.now - job.createdAt);
    run.waits.set(job.tenant, waits);
    started.set(job.tenant, (started.get(job.tenant) ?? 0) + 1);
    if (!quiet.has(job.tenant) && ++busyStarted === busyJobs) run.lastBusyStartMs = clock.now;
  };
  const submit = (tenant: string) => {
    // Ids follow submit order: the SQS model reads them as arrival order.
    dispatch.submit({ id: nextId++, tenant, createdAt: clock.now });
    submitted.set(tenant, (submitted.get(tenant) ?? 0) + 1);
    if (!quiet.has(tenant) && !run.spans.has(tenant))
      run.spans.set(tenant, { firstSubmitMs: clock.now, lastFinishMs: 0 });
    fill();
  };
  const busyLeft = () => busyStarted < busyJobs;

  for (const [at, tenant] of arrivals) clock.at(at, () => submit(tenant));
  quiet.forEach((tenant) => {
    const send = () => {
      if (!busyLeft()) return;
      submit(tenant);
      clock.after(options.workload.quietIntervalMs, send);
    };
    // Spread over the interval so the quiet tenants do not submit at the same instant.
    clock.at(random() * options.workload.quietIntervalMs, send);
  });
  // Each second: the starts of the tenants that had jobs waiting at its start and still at its end.
  let waitingBefore = new Set<string>();
  let startsBefore = new Map<string, number>();
  const sample = () => {
    const waitingNow = new Set([...submitted].filter(([t, n]) => n > (started.get(t) ?? 0)).map(([t]) => t));
    const backlogged = [...waitingBefore].filter((t) => waitingNow.has(t));
    if (backlogged.length >= 2)
      run.jainPerSecond.push(jainIndex(backlogged.map((t) => (started.get(t) ?? 0) - (startsBefore.get(t) ?? 0))));
    waitingBefore = waitingNow;
    startsBefore = new Map(started);
    if (busyLeft()) clock.after(1000, sample);
  };
  clock.at(0, sample);
  await clock.run();
  return run;
}

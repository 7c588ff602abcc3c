import type { JobDispatcher } from '../dispatch/index.ts';
import { CAPACITIES, type Job, PRIORITIES, StaleJobError, tenantOf } from '../model/index.ts';
import {
  heldKey,
  type JobStore,
  MAX_NEXT,
  splitPlaces,
  type TenantWindow,
  type TenantWindows,
  type WindowKey,
} from '../store/index.ts';
import type { TenantWeights } from './tenant-weights.ts';

/**
 * Places a tenant gets in each queue per unit of weight, unless the construct says otherwise
 * (`fairness: { windowPerWeight }`). It must cover starts per second × release latency (a place's
 * trip: its send, receive, claim and give-back), or a tenant alone cannot keep every worker busy.
 * A quiet tenant waits behind the backlogged tenants' windows, so larger costs it latency: 16
 * covers ≈ 50 starts/s at a 0.3 s release (the local stack) and keeps shares even over a minute
 * (BENCHMARKS.md, bench:fairness); see docs/fairness.md for sizing it on AWS.
 */
export const DEFAULT_WINDOW_PER_WEIGHT = 16;

/**
 * How long a place outlives its message unclaimed: a message lost, or a release that died between
 * taking places and sending (a Lambda past its timeout), frees them after this. Longer than a
 * message's trip to its claim on a busy queue; a place that outlives it only lets one more in.
 */
export const PLACE_LEASE_MS = 2 * 60_000;

/** A held job unchanged this long while its window counts none is stranded: the reaper counts it again. */
const STRANDED_AFTER_MS = 60_000;

/** Windows whose last hold is older than this are not searched for stranded jobs. */
const STRANDED_HORIZON_MS = 3_600_000;

/** Attempts of one release at taking places against other releases of the same window. */
const RELEASE_ROUNDS = 5;

/**
 * How long one release alone may fill a window's list of next held jobs: its index read and one
 * write. A release that dies meanwhile only delays the next fill this long.
 */
const REFILL_LEASE_MS = 10_000;

/** Held jobs read beyond the list's length: some may be another release's, in flight. */
const READ_AHEAD = 10;

export interface FairDispatchDeps {
  windows: TenantWindows;
  store: Pick<JobStore, 'listByStatus' | 'getMany' | 'unchangedSince' | 'transition'>;
  dispatcher: Pick<JobDispatcher, 'dispatchMany'>;
  weights: TenantWeights;
  /** Places per unit of weight in each queue. */
  windowPerWeight: number;
  now?: () => number;
}

/** The window a job's place is in. */
export const windowOf = (job: Pick<Job, 'capacity' | 'priority' | 'tenant'>): WindowKey => ({
  capacity: job.capacity,
  priority: job.priority,
  tenant: tenantOf(job),
});

/**
 * Fair dispatch without a central scheduler (docs/fairness.md): in each queue a tenant has a window
 * of `weight × windowPerWeight` places. A job sent to its queue holds a place from its send to its
 * first claim; a job that finds no free place, or its tenant's older jobs held, is written HELD
 * without a message, and each claim that gives a place back releases the tenant's oldest held
 * job into it. Every tenant's waiting messages then share one roughly-FIFO queue, so a backlogged
 * tenant's starts are in proportion to its window, and a quiet one waits behind windows, never
 * behind backlogs. Retries, backups, requeues and delayed starts bypass windows.
 */
export class FairDispatch {
  private readonly now: () => number;

  constructor(private readonly deps: FairDispatchDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Intake: which of these jobs (due now, not written yet) take a place and are sent as usual
   * (with `place`); the others are to be written HELD, and are counted held already, so a release
   * never overlooks them. Jobs of a tenant and queue keep their order: the first ones take places.
   */
  async admit(jobs: Job[]): Promise<Set<string>> {
    const placed = new Set<string>();
    await Promise.all(
      groups(jobs).map(async ([key, group]) => {
        const size = await this.windowSize(key.tenant);
        const ids = group.map((job) => job.id);
        const taken = await this.deps.windows.admit(key, ids, size, this.now() + PLACE_LEASE_MS, this.now());
        for (const id of ids.slice(0, taken)) placed.add(id);
        if (taken < ids.length) await this.deps.windows.addHeld(key, ids.length - taken, this.now());
      }),
    );
    return placed;
  }

  /** Jobs counted held by `admit` that were not written after all (a replayed key, a step started already): uncounted. */
  async unhold(jobs: Job[]): Promise<void> {
    await Promise.all(groups(jobs).map(([key, group]) => this.deps.windows.addHeld(key, -group.length, this.now())));
  }

  /** After held jobs were written: every place may have freed meanwhile, so each of their windows releases. */
  async afterHold(held: Job[]): Promise<void> {
    await Promise.all(groups(held).map(([key]) => this.release(key)));
  }

  /**
   * Gives a job's place back — a worker's first claim of it, or an intake whose send failed — and
   * the tenant's next held job takes it. Returns how many it released.
   */
  async giveBack(key: WindowKey, jobId: string): Promise<number> {
    const window = await this.deps.windows.giveBack(key, jobId);
    return window && window.held > 0 ? this.release(key, window) : 0;
  }

  /**
   * Sends the tenant's oldest held jobs while its window has free places: takes their places from
   * the held count and off the head of the window's list of next held jobs in one conditional write
   * (refused when another release took that head: try again with the window it saw), sends them,
   * and moves each HELD → QUEUED. An empty list is filled from the HELD index first, so one index
   * read serves many releases. Returns how many it released.
   */
  async release(key: WindowKey, seen?: TenantWindow): Promise<number> {
    let released = 0;
    let window = seen;
    for (let round = 0; round < RELEASE_ROUNDS; round++) {
      window ??= await this.deps.windows.read(key);
      if (!window || window.held <= 0) return released;
      const now = this.now();
      const { live, expired } = splitPlaces(window.holders, now);
      const size = await this.windowSize(key.tenant);
      const free = Math.min(size - live, window.held);
      if (free <= 0) return released;
      if (window.next.length === 0) {
        // One release fills the list and then every free place; the others leave it to that one,
        // or take from the list it filled meanwhile.
        const claimed = await this.deps.windows.claimRefill(key, now + REFILL_LEASE_MS, now);
        if (!claimed.taken) {
          if (!claimed.window?.next.length) return released;
          window = claimed.window;
          continue;
        }
        const next = await this.oldestHeld(key, window, now);
        const filled = await this.deps.windows.refill(key, next);
        // Nothing to release: the count is left high (a cancelled held job, a hold counted for a job
        // never written: a replayed key, a step started twice). Forgotten only once no hold came for
        // a while: the index can answer empty just after a hold, and a reset then stranded a backlog.
        if (next.length === 0) {
          if (window.heldAt === undefined || window.heldAt <= now - STRANDED_AFTER_MS)
            await this.deps.windows.forgetHeld(key, window, now);
          return released;
        }
        // Read again: places freed while this release read the index are for these jobs too.
        window = filled.taken ? undefined : filled.window;
        continue;
      }
      const n = Math.min(free, window.next.length);
      const taken = await this.deps.windows.release(key, window.next, n, size, now + PLACE_LEASE_MS, expired, now);
      window = taken.taken ? undefined : taken.window;
      if (taken.taken) released += await this.send(key, taken.ids);
    }
    return released;
  }

  /**
   * The reaper's pass over every window with held jobs, so none is stranded when no claim comes
   * (every place lost with its message): each releases. A window that counts none but held a job
   * lately is searched for held jobs unchanged for a while (a release that died after taking
   * their places), which are counted again and released. Starts no window's release past
   * `deadline` (epoch ms): a release cut off by its process's end leaks its places until their leases end.
   * A window whose release fails does not stop the others: they are released first, then the pass
   * throws every failure at once (an AggregateError whose message names each window).
   */
  async pump(deadline = Number.POSITIVE_INFINITY): Promise<number> {
    const lanes = CAPACITIES.flatMap((capacity) => PRIORITIES.map((priority) => ({ capacity, priority })));
    const now = this.now();
    let released = 0;
    const failures: Error[] = [];
    for (const window of await this.deps.windows.list(lanes)) {
      if (this.now() > deadline) break;
      try {
        released += await this.pumpWindow(window, now);
      } catch (error) {
        const name = `${window.capacity}#${window.priority}#${window.tenant}`;
        failures.push(new Error(`releasing window ${name} failed: ${(error as Error).message}`, { cause: error }));
      }
    }
    // The message names each failure: a logger prints an AggregateError's message, not its list.
    if (failures.length > 0) throw new AggregateError(failures, failures.map((failure) => failure.message).join('; '));
    return released;
  }

  /** One window's part of the reaper's pass (see pump). */
  private async pumpWindow(window: TenantWindow, now: number): Promise<number> {
    if (window.held > 0) return this.release(window, window);
    if (window.heldAt === undefined || window.heldAt <= now - STRANDED_HORIZON_MS) return 0;
    const stranded = await this.deps.store.unchangedSince(
      heldKey(window.capacity, window.priority, window.tenant),
      new Date(now - STRANDED_AFTER_MS).toISOString(),
      100,
    );
    if (stranded.length === 0) return 0;
    await this.deps.windows.addHeld(window, stranded.length, now);
    return this.release(window);
  }

  /** `weight × windowPerWeight` places, at least one. */
  async windowSize(tenant: string): Promise<number> {
    return Math.max(1, Math.round((await this.deps.weights.weightOf(tenant)) * this.deps.windowPerWeight));
  }

  /**
   * The tenant's oldest held jobs from the HELD index, for the window's list: those without a live
   * place (a live one is another release's, not yet QUEUED), as many as are counted, up to the list's length.
   */
  private async oldestHeld(key: WindowKey, window: TenantWindow, now: number): Promise<string[]> {
    const wanted = Math.min(window.held, MAX_NEXT);
    const { jobs } = await this.deps.store.listByStatus(
      heldKey(key.capacity, key.priority, key.tenant),
      wanted + READ_AHEAD,
    );
    // Deduplicated: the list's ids become places of one write, and one id twice in it is a path
    // the write sets twice, which DynamoDB refuses every time (an index answering an item twice
    // would have stopped the tenant's releases for good).
    const ids = jobs
      .filter((job) => job.status === 'HELD' && !((window.holders[job.id] ?? 0) > now))
      .map((job) => job.id);
    return [...new Set(ids)].slice(0, wanted);
  }

  /**
   * Sends released jobs (they hold their places) and moves them HELD → QUEUED. A job whose message
   * could not be sent gives its place back and is counted held again. One that is no longer held
   * gives its place back (once more is harmless; a message it no longer needs is dropped by the
   * claim): cancelled (its count, left high by the cancel, is now right), gone (an intake that
   * failed after counting it), or released already — a worker claimed it from an earlier release's
   * message (HELD → RUNNING), or the index answered late — so that release counted it: counted again.
   */
  private async send(key: WindowKey, ids: string[]): Promise<number> {
    const now = this.now();
    const found = await this.deps.store.getMany(ids, { consistent: true });
    const jobs = found.filter((job) => job.status === 'HELD');
    const released = found.filter((job) => job.status !== 'HELD' && job.status !== 'CANCELLED').length;
    const unsent = jobs.length
      ? await this.deps.dispatcher.dispatchMany(jobs.map((job) => ({ job, notBefore: now, place: true })))
      : new Set<string>();
    const stale = ids.filter((id) => !jobs.some((job) => job.id === id));
    await Promise.all([
      ...stale.map((id) => this.deps.windows.giveBack(key, id)),
      ...jobs.map(async (job) => {
        if (!unsent.has(job.id)) {
          try {
            await this.deps.store.transition(job, 'QUEUED');
            return;
          } catch (error) {
            if (!(error instanceof StaleJobError)) throw error;
          }
        }
        await this.deps.windows.giveBack(key, job.id);
      }),
    ]);
    if (unsent.size + released > 0) await this.deps.windows.addHeld(key, unsent.size + released, now);
    return jobs.length - unsent.size;
  }
}

/** Jobs by window, each group in the order given. */
function groups(jobs: Job[]): [WindowKey, Job[]][] {
  const byName = new Map<string, [WindowKey, Job[]]>();
  for (const job of jobs) {
    const key = windowOf(job);
    const name = `${key.capacity}#${key.priority}#${key.tenant}`;
    const group = byName.get(name) ?? [key, []];
    group[1].push(job);
    byName.set(name, group);
  }
  return [...byName.values()];
}

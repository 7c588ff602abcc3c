import { beforeEach, describe, expect, it, vi } from 'vitest';
import { NOW, queued } from '../../../test/helpers/store-fixtures.ts';
import { type Job, StaleJobError } from '../model/index.ts';
import type { TenantWindow, TenantWindows, WindowKey } from '../store/index.ts';
import { FairDispatch, PLACE_LEASE_MS } from './fair-dispatch.ts';

const KEY: WindowKey = { capacity: 'cpu', priority: 'default', tenant: 'acme' };

/** Windows in memory, with the store's semantics (tenant-windows.test.ts checks the writes themselves). */
class MemoryWindows {
  readonly items = new Map<string, TenantWindow>();
  readonly name = (k: WindowKey) => `${k.capacity}#${k.priority}#${k.tenant}`;
  window(k: WindowKey): TenantWindow {
    const name = this.name(k);
    if (!this.items.has(name)) this.items.set(name, { ...k, holders: {}, held: 0, next: [] });
    return this.items.get(name)!;
  }
  async admit(k: WindowKey, holders: string[], size: number, until: number, now: number) {
    const w = this.window(k);
    if (w.held > 0) return 0;
    const live = Object.values(w.holders).filter((t) => t > now).length;
    const fits = Math.max(0, Math.min(holders.length, size - live));
    for (const id of holders.slice(0, fits)) w.holders[id] = until;
    return fits;
  }
  async release(k: WindowKey, next: string[], n: number, size: number, until: number) {
    const w = this.window(k);
    const holders = next.slice(0, n);
    const listChanged = w.next.length !== next.length || w.next[0] !== next[0];
    // Expired places are cleared, a held job's own taken over: the window is full only of live ones.
    const full = Object.values(w.holders).filter((t) => t > NOW).length + holders.length > size;
    if (listChanged || full || w.held < n || holders.some((id) => (w.holders[id] ?? 0) > NOW))
      return { taken: false as const, window: structuredClone(w) };
    for (const id of holders) w.holders[id] = until;
    w.held -= n;
    w.next = next.slice(n);
    return { taken: true as const, ids: holders };
  }
  /** Epoch ms each window's right to fill its list runs to. */
  readonly refillBy = new Map<string, number>();
  async claimRefill(k: WindowKey, until: number, now: number) {
    const w = this.window(k);
    if (w.next.length > 0 || (this.refillBy.get(this.name(k)) ?? 0) > now)
      return { taken: false as const, window: structuredClone(w) };
    this.refillBy.set(this.name(k), until);
    return { taken: true as const };
  }
  async refill(k: WindowKey, next: string[]) {
    const w = this.window(k);
    if (w.next.length > 0) return { taken: false as const, window: structuredClone(w) };
    w.next = [...next];
    this.refillBy.delete(this.name(k));
    return { taken: true as const };
  }
  async giveBack(k: WindowKey, holder: string) {
    const w = this.window(k);
    delete w.holders[holder];
    return structuredClone(w);
  }
  async addHeld(k: WindowKey, n: number, now: number) {
    const w = this.window(k);
    w.held += n;
    w.heldAt = now;
  }
  async forgetHeld(k: WindowKey, seen: Pick<TenantWindow, 'held' | 'heldAt'>, now: number) {
    const w = this.window(k);
    if (w.held !== seen.held || w.heldAt !== seen.heldAt) return false;
    w.held = 0;
    w.heldAt = now;
    return true;
  }
  async read(k: WindowKey) {
    return structuredClone(this.window(k));
  }
  async list() {
    return [...this.items.values()].map((w) => structuredClone(w));
  }
}

let windows: MemoryWindows;
let heldJobs: Job[];
/** Every job's row as a consistent read sees it (held jobs and those that moved on). */
let rows: Map<string, Job>;
const listByStatus = vi.fn();
const transition = vi.fn();
const dispatchMany = vi.fn();
const unchangedSince = vi.fn();
const weights = { weightOf: vi.fn(async (_tenant: string) => 1) };

const job = (n: number, fields: Partial<Job> = {}): Job => ({
  ...queued,
  id: `job-${n}`,
  tenant: 'acme',
  ...fields,
});

function fair(windowPerWeight = 2) {
  return new FairDispatch({
    windows: windows as unknown as TenantWindows,
    store: {
      listByStatus,
      getMany: async (ids: string[]) => ids.flatMap((id) => rows.get(id) ?? heldJobs.filter((h) => h.id === id)),
      unchangedSince,
      transition,
    },
    dispatcher: { dispatchMany },
    weights,
    windowPerWeight,
    now: () => NOW,
  });
}

beforeEach(() => {
  windows = new MemoryWindows();
  heldJobs = [];
  rows = new Map();
  listByStatus.mockReset().mockImplementation(async (key: string, limit: number) => ({
    jobs: key === 'HELD#cpu#default#acme' ? heldJobs.slice(0, limit) : [],
  }));
  transition.mockReset().mockImplementation(async (j: Job, to: string) => {
    heldJobs = heldJobs.filter((h) => h.id !== j.id);
    rows.set(j.id, { ...j, status: to as Job['status'] });
    return { ...j, status: to };
  });
  dispatchMany.mockReset().mockResolvedValue(new Set());
  unchangedSince.mockReset().mockResolvedValue([]);
  weights.weightOf.mockReset().mockResolvedValue(1);
});

describe('FairDispatch.admit', () => {
  it('gives the first jobs of a tenant places up to its window and counts the others held', async () => {
    // Act
    const placed = await fair(2).admit([job(1), job(2), job(3)]);
    // Assess
    expect([...placed]).toEqual(['job-1', 'job-2']);
    expect(windows.window(KEY)).toMatchObject({
      holders: { 'job-1': NOW + PLACE_LEASE_MS, 'job-2': NOW + PLACE_LEASE_MS },
      held: 1,
      heldAt: NOW,
    });
  });

  it('sizes each window by its tenant’s weight, and keeps tenants and queues apart', async () => {
    // Prepare
    weights.weightOf.mockImplementation(async (tenant: string) => (tenant === 'big' ? 3 : 1));
    const jobs = [
      ...Array.from({ length: 8 }, (_, n) => job(n, { tenant: 'big' })),
      job(10, { tenant: 'small' }),
      job(11, { tenant: 'small' }),
      job(12, { tenant: 'small', priority: 'high' }),
    ];
    // Act
    const placed = await fair(2).admit(jobs);
    // Assess: big 6 of 8, small 2 of 2 in default and its own window in high.
    expect(placed.size).toBe(6 + 2 + 1);
    expect(windows.window({ ...KEY, tenant: 'big' }).held).toBe(2);
    expect(windows.window({ ...KEY, tenant: 'small' }).held).toBe(0);
  });
});

describe('FairDispatch.unhold', () => {
  it('takes holds counted for jobs never written off their windows, per window', async () => {
    // Prepare: three held in acme's window, one in zeta's.
    const f = fair(1);
    await f.admit([job(1), job(2), job(3), job(4), job(5, { tenant: 'zeta' }), job(6, { tenant: 'zeta' })]);
    // Act
    await f.unhold([job(3), job(4), job(6, { tenant: 'zeta' })]);
    // Assess
    expect(windows.window(KEY).held).toBe(1);
    expect(windows.window({ ...KEY, tenant: 'zeta' }).held).toBe(0);
  });
});

describe('FairDispatch.giveBack', () => {
  it('releases the tenant’s oldest held job into the freed place: sent with its place, then QUEUED', async () => {
    // Prepare: a full window of 2 and two held jobs.
    const f = fair(2);
    await f.admit([job(1), job(2), job(3), job(4)]);
    heldJobs = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    // Act
    const released = await f.giveBack(KEY, 'job-1');
    // Assess
    expect(released).toBe(1);
    expect(dispatchMany).toHaveBeenCalledWith([
      { job: expect.objectContaining({ id: 'job-3' }), notBefore: NOW, place: true },
    ]);
    expect(transition).toHaveBeenCalledWith(expect.objectContaining({ id: 'job-3' }), 'QUEUED');
    expect(windows.window(KEY)).toMatchObject({ held: 1 });
    expect(Object.keys(windows.window(KEY).holders).sort()).toEqual(['job-2', 'job-3']);
  });

  it('releases nothing while nothing is held', async () => {
    // Prepare
    const f = fair(2);
    await f.admit([job(1)]);
    // Act
    const released = await f.giveBack(KEY, 'job-1');
    // Assess
    expect(released).toBe(0);
    expect(dispatchMany).not.toHaveBeenCalled();
  });

  it('skips held jobs another release holds places for', async () => {
    // Prepare: job-3 was taken by another release that has not moved it yet.
    const f = fair(3);
    windows.window(KEY).holders = { 'job-3': NOW + 1000 };
    windows.window(KEY).held = 2;
    heldJobs = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    // Act
    await f.release(KEY);
    // Assess
    expect(dispatchMany.mock.calls[0]![0].map((s: { job: Job }) => s.job.id)).toEqual(['job-4']);
  });

  it('lists a held job once when the index answers it twice', async () => {
    // Prepare
    const f = fair(3);
    windows.window(KEY).held = 2;
    const held = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    listByStatus.mockResolvedValue({ jobs: [held[0], held[0], held[1]] });
    heldJobs = held;
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(2);
    expect(dispatchMany.mock.calls[0]![0].map((s: { job: Job }) => s.job.id)).toEqual(['job-3', 'job-4']);
  });

  it('takes over the expired place of a held job whose release died before sending it', async () => {
    // Prepare
    const f = fair(2);
    windows.window(KEY).holders = { 'job-3': NOW - 1 };
    windows.window(KEY).held = 1;
    heldJobs = [job(3, { status: 'HELD' })];
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(1);
    expect(windows.window(KEY).holders).toEqual({ 'job-3': NOW + PLACE_LEASE_MS });
  });

  it('gives the place back of a job that moved meanwhile (claimed from its message first, or cancelled): no longer held', async () => {
    // Prepare
    const f = fair(1);
    windows.window(KEY).held = 1;
    heldJobs = [job(3, { status: 'HELD' })];
    transition.mockRejectedValue(new StaleJobError('job-3'));
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(1);
    expect(windows.window(KEY)).toMatchObject({ holders: {}, held: 0 });
  });

  it('counts a job whose message could not be sent held again, its place given back', async () => {
    // Prepare
    const f = fair(1);
    windows.window(KEY).held = 1;
    heldJobs = [job(3, { status: 'HELD' })];
    dispatchMany.mockResolvedValue(new Set(['job-3']));
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(0);
    expect(transition).not.toHaveBeenCalled();
    expect(windows.window(KEY)).toMatchObject({ holders: {}, held: 1 });
  });

  it('reads the HELD index once for many releases: the window keeps the next held jobs in a list', async () => {
    // Prepare: a full window of 2 and four held jobs.
    const f = fair(2);
    await f.admit([job(1), job(2), job(3), job(4), job(5), job(6)]);
    heldJobs = [3, 4, 5, 6].map((n) => job(n, { status: 'HELD' }));
    // Act
    await f.giveBack(KEY, 'job-1');
    await f.giveBack(KEY, 'job-2');
    await f.giveBack(KEY, 'job-3');
    // Assess
    expect(listByStatus).toHaveBeenCalledTimes(1);
    expect(dispatchMany.mock.calls.map(([sends]) => sends[0].job.id)).toEqual(['job-3', 'job-4', 'job-5']);
    expect(windows.window(KEY)).toMatchObject({ held: 1, next: ['job-6'] });
  });

  it('leaves an empty list to the release filling it: one index read at a time', async () => {
    // Prepare: another release is reading the index for this window.
    const f = fair(2);
    windows.window(KEY).held = 2;
    heldJobs = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    windows.refillBy.set(windows.name(KEY), NOW + 1);
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(0);
    expect(listByStatus).not.toHaveBeenCalled();
  });

  it('fills an empty list again once the release that claimed it is past its lease, and gives the right back', async () => {
    // Prepare: a release that claimed the fill died.
    const f = fair(2);
    windows.window(KEY).held = 2;
    heldJobs = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    windows.refillBy.set(windows.name(KEY), NOW);
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(2);
    expect(windows.refillBy.has(windows.name(KEY))).toBe(false);
  });

  it('takes from the list another release filled since this one saw it empty, without claiming the fill', async () => {
    // Prepare: this release saw the window before another filled its list with job-4; one place.
    const f = fair(1);
    windows.window(KEY).held = 2;
    const seen = structuredClone(windows.window(KEY));
    windows.window(KEY).next = ['job-4'];
    heldJobs = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    // Act
    const released = await f.release(KEY, seen);
    // Assess
    expect(released).toBe(1);
    expect(listByStatus).not.toHaveBeenCalled();
    expect(windows.refillBy.has(windows.name(KEY))).toBe(false);
  });

  it('uses the list another release filled first', async () => {
    // Prepare: between this release's index read and its write, another release listed job-4.
    const f = fair(2);
    windows.window(KEY).held = 2;
    heldJobs = [job(3, { status: 'HELD' }), job(4, { status: 'HELD' })];
    listByStatus.mockImplementationOnce(async () => {
      windows.window(KEY).next = ['job-4'];
      return { jobs: heldJobs };
    });
    // Act
    await f.release(KEY);
    // Assess
    expect(dispatchMany.mock.calls[0]![0].map((s: { job: Job }) => s.job.id)).toEqual(['job-4']);
  });

  it('gives back the places of listed jobs no longer held, counting again only those another release counted', async () => {
    // Prepare: job-3 cancelled while held, job-4 released already (the index answered late), job-5 never written.
    const f = fair(3);
    windows.window(KEY).held = 3;
    windows.window(KEY).next = ['job-3', 'job-4', 'job-5'];
    rows.set('job-3', job(3, { status: 'CANCELLED' }));
    rows.set('job-4', job(4, { status: 'QUEUED' }));
    // Act
    const released = await f.release(KEY);
    // Assess
    expect(released).toBe(0);
    expect(dispatchMany).not.toHaveBeenCalled();
    expect(windows.window(KEY)).toMatchObject({ holders: {}, held: 1, next: [] });
  });

  it('keeps a held count that finds no held job just after a hold: the index may not show it yet', async () => {
    // Prepare
    windows.window(KEY).held = 2;
    windows.window(KEY).heldAt = NOW - 1_000;
    // Act
    await fair(2).release(KEY);
    // Assess
    expect(windows.window(KEY).held).toBe(2);
    expect(dispatchMany).not.toHaveBeenCalled();
  });

  it('forgets a held count that finds no held job a minute after the last hold (a hold whose job was never written)', async () => {
    // Prepare
    windows.window(KEY).held = 2;
    windows.window(KEY).heldAt = NOW - 60_000;
    // Act
    const released = await fair(2).release(KEY);
    // Assess: none counted, and the reaper's search for stranded jobs covers the window from now.
    expect(released).toBe(0);
    expect(windows.window(KEY)).toMatchObject({ held: 0, heldAt: NOW });
  });

  it('keeps a count a hold raised while the release read the index', async () => {
    // Prepare: an intake counts one more held job during the index read.
    windows.window(KEY).held = 2;
    windows.window(KEY).heldAt = NOW - 60_000;
    listByStatus.mockImplementationOnce(async () => {
      await windows.addHeld(KEY, 1, NOW);
      return { jobs: [] };
    });
    // Act
    await fair(2).release(KEY);
    // Assess
    expect(windows.window(KEY)).toMatchObject({ held: 3, heldAt: NOW });
  });
});

describe('FairDispatch.pump', () => {
  it('releases every window with held jobs', async () => {
    // Prepare
    windows.window(KEY).held = 1;
    heldJobs = [job(3, { status: 'HELD' })];
    // Act
    const released = await fair(2).pump();
    // Assess
    expect(released).toBe(1);
    expect(windows.window(KEY).held).toBe(0);
  });

  it('counts stranded held jobs again in a window that lately held some but counts none', async () => {
    // Prepare: a release died after taking job-3's place; its lease ran out.
    windows.window(KEY).heldAt = NOW - 120_000;
    const stranded = job(3, { status: 'HELD' });
    heldJobs = [stranded];
    unchangedSince.mockResolvedValue([stranded]);
    // Act
    const released = await fair(2).pump();
    // Assess
    expect(unchangedSince).toHaveBeenCalledWith('HELD#cpu#default#acme', new Date(NOW - 60_000).toISOString(), 100);
    expect(released).toBe(1);
  });

  it("releases the other windows when one window's release fails, then throws naming that window", async () => {
    // Prepare: acme's window cannot be read; beta's holds one job.
    const beta = { ...KEY, tenant: 'beta' };
    windows.window(KEY).held = 1;
    windows.window(beta).held = 1;
    heldJobs = [job(3, { status: 'HELD', tenant: 'beta' })];
    listByStatus.mockImplementation(async (key: string, limit: number) => ({
      jobs: key === 'HELD#cpu#default#beta' ? heldJobs.slice(0, limit) : [],
    }));
    vi.spyOn(windows, 'claimRefill').mockImplementation(async (k, until, now) => {
      if (k.tenant === 'acme') throw new Error('throttled');
      return MemoryWindows.prototype.claimRefill.call(windows, k, until, now);
    });
    // Act
    const error = await fair(2)
      .pump()
      .catch((failed: unknown) => failed);
    // Assess
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).message).toBe('releasing window cpu#default#acme failed: throttled');
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual([
      'releasing window cpu#default#acme failed: throttled',
    ]);
    expect(windows.window(beta).held).toBe(0);
  });

  it('searches no window that never held a job', async () => {
    // Prepare
    windows.window(KEY);
    // Act
    await fair(2).pump();
    // Assess
    expect(unchangedSince).not.toHaveBeenCalled();
  });
});

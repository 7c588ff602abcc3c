import { describe, expect, it } from 'vitest';
import type { PeerReport } from '../src/jobs/speculation/index.ts';
import { DEFAULT_SPEED_METER_OPTIONS, SpeedMeter } from './speed-meter.ts';

const SLOTS = 4;

/** Other workers of the class at these speeds, each with every slot free. */
const idle =
  (...speeds: number[]) =>
  async (): Promise<PeerReport[]> =>
    speeds.map((speed) => ({ speed, slots: SLOTS, running: 0, onProbation: false }));

/** Class run times as the latency statistics would give them (alike jobs: p90 1.5× the median); `reads` counts the lookups. */
function normals(medians: Record<string, number>) {
  const source = {
    reads: 0,
    runTimes: async (key: string) => {
      source.reads++;
      const median = medians[key];
      return median === undefined ? undefined : { median, p90: 1.5 * median, p99: 2 * median };
    },
  };
  return source;
}

describe('SpeedMeter', () => {
  it('reports nothing until it has measured enough attempts', async () => {
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }));
    for (let i = 0; i < DEFAULT_SPEED_METER_OPTIONS.minSamples - 1; i++) await meter.record('sleep', 'cpu', 1000);
    expect(meter.speed).toBeUndefined();
    expect(meter.onProbation).toBe(false);
  });

  it('is the median of class normal ÷ run time over recent attempts, across job types', async () => {
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000, 'resize#cpu': 200 }));
    // Five times slower than the class on both types, with one outlier that the median ignores.
    for (const [type, ms] of [
      ['sleep', 5000],
      ['resize', 1000],
      ['sleep', 5200],
      ['resize', 980],
      ['sleep', 200],
    ] as const)
      await meter.record(type, 'cpu', ms);
    expect(meter.speed).toBe(0.2);
    // Peers at normal speed: this host is the slow one.
    expect(await meter.review(idle(1, 0.9), SLOTS)).toBe(true);
    expect(meter.onProbation).toBe(true);
  });

  it('keeps a worker off probation when its whole class measures as slow (big jobs, stale normal) or is too small to compare', async () => {
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }));
    for (let i = 0; i < 5; i++) await meter.record('sleep', 'cpu', 4000);
    expect(meter.speed).toBe(0.25);
    expect(await meter.review(idle(0.26, 0.24, 0.3), SLOTS)).toBe(false);
    expect(await meter.review(idle(1), SLOTS)).toBe(false);
  });

  it('does not ask about its peers while it measures normal', async () => {
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }));
    for (let i = 0; i < 5; i++) await meter.record('sleep', 'cpu', 1000);
    let asked = false;
    const peers = async () => {
      asked = true;
      return idle(0.1, 0.1)();
    };
    expect(await meter.review(peers, SLOTS)).toBe(false);
    expect(asked).toBe(false);
  });

  it('forgets old attempts, so a worker that recovers leaves probation', async () => {
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }), {
      ...DEFAULT_SPEED_METER_OPTIONS,
      window: 5,
      recoverAfter: Number.POSITIVE_INFINITY,
    });
    const peers = idle(1, 1);
    for (let i = 0; i < 5; i++) await meter.record('sleep', 'cpu', 5000);
    expect(await meter.review(peers, SLOTS)).toBe(true);
    for (let i = 0; i < 3; i++) await meter.record('sleep', 'cpu', 1000);
    expect(meter.speed).toBe(1);
    expect(await meter.review(peers, SLOTS)).toBe(false);
  });

  it('ends a slow spell at once: on probation, two attempts in a row at normal speed forget the slow ones', async () => {
    // Prepare: ten attempts 5× slow put the worker on probation; a window of 20 would need ten fast ones.
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }));
    const peers = idle(1, 1);
    for (let i = 0; i < 10; i++) await meter.record('sleep', 'cpu', 5000);
    expect(await meter.review(peers, SLOTS)).toBe(true);
    // Act: one fast one is not yet a recovery; the second is.
    await meter.record('sleep', 'cpu', 1000);
    const afterOne = meter.speed;
    await meter.record('sleep', 'cpu', 950);
    // Assess: the slow history is gone; the worker is measured afresh.
    expect(afterOne).toBe(0.2);
    expect(meter.speed).toBeUndefined();
    expect(await meter.review(peers, SLOTS)).toBe(false);
  });

  it('skips attempts of types with no trusted normal yet, and reads each normal once per TTL', async () => {
    const source = normals({});
    const meter = new SpeedMeter(source);
    for (let i = 0; i < 10; i++) await meter.record('new-type', 'gpu', 1000);
    expect(meter.speed).toBeUndefined();
    expect(source.reads).toBe(1);
  });

  it('does not measure types of millisecond jobs: their run times are mostly overhead and timer noise', async () => {
    // A no-op type whose attempts take 2–12 ms: a sample of 0.4 would say nothing of the worker.
    const meter = new SpeedMeter(normals({ 'noop#cpu': 4, 'sleep#cpu': 1000 }));
    for (let i = 0; i < 10; i++) await meter.record('noop', 'cpu', 10);
    expect(meter.speed).toBeUndefined();
    for (let i = 0; i < 5; i++) await meter.record('sleep', 'cpu', 1000);
    expect(meter.speed).toBe(1);
  });

  it('never puts a worker on probation when the threshold is 0', async () => {
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }), { ...DEFAULT_SPEED_METER_OPTIONS, probationSpeed: 0 });
    for (let i = 0; i < 10; i++) await meter.record('sleep', 'cpu', 10_000);
    expect(meter.speed).toBe(0.1);
    expect(await meter.review(idle(1, 1), SLOTS)).toBe(false);
  });

  it('stays off probation while the other workers have no room for the slots it would leave idle', async () => {
    // Prepare: a worker 5× slower than two peers, which are busy but for two free slots between them.
    const meter = new SpeedMeter(normals({ 'sleep#cpu': 1000 }));
    for (let i = 0; i < 5; i++) await meter.record('sleep', 'cpu', 5000);
    const busy = (free: number) => async (): Promise<PeerReport[]> => [
      { speed: 1, slots: SLOTS, running: SLOTS - free, onProbation: false },
      { speed: 1, slots: SLOTS, running: SLOTS, onProbation: false },
      // A peer on probation takes no waiting work: its free slots are no room.
      { speed: 0.2, slots: 1, running: 0, onProbation: true },
    ];
    // Act and assess: probation would idle 3 slots; 2 free are not enough, 3 are.
    expect(await meter.review(busy(2), SLOTS)).toBe(false);
    expect(await meter.review(busy(3), SLOTS)).toBe(true);
  });

  describe('a slow spell read from the running attempts’ pace', () => {
    /** A meter on a clock the test moves, with the sleep type's normal (1 s) already read. */
    async function meterAt(medians: Record<string, number> = { 'sleep#cpu': 1000 }, p90Factor = 1.5, p99Factor = 2) {
      const clock = { now: 0 };
      const source = {
        runTimes: async (key: string) =>
          medians[key] === undefined
            ? undefined
            : { median: medians[key]!, p90: p90Factor * medians[key]!, p99: p99Factor * medians[key]! },
      };
      const meter = new SpeedMeter(source, DEFAULT_SPEED_METER_OPTIONS, () => clock.now);
      await meter.record('sleep', 'cpu', 1000);
      return { meter, clock };
    }
    /** An attempt of `type` started at 0 that reached `fraction` at `at` ms: 0.2 at 1,000 ms paces to 5 s. */
    const paced = (fraction: number, at: number, type = 'sleep') => ({
      type,
      capacity: 'cpu',
      startedAt: 0,
      report: { fraction, at },
    });

    it('puts the worker on probation at once when an attempt paces 5× slower than its type, for the hold', async () => {
      const { meter, clock } = await meterAt();
      clock.now = 1000;
      await meter.observe(paced(0.2, 1000), idle(1, 1), SLOTS);
      expect(meter.onProbation).toBe(true);
      clock.now = 1000 + DEFAULT_SPEED_METER_OPTIONS.slowNowHoldMs - 1;
      expect(meter.onProbation).toBe(true);
      clock.now = 1000 + DEFAULT_SPEED_METER_OPTIONS.slowNowHoldMs;
      expect(meter.onProbation).toBe(false);
      // Its history is untouched: one attempt measured at normal speed.
      expect(meter.speed).toBeUndefined();
    });

    it('renews the hold with each slow report', async () => {
      const { meter, clock } = await meterAt();
      await meter.observe(paced(0.2, 1000), idle(1, 1), SLOTS);
      await meter.observe(paced(0.3, 1500), idle(1, 1), SLOTS);
      clock.now = 1500 + DEFAULT_SPEED_METER_OPTIONS.slowNowHoldMs - 1;
      expect(meter.onProbation).toBe(true);
    });

    it('ignores a pace at normal speed, too little progress, an unknown type and a type of unlike sizes', async () => {
      const { meter } = await meterAt();
      await meter.observe(paced(0.5, 500), idle(1, 1), SLOTS);
      await meter.observe(paced(0.05, 1000), idle(1, 1), SLOTS);
      await meter.observe(paced(0.2, 1000, 'never-seen'), idle(1, 1), SLOTS);
      await meter.observe({ ...paced(0.2, 1000), report: undefined }, idle(1, 1), SLOTS);
      expect(meter.onProbation).toBe(false);
      // A type whose p90 is 3× its median: a slow pace may well be a big job.
      const { meter: unlike } = await meterAt({ 'sleep#cpu': 1000 }, 3);
      await unlike.observe(paced(0.2, 1000), idle(1, 1), SLOTS);
      expect(unlike.onProbation).toBe(false);
      // 90 % short jobs and 10 % twenty times longer: the p90 sits on the short ones, the p99 on the long.
      const { meter: bimodal } = await meterAt({ 'sleep#cpu': 1000 }, 1, 20);
      await bimodal.observe(paced(0.2, 1000), idle(1, 1), SLOTS);
      expect(bimodal.onProbation).toBe(false);
    });

    it('stays off probation while another attempt here runs at a healthy pace: the slow one is a big or a stuck job', async () => {
      const { meter } = await meterAt();
      // Beside it, an attempt at normal speed (half done at 500 ms) and one slow as well.
      await meter.observe(paced(0.2, 1000), idle(1, 1), SLOTS, [paced(0.5, 500), paced(0.2, 1000)]);
      expect(meter.onProbation).toBe(false);
      // Every other attempt slow too, or none measured yet: the host is slow.
      await meter.observe(paced(0.2, 1000), idle(1, 1), SLOTS, [paced(0.2, 1000), paced(0.05, 1000)]);
      expect(meter.onProbation).toBe(true);
    });

    it('stays off probation where the other workers have no room, and with probation turned off', async () => {
      const { meter } = await meterAt();
      const full = async (): Promise<PeerReport[]> => [{ speed: 1, slots: SLOTS, running: SLOTS, onProbation: false }];
      await meter.observe(paced(0.2, 1000), full, SLOTS);
      expect(meter.onProbation).toBe(false);
      const off = new SpeedMeter(normals({ 'sleep#cpu': 1000 }), { ...DEFAULT_SPEED_METER_OPTIONS, probationSpeed: 0 });
      await off.record('sleep', 'cpu', 1000);
      await off.observe(paced(0.2, 1000), idle(1, 1), SLOTS);
      expect(off.onProbation).toBe(false);
    });

    it('reads the other workers’ reports at most once a hold', async () => {
      const { meter, clock } = await meterAt();
      let reads = 0;
      const full = async (): Promise<PeerReport[]> => {
        reads++;
        return [{ speed: 1, slots: SLOTS, running: SLOTS, onProbation: false }];
      };
      // Slow reports while the others have no room: the read at 1 s answers for the one at 1.5 s too.
      for (const at of [1000, 1500]) {
        clock.now = at;
        await meter.observe(paced(0.2, at), full, SLOTS);
      }
      expect(reads).toBe(1);
      clock.now = 1000 + DEFAULT_SPEED_METER_OPTIONS.slowNowHoldMs;
      await meter.observe(paced(0.2, clock.now), full, SLOTS);
      expect(reads).toBe(2);
      expect(meter.onProbation).toBe(false);
    });
  });

  describe('a slow spell read from the host pace probe', () => {
    /** Other workers of the class whose probes read these milliseconds, each with every slot free. */
    const probing =
      (...hostPaceMs: number[]) =>
      async (): Promise<PeerReport[]> =>
        hostPaceMs.map((ms) => ({ hostPaceMs: ms, slots: SLOTS, running: 0, onProbation: false }));

    it('puts the worker on probation after two readings in a row 5× slower than its class’s, and ends it at the first normal one', async () => {
      const meter = new SpeedMeter(normals({}));
      await meter.observeHostPace(2.5, probing(0.5, 0.5, 0.6));
      expect(meter.onProbation).toBe(false);
      await meter.observeHostPace(2.5, probing(0.5, 0.5, 0.6));
      expect(meter.onProbation).toBe(true);
      expect(meter.hostPaceMs).toBe(2.5);
      await meter.observeHostPace(0.55, probing(0.5, 0.5, 0.6));
      expect(meter.onProbation).toBe(false);
    });

    it('ignores one slow reading between normal ones (a preemption), and a reading within the probation line', async () => {
      const meter = new SpeedMeter(normals({}));
      for (const ms of [0.5, 2.5, 0.5, 0.75, 0.75]) await meter.observeHostPace(ms, probing(0.5, 0.5));
      expect(meter.onProbation).toBe(false);
    });

    it('judges nobody in a class too small to compare, nor with probation off; asks nothing of the others’ room', async () => {
      const alone = new SpeedMeter(normals({}));
      for (let i = 0; i < 2; i++) await alone.observeHostPace(2.5, probing(0.5));
      expect(alone.onProbation).toBe(false);
      const off = new SpeedMeter(normals({}), { ...DEFAULT_SPEED_METER_OPTIONS, probationSpeed: 0 });
      for (let i = 0; i < 2; i++) await off.observeHostPace(2.5, probing(0.5, 0.5));
      expect(off.onProbation).toBe(false);
      // Every other worker full: the slowed host goes on probation all the same (it still takes work that waited).
      const busy = new SpeedMeter(normals({}));
      const full = async () =>
        [0.5, 0.5].map((ms) => ({ hostPaceMs: ms, slots: SLOTS, running: SLOTS, onProbation: false }));
      for (let i = 0; i < 2; i++) await busy.observeHostPace(2.5, full);
      expect(busy.onProbation).toBe(true);
    });
  });
});

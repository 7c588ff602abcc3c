import { describe, expect, it } from 'vitest';
import { NOW, queued } from '../../../test/helpers/store-fixtures.ts';
import type { MessageCheck } from '../dispatch/index.ts';
import type { Job, QueueKey } from '../model/index.ts';
import type { QueueFindings } from './check-records.ts';
import { type CheckedEntry, judgeChecks, reviewChecks } from './message-checks.ts';

const GRACE = 300_000;
const SETTINGS = { graceMs: GRACE, refreshAfterMs: 13 * 86_400_000 };
const QUEUE: QueueKey = 'cpu-default';
const ids = Array.from({ length: 6 }, (_, n) => `00000000-0000-4000-8000-00000000000${n}`);

/** A job of `queued`'s type sent at `sentAt`, and the check entry naming it. */
function checked(n: number, sentAt: number, fields: Partial<Job> = {}): CheckedEntry {
  const job = { ...queued, id: ids[n]!, updatedAt: new Date(sentAt).toISOString(), ...fields };
  return { queue: QUEUE, entry: [job.id, sentAt, job.type], job };
}

const lease = (expiresAt: number): Job['leases'] => ({
  c1: { workerId: 'w', attempt: 1, startedAt: expiresAt - 60_000, expiresAt },
});
const held = (messages: number) => new Map([[QUEUE, messages]]);
const none = new Map<string, number>();

describe('judgeChecks', () => {
  it('is done with jobs that moved on or were never written, and watches a running one', () => {
    // Prepare
    const entries = [
      checked(0, NOW - GRACE, { status: 'SUCCEEDED', attempts: 1 }),
      checked(1, NOW - GRACE, { status: 'SCHEDULED' }),
      { ...checked(2, NOW - GRACE), job: undefined },
      checked(3, NOW - GRACE, {
        status: 'RUNNING',
        attempts: 1,
        leases: lease(NOW + 5000),
      }),
    ];
    // Act
    const verdicts = judgeChecks(entries, held(0), none, SETTINGS, NOW);
    // Assess
    expect(verdicts.resend).toEqual([]);
    expect(verdicts.recheck).toEqual([{ check: { queue: QUEUE, jobs: [entries[3]!.entry] }, delaySeconds: 300 }]);
    expect(verdicts.findings.size).toBe(0);
  });

  it('checks a young waiting job again when its grace ends', () => {
    const entry = checked(0, NOW - GRACE + 20_000);

    const verdicts = judgeChecks([entry], held(0), none, SETTINGS, NOW);

    expect(verdicts.resend).toEqual([]);
    expect(verdicts.recheck).toEqual([{ check: { queue: QUEUE, jobs: [entry.entry] }, delaySeconds: 20 }]);
  });

  it('resends as many of the oldest waiting jobs as its queue lacks messages for', () => {
    // Prepare: three jobs waiting past the grace, one message left in their queue (a purge, then one arrival).
    const entries = [checked(0, NOW - 3 * GRACE), checked(1, NOW - 2 * GRACE), checked(2, NOW - GRACE)];
    // Act
    const verdicts = judgeChecks(entries, held(1), none, SETTINGS, NOW);
    // Assess: two are gone for sure, the oldest first; the youngest may own the one message.
    expect(verdicts.resend.map(({ job, reason }) => [job.id, reason])).toEqual([
      [ids[0], 'gone'],
      [ids[1], 'gone'],
    ]);
    expect(verdicts.recheck.flatMap(({ check }) => check.jobs.map(([id]) => id))).toEqual([ids[2]]);
    expect(verdicts.findings.get(QUEUE)).toEqual<QueueFindings>({ waitingPastGrace: 3, oldestWaitMs: 3 * GRACE });
  });

  it('leaves waiting jobs to a backlog that holds enough messages for them', () => {
    const entries = [checked(0, NOW - 2 * GRACE), checked(1, NOW - GRACE)];

    const verdicts = judgeChecks(entries, held(500), none, SETTINGS, NOW);

    expect(verdicts.resend).toEqual([]);
    expect(verdicts.findings.get(QUEUE)?.waitingPastGrace).toBe(2);
  });

  it('resends a job passed over by jobs of its queue and type sent a grace period later, not by other types', () => {
    // Prepare: a deep backlog (its count proves nothing); jobs sent later have been claimed.
    const waiting = checked(0, NOW - 3 * GRACE);
    // Act
    const byOtherType = judgeChecks([waiting], held(1000), new Map([[`${QUEUE}#resize`, NOW]]), SETTINGS, NOW);
    const bySameType = judgeChecks(
      [waiting],
      held(1000),
      new Map([[`${QUEUE}#${queued.type}`, NOW - 2 * GRACE]]),
      SETTINGS,
      NOW,
    );
    // Assess
    expect(byOtherType.resend).toEqual([]);
    expect(bySameType.resend.map(({ reason }) => reason)).toEqual(['overtaken']);
  });

  it('gives a job waiting almost SQS retention a fresh message', () => {
    const entry = checked(0, NOW - 13 * 86_400_000 - 1);

    const verdicts = judgeChecks([entry], held(10_000), none, SETTINGS, NOW);

    expect(verdicts.resend.map(({ reason }) => reason)).toEqual(['expiring']);
  });

  it('counts a running job whose leases all expired as waiting, from the last expiry', () => {
    const entry = checked(0, NOW - 10 * GRACE, {
      status: 'RUNNING',
      attempts: 1,
      leases: lease(NOW - 2 * GRACE),
    });

    const verdicts = judgeChecks([entry], held(0), none, SETTINGS, NOW);

    expect(verdicts.resend.map(({ reason, waitedMs }) => [reason, waitedMs])).toEqual([['gone', 2 * GRACE]]);
  });

  it('judges a job named by two checks once, on its latest send', () => {
    const older = checked(0, NOW - 3 * GRACE);
    const newer = checked(0, NOW - 1000);

    const verdicts = judgeChecks([older, newer], held(0), none, SETTINGS, NOW);

    expect(verdicts.resend).toEqual([]);
    expect(verdicts.recheck).toHaveLength(1);
  });
});

describe('reviewChecks', () => {
  /** Fakes of the review's ports, recording what it did. */
  function ports(jobs: Job[], options: { marks?: boolean; refused?: string[] } = {}) {
    const done = {
      marked: [] as string[],
      dispatched: [] as string[],
      rechecked: [] as { check: MessageCheck; delaySeconds: number }[],
      counted: [] as QueueKey[],
    };
    const deps = {
      store: {
        getMany: async (wanted: string[]) => jobs.filter((job) => wanted.includes(job.id)),
        markRedispatched: async (job: Job) => {
          done.marked.push(job.id);
          return options.marks ?? true;
        },
      },
      dispatcher: {
        dispatchMany: async (starts: { job: Pick<Job, 'id'> }[]) => {
          done.dispatched.push(...starts.map(({ job }) => job.id));
          return new Set(options.refused ?? []);
        },
      },
      held: async (queue: QueueKey) => {
        done.counted.push(queue);
        return 0;
      },
      recheck: async (check: MessageCheck, delaySeconds: number) => {
        done.rechecked.push({ check, delaySeconds });
      },
      records: {
        frontier: async () => new Map<string, number>(),
        advanceFrontier: async () => {},
        recordFindings: async () => {},
      },
    };
    return { deps, done };
  }

  it('marks and resends a job whose queue was purged, and counts only queues with waiting jobs', async () => {
    // Prepare
    const gone = checked(0, NOW - GRACE);
    const finished = { ...checked(1, NOW - GRACE, { status: 'SUCCEEDED', attempts: 1 }), queue: 'gpu-low' as const };
    const { deps, done } = ports([gone.job!, finished.job!]);
    const check = (c: CheckedEntry): MessageCheck => ({ queue: c.queue, jobs: [c.entry] });
    // Act
    const review = await reviewChecks(deps, [check(gone), check(finished)], SETTINGS, NOW);
    // Assess
    expect(done.counted).toEqual([QUEUE]);
    expect(done.marked).toEqual([ids[0]]);
    expect(done.dispatched).toEqual([ids[0]]);
    expect(done.rechecked).toEqual([]);
    expect(review.resent.map(({ job }) => job.id)).toEqual([ids[0]]);
  });

  it('keeps watching a job another review resent first, and one whose fresh message SQS refused', async () => {
    const first = checked(0, NOW - GRACE);
    const second = checked(1, NOW - GRACE);
    const claimedElsewhere = ports([first.job!], { marks: false });
    const refused = ports([second.job!], { refused: [ids[1]!] });

    await reviewChecks(claimedElsewhere.deps, [{ queue: QUEUE, jobs: [first.entry] }], SETTINGS, NOW);
    const review = await reviewChecks(refused.deps, [{ queue: QUEUE, jobs: [second.entry] }], SETTINGS, NOW);

    expect(claimedElsewhere.done.dispatched).toEqual([]);
    expect(claimedElsewhere.done.rechecked).toEqual([
      { check: { queue: QUEUE, jobs: [first.entry] }, delaySeconds: 300 },
    ]);
    expect(refused.done.rechecked).toEqual([{ check: { queue: QUEUE, jobs: [second.entry] }, delaySeconds: 300 }]);
    expect(review.resent).toEqual([]);
  });
});

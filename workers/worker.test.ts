import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from 'vitest';
import type { Job } from '../src/jobs/model/index.ts';
import type { JobRunner } from './job-runner.ts';
import type { QueuePoller, ReceivedMessage } from './queue-poller.ts';
import { Worker } from './worker.ts';

/** A queue of `count` messages sent `ageMs` ago behind the poller's interface, recording how it is asked. */
function fakePoller(count: number, ageMs = 60_000) {
  const message = (body: string, sentAt: number): ReceivedMessage => ({
    queue: 'cpu-default',
    queueUrl: 'q',
    body,
    receiptHandle: body,
    receiveCount: 1,
    sentAt,
  });
  const waiting = Array.from({ length: count }, (_, i) => message(String(i), Date.now() - ageMs));
  const receives: { max: number; longPoll: boolean }[] = [];
  const handedBack: string[] = [];
  const poller = {
    count,
    receives,
    handedBack,
    receive: async (max: number, { longPoll = true } = {}) => {
      receives.push({ max, longPoll });
      await sleep(1);
      return waiting.splice(0, max);
    },
    setVisibility: async () => undefined,
    // As SQS does, a handed-back message comes again as a fresh copy, sent now.
    handBack: async (messages: ReceivedMessage[]) => {
      handedBack.push(...messages.map((m) => m.body));
      waiting.push(...messages.map((m) => message(m.body, Date.now())));
    },
    flushDeletes: async () => undefined,
  };
  return poller;
}

/** Runs each message for 20 ms, recording the most attempts in flight at once and how long each had waited. */
function fakeRunner() {
  const runner = {
    done: 0,
    running: 0,
    mostAtOnce: 0,
    waitedMs: [] as number[],
    runningJobs: () => new Map<string, Job>(),
  };
  const process = async (message: ReceivedMessage) => {
    runner.waitedMs.push(Date.now() - message.sentAt);
    runner.running++;
    runner.mostAtOnce = Math.max(runner.mostAtOnce, runner.running);
    await sleep(20);
    runner.running--;
    runner.done++;
  };
  return Object.assign(runner, { process });
}

async function runUntilDone(onProbation: boolean, poller = fakePoller(6), probationPollMs = 5) {
  const runner = fakeRunner();
  const worker = new Worker(
    poller as unknown as QueuePoller,
    runner as unknown as JobRunner,
    new Logger({ logLevel: 'SILENT' }),
    { concurrency: 3, shutdownGraceSeconds: 1, probationPollMs },
    { onProbation },
  );
  void worker.start();
  while (runner.done < poller.count) await sleep(5);
  await worker.stop();
  return { poller, runner, load: worker.load };
}

describe('Worker', () => {
  it('runs up to its concurrency at once and long-polls when healthy', async () => {
    const { poller, runner, load } = await runUntilDone(false);
    expect(runner.mostAtOnce).toBe(3);
    expect(poller.receives.every((r) => r.longPoll)).toBe(true);
    expect(load).toEqual({ slots: 3, running: 0, jobIds: [] });
  });

  it('on probation takes only work that waited, one message a poll (no long polls), on every slot while such work is there', async () => {
    const { poller, runner, load } = await runUntilDone(true);
    expect(runner.mostAtOnce).toBe(3);
    expect(poller.receives.every((r) => !r.longPoll && r.max === 1)).toBe(true);
    expect(load.slots).toBe(3);
    expect(poller.handedBack).toEqual([]);
  });

  it('on probation hands back work that arrived less than a poll interval ago, and takes it once it waited', async () => {
    // Prepare: fresh arrivals, which a healthy worker's long poll could take as well.
    const poller = fakePoller(2, 0);
    // Act
    const { runner } = await runUntilDone(true, poller, 50);
    // Assess: the first went back at once; each ran only after it had waited the interval.
    expect(poller.handedBack[0]).toBe('0');
    expect(runner.done).toBe(2);
    expect(runner.waitedMs.every((ms) => ms >= 50)).toBe(true);
  });

  it('keeps fresh work when healthy', async () => {
    const poller = fakePoller(6, 0);
    await runUntilDone(false, poller);
    expect(poller.handedBack).toEqual([]);
  });
});
